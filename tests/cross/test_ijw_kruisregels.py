"""The cross-message rules on iJw: each one fires on a JW message against a JW history, and iJw facts are never
mixed with iWmo facts.

Every iJw cross rule the registry implements has the same text as its iWmo namesake (`VERGELIJKING` in
gateway/standard/ijw_regels.py), so the scenarios are the iWmo ones of this folder, told in iJw: `jw` turns a
message of the example conversation into its JW twin (namespaces, BerichtCode, and the codes whose lists differ:
JZ020 ProductCategorie, JZ588 RedenBeeindiging). The JW messages are judged by the iJw profile end to end
(our iJw XSDs, the in-message rules, then the cross rules), and their facts are filed in the iJw fact space.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from lxml import etree

from gateway.settings import Mode
from gateway.standard import catalogue
from gateway.standard.ijw_regels import GELIJK, IJW_KRUISREGELS, VERGELIJKING
from gateway.standard.profielen import IJW_32, IWMO_32
from gateway.validation.cross.registry import all_cross_rules
from tests.cross.keten import (
    ANDERE_BSN,
    DAGTEKENING_LOC,
    IDENTIFICATIE_LOC,
    PRESTATIE,
    PRESTATIE_LOC,
    START,
    START_LOC,
    STOP_LOC,
    Keten,
    crediteer,
    declaratie,
    gedeclareerd,
    herbereken,
    hernummer,
    start,
    stop,
    toewijzing,
    volume,
    voorbeeld,
)
from tests.cross.test_declaratie import VORIG, credit_van, mei
from tests.cross.test_declaratie_toewijzing import (
    BEGIN1,
    DEBETCREDIT,
    EIND1,
    LOC1,
    P1,
    aspecifiek,
    bedrag,
    contract,
    een,
    maart,
    periode,
    verwijderd,
)
from tests.msgedit import Msg

# The example conversation's iWmo codes that JZ020 / JZ588 do not have, and an iJw code in their place.
CATEGORIE = {"01": "40", "02": "45", "07": "41", "12": "42", "14": "43"}
REDEN_BEEINDIGING = {"19": "31", "21": "32", "22": "33", "23": "34"}
TIJDELIJK = {"reden": "20", "einddatum": "2026-06-30", "dagtekening": "2026-07-02"}  # JZ588 20 as in iWmo


def jw(bericht: Msg | bytes) -> bytes:
    """The JW twin of an iWmo message of the example conversation."""
    m = bericht if isinstance(bericht, Msg) else Msg(bericht)
    wmo = next(b for b in catalogue.alle(IWMO_32) if b.namespace == m.ns)
    twin = catalogue.get(f"{IJW_32.voorvoegsel}{wmo.nummer}")
    tekst = etree.tostring(m.root, encoding="unicode")
    tekst = tekst.replace(wmo.namespace, twin.namespace).replace(wmo.basisschema_namespace, twin.basisschema_namespace)
    root = etree.fromstring(tekst)
    for el in root.iter(etree.Element):
        naam = etree.QName(el).localname
        if naam == "BerichtCode":
            el.text = twin.berichtcode
        elif naam in ("Categorie", "ProductCategorie"):
            el.text = CATEGORIE.get(el.text or "", el.text)
        elif naam in ("Code", "ProductCode") and el.text and el.text[:2] in CATEGORIE:
            el.text = CATEGORIE[el.text[:2]] + el.text[2:]
        elif naam == "RedenBeeindiging":
            el.text = REDEN_BEEINDIGING.get(el.text or "", el.text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def jw_voorbeeld(naam: str) -> bytes:
    return jw(voorbeeld(naam))


def jw_toegewezen(mode: Mode = Mode.STRICT) -> Keten:
    return Keten(mode).accepteer(jw_voorbeeld("WMO301"))


def jw_gestart(mode: Mode = Mode.STRICT) -> Keten:
    return jw_toegewezen(mode).accepteer(jw_voorbeeld("WMO305"))


def jw_gestopt(mode: Mode = Mode.STRICT) -> Keten:
    return jw_gestart(mode).accepteer(jw_voorbeeld("WMO307"))


def jw_gedeclareerd(mode: Mode = Mode.STRICT) -> Keten:
    return jw_gestopt(mode).accepteer(jw_voorbeeld("WMO323"))


def _loc(prefix: str, *velden: str) -> list[str]:
    return [f"{prefix}/{v}" for v in velden]


@dataclass(frozen=True)
class Scenario:
    code: str
    retourcode: str
    keten: Callable[[], Keten]  # the JW history
    bericht: Callable[[], bytes]  # the JW message judged against it
    locaties: list[list[str]]  # one per finding of `code`


def _tweede_credit() -> Keten:
    return jw_gedeclareerd().accepteer(jw(crediteer(een(1, "R-0001"), 1, "P2026-04-0001")))


def _kort() -> Keten:
    """260451 for April and May, 15 uur in total; the example declaratie used 12 in April (as test_declaratie)."""
    kort = toewijzing(Einddatum="2026-05-31", **{"Omvang/Volume": "15", "Omvang/Frequentie": "6"})
    return Keten().accepteer(jw(kort), jw_voorbeeld("WMO323"))


SCENARIOS = [
    Scenario("TR019", "9019", jw_toegewezen,
             lambda: jw(voorbeeld("WMO305").set(f"{START}[2]/ToewijzingNummer", "260999")),
             [[f"{START_LOC}[2]/ToewijzingNummer"]]),
    Scenario("TR056", "9056", lambda: Keten(Mode.LENIENT).accepteer(jw_voorbeeld("WMO315")),
             lambda: jw_voorbeeld("WMO315"), [[IDENTIFICATIE_LOC]]),
    Scenario("TR063", "9063", jw_gestart, lambda: jw(start(1, status="3", begindatum="2026-04-03")),
             [[f"{START_LOC}/StatusAanlevering"]]),
    Scenario("TR071", "9071", jw_gestopt, lambda: jw(start(1, status="3")), [[f"{START_LOC}/StatusAanlevering"]]),
    Scenario("TR074", "9074", jw_gestart, lambda: jw(start(2)), [_loc(START_LOC, "ToewijzingNummer", "Begindatum")]),
    Scenario("TR135", "8848", Keten, lambda: jw(voorbeeld("WMO319").set("Header/BerichtIdentificatie/Dagtekening",
                                                                          "2027-01-01")),
             [[DAGTEKENING_LOC]]),
    Scenario("TR304", "8187", lambda: jw_toegewezen(Mode.LENIENT),
             lambda: jw(voorbeeld("WMO317").set("Client/Bsn", ANDERE_BSN)), [["/Bericht/Client/Bsn"]]),
    Scenario("TR307", "9307", lambda: Keten().accepteer(jw(toewijzing(Ingangsdatum="2026-04-03"))),
             lambda: jw_voorbeeld("WMO323"), [[f"{PRESTATIE_LOC}[1]/ProductPeriode/Begindatum"]]),
    Scenario("TR308", "9308", lambda: Keten().accepteer(jw(toewijzing(Einddatum="2026-04-29"))),
             lambda: jw_voorbeeld("WMO323"), [EIND1]),
    Scenario("TR314", "8021", jw_gedeclareerd, lambda: jw(declaratie()),
             [[f"{PRESTATIE_LOC}[{i}]/ProductReferentie/ReferentieNummer"] for i in (1, 2)]),
    Scenario("TR318", "8214", jw_gedeclareerd, lambda: jw(maart()),
             [["/Bericht/Declaratie/DeclaratiePeriode/Begindatum"]]),
    Scenario("TR321", "9321", jw_toegewezen, lambda: jw(volume(voorbeeld("WMO323"), 1, 16)),
             [[f"{PRESTATIE_LOC}[1]/GeleverdVolume"]]),
    Scenario("TR322", "9322", _kort, lambda: jw(mei(4)), [[f"{PRESTATIE_LOC}/GeleverdVolume"]]),
    Scenario("TR323", "8017", jw_gedeclareerd, lambda: jw(credit_van("P2026-04-0099")), [VORIG]),
    Scenario("TR326", "9326", jw_gestart, lambda: jw(start(1, begindatum="2026-05-01", dagtekening="2026-05-02")),
             [_loc(START_LOC, "ToewijzingNummer", "Begindatum")]),
    Scenario("TR333", "9333", jw_gedeclareerd,
             lambda: jw(hernummer(declaratie(), "R-0001", "R-0002").set("Declaratie/DeclaratieNummer",
                                                                        "D2026040001")),
             [["/Bericht/Declaratie/DeclaratieNummer"]]),
    Scenario("TR338", "9338", jw_toegewezen,
             lambda: jw(voorbeeld("WMO323").set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")),
             [[f"{PRESTATIE_LOC}[2]/ToewijzingNummer"]]),
    Scenario("TR339", "9339", jw_toegewezen,
             lambda: jw(voorbeeld("WMO323").set(f"{P1}/ProductCategorie", "01").set(f"{P1}/ProductCode", "01B02")),
             [[f"{LOC1}/ProductCategorie"]]),
    Scenario("TR340", "9340", jw_toegewezen, lambda: jw(voorbeeld("WMO323").set(f"{P1}/ProductCode", "02A06")),
             [[f"{LOC1}/ProductCode"]]),
    Scenario("TR341", "9341", jw_toegewezen,
             lambda: jw(herbereken(voorbeeld("WMO323").set(f"{P1}/Eenheid", "16").set(f"{P1}/GeleverdVolume", "3"))),
             [[f"{LOC1}/Eenheid"]]),
    Scenario("TR346", "9346", jw_toegewezen, lambda: jw(bedrag(voorbeeld("WMO323"), 1, 73801)),
             [[f"{LOC1}/IngediendBedrag/Bedrag"]]),
    Scenario("TR369", "9369", lambda: Keten().accepteer(jw(aspecifiek(budget="73799"))),
             lambda: jw_voorbeeld("WMO323"), [[f"{LOC1}/GeleverdVolume"]]),
    Scenario("TR382", "9069", lambda: jw_gestart(Mode.LENIENT), lambda: jw(stop(begindatum="2026-04-01")),
             [_loc(STOP_LOC, "ToewijzingNummer", "Product", "Begindatum")]),
    Scenario("TR384", "9384", lambda: Keten().accepteer(jw_voorbeeld("WMO301"), jw(verwijderd())),
             lambda: jw_voorbeeld("WMO323"), [[f"{LOC1}/ToewijzingNummer"]]),
    Scenario("TR387", "9387", lambda: Keten().accepteer(jw(toewijzing(Ingangsdatum="2026-04-01"))),
             lambda: jw(periode(voorbeeld("WMO323"), "2026-04-02", "2026-04-30")), [BEGIN1]),
    Scenario("TR388", "9388", lambda: Keten().accepteer(jw(toewijzing(Einddatum="2026-04-29"))),
             lambda: jw_voorbeeld("WMO323"), [EIND1]),
    Scenario("TR389", "9389", jw_gedeclareerd, lambda: jw(een(1)), [DEBETCREDIT]),
    Scenario("TR390", "9390", _tweede_credit, lambda: jw(crediteer(een(1, "R-0002"), 1, "P2026-04-0001")),
             [DEBETCREDIT]),
    Scenario("TR413", "9413", lambda: jw_gestart().accepteer(jw(stop(**TIJDELIJK))),
             lambda: jw(stop(reden="20", einddatum="2026-07-31", dagtekening="2026-08-03")),
             [[f"{STOP_LOC}/RedenBeeindiging"]]),
    Scenario("TR414", "9414", lambda: jw_gestart().accepteer(jw(stop(**TIJDELIJK))),
             lambda: jw(stop(reden="19", einddatum="2026-06-29", dagtekening="2026-08-03")),
             [[f"{STOP_LOC}/Einddatum"]]),
    Scenario("TR415", "9415", jw_gestopt,
             lambda: jw(stop(reden="19", einddatum="2026-10-31", dagtekening="2026-11-02")),
             [[f"{STOP_LOC}/RedenBeeindiging"]]),
    # The contract's tarieven in iJw codes: 45A05 is the twin of the example's 02A05.
    Scenario("TR418", "0611",
             lambda: Keten(tarieven=contract(("45", "45A05", "04", 6150), ("40", "40B02", "04", 6550))),
             lambda: jw(herbereken(voorbeeld("WMO323").set(f"{P1}/ProductTarief", "6151"))),
             [[f"{LOC1}/ProductTarief"]]),
]


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.code)
def test_ijw_cross_rule_fires_on_a_jw_message_with_a_jw_history(s: Scenario) -> None:
    bericht = s.bericht()
    assert Msg(bericht).ns.startswith(IJW_32.namespace_root + "/")
    assert s.keten().fouten(bericht, s.code) == [(s.code, s.retourcode, locatie) for locatie in s.locaties]


def test_every_implemented_ijw_cross_rule_has_a_scenario() -> None:
    jw_berichten = catalogue.alle(IJW_32)
    actief = {r.code for r in all_cross_rules() for b in jw_berichten if r.geldt_voor(b)}
    assert actief == {s.code for s in SCENARIOS}
    assert actief <= IJW_KRUISREGELS
    # The rest of what iJw declares is left out for iWmo too, or checked in-message (TR319).
    for code in IJW_KRUISREGELS - actief:
        assert VERGELIJKING[code].endswith("niet geïmplementeerd, zoals voor iWmo"), code


def test_the_whole_jw_conversation_passes_in_both_modes(modus: Mode) -> None:
    keten = Keten(modus)
    for naam in ("WMO301", "WMO305", "WMO307", "WMO323", "WMO325"):
        keten.accepteer(jw_voorbeeld(naam))


# -- iJw facts are not iWmo facts ------------------------------------------------------------------------------

def test_a_jw305_on_a_wmo301_toewijzing_is_unknown_in_strict_mode() -> None:
    keten = Keten(Mode.STRICT).accepteer(voorbeeld("WMO301"))
    assert keten.fouten(voorbeeld("WMO305"), "TR019") == []  # the same start, told in iWmo, is known
    assert keten.fouten(jw_voorbeeld("WMO305"), "TR019") == [
        ("TR019", "9019", [f"{START_LOC}[{i}]/ToewijzingNummer"]) for i in (1, 2)]


def test_a_wmo305_on_a_jw301_toewijzing_is_unknown_in_strict_mode() -> None:
    keten = Keten(Mode.STRICT).accepteer(jw_voorbeeld("WMO301"))
    assert keten.fouten(jw_voorbeeld("WMO305"), "TR019") == []
    assert [c for c, _, _ in keten.fouten(voorbeeld("WMO305"), "TR019")] == ["TR019", "TR019"]


def test_a_jw_client_known_only_under_iwmo_is_not_known_in_lenient_mode() -> None:
    # Lenient TR304 fires only when toewijzingen between the parties are known: under iJw there are none yet.
    keten = Keten(Mode.LENIENT).accepteer(voorbeeld("WMO301"))
    assert keten.fouten(jw(voorbeeld("WMO317").set("Client/Bsn", ANDERE_BSN)), "TR304") == []
    assert keten.fouten(voorbeeld("WMO317").set("Client/Bsn", ANDERE_BSN), "TR304") != []


def test_referentie_and_declaratienummers_are_unique_per_wettelijk_domein() -> None:
    """TR314: a ReferentieNummer is unique for the aanbieder "binnen het wettelijk domein"; a JW323 may use the
    numbers (and the DeclaratieNummer, TR333) of a WMO323 of the same aanbieder."""
    keten = gedeclareerd().accepteer(jw_voorbeeld("WMO301"))
    assert {"TR314", "TR333"} <= keten.codes(voorbeeld("WMO323"))
    assert keten.fouten(jw_voorbeeld("WMO323")) == []


def test_tr321_has_no_huishoudelijke_hulp_exemption_in_ijw() -> None:
    """iWmo allows up to 6x the weekly volume for categorie 01 (IV077); the iJw text has no such room and JZ020
    no categorie 01, so the twin of the iWmo case that passes is a TR321 under iJw (4 weeks x 2 = 8 < 12)."""
    assert VERGELIJKING["TR321"].startswith("wijkt af")
    hh = voorbeeld("WMO301")
    hh.set("Client/ToegewezenProducten/ToegewezenProduct[2]/Omvang/Volume", "2")
    hh.set("Client/ToegewezenProducten/ToegewezenProduct[2]/Omvang/Frequentie", "2")
    hh.append("Client/ToegewezenProducten/ToegewezenProduct[2]", "Einddatum", "2026-12-31", after="Ingangsdatum")
    twaalf = volume(voorbeeld("WMO323"), 2, 12)
    assert Keten().accepteer(hh).fouten(twaalf, "TR321") == []
    assert Keten().accepteer(jw(hh)).fouten(jw(twaalf), "TR321") == [
        ("TR321", "9321", [f"{PRESTATIE_LOC}[2]/GeleverdVolume"])]
    assert Keten().accepteer(jw(hh)).fouten(jw(volume(voorbeeld("WMO323"), 2, 8)), "TR321") == []


def test_the_same_text_means_the_same_implementation() -> None:
    # Every implemented cross rule serves both standards with one declaration (none is limited to one).
    for r in all_cross_rules():
        if r.code in IJW_KRUISREGELS:
            assert r.standaarden is None, r.code
            assert VERGELIJKING[r.code].startswith((GELIJK, "wijkt af (alleen de tekst)")), r.code


def test_dagtekening_today_passes() -> None:
    bericht = jw_voorbeeld("WMO319")
    dagtekening = dt.date.fromisoformat(Msg(bericht).text("Header/BerichtIdentificatie/Dagtekening") or "")
    assert Keten().fouten(bericht, "TR135", today=dagtekening) == []
