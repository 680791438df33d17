"""Retourberichten (IV028): structure, header copy, where the RetourCodes land, and the `retour` command.

Every built retour is checked against our retour schemas (schemas/iwmo/3.2/wmo3NN.xsd) and, when
../shared/reference is present, against its iJw twin (JW302 ... JW320) after renaming namespaces and
BerichtCode to iJw.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from pathlib import Path

import pytest
from lxml import etree

from gateway.cli import main
from gateway.messages import GeenRetourbericht, beoordeel, build_retourbericht, validate_and_build
from gateway.messages import klassen as kl
from gateway.messages import retour as retour_mod
from gateway.standard import catalogue
from gateway.validation.findings import XSD, Finding
from tests.msgedit import Msg
from tests.reference import OUR_EXAMPLES, REPO, official_example, our_example, reference_dir

HEEN = ("WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319")
OUR_SCHEMAS = REPO / "schemas" / "iwmo" / catalogue.get("WMO301").profiel.release
XS = "{http://www.w3.org/2001/XMLSchema}"
# iJw twin BerichtCodes (COD002); the catalogue only knows iWmo.
IJW_CODE = {
    "WMO302": "437",
    "WMO306": "439",
    "WMO308": "441",
    "WMO316": "447",
    "WMO318": "487",
    "WMO320": "489",
}
DAG = "2026-03-20"
# Elements typed by the code lists in which the iWmo and iJw basisschemas differ.
IWMO_ONLY_CODES = ("Categorie", "RedenBeeindiging", "RedenWijziging")


# -- helpers ------------------------------------------------------------------------------------------


def retour_van(heen: str) -> catalogue.Berichttype:
    r = catalogue.retourbericht_voor(heen)
    assert r is not None
    return r


def our_schema(naam: str) -> etree.XMLSchema:
    path = OUR_SCHEMAS / catalogue.get(naam).schema_file
    if not path.is_file():
        pytest.skip(f"{path.name} not written yet")
    return etree.XMLSchema(etree.parse(str(path)))


def as_ijw(xml: bytes, retour: catalogue.Berichttype) -> etree._Element:
    """The retour renamed into its iJw twin: namespaces iwmo/3_2/wmoNNN -> ijw/3_2/jwNNN, iJw BerichtCode."""
    ijw_root = catalogue.get("WMO301").profiel.namespace_root.replace("/iwmo/", "/ijw/")
    rename = {
        retour.namespace: f"{ijw_root}/jw{retour.nummer}/schema",
        catalogue.get('WMO301').basisschema_namespace: f"{ijw_root}/basisschema/schema",
    }
    root = etree.fromstring(xml)
    for el in root.iter():
        q = etree.QName(el)
        el.tag = f"{{{rename.get(q.namespace, q.namespace)}}}{q.localname}"
        if q.localname == "BerichtCode":
            el.text = IJW_CODE[retour.naam]
    etree.cleanup_namespaces(root)
    return root


@functools.lru_cache(maxsize=1)
def ijw_codewaarden(reference: Path) -> dict[str, str]:
    """For each element typed by a code list in which the iWmo and iJw basisschemas differ: a value iJw accepts
    (the first of its enumeration, read from the iJw XSDs)."""
    documenten = [etree.parse(str(p)) for p in sorted((reference / "ijw-3.2" / "xsd").glob("*.xsd"))]
    eerste = {
        t.get("name"): enum.get("value")
        for doc in documenten
        for t in doc.iter(f"{XS}simpleType")
        if (enum := t.find(f"{XS}restriction/{XS}enumeration")) is not None
    }
    waarden: dict[str, str] = {}
    for naam in IWMO_ONLY_CODES:
        [soort] = {el.get("type", "").partition(":")[2] for doc in documenten for el in doc.iter(f"{XS}element")
                   if el.get("name") == naam}
        waarden[naam] = eerste[soort]
    return waarden


def assert_valid(xml: bytes, retour: catalogue.Berichttype) -> None:
    schema = our_schema(retour.naam)
    assert schema.validate(etree.fromstring(xml)), f"{retour.naam}: {schema.error_log}\n{xml.decode()}"
    reference = reference_path_or_none()
    if reference is not None:
        ijw = etree.XMLSchema(etree.parse(str(reference / "ijw-3.2" / "xsd" / f"jw{retour.nummer}.xsd")))
        twin = as_ijw(xml, retour)
        # The two basisschemas differ only in these code lists (reference README), and our own schema has just
        # checked their iWmo values: give them a value the iJw list knows, so everything else must match exactly.
        waarden = ijw_codewaarden(reference)
        for el in twin.iter():
            if isinstance(el.tag, str) and (naam := etree.QName(el).localname) in waarden:
                el.text = waarden[naam]
        assert ijw.validate(twin), f"{retour.naam} as iJw twin: {ijw.error_log}\n{xml.decode()}"


def reference_path_or_none() -> Path | None:
    try:
        return reference_dir()
    except pytest.skip.Exception:
        return None


def tree(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def codes(el: etree._Element | None) -> list[str] | None:
    """The RetourCodes directly under a class element (None when it has none)."""
    assert el is not None
    wrapper = [c for c in el if etree.QName(c).localname == "RetourCodes"]
    return [c.text for c in wrapper[0]] if wrapper else None


def at(root: etree._Element, path: str) -> etree._Element:
    """An element of a built retour by a msgedit-style path (local names, [n] 1-based)."""
    node = root
    for step in path.strip("/").split("/"):
        name, _, rest = step.partition("[")
        index = int(rest.rstrip("]")) if rest else 1
        node = [c for c in node if etree.QName(c).localname == name][index - 1]
    return node


def class_codes(root: etree._Element) -> dict[str, list[str]]:
    """Every class in the retour (element with RetourCodes) by its path, with its codes."""
    out: dict[str, list[str]] = {}
    for wrapper in root.iter(f"{{{etree.QName(root).namespace}}}RetourCodes"):
        out[retour_mod.element_path(wrapper.getparent())] = [c.text for c in wrapper]
    return out


def build(data: bytes, findings: list[Finding] | tuple[Finding, ...] = (), **kw: object) -> bytes:
    kw.setdefault("identificatie", "RET-1")
    kw.setdefault("dagtekening", DAG)
    return build_retourbericht(data, findings, **kw)  # type: ignore[arg-type]


def f(retourcode: str | None, *locatie: str, code: str = "TRxxx", **extra: str) -> Finding:
    return Finding(
        code=code, melding="synthetisch", locatie=tuple(locatie), retourcode=retourcode, extra=extra
    )


def heen_body(data: bytes) -> list[tuple[str, str | None]]:
    """(path, text) of every element below the Header, namespace-free, for comparing echo and original."""
    root = tree(data)
    return [
        (retour_mod.element_path(el), (el.text or "").strip() or None)
        for el in root.iter()
        if isinstance(el.tag, str)
        and el is not root
        and "/Header" not in retour_mod.element_path(el)
        and etree.QName(el).localname not in ("RetourCodes", "RetourCode")
    ]


# -- the class table agrees with the retour schemas ----------------------------------------------------


def _schema_classes(xsd: Path) -> set[tuple[str, ...]]:
    """Paths (from Bericht) of the elements whose type ends in RetourCodes, found by walking the types."""
    doc = etree.parse(str(xsd)).getroot()
    types = {ct.get("name"): ct for ct in doc.iter(f"{XS}complexType") if ct.get("name")}
    found: set[tuple[str, ...]] = set()

    def walk(type_name: str, path: tuple[str, ...]) -> None:
        ct = types[type_name]
        children = [e for e in ct.iter(f"{XS}element")]
        if path and any(e.get("name") == "RetourCodes" for e in children):
            found.add(path)
        for e in children:
            typ = (e.get("type") or "").partition(":")[2]
            if typ in types and e.get("name") != "RetourCodes":
                walk(typ, (*path, e.get("name")))

    walk("Root", ())
    return found


@pytest.mark.parametrize("heen", HEEN)
def test_class_table_matches_our_retour_schema(heen: str) -> None:
    retour = retour_van(heen)
    xsd = OUR_SCHEMAS / retour.schema_file
    if not xsd.is_file():
        pytest.skip(f"{xsd.name} not written yet")
    assert _schema_classes(xsd) == set(kl.klassen(retour.naam))


@pytest.mark.parametrize("heen", HEEN)
def test_class_table_matches_ijw_twin(heen: str) -> None:
    retour = retour_van(heen)
    twin = _schema_classes(reference_dir() / "ijw-3.2" / "xsd" / f"jw{retour.nummer}.xsd")
    # Woonplaatsbeginsel is an iJw-only element of JW319/JW320 (reference README).
    twin.discard(("Antwoord", "Woonplaatsbeginsel"))
    assert twin == set(kl.klassen(retour.naam))


# -- clean messages ------------------------------------------------------------------------------------


def _examples() -> list[object]:
    cases: list[object] = [pytest.param("official", n, id=f"official-{n}") for n in HEEN]
    cases += [pytest.param("ours", n, id=f"ours-{n}") for n in HEEN]
    return cases


def _example(source: str, naam: str) -> bytes:
    if source == "official":
        return official_example(naam)
    if not (OUR_EXAMPLES / f"{naam}.xml").is_file():
        pytest.skip(f"gateway/demo/berichten/{naam}.xml not written yet")
    return our_example(naam)


@pytest.mark.parametrize(("source", "heen"), _examples())
def test_clean_message_gets_a_header_only_retour_without_retourcodes(source: str, heen: str) -> None:
    """IV028: "Wanneer geen fouten geconstateerd zijn ... bevat [het retourbericht] alleen een Header, zonder retourcodes"."""
    data = _example(source, heen)
    retour = retour_van(heen)
    xml = build(data)
    assert_valid(xml, retour)
    root = tree(xml)
    assert etree.QName(root).namespace == retour.namespace
    assert [etree.QName(c).localname for c in root] == ["Header"]
    assert codes(at(root, "Header")) is None


@pytest.mark.parametrize(("source", "heen"), _examples())
def test_validate_and_build_gives_a_schema_valid_retour(source: str, heen: str) -> None:
    data = _example(source, heen)
    retour = retour_van(heen)
    xml = validate_and_build(data, identificatie="V1", dagtekening=DAG)
    assert_valid(xml, retour)


@pytest.mark.parametrize(("source", "heen"), _examples())
def test_every_class_echoed_unchanged_when_a_product_class_is_rejected(source: str, heen: str) -> None:
    """Level 3/4 finding below the Header: all classes of the client repeated unchanged, each with codes."""
    data = _example(source, heen)
    retour = retour_van(heen)
    deepest = kl.klassen(retour.naam)[-1]
    heen_root = tree(data)
    target = (
        at(heen_root, "/".join(deepest)) if Msg(data).has("/".join(deepest)) else at(heen_root, deepest[0])
    )
    xml = build(data, [f("9063", retour_mod.element_path(target))])
    assert_valid(xml, retour)
    root = tree(xml)
    assert codes(at(root, "Header")) == ["0200"]
    assert heen_body(xml) == heen_body(data)
    found = class_codes(root)
    assert found.pop(retour_mod.element_path(target)) == ["9063"]
    assert found and all(v == ["0200"] for v in found.values())


# -- the header ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("heen", HEEN)
def test_header_is_copied_with_the_retour_code_and_retour_data(heen: str) -> None:
    data = official_example(heen)
    retour = retour_van(heen)
    root = tree(build(data, identificatie="ABC-123", dagtekening=dt.date(2026, 4, 1), xslt_versie="2.10.5"))
    heen_header = Msg(data)
    names = [etree.QName(c).localname for c in at(root, "Header")]
    assert names == [
        "BerichtCode",
        "BerichtVersie",
        "BerichtSubversie",
        "Afzender",
        "Ontvanger",
        "BerichtIdentificatie",
        "XsdVersie",
        "IdentificatieRetour",
        "DagtekeningRetour",
        "XsltVersie",
        "XsdVersieRetour",
    ]
    assert at(root, "Header/BerichtCode").text == retour.berichtcode
    # IV028: Afzender and Ontvanger stay as in the heenbericht, like every other header element.
    for path in (
        "BerichtVersie",
        "BerichtSubversie",
        "Afzender",
        "Ontvanger",
        "BerichtIdentificatie/Identificatie",
        "BerichtIdentificatie/Dagtekening",
        "XsdVersie/BasisschemaXsdVersie",
        "XsdVersie/BerichtXsdVersie",
    ):
        assert at(root, f"Header/{path}").text == heen_header.text(f"Header/{path}"), path
    assert at(root, "Header/BerichtIdentificatie/Identificatie").nsmap  # basisschema child kept
    assert (
        etree.QName(at(root, "Header/BerichtIdentificatie/Identificatie")).namespace
        == catalogue.get("WMO301").basisschema_namespace
    )
    assert at(root, "Header/IdentificatieRetour").text == "ABC-123"
    assert at(root, "Header/DagtekeningRetour").text == "2026-04-01"
    assert at(root, "Header/XsltVersie").text == "2.10.5"
    assert at(root, "Header/XsdVersieRetour/BasisschemaXsdVersie").text == catalogue.get("WMO301").profiel.xsd_versie
    assert at(root, "Header/XsdVersieRetour/BerichtXsdVersie").text == catalogue.get("WMO301").profiel.xsd_versie


def test_afzender_of_a_retour_on_a_gemeente_message_is_still_the_gemeente() -> None:
    data = official_example("WMO301")
    root = tree(build(data))
    assert at(root, "Header/Afzender").text == Msg(data).text("Header/Afzender")
    assert len(at(root, "Header/Afzender").text or "") == 4  # a gemeentecode, as JW302 types it


def test_fresh_identificatie_and_today_by_default() -> None:
    data = official_example("WMO305")
    first = tree(build_retourbericht(data, []))
    second = tree(build_retourbericht(data, []))
    a, b = at(first, "Header/IdentificatieRetour").text, at(second, "Header/IdentificatieRetour").text
    assert a and b and a != b and 1 <= len(a) <= 12
    today = retour_mod._vandaag()
    assert at(first, "Header/DagtekeningRetour").text in (today.isoformat(), dt.date.today().isoformat())
    assert_valid(etree.tostring(first), retour_van("WMO305"))


@pytest.mark.parametrize("ident", ["", "   ", "1234567890123"])
def test_identificatie_must_fit_its_type(ident: str) -> None:
    with pytest.raises(ValueError):
        build(official_example("WMO305"), identificatie=ident)


@pytest.mark.parametrize(
    "kw", [{"dagtekening": "16-03-2026"}, {"dagtekening": "2026-02-30"}, {"xslt_versie": "2.10"}]
)
def test_bad_dagtekening_or_xslt_versie_is_refused(kw: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        build(official_example("WMO305"), **kw)


def test_output_is_utf8_with_declaration_and_keeps_non_ascii() -> None:
    data = Msg(official_example("WMO301")).set("Client/Naam/Geslachtsnaam/Achternaam", "Çelik-Öztürk").bytes()
    xml = build(
        data, [f("9332", "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/ToewijzingNummer")]
    )
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "Çelik-Öztürk".encode() in xml
    assert_valid(xml, retour_van("WMO301"))


# -- where the codes land ------------------------------------------------------------------------------

TP = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"


def wmo301_twee_producten() -> bytes:
    """The official WMO301 with a second ToegewezenProduct (a copy with another ToewijzingNummer)."""
    msg = Msg(official_example("WMO301")).duplicate("Client/ToegewezenProducten/ToegewezenProduct")
    return msg.set("Client/ToegewezenProducten/ToegewezenProduct[2]/ToewijzingNummer", "77001").bytes()


def test_finding_on_second_toegewezen_product_lands_there_only() -> None:
    data = wmo301_twee_producten()
    xml = build(data, [f("9332", f"{TP}[2]/Omvang")])
    assert_valid(xml, retour_van("WMO301"))
    root = tree(xml)
    assert codes(at(root, "Header")) == ["0200"]
    assert codes(at(root, "Client")) == ["0200"]
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[1]")) == ["0200"]
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[2]")) == ["9332"]
    for contact in at(root, "Client/Contactgegevens"):
        assert codes(contact) == ["0200"]
    # No codes on containers or data elements.
    assert codes(at(root, "Client/ToegewezenProducten")) is None
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[2]/Omvang")) is None


def test_retourcodes_close_each_class_after_its_data_elements() -> None:
    root = tree(build(wmo301_twee_producten(), [f("9332", f"{TP}[2]")]))
    product = at(root, "Client/ToegewezenProducten/ToegewezenProduct[2]")
    assert etree.QName(product[-1]).localname == "RetourCodes"
    client = at(root, "Client")
    assert [etree.QName(c).localname for c in client][-3:] == [
        "Contactgegevens",
        "ToegewezenProducten",
        "RetourCodes",
    ]


def test_contact_of_a_relatie_is_its_own_class() -> None:
    data = official_example("WMO301")
    rel = "/Bericht/Client/Relaties/Relatie[2]"
    root = tree(
        build(data, [f("9385", f"{rel}/Contact/Adres/Postcode"), f("8187", f"{rel}/Naam/Geslachtsnaam")])
    )
    assert codes(at(root, "Client/Relaties/Relatie[2]/Contact")) == ["9385"]
    assert codes(at(root, "Client/Relaties/Relatie[2]")) == ["8187"]
    assert codes(at(root, "Client/Relaties/Relatie[1]")) == ["0200"]
    assert codes(at(root, "Client/Relaties/Relatie[1]/Contact")) == ["0200"]
    assert_valid(etree.tostring(root), retour_van("WMO301"))


def test_finding_on_a_container_or_client_element_lands_on_the_client() -> None:
    data = official_example("WMO301")
    root = tree(
        build(data, [f("9332", "/Bericht/Client/ToegewezenProducten"), f("8187", "/Bericht/Client/Bsn")])
    )
    assert codes(at(root, "Client")) == ["9332", "8187"]
    assert all(
        v == ["0200"] for k, v in class_codes(root).items() if k not in ("/Bericht/Header", "/Bericht/Client")
    )


def test_iv028_example_tr063_on_a_start_product() -> None:
    """IV028's example: StartProduct 9063, Client 0200, Header 0200."""
    data = official_example("WMO305")
    xml = build(
        data, [f("9063", "/Bericht/Client/StartProducten/StartProduct[2]/StatusAanlevering", code="TR063")]
    )
    assert_valid(xml, retour_van("WMO305"))
    assert class_codes(tree(xml)) == {
        "/Bericht/Header": ["0200"],
        "/Bericht/Client/StartProducten/StartProduct[1]": ["0200"],
        "/Bericht/Client/StartProducten/StartProduct[2]": ["9063"],
        "/Bericht/Client": ["0200"],
    }


def test_stop_products_of_a_wmo308() -> None:
    data = official_example("WMO307")
    xml = build(data, [f("9413", "/Bericht/Client/StopProducten/StopProduct[1]/Einddatum")])
    assert_valid(xml, retour_van("WMO307"))
    root = tree(xml)
    assert codes(at(root, "Client/StopProducten/StopProduct[1]")) == ["9413"]
    assert codes(at(root, "Client/StopProducten/StopProduct[2]")) == ["0200"]


def test_aangevraagd_product_of_a_wmo316() -> None:
    data = official_example("WMO315")
    assert Msg(data).has("Client/AangevraagdeProducten/AangevraagdProduct[2]")
    ap = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"
    xml = build(data, [f("9347", f"{ap}[2]/ReferentieAanbieder", code="TR347")])
    assert_valid(xml, retour_van("WMO315"))
    root = tree(xml)
    assert codes(at(root, "Client")) == ["0200"]
    assert codes(at(root, "Client/AangevraagdeProducten/AangevraagdProduct[1]")) == ["0200"]
    assert codes(at(root, "Client/AangevraagdeProducten/AangevraagdProduct[2]")) == ["9347"]


def test_wmo318_like_the_jw318_example() -> None:
    """JW318's example: Verzoek 9349, OngewijzigdProduct 9350, NieuwProduct 0200 below the rejected Verzoek."""
    data = official_example("WMO317")
    verzoek = "/Bericht/Client/Verzoek"
    xml = build(
        data,
        [
            f("9350", f"{verzoek}/OngewijzigdeProducten/OngewijzigdProduct/ToewijzingNummer", code="TR350"),
            f("9349", verzoek, code="TR349"),
        ],
    )
    assert_valid(xml, retour_van("WMO317"))
    root = tree(xml)
    assert codes(at(root, "Header")) == ["0200"]
    assert codes(at(root, "Client")) == ["0200"]
    assert codes(at(root, "Client/Verzoek")) == ["9349"]
    assert codes(at(root, "Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct")) == ["9350"]
    assert codes(at(root, "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct")) == ["0200"]
    assert codes(at(root, "Client/Verzoek/NieuweProducten/NieuwProduct")) == ["0200"]


def test_antwoord_of_a_wmo320() -> None:
    data = official_example("WMO319")
    xml = build(data, [f("9355", "/Bericht/Antwoord/ReferentieAanbieder", code="TR355")])
    assert_valid(xml, retour_van("WMO319"))
    root = tree(xml)
    assert [etree.QName(c).localname for c in root] == ["Header", "Antwoord"]
    assert class_codes(root) == {"/Bericht/Header": ["0200"], "/Bericht/Antwoord": ["9355"]}


def test_several_findings_on_one_class_are_deduplicated_in_stable_order() -> None:
    data = official_example("WMO317")
    tw = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
    xml = build(
        data,
        [
            f("9351", f"{tw}/ToewijzingNummer"),
            f("9357", f"{tw}/GewensteIngangsdatum"),
            f("9351", tw),
            f("9373", f"{tw}/Omvang/Volume"),
        ],
    )
    assert_valid(xml, retour_van("WMO317"))
    assert codes(at(tree(xml), "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct")) == [
        "9351",
        "9357",
        "9373",
    ]


def test_a_location_naming_the_header_dagtekening_first_lands_on_the_product() -> None:
    """Multi-location findings list the Header's Dagtekening first (document order); the fault is the product's."""
    data = official_example("WMO317")
    tw = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
    root = tree(
        build(
            data,
            [f("9357", "/Bericht/Header/BerichtIdentificatie/Dagtekening", f"{tw}/GewensteIngangsdatum")],
        )
    )
    assert codes(at(root, "Header")) == ["0200"]
    assert codes(at(root, "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct")) == ["9357"]


def test_retourlocatie_in_extra_overrides_the_location() -> None:
    data = official_example("WMO317")
    tw = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
    root = tree(build(data, [f("9349", f"{tw}/ToewijzingNummer", retourlocatie="/Bericht/Client/Verzoek")]))
    assert codes(at(root, "Client/Verzoek")) == ["9349"]
    assert codes(at(root, "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct")) == ["0200"]


def test_unresolvable_location_falls_back_to_its_deepest_existing_class() -> None:
    data = wmo301_twee_producten()
    root = tree(build(data, [f("9332", f"{TP}[2]/Bestaat/Niet"), f("9385", f"{TP}[7]/Omvang")]))
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[2]")) == ["9332"]
    assert codes(at(root, "Client")) == ["9385"]


def test_niet_beoordeeld_classes_get_0233() -> None:
    data = wmo301_twee_producten()
    xml = build(data, [f("9332", f"{TP}[1]")], niet_beoordeeld=[f"{TP}[2]"])
    assert_valid(xml, retour_van("WMO301"))
    root = tree(xml)
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[1]")) == ["9332"]
    assert codes(at(root, "Client/ToegewezenProducten/ToegewezenProduct[2]")) == ["0233"]
    assert codes(at(root, "Client")) == ["0200"]


def alle_klassen(data: bytes) -> tuple[str, ...]:
    """Every berichtklasse of the message's client, by path, as the retour would repeat them."""
    klassen = beoordeel(tree(data), [f("9332", f"{TP}[1]")]).klassen
    assert klassen is not None
    return tuple(klassen)


def test_a_client_with_its_own_finding_keeps_it_and_the_classes_below_get_0233() -> None:
    """IV028: a class in which a fault was found carries "de retourcode van de regel"; 0233 is for a class that
    was not checked, and a class with a finding was checked. (IV087 spells the same out for the 325: "Indien
    een fout is geconstateerd in Cliënt wordt de betreffende retourcode bij de Cliënt gevuld en worden alle
    onderliggende Prestaties retour gestuurd met retourcode 0233".) The receiver stopped at the Client, so it
    reports every class of that client as not assessed; the Client's own finding must survive that."""
    data = wmo301_twee_producten()
    xml = build(data, [f("9385", "/Bericht/Client/Bsn")], niet_beoordeeld=alle_klassen(data))
    assert_valid(xml, retour_van("WMO301"))
    root = tree(xml)
    gevonden = class_codes(root)
    assert gevonden.pop("/Bericht/Header") == ["0200"]
    assert gevonden.pop("/Bericht/Client") == ["9385"]
    assert {f"{TP}[1]", f"{TP}[2]"} <= set(gevonden)
    assert set(map(tuple, gevonden.values())) == {("0233",)}


def test_every_class_with_a_finding_keeps_its_codes_among_classes_not_assessed() -> None:
    data = wmo301_twee_producten()
    findings = [f("9385", "/Bericht/Client/Bsn"), f("9332", f"{TP}[2]/Omvang"), f("9019", f"{TP}[2]")]
    oordeel = beoordeel(tree(data), findings, niet_beoordeeld=alle_klassen(data))
    assert oordeel.kop == ("0200",) and oordeel.klassen is not None
    eigen = {"/Bericht/Client": ("9385",), f"{TP}[2]": ("9332", "9019")}
    assert {k: v for k, v in oordeel.klassen.items() if k in eigen} == eigen
    assert {v for k, v in oordeel.klassen.items() if k not in eigen} == {("0233",)}
    assert list(oordeel.klassen) == list(alle_klassen(data))  # document order, nothing dropped


# -- header-only retours --------------------------------------------------------------------------------


def test_header_finding_gives_a_header_only_retour_with_its_code() -> None:
    """IV028: "Indien er een fout geconstateerd is in de Header, bevat het retourbericht alleen de Header"."""
    data = wmo301_twee_producten()
    xml = build(
        data,
        [
            f("9332", f"{TP}[2]"),
            f("9056", "/Bericht/Header/BerichtIdentificatie/Identificatie", code="TR056"),
            f("S300", "/Bericht/Header/Afzender", code="TR378"),
            f("9056", "/Bericht/Header/BerichtIdentificatie"),
        ],
    )
    assert_valid(xml, retour_van("WMO301"))
    root = tree(xml)
    assert [etree.QName(c).localname for c in root] == ["Header"]
    assert codes(at(root, "Header")) == ["9056", "S300"]


def test_jw302_example_shape_8848_on_the_header() -> None:
    data = official_example("WMO301")
    xml = build(data, [f("8848", "/Bericht/Header/BerichtIdentificatie/Dagtekening", code="TR135")])
    assert class_codes(tree(xml)) == {"/Bericht/Header": ["8848"]}


@pytest.mark.parametrize("heen", HEEN)
def test_in_message_rule_gives_header_only_with_0001(heen: str) -> None:
    data = official_example(heen)
    body = kl.inhoud(retour_van(heen).naam)
    xml = build(data, [f("9332", f"/Bericht/{body}"), f("0001", f"/Bericht/{body}", code="TR101")])
    assert_valid(xml, retour_van(heen))
    assert class_codes(tree(xml)) == {"/Bericht/Header": ["0001"]}


def test_finding_without_retourcode_counts_as_technical_rejection() -> None:
    xml = build(official_example("WMO305"), [f(None, "/Bericht/Client/StartProducten/StartProduct[1]")])
    assert class_codes(tree(xml)) == {"/Bericht/Header": ["0001"]}


def test_real_tr380_finding_from_the_validator_gives_0001() -> None:
    data = official_example("WMO317")  # the official example trips TR380 (a desired start before Dagtekening)
    xml = validate_and_build(data, identificatie="X", dagtekening=DAG)
    assert class_codes(tree(xml)) == {"/Bericht/Header": ["0001"]}


def test_beoordeling_is_available_without_xml() -> None:
    root = tree(wmo301_twee_producten())
    clean = beoordeel(root, [])
    assert clean.goedgekeurd and clean.kop == () and clean.klassen is None
    b = beoordeel(root, [f("9332", f"{TP}[2]/Omvang")])
    assert b.kop == ("0200",)
    assert b.klassen is not None and b.klassen[f"{TP}[2]"] == ("9332",)
    assert list(b.klassen)[0] == "/Bericht/Client"


def test_max_occurs_of_the_schema_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (OUR_SCHEMAS / "wmo302.xsd").is_file():
        pytest.skip("wmo302.xsd not written yet")
    for xsd in OUR_SCHEMAS.glob("*.xsd"):
        shutil.copy(xsd, tmp_path / xsd.name)
    limited = tmp_path / "wmo302.xsd"
    text = limited.read_text(encoding="utf-8")
    marker = 'name="RetourCode" type="iwmo:LDT_RetourCode" maxOccurs="unbounded"'
    assert marker in text
    limited.write_text(text.replace(marker, marker.replace("unbounded", "2")), encoding="utf-8")
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(tmp_path))
    xml = build(
        wmo301_twee_producten(), [f("9332", TP + "[1]"), f("9379", TP + "[1]"), f("9385", TP + "[1]")]
    )
    assert codes(at(tree(xml), "Client/ToegewezenProducten/ToegewezenProduct[1]")) == ["9332", "9379"]


# -- no retour -----------------------------------------------------------------------------------------


def test_xsd_invalid_message_gets_no_retour() -> None:
    data = Msg(official_example("WMO301")).remove("Client/Bsn").bytes()
    with pytest.raises(GeenRetourbericht, match="XSD") as exc:
        validate_and_build(data)
    assert exc.value.findings and all(x.code == XSD for x in exc.value.findings)


def test_xsd_finding_passed_to_the_builder_raises() -> None:
    with pytest.raises(GeenRetourbericht, match="IV028"):
        build(official_example("WMO305"), [Finding(code=XSD, melding="kapot", locatie=("/Bericht/Client",))])


@pytest.mark.parametrize("data", [b"<a>", b"", b"<Bericht xmlns='urn:iets'/>"])
def test_unreadable_or_foreign_input_gets_no_retour(data: bytes) -> None:
    with pytest.raises(GeenRetourbericht):
        validate_and_build(data)
    with pytest.raises(GeenRetourbericht):
        build(data)


def test_a_retourbericht_or_declaratie_gets_no_retour() -> None:
    retour = build(official_example("WMO301"))
    with pytest.raises(GeenRetourbericht, match="zelf een retourbericht"):
        build(retour)
    with pytest.raises(GeenRetourbericht, match="WMO325"):
        validate_and_build(official_example("WMO323"))


# -- the command ---------------------------------------------------------------------------------------


def test_cli_writes_the_retour_to_stdout(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    src = tmp_path / "WMO305.xml"
    src.write_bytes(official_example("WMO305"))
    assert main(["retour", str(src), "--identificatie", "CLI1", "--dagtekening", DAG]) == 0
    out = capsysbinary.readouterr().out
    assert_valid(out, retour_van("WMO305"))
    assert at(tree(out), "Header/IdentificatieRetour").text == "CLI1"


def test_cli_writes_the_retour_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = tmp_path / "in.xml", tmp_path / "out.xml"
    src.write_bytes(official_example("WMO319"))
    assert main(["retour", str(src), "-o", str(dst)]) == 0
    assert capsys.readouterr().out == ""
    assert_valid(dst.read_bytes(), retour_van("WMO319"))


def test_cli_xsd_invalid_exits_1_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = tmp_path / "in.xml", tmp_path / "out.xml"
    src.write_bytes(Msg(official_example("WMO301")).remove("Client/Bsn").bytes())
    assert main(["retour", str(src), "-o", str(dst)]) == 1
    captured = capsys.readouterr()
    assert "geen retourbericht" in captured.err and captured.out == ""
    assert not dst.exists()


def test_cli_no_retour_for_a_declaratie(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(official_example("WMO323"))
    assert main(["retour", str(src)]) == 1
    assert "WMO325" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["retour"], ["retour", "a.xml", "b.xml"], ["retour", "x.xml", "--dagtekening", "morgen"]]
)
def test_cli_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_cli_identificatie_too_long_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(official_example("WMO305"))
    assert main(["retour", str(src), "--identificatie", "1234567890123"]) == 2
    assert "12" in capsys.readouterr().err


def test_cli_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retour", str(tmp_path / "bestaat-niet.xml")]) == 2
    assert "kan" in capsys.readouterr().err


def test_cli_entry_point_reads_stdin() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "retour", "-", "--dagtekening", DAG],
        input=official_example("WMO315"),
        capture_output=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert_valid(done.stdout, retour_van("WMO315"))
    bad = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "retour", "-"], input=b"<a>", capture_output=True, cwd=REPO, check=False
    )
    assert bad.returncode == 1 and b"geen retourbericht" in bad.stderr
