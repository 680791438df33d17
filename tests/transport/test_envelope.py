"""StUF-GGk envelopes and VECOZO metadata: round trips, every limit on build and on read, hostile input."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.standard import catalogue
from gateway.transport import envelope as env
from tests.reference import our_example

GEMEENTE = "0599"
AANBIEDER = "12345678"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _partijen(functie: str) -> tuple[str, str]:
    """Envelope (zender, ontvanger) for a message type, from the catalogue's direction."""
    return (GEMEENTE, AANBIEDER) if catalogue.get(functie).verzonden_door_gemeente else (AANBIEDER, GEMEENTE)


def _di01(functie: str = "WMO301", payload: bytes | None = None) -> tuple[bytes, env.Envelop]:
    zender, ontvanger = _partijen(functie)
    return env.heenbericht(payload or our_example(functie), zender=zender, ontvanger=ontvanger, functie=functie)


def _refused(data: bytes, code: str, **kwargs: int) -> env.EnvelopFout:
    with pytest.raises(env.EnvelopFout) as info:
        env.lees(data, **kwargs)
    assert info.value.code == code, info.value
    return info.value


def _edit(data: bytes, pad: str, waarde: str | None) -> bytes:
    """Set (or with None remove) the first element whose local name path ends with `pad`."""
    root = etree.fromstring(data)
    stappen = pad.split("/")
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname != stappen[-1]:
            continue
        keten = [etree.QName(a).localname for a in [*reversed(list(el.iterancestors())), el]]
        if keten[-len(stappen):] == stappen:
            if waarde is None:
                el.getparent().remove(el)
            else:
                el.text = waarde
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    raise KeyError(pad)


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("functie", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"])
def test_heenbericht_round_trips_with_payload_bytes_unchanged(functie: str) -> None:
    data, gebouwd = _di01(functie)
    gelezen = env.lees(data)
    assert gelezen == gebouwd
    assert gelezen.soort == "Di01"
    assert gelezen.payload == our_example(functie)
    assert gelezen.ontvanger_applicatie == "GGk"
    assert gelezen.cross_refnummer is None
    assert UUID4.fullmatch(gelezen.referentienummer)


@pytest.mark.parametrize("retour", ["WMO302", "WMO306", "WMO308", "WMO316", "WMO318", "WMO320"])
def test_retourbericht_is_a_du01_with_the_di01_as_crossref(retour: str) -> None:
    heen = catalogue.get(retour).antwoord_op
    assert heen is not None
    _, di01 = _di01(heen)
    zender, ontvanger = _partijen(retour)
    data, gebouwd = env.retourbericht(
        b"<Bericht/>", zender=zender, ontvanger=ontvanger, functie=retour, cross_refnummer=di01.referentienummer
    )
    gelezen = env.lees(data)
    assert gelezen == gebouwd
    assert (gelezen.soort, gelezen.cross_refnummer) == ("Du01", di01.referentienummer)
    # The retour travels back: its zender is the Di01's ontvanger.
    assert (gelezen.zender, gelezen.ontvanger) == (di01.ontvanger, di01.zender)


def test_fo01_round_trips_with_functie_in_details() -> None:
    _, di01 = _di01("WMO301")
    data, gebouwd = env.fout(
        zender="GGK", ontvanger=GEMEENTE, cross_refnummer=di01.referentienummer, code="StUF055", plek="client",
        omschrijving="Berichtbody is niet conform schema", functie="WMO301",
    )
    gelezen = env.lees(data)
    assert gelezen == gebouwd
    assert gelezen.fout == env.Fout("StUF055", "client", "Berichtbody is niet conform schema", "WMO301-00010000")
    assert gelezen.functie == "WMO301"
    assert gelezen.payload is None


def test_fo01_in_a_soap_fault_reads_the_same() -> None:
    _, di01 = _di01("WMO301")
    data, gebouwd = env.fout(
        zender="GGK", ontvanger=GEMEENTE, cross_refnummer=di01.referentienummer, code="IB005", plek="client",
        omschrijving="Gemeentecode onbekend", als_fault=True,
    )
    root = etree.fromstring(data)
    assert root.find(f"{{{env.SOAP_NS}}}Body/{{{env.SOAP_NS}}}Fault/faultcode").text == "soap:Client"
    assert env.lees(data) == gebouwd


def test_envelope_is_soap_11_with_the_ggk_root_and_stuf_stuurgegevens() -> None:
    data, e = _di01("WMO301")
    root = etree.fromstring(data)
    assert etree.QName(root).text == f"{{{env.SOAP_NS}}}Envelope"
    di01 = root[0][0]
    assert etree.QName(di01).text == f"{{{env.GGK_NS}}}envelopHeenbericht-ggk_Di01"
    sg = di01.find(f"{{{env.GGK_NS}}}stuurgegevens")
    assert [etree.QName(c).localname for c in sg] == [
        "berichtcode", "zender", "ontvanger", "referentienummer", "tijdstipBericht", "functie"
    ]
    assert {etree.QName(c).namespace for c in sg} == {env.STUF_NS}
    versies = [c.text for c in di01.find(f"{{{env.GGK_NS}}}parameters")][:4]
    assert all(re.fullmatch(r"[0-9]{4}", v) for v in versies)
    xml_bestand = di01.find(f".//{{{env.GGK_NS}}}xmlBestand").text
    assert base64.b64decode(xml_bestand) == e.payload


def test_bare_envelope_without_soap_is_read() -> None:
    data, gebouwd = _di01("WMO305")
    bare = etree.tostring(etree.fromstring(data)[0][0], xml_declaration=True, encoding="UTF-8")
    assert env.lees(bare) == gebouwd


def test_tijdstip_and_referentienummer_formats() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891_000)
    assert env.tijdstip_bericht(moment) == "20260304050607891"
    nummers = {env.nieuw_referentienummer() for _ in range(200)}
    assert len(nummers) == 200
    assert all(UUID4.fullmatch(n) for n in nummers)
    _, e = env.heenbericht(our_example("WMO301"), zender=GEMEENTE, ontvanger=AANBIEDER, functie="WMO301",
                           tijdstip=moment, referentienummer="9c0f7b90-5c69-41e5-a837-0800200c9a66")
    assert (e.tijdstip, e.referentienummer) == ("20260304050607891", "9c0f7b90-5c69-41e5-a837-0800200c9a66")


def test_adressering_turns_a_retour_around_iv028() -> None:
    # A WMO302 keeps the 301's header: Afzender gemeente, Ontvanger aanbieder; it travels to the gemeente.
    assert env.adressering("WMO302", GEMEENTE, AANBIEDER) == (AANBIEDER, GEMEENTE)
    assert env.adressering("WMO301", GEMEENTE, AANBIEDER) == (GEMEENTE, AANBIEDER)
    assert env.adressering("WMO325", GEMEENTE, AANBIEDER) == (GEMEENTE, AANBIEDER)


@settings(max_examples=60, deadline=None)
@given(
    payload=st.text(min_size=1, max_size=2000).map(lambda s: s.encode("utf-8")).filter(
        lambda b: not b.startswith(b"\xef\xbb\xbf")
    ),
    gemeente=st.from_regex(r"\A[0-9]{4}\Z"),
    agb=st.from_regex(r"\A[0-9]{8}\Z"),
    functie=st.sampled_from([b.naam for b in catalogue.alle() if b.is_heenbericht]),
    applicatie=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=3, max_size=50),
)
def test_any_valid_heenbericht_round_trips(
    payload: bytes, gemeente: str, agb: str, functie: str, applicatie: str
) -> None:
    zender, ontvanger = (gemeente, agb) if catalogue.get(functie).verzonden_door_gemeente else (agb, gemeente)
    data, gebouwd = env.heenbericht(
        payload, zender=zender, ontvanger=ontvanger, functie=functie, zender_applicatie=applicatie
    )
    assert env.lees(data) == gebouwd


# --- refusals on build ---------------------------------------------------------------------------


def _build_refused(code: str, **kwargs: object) -> env.EnvelopFout:
    args: dict[str, object] = {
        "zender": GEMEENTE, "ontvanger": AANBIEDER, "functie": "WMO301"} | kwargs
    payload = args.pop("payload", our_example("WMO301"))
    with pytest.raises(env.EnvelopFout) as info:
        env.heenbericht(payload, **args)  # type: ignore[arg-type]
    assert info.value.code == code, info.value
    return info.value


def test_unknown_functie_is_refused_with_ib004() -> None:
    fout = _build_refused("IB004", functie="WMO399")
    assert "stuurgegevens/functie" in fout.omschrijving


def test_wrong_direction_for_the_message_type_is_refused_with_ib007() -> None:
    fout = _build_refused("IB007", zender=AANBIEDER, ontvanger=GEMEENTE)
    assert "WMO301 gaat van een gemeente naar een aanbieder" in fout.omschrijving
    with pytest.raises(env.EnvelopFout) as info:
        env.retourbericht(b"<x/>", zender=GEMEENTE, ontvanger=AANBIEDER, functie="WMO302",
                          cross_refnummer=env.nieuw_referentienummer())
    assert info.value.code == "IB007"


def test_retour_as_di01_is_refused_with_ib006() -> None:
    _build_refused("IB006", functie="WMO302", zender=AANBIEDER, ontvanger=GEMEENTE)


@pytest.mark.parametrize(
    ("kwargs", "plek"),
    [
        ({"zender": "599"}, "zender/organisatie"),
        ({"ontvanger": "1234567"}, "ontvanger/organisatie"),
        ({"zender": "IB"}, "zender/organisatie"),  # chain parties only send Fo01s
        ({"zender_applicatie": "ab"}, "zender/applicatie"),
        ({"zender_applicatie": "a" * 51}, "zender/applicatie"),
        ({"ontvanger_applicatie": "G"}, "ontvanger/applicatie"),
        ({"referentienummer": "9C0F7B90-5C69-41E5-A837-0800200C9A66"}, "referentienummer"),
        ({"referentienummer": "9c0f7b90-5c69-11e5-a837-0800200c9a66"}, "referentienummer"),  # v1
        ({"payload": b""}, "xmlBestand"),
        ({"payload": b"\xef\xbb\xbf<Bericht/>"}, "xmlBestand"),
        ({"payload": b"<Bericht>\xff</Bericht>"}, "xmlBestand"),
    ],
)
def test_envelope_limits_are_enforced_on_build(kwargs: dict[str, object], plek: str) -> None:
    fout = _build_refused("IB001", **kwargs)
    assert plek in fout.omschrijving


def test_du01_needs_a_crossref() -> None:
    with pytest.raises(env.EnvelopFout) as info:
        env.retourbericht(b"<x/>", zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO302", cross_refnummer="")
    assert info.value.code == "IB001" and "crossRefnummer" in info.value.omschrijving


@pytest.mark.parametrize(
    ("veld", "waarde"),
    [("code", "StUF0550"), ("code", ""), ("plek", "elders"), ("omschrijving", "x" * 201), ("details", "d" * 1001)],
)
def test_fo01_body_limits_are_enforced_on_build(veld: str, waarde: str) -> None:
    args = {"code": "StUF055", "plek": "server", "omschrijving": "o", "details": None} | {veld: waarde}
    with pytest.raises(env.EnvelopFout) as info:
        env.fout(zender="GGK", ontvanger=GEMEENTE, cross_refnummer=env.nieuw_referentienummer(), **args)
    assert info.value.code == "IB001" and f"body/{veld}" in info.value.omschrijving


def test_fo01_body_at_its_limits_is_accepted() -> None:
    data, gebouwd = env.fout(
        zender="GGK", ontvanger=GEMEENTE, cross_refnummer=env.nieuw_referentienummer(), code="IB12345",
        plek="server", omschrijving="o" * 200, details="d" * 1000,
    )
    assert env.lees(data) == gebouwd


def test_envelope_over_25_mb_is_refused_with_ib003_on_build() -> None:
    # 19 MB raw is about 25.3 MB base64: over the limit although the payload itself is below it.
    payload = b"<Bericht>" + b"a" * (19 * 1024 * 1024) + b"</Bericht>"
    with pytest.raises(env.EnvelopFout) as info:
        env.heenbericht(payload, zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO323")
    assert info.value.code == "IB003"


def test_large_payload_with_one_huge_base64_text_node_is_read() -> None:
    # libxml2 refuses text nodes over 10 MB by default; a 15 MB envelope must still be readable.
    payload = b"<Bericht>" + b"a" * (11 * 1024 * 1024) + b"</Bericht>"
    data, gebouwd = env.heenbericht(payload, zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO323")
    assert len(data) > 14 * 1024 * 1024
    assert env.lees(data).payload == payload


# --- refusals on read ----------------------------------------------------------------------------


def test_oversized_input_is_refused_before_parsing() -> None:
    data, _ = _di01()
    fout = _refused(data, "IB003", max_bytes=len(data) - 1)
    assert str(len(data)) in fout.omschrijving
    assert env.lees(data, max_bytes=len(data)).functie == "WMO301"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml",
        b"<a><b></a>",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><a>&x;</a>',
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        "<a>é</a>".encode("utf-16"),
    ],
)
def test_hostile_or_malformed_input_is_refused_with_ib001(data: bytes) -> None:
    _refused(data, "IB001")


def test_billion_laughs_is_refused() -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><soap:Envelope xmlns:soap="'
        + env.SOAP_NS.encode() + b'"><soap:Body>&c;</soap:Body></soap:Envelope>'
    )
    _refused(lol, "IB001")


def test_unknown_root_is_refused() -> None:
    fout = _refused(b'<soap:Envelope xmlns:soap="' + env.SOAP_NS.encode() + b'"><soap:Body><x/></soap:Body>'
                    b"</soap:Envelope>", "IB001")
    assert "geen StUF-GGk-envelop" in fout.omschrijving


@pytest.mark.parametrize(
    ("pad", "waarde", "code", "plek"),
    [
        ("stuurgegevens/referentienummer", "not-a-uuid", "IB001", "referentienummer"),
        ("stuurgegevens/tijdstipBericht", "2026-01-01", "IB001", "tijdstipBericht"),
        ("stuurgegevens/tijdstipBericht", "1" * 18, "IB001", "tijdstipBericht"),
        ("stuurgegevens/berichtcode", "Du01", "IB006", "berichtcode"),
        ("stuurgegevens/functie", "WMO399", "IB004", "functie"),
        ("stuurgegevens/functie", "WMO305", "IB007", "organisatie"),
        ("stuurgegevens/functie", None, "IB001", "functie"),
        ("zender/organisatie", "05990", "IB001", "zender/organisatie"),
        ("zender/applicatie", "x" * 51, "IB001", "zender/applicatie"),
        ("parameters/applicatieVersie", "1", "IB001", "applicatieVersie"),
        ("parameters/functieSubversie", "00a2", "IB001", "functieSubversie"),
        ("parameters/functieVersie", None, "IB001", "functieVersie"),
        ("bericht/xmlBestand", "!!!notbase64", "IB001", "xmlBestand"),
        ("bericht/xmlBestand", base64.b64encode(b"\xef\xbb\xbf<B/>").decode(), "IB001", "BOM"),
        ("bericht/xmlBestand", "", "IB001", "xmlBestand"),
    ],
)
def test_invalid_envelope_fields_are_refused_on_read(pad: str, waarde: str | None, code: str, plek: str) -> None:
    data, _ = _di01()
    fout = _refused(_edit(data, pad, waarde), code)
    assert plek in fout.omschrijving


def test_base64_with_line_breaks_is_accepted() -> None:
    data, gebouwd = _di01()
    tekst = base64.b64encode(gebouwd.payload or b"").decode()
    gebroken = "\n".join(tekst[i:i + 76] for i in range(0, len(tekst), 76))
    assert env.lees(_edit(data, "bericht/xmlBestand", gebroken)).payload == gebouwd.payload


def test_element_out_of_order_or_extra_is_refused() -> None:
    data, _ = _di01()
    root = etree.fromstring(data)
    sg = root.find(f".//{{{env.GGK_NS}}}stuurgegevens")
    sg.append(sg.find(f"{{{env.STUF_NS}}}referentienummer"))  # move it to the end
    fout = _refused(etree.tostring(root), "IB001")
    assert "referentienummer" in fout.omschrijving
    root = etree.fromstring(data)
    etree.SubElement(root.find(f".//{{{env.GGK_NS}}}parameters"), f"{{{env.GGK_NS}}}extra")
    assert "extra" in _refused(etree.tostring(root), "IB001").omschrijving


def test_tekstbestand_is_not_an_iwmo_payload() -> None:
    data, _ = _di01()
    root = etree.fromstring(data)
    xml_bestand = root.find(f".//{{{env.GGK_NS}}}xmlBestand")
    xml_bestand.tag = f"{{{env.GGK_NS}}}tekstBestand"
    xml_bestand.set("bestandsnaam", "bericht.xml")
    assert "tekstBestand" in _refused(etree.tostring(root), "IB001").omschrijving


def test_du01_without_crossref_is_refused_on_read() -> None:
    data, _ = env.retourbericht(b"<x/>", zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO302",
                                cross_refnummer=env.nieuw_referentienummer())
    assert "crossRefnummer" in _refused(_edit(data, "stuurgegevens/crossRefnummer", None), "IB001").omschrijving


def test_fo01_limits_are_enforced_on_read() -> None:
    data, _ = env.fout(zender="GGK", ontvanger=GEMEENTE, cross_refnummer=env.nieuw_referentienummer(),
                       code="IB005", plek="client", omschrijving="o")
    assert "body/code" in _refused(_edit(data, "body/code", "IB005678"), "IB001").omschrijving
    assert "body/omschrijving" in _refused(_edit(data, "body/omschrijving", "o" * 201), "IB001").omschrijving
    assert "body/plek" in _refused(_edit(data, "body/plek", "ergens"), "IB001").omschrijving


# --- VECOZO metadata -----------------------------------------------------------------------------


def test_vecozo_metadata_round_trips_in_camel_case() -> None:
    _, di01 = _di01("WMO301")
    meta = env.vecozo_metadata(di01)
    data = meta.to_json()
    assert data == {
        "traceerId": di01.referentienummer,
        "conversatieId": di01.referentienummer,
        "alsAntwoordOp": None,
        "afzender": {"rol": "Gemeente", "code": GEMEENTE},
        "geadresseerden": [{"rol": "Instelling", "code": AANBIEDER}],
        "berichttype": "WMO301",
    }
    assert env.VecozoMetadata.from_json(data) == meta


def test_vecozo_nested_form_is_read() -> None:
    traceer = env.nieuw_referentienummer()
    meta = env.VecozoMetadata.from_json({
        "referentiegegevens": {"traceerId": traceer.upper(), "conversatieId": traceer},
        "berichtstroom": {"berichttype": "WMO305", "berichtversie": 3, "berichtsubversie": 2},
        "afzender": {"rol": "Instelling", "code": AANBIEDER},
        "geadresseerden": [{"rol": "Gemeente", "code": GEMEENTE}],
    })
    assert (meta.traceer_id, meta.berichttype, meta.als_antwoord_op) == (traceer, "WMO305", None)


@pytest.mark.parametrize(
    "wijziging",
    [
        {"traceerId": "x"},
        {"alsAntwoordOp": "nope"},
        {"geadresseerden": []},
        {"geadresseerden": [{"rol": "Instelling", "code": AANBIEDER}] * 101},
        {"geadresseerden": [{"code": AANBIEDER}]},
        {"afzender": {"rol": "Instelling", "code": "123"}},
        {"berichttype": ""},
        {"berichttype": None},
    ],
)
def test_invalid_vecozo_metadata_is_refused(wijziging: dict[str, object]) -> None:
    _, di01 = _di01("WMO301")
    data = env.vecozo_metadata(di01).to_json() | wijziging
    with pytest.raises(env.EnvelopFout) as info:
        env.VecozoMetadata.from_json(data)
    assert info.value.code == "HTTP400" and "berichtMetadata/" in info.value.omschrijving


def test_vecozo_and_stuf_ids_survive_the_hub_hop_both_ways() -> None:
    _, di01 = _di01("WMO301")
    naar_aanbieder = env.vecozo_metadata(di01)
    retour = env.VecozoMetadata(
        traceer_id=env.nieuw_referentienummer(), conversatie_id=naar_aanbieder.conversatie_id,
        als_antwoord_op=naar_aanbieder.traceer_id, afzender=("Instelling", AANBIEDER),
        geadresseerden=[("Gemeente", GEMEENTE)], berichttype="WMO302",
    )
    data, du01 = env.envelop_uit_vecozo(retour, b"<Bericht/>")
    assert env.lees(data) == du01
    assert (du01.soort, du01.referentienummer, du01.cross_refnummer) == ("Du01", retour.traceer_id, di01.referentienummer)
    assert du01.zender_applicatie == "VECOZOWebservice"
    assert env.vecozo_metadata(du01).als_antwoord_op == di01.referentienummer


def test_vecozo_retour_without_als_antwoord_op_is_refused_with_ib021() -> None:
    meta = env.VecozoMetadata(
        traceer_id=env.nieuw_referentienummer(), conversatie_id=env.nieuw_referentienummer(), als_antwoord_op=None,
        afzender=("Instelling", AANBIEDER), geadresseerden=[("Gemeente", GEMEENTE)], berichttype="WMO302",
    )
    with pytest.raises(env.EnvelopFout) as info:
        env.envelop_uit_vecozo(meta, b"<Bericht/>")
    assert info.value.code == "IB021"
