"""The iJw 3.2 in-message rules, each both ways on the official iJw examples.

Every case starts from an official JW example (made clean where the source is not, see `basis`), changes what the
rule is about with `Msg`, checks that the result is still valid under the official iJw XSD (the oracle; an
XSD-invalid message never reaches the rules) and expects exactly the findings named. The clean bases give no
finding at all, so each rule is seen both passing and failing. `gateway/standard/ijw_regels.py` says per code how
iJw compares with iWmo; the tests at the end pin the places where it differs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from gateway.standard import catalogue
from gateway.standard.ijw_regels import (
    ALLEEN_IJW,
    GELIJK,
    IJW_KRUISREGELS,
    IJW_REGELS,
    VERGELIJKING,
    WIJKT_AF,
)
from gateway.standard.profielen import IJW_32
from gateway.validation.rules.registry import all_rules, run_rules
from tests.msgedit import Msg
from tests.reference import AFWEZIG, official_example, reference_path

IJW_BASIS = IJW_32.basisschema_namespace

# iJw codes the XSD enforces (a pattern on the element), so no rule checks them: tested below as XSD verdicts.
DOOR_XSD = frozenset({"CS015", "CS025", "CS319"})


def ijw_reference() -> Path:
    pad = reference_path() / "ijw-3.2"
    if not (pad / "examples").is_dir():
        pytest.skip(f"{AFWEZIG} at {pad}: official iJw XSDs/examples unavailable")
    return pad


@functools.cache
def _schema(naam: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ijw_reference() / "xsd" / f"{naam.lower()}.xsd")))


def xsd_fouten(m: Msg, naam: str) -> list[str]:
    schema = _schema(naam)
    schema.validate(etree.fromstring(m.bytes()))
    return [e.message for e in schema.error_log]


def officieel(naam: str) -> Msg:
    return Msg((ijw_reference() / "examples" / f"{naam}.xml").read_bytes())


def basis(naam: str) -> Msg:
    """The official example, with what is wrong in the source itself put right (see the tests at the end)."""
    m = officieel(naam)
    if naam == "JW315":  # 2027-06-31 does not exist: XSD-invalid in the source
        for i in (1, 2):
            m.set(f"Client/AangevraagdeProducten/AangevraagdProduct[{i}]/ToewijzingEinddatum", "2027-06-30")
    if naam == "JW317":  # Einddatum before GewensteIngangsdatum: CS003 in the source
        m.set(f"{NIEUW}/Einddatum", "2027-02-28")
    if naam == "JW323":  # ReferentieNummer RN004 twice for one client: TR101 in the source
        m.set(f"{CLIENT_323}[2]/Prestaties/Prestatie[3]/ProductReferentie/ReferentieNummer", "RN005")
    return m


def oordeel(m: Msg, naam: str) -> list[tuple[str, list[str]]]:
    fouten = xsd_fouten(m, naam)
    assert not fouten, f"the edited message must stay valid under the official iJw XSD: {fouten}"
    bericht = catalogue.get(naam)
    return [(f.code, list(f.locatie)) for f in run_rules(bericht, etree.fromstring(m.bytes()))]


# -- paths -----------------------------------------------------------------------------------------------------

TP = "Client/ToegewezenProducten/ToegewezenProduct"
CONTACT = "Client/Contactgegevens/Contact"
AP = "Client/AangevraagdeProducten/AangevraagdProduct"
NIEUW = "Client/Verzoek/NieuweProducten/NieuwProduct"
CLIENT_323 = "Declaratie/Clienten/Client"
P = f"{CLIENT_323}[1]/Prestaties/Prestatie"
P_LOC = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie"
DAGTEKENING = "/Bericht/Header/BerichtIdentificatie/Dagtekening"


def loc(pad: str) -> str:
    return "/Bericht/" + pad


def basis_el(m: Msg, parent: str, naam: str, waarde: str, *, after: str | None = None) -> Msg:
    m.append(parent, naam, waarde, ns=IJW_BASIS, after=after)
    return m


# -- mutations -------------------------------------------------------------------------------------------------

def _budget_zonder_einddatum(m: Msg) -> None:
    # A budget replaces Omvang and product code (CD041); the other product goes, so no overlap on category.
    m.remove(f"{TP}[2]").remove(f"{TP}[1]/Omvang").remove(f"{TP}[1]/Einddatum").remove(f"{TP}[1]/Product/Code")
    m.append(f"{TP}[1]", "Budget", "1000", after="Ingangsdatum")


def _budget_naast_omvang(m: Msg) -> None:
    m.append(f"{TP}[1]", "Budget", "1000", after="Omvang")


def _geen_product_geen_omvang(m: Msg) -> None:
    m.remove(f"{TP}[2]").remove(f"{TP}[1]/Product").remove(f"{TP}[1]/Omvang")


def _contact_zonder_telefoon_en_postcode(m: Msg) -> None:
    for veld in ("Telefoon", "Adres/Postcode", "Adres/LandCode"):
        m.remove(f"{CONTACT}[2]/{veld}")


def _credit(m: Msg, index: int, vorig: str) -> None:
    basis_el(m, f"{P}[{index}]/ProductReferentie", "VorigReferentieNummer", vorig)
    m.set(f"{P}[{index}]/IngediendBedrag/DebetCredit", "C")


def _twee_credits_met_een_vorig(m: Msg) -> None:
    _credit(m, 1, "RN900")
    _credit(m, 2, "RN900")
    m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(79000 - 2 * (5000 + 24000)))


def _credit_van_debet_in_bericht(m: Msg) -> None:
    _credit(m, 2, "RN001")
    m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(79000 - 2 * 24000))


def _credit_van_nul(m: Msg) -> None:
    _credit(m, 1, "RN900")
    m.set(f"{P}[1]/IngediendBedrag/Bedrag", "0")
    m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(79000 - 5000))


def _tweede_debet_zelfde_product(m: Msg) -> None:
    m.set(f"{P}[2]/ToewijzingNummer", "10072").set(f"{P}[2]/ProductCode", "45A03")


def _tweede_nieuw_product_overlappend(m: Msg) -> None:
    m.duplicate(NIEUW)
    m.set(f"{NIEUW}[2]/GewensteIngangsdatum", "2026-12-01")


@dataclass(frozen=True)
class Geval:
    code: str
    naam: str
    wat: str  # what the mutation does, for the test id
    mutatie: Callable[[Msg], object]
    verwacht: list[tuple[str, list[str]]] = field(default_factory=list)  # every finding, in validator order


def geval(code: str, naam: str, wat: str, mutatie: Callable[[Msg], object], *locaties: str,
          ook: list[tuple[str, list[str]]] | None = None) -> Geval:
    """A case whose only finding is `code` at `locaties`, unless `ook` lists the findings the same edit must
    give (in validator order, `code`'s own included)."""
    return Geval(code, naam, wat, mutatie, ook if ook is not None else [(code, list(locaties))])


GEVALLEN: list[Geval] = [
    # JW301 --------------------------------------------------------------------------------------------------
    geval("CD005", "JW301", "postcode zonder landcode", lambda m: m.remove(f"{CONTACT}[1]/Adres/LandCode"),
          loc(f"{CONTACT}[1]/Adres/Postcode")),
    geval("CD007", "JW301", "tolk zonder taal", lambda m: m.remove("Client/Communicatie/Taal"),
          loc("Client/Communicatie/Vorm")),
    geval("CD009", "JW301", "periode bij correspondentieadres", lambda m: m.set(f"{CONTACT}[2]/Soort", "02"),
          loc(f"{CONTACT}[2]/Soort"), loc(f"{CONTACT}[2]/Periode")),
    geval("CD025", "JW301", "NL zonder huis", lambda m: m.remove(f"{CONTACT}[1]/Adres/Huis"),
          loc(f"{CONTACT}[1]/Adres/LandCode")),
    geval("CD034", "JW301", "verblijfadres zonder postcode",
          lambda m: m.remove(f"{CONTACT}[1]/Adres/Postcode").remove(f"{CONTACT}[1]/Adres/LandCode"),
          loc(f"{CONTACT}[1]/Soort")),
    geval("CD041", "JW301", "productcode zonder omvang", lambda m: m.remove(f"{TP}[1]/Omvang"),
          loc(f"{TP}[1]/Product/Code")),
    geval("CD075", "JW301", "budget zonder einddatum", _budget_zonder_einddatum, loc(f"{TP}/Budget")),
    geval("CD076", "JW301", "per week zonder einddatum", lambda m: m.remove(f"{TP}[1]/Einddatum"),
          loc(f"{TP}[1]/Omvang/Frequentie")),
    geval("CD077", "JW301", "budget naast omvang", _budget_naast_omvang, ook=[
        ("CD078", [loc(f"{TP}[1]/Omvang"), loc(f"{TP}[1]/Budget")]),
        ("CD077", [loc(f"{TP}[1]/Omvang"), loc(f"{TP}[1]/Budget")]),
    ]),
    geval("CD078", "JW301", "omvang naast budget", _budget_naast_omvang, ook=[
        ("CD078", [loc(f"{TP}[1]/Omvang"), loc(f"{TP}[1]/Budget")]),
        ("CD077", [loc(f"{TP}[1]/Omvang"), loc(f"{TP}[1]/Budget")]),
    ]),
    geval("CD079", "JW301", "geen product en geen budget", _geen_product_geen_omvang, loc(TP)),
    geval("CD080", "JW301", "omvang zonder productcode",
          lambda m: m.remove(f"{TP}[2]").remove(f"{TP}[1]/Product/Code"),
          loc(f"{TP}/Einddatum"), loc(f"{TP}/Omvang")),
    geval("CS002", "JW301", "bsn zonder 11-proef", lambda m: m.set("Client/Bsn", "123456789"), loc("Client/Bsn")),
    geval("CS003", "JW301", "einddatum voor ingangsdatum", lambda m: m.set(f"{TP}[1]/Einddatum", "2026-03-01"),
          loc(f"{TP}[1]/Ingangsdatum"), loc(f"{TP}[1]/Einddatum")),
    geval("CS050", "JW301", "partnernaamgebruik zonder partnernaam",
          lambda m: m.set("Client/Naam/NaamGebruik", "2"), loc("Client/Naam/NaamGebruik")),
    geval("CS089", "JW301", "geen Nederlandse postcode bij NL",
          lambda m: m.set(f"{CONTACT}[1]/Adres/Postcode", "B-1000"), loc(f"{CONTACT}[1]/Adres/Postcode"),
          loc(f"{CONTACT}[1]/Adres/LandCode")),
    geval("CS139", "JW301", "datumgebruik onbekend bij bekende datum",
          lambda m: basis_el(m, "Client/Geboortedatum", "DatumGebruik", "3", after="Datum"),
          loc("Client/Geboortedatum/Datum"), loc("Client/Geboortedatum/DatumGebruik")),
    geval("CS318", "JW301", "client als niet-natuurlijk persoon",
          lambda m: m.set("Client/Naam/NaamGebruik", "6"), ook=[
              ("CS050", [loc("Client/Naam/NaamGebruik")]),
              ("CS318", [loc("Client/Naam/NaamGebruik")]),
          ]),
    geval("CS335", "JW301", "verwijderd met een looptijd",
          lambda m: m.append(f"{TP}[1]", "RedenWijziging", "13", after="Einddatum"),
          loc(f"{TP}[1]/Ingangsdatum"), loc(f"{TP}[1]/Einddatum")),
    geval("CS336", "JW301", "administratieve correctie",
          lambda m: m.append(f"{TP}[1]", "RedenWijziging", "01", after="Einddatum"),
          loc(f"{TP}[1]/RedenWijziging")),
    geval("CS338", "JW301", "dagdeel per dag", lambda m: m.set(f"{TP}[2]/Omvang/Frequentie", "1"),
          loc(f"{TP}[2]/Einddatum"), loc(f"{TP}[2]/Omvang/Eenheid"), loc(f"{TP}[2]/Omvang/Frequentie")),
    geval("TR002", "JW301", "geboren meer dan 120 jaar terug",
          lambda m: m.set("Client/Geboortedatum/Datum", "1900-01-02"), DAGTEKENING,
          loc("Client/Geboortedatum/Datum")),
    geval("TR006", "JW301", "contact zonder telefoon en postcode", _contact_zonder_telefoon_en_postcode,
          loc(f"{CONTACT}[2]")),
    geval("TR061", "JW301", "alleen een tijdelijk adres", lambda m: m.remove(f"{CONTACT}[1]"), loc(CONTACT)),
    geval("TR101", "JW301", "relatienummer dubbel", lambda m: m.set("Client/Relaties/Relatie[2]/Nummer", "1"),
          loc("Client/Relaties/Relatie[1]"), loc("Client/Relaties/Relatie[2]")),
    geval("TR134", "JW301", "toewijzingsdatum na dagtekening",
          lambda m: m.set(f"{TP}[1]/Toewijzingsdatum", "2026-04-02"), DAGTEKENING,
          loc(f"{TP}[1]/Toewijzingsdatum")),
    geval("TR302", "JW301", "zelfde product overlappend", lambda m: m.set(f"{TP}[2]/Product/Code", "55A11"),
          loc(f"{TP}[1]"), loc(f"{TP}[2]")),
    # JW305 / JW307 ------------------------------------------------------------------------------------------
    geval("CS058", "JW305", "status 2", lambda m: m.set("Client/StartProducten/StartProduct[1]/StatusAanlevering",
                                                         "2"),
          loc("Client/StartProducten/StartProduct[1]/StatusAanlevering")),
    geval("TR018", "JW307", "einddatum voor begindatum",
          lambda m: m.set("Client/StopProducten/StopProduct[1]/Einddatum", "2026-04-02"),
          loc("Client/StopProducten/StopProduct[1]/Begindatum"),
          loc("Client/StopProducten/StopProduct[1]/Einddatum")),
    # JW315 --------------------------------------------------------------------------------------------------
    geval("CD043", "JW315", "beschikkingnummer zonder ingangsdatum",
          lambda m: m.remove(f"{AP}[1]/BeschikkingIngangsdatum"), loc(f"{AP}[1]/BeschikkingNummer")),
    geval("CD066", "JW315", "naam naast zorgverlenercode",
          lambda m: basis_el(m, f"{AP}[2]/Verwijzer", "Naam", "huisarts", after="Type"),
          loc(f"{AP}[2]/Verwijzer/Type"), loc(f"{AP}[2]/Verwijzer/Naam"),
          loc(f"{AP}[2]/Verwijzer/ZorgverlenerCode")),
    geval("CD067", "JW315", "geen naam en geen zorgverlenercode",
          lambda m: m.remove(f"{AP}[2]/Verwijzer/ZorgverlenerCode"), loc(f"{AP}[2]/Verwijzer/Type")),
    geval("CD068", "JW315", "zorgverlenercode bij type 01",
          lambda m: basis_el(m, f"{AP}[1]/Verwijzer", "ZorgverlenerCode", "12345678"),
          loc(f"{AP}[1]/Verwijzer/Type"), loc(f"{AP}[1]/Verwijzer/ZorgverlenerCode")),
    geval("CD095", "JW315", "omvang zonder productcode",
          lambda m: m.remove(f"{AP}[2]").remove(f"{AP}[1]/Product/Code"),
          loc(f"{AP}/ToewijzingEinddatum"), loc(f"{AP}/Omvang")),
    geval("CS343", "JW315", "dagdeel per dag", lambda m: m.set(f"{AP}[1]/Omvang/Frequentie", "1"),
          loc(f"{AP}[1]/ToewijzingEinddatum"), loc(f"{AP}[1]/Omvang/Eenheid"), loc(f"{AP}[1]/Omvang/Frequentie")),
    geval("TR383", "JW315", "referentie dubbel", lambda m: m.set(f"{AP}[2]/ReferentieAanbieder", "40A12341234"),
          ook=[
              ("TR383", [loc(f"{AP}[1]/ReferentieAanbieder")]),  # the earlier one only (rule-semantics TR383)
              ("TR101", [loc(f"{AP}[1]"), loc(f"{AP}[2]")]),
          ]),
    geval("TR386", "JW315", "zelfde product overlappend", lambda m: m.set(f"{AP}[2]/Product/Code", "55A11"),
          loc(f"{AP}[1]"), loc(f"{AP}[2]")),
    # JW317 --------------------------------------------------------------------------------------------------
    geval("CD096", "JW317", "omvang zonder productcode", lambda m: m.remove(f"{NIEUW}/Product/Code"),
          loc(f"{NIEUW}/Einddatum"), loc(f"{NIEUW}/Omvang")),
    geval("TR352", "JW317", "geen ongewijzigd of te wijzigen product",
          lambda m: m.remove("Client/Verzoek/OngewijzigdeProducten"), loc("Client/Verzoek")),
    geval("TR353", "JW317", "geen te wijzigen of nieuw product",
          lambda m: m.remove("Client/Verzoek/NieuweProducten"), loc("Client/Verzoek")),
    geval("TR380", "JW317", "ingangsdatum op de dagtekening",
          lambda m: m.set(f"{NIEUW}/GewensteIngangsdatum", "2026-01-02"), DAGTEKENING,
          loc(f"{NIEUW}/GewensteIngangsdatum")),
    geval("TR410", "JW317", "zelfde nieuw product overlappend", _tweede_nieuw_product_overlappend,
          loc(f"{NIEUW}[1]"), loc(f"{NIEUW}[2]")),
    # JW319 --------------------------------------------------------------------------------------------------
    geval("CD085", "JW319", "afgewezen zonder reden",
          lambda m: m.remove("Antwoord/RedenAfwijzingVerzoek").remove("Antwoord/Woonplaatsbeginsel"),
          loc("Antwoord/VerzoekAntwoord")),
    geval("CD086", "JW319", "in onderzoek met reden", lambda m: m.set("Antwoord/VerzoekAntwoord", "2"),
          loc("Antwoord/VerzoekAntwoord"), loc("Antwoord/RedenAfwijzingVerzoek")),
    geval("TR377", "JW319", "woonplaatsbeginsel als reden zonder gemeente",
          lambda m: m.remove("Antwoord/Woonplaatsbeginsel"), loc("Antwoord/RedenAfwijzingVerzoek")),
    geval("TR409", "JW319", "gemeente bij een andere reden",
          lambda m: m.set("Antwoord/RedenAfwijzingVerzoek", "5"),
          loc("Antwoord/RedenAfwijzingVerzoek"), loc("Antwoord/Woonplaatsbeginsel")),
    # JW323 --------------------------------------------------------------------------------------------------
    geval("CD060", "JW323", "vorig referentienummer bij debet",
          lambda m: basis_el(m, f"{P}[1]/ProductReferentie", "VorigReferentieNummer", "RN900"),
          loc(f"{P}[1]/ProductReferentie/VorigReferentieNummer"), loc(f"{P}[1]/IngediendBedrag/DebetCredit")),
    geval("CD087", "JW323", "geen tarief bij uren", lambda m: m.remove(f"{P}[1]/ProductTarief"),
          loc(f"{P}[1]/Eenheid")),
    geval("CS100", "JW323", "prestatie uit 2020",
          lambda m: m.set(f"{P}[1]/ProductPeriode/Begindatum", "2020-12-01")
          .set(f"{P}[1]/ProductPeriode/Einddatum", "2020-12-31"), ook=[
              ("CS100", [f"{P_LOC}[1]/ProductPeriode/Begindatum"]),
              # Ends more than five years before the DeclaratieDagtekening 2026-05-06: any 2020 prestatie does.
              ("TR335", ["/Bericht/Declaratie/DeclaratieDagtekening", f"{P_LOC}[1]/ProductPeriode/Einddatum"]),
          ]),
    geval("CS325", "JW323", "credit van nul", _credit_van_nul,
          f"{P_LOC}[1]/IngediendBedrag/Bedrag", f"{P_LOC}[1]/IngediendBedrag/DebetCredit"),
    geval("CS337", "JW323", "periode over twee maanden",
          lambda m: m.set(f"{P}[1]/ProductPeriode/Begindatum", "2026-03-31"),
          f"{P_LOC}[1]/ProductPeriode/Begindatum", f"{P_LOC}[1]/ProductPeriode/Einddatum"),
    geval("CS339", "JW323", "euro's met ander volume",
          lambda m: m.set(f"{P}[1]/Eenheid", "83").remove(f"{P}[1]/ProductTarief"),
          f"{P_LOC}[1]/GeleverdVolume", f"{P_LOC}[1]/IngediendBedrag/Bedrag"),
    geval("CS340", "JW323", "declaratieperiode geen hele maand",
          lambda m: m.set("Declaratie/DeclaratiePeriode/Begindatum", "2026-04-02"), ook=[
              # Not the first of a month, and not the same month's first and last day: two sub-checks.
              ("CS340", ["/Bericht/Declaratie/DeclaratiePeriode/Begindatum"]),
              ("CS340", ["/Bericht/Declaratie/DeclaratiePeriode/Begindatum",
                         "/Bericht/Declaratie/DeclaratiePeriode/Einddatum"]),
          ]),
    geval("TR137", "JW323", "einde voor begin",
          lambda m: m.set(f"{P}[1]/ProductPeriode/Begindatum", "2026-04-30")
          .set(f"{P}[1]/ProductPeriode/Einddatum", "2026-04-01"),
          f"{P_LOC}[1]/ProductPeriode/Begindatum", f"{P_LOC}[1]/ProductPeriode/Einddatum"),
    geval("TR315", "JW323", "vorig referentienummer dubbel", _twee_credits_met_een_vorig,
          f"{P_LOC}[1]/ProductReferentie/VorigReferentieNummer", f"{P_LOC}[2]/ProductReferentie/VorigReferentieNummer"),
    geval("TR316", "JW323", "debet en credit in een bericht", _credit_van_debet_in_bericht,
          f"{P_LOC}[1]/ProductReferentie/ReferentieNummer", f"{P_LOC}[2]/ProductReferentie/VorigReferentieNummer"),
    geval("TR319", "JW323", "prestatie na de declaratieperiode",
          lambda m: m.set(f"{P}[1]/ProductPeriode/Begindatum", "2026-05-01")
          .set(f"{P}[1]/ProductPeriode/Einddatum", "2026-05-05"), ook=[
              ("TR319", ["/Bericht/Declaratie/DeclaratiePeriode/Einddatum", f"{P_LOC}[1]/ProductPeriode/Begindatum"]),
              ("TR319", ["/Bericht/Declaratie/DeclaratiePeriode/Einddatum", f"{P_LOC}[1]/ProductPeriode/Einddatum"]),
          ]),
    geval("TR335", "JW323", "prestatie ouder dan vijf jaar",
          lambda m: m.set(f"{P}[1]/ProductPeriode/Begindatum", "2021-04-01")
          .set(f"{P}[1]/ProductPeriode/Einddatum", "2021-04-30"),
          "/Bericht/Declaratie/DeclaratieDagtekening", f"{P_LOC}[1]/ProductPeriode/Einddatum"),
    geval("TR358", "JW323", "totaal klopt niet",
          lambda m: m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", "79001"),
          "/Bericht/Declaratie/TotaalIngediendBedrag/TotaalBedrag", "/Bericht/Declaratie/TotaalIngediendBedrag/DebetCredit",
          *(f"/Bericht/Declaratie/Clienten/Client[{c}]/Prestaties/Prestatie[{p}]/IngediendBedrag"
            for c, p in ((1, 1), (1, 2), (2, 1), (2, 2), (2, 3)))),
    geval("TR416", "JW323", "tweede debet voor dezelfde periode", _tweede_debet_zelfde_product,
          f"{P_LOC}[1]", f"{P_LOC}[2]"),
    # JW325 --------------------------------------------------------------------------------------------------
    geval("TR342", "JW325", "toegekend totaal onverklaard",
          lambda m: m.set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "34001"),
          "/Bericht/DeclaratieAntwoord/TotaalIngediendBedrag", "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag"),
]


@pytest.mark.parametrize("naam", [f"JW{n}" for n in ("301", "305", "307", "315", "317", "319", "323", "325")])
def test_clean_bases_give_no_finding(naam: str) -> None:
    assert oordeel(basis(naam), naam) == []


@pytest.mark.parametrize("g", GEVALLEN, ids=lambda g: f"{g.code}-{g.naam}-{g.wat.replace(' ', '_')}")
def test_rule_fires_on_the_mutated_example(g: Geval) -> None:
    m = basis(g.naam)
    g.mutatie(m)
    assert oordeel(m, g.naam) == g.verwacht


def test_every_ijw_in_message_rule_has_a_case_or_is_the_xsds() -> None:
    getest = {g.code for g in GEVALLEN}
    assert getest | DOOR_XSD == IJW_REGELS
    assert not getest & DOOR_XSD


def test_every_ijw_code_has_a_rule_for_a_jw_message_unless_the_xsd_enforces_it() -> None:
    jw = [catalogue.get(f"JW{n}") for n in ("301", "305", "307", "315", "317", "319", "323", "325")]
    actief = {r.code for r in all_rules() for b in jw if r.geldt_voor(b)}
    assert actief == IJW_REGELS - DOOR_XSD


def test_the_comparison_table_covers_every_declared_code_in_one_of_three_words() -> None:
    assert set(VERGELIJKING) == IJW_REGELS | IJW_KRUISREGELS
    assert not IJW_REGELS & IJW_KRUISREGELS
    for code, tekst in VERGELIJKING.items():
        assert tekst.startswith((GELIJK, WIJKT_AF, ALLEEN_IJW)), code


# -- where the verdict is the XSD's ---------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "naam", "pad", "waarde"), [
    ("CS025", "JW301", "Header/BerichtVersie", "4"),
    ("CS015", "JW305", "Header/BerichtSubversie", "1"),
    ("CS319", "JW323", "Declaratie/DeclaratieNummer", "DN-001"),
])
def test_codes_the_xsd_enforces_are_refused_by_the_official_xsd(code: str, naam: str, pad: str, waarde: str) -> None:
    assert VERGELIJKING[code].startswith(GELIJK) and "XSD" in VERGELIJKING[code]
    assert xsd_fouten(basis(naam), naam) == []
    assert xsd_fouten(basis(naam).set(pad, waarde), naam) != []


@pytest.mark.parametrize("categorie", ["11", "12", "13", "14", "01"])
def test_the_iwmo_only_categories_do_not_exist_in_ijw(categorie: str) -> None:
    """TR302/TR386/TR410 (and TR321) differ from iWmo only by an exemption for hulpmiddelen (11-14) and
    huishoudelijke hulp (01): JZ020 has none of them, so no valid JW message can reach the exemption."""
    assert xsd_fouten(basis("JW301").set(f"{TP}[1]/Product/Categorie", categorie), "JW301") != []


# -- the official examples themselves ---------------------------------------------------------------------------

def test_official_jw317_gives_cs003_as_the_ijw_text_says() -> None:
    """The example asks for a NieuwProduct from 2026-11-01 to 2024-02-28. CS003 (iJw text, the same as iWmo's):
    an Einddatum must be on or after the begin date of its period — so the example itself is faulty."""
    m = officieel("JW317")
    assert m.text(f"{NIEUW}/GewensteIngangsdatum") == "2026-11-01" and m.text(f"{NIEUW}/Einddatum") == "2024-02-28"
    assert oordeel(m, "JW317") == [("CS003", [loc(f"{NIEUW}/GewensteIngangsdatum"), loc(f"{NIEUW}/Einddatum")])]


def test_official_jw323_gives_tr101_as_the_ijw_text_says() -> None:
    """The second client has two Prestaties with ReferentieNummer RN004. TR101 (iJw text): the logical key of
    every class, with its parents', is unique in the message; the Prestatie's key is ProductReferentie/
    ReferentieNummer (Sleutelelement in the iJw condities-constraints). TR314 says the same across messages."""
    prestaties = f"{CLIENT_323}[2]/Prestaties/Prestatie"
    m = officieel("JW323")
    assert m.text(f"{prestaties}[2]/ProductReferentie/ReferentieNummer") == "RN004"
    assert m.text(f"{prestaties}[3]/ProductReferentie/ReferentieNummer") == "RN004"
    locatie = "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie"
    assert oordeel(m, "JW323") == [("TR101", [f"{locatie}[2]", f"{locatie}[3]"])]


# -- the iJw-only rules stay out of iWmo -------------------------------------------------------------------------

def _iwmo(naam: str) -> Msg:
    return Msg(official_example(naam))


def test_iwmo_rejection_for_woonplaatsbeginsel_needs_no_woonplaatsbeginsel_class() -> None:
    m = _iwmo("WMO319").set("Antwoord/VerzoekAntwoord", "1").set("Antwoord/RedenAfwijzingVerzoek", "8")
    codes = [f.code for f in run_rules(catalogue.get("WMO319"), etree.fromstring(m.bytes()))]
    assert "TR377" not in codes


def test_iwmo_client_with_naamgebruik_6_gets_only_cs050() -> None:
    m = _iwmo("WMO301").set("Client/Naam/NaamGebruik", "6")
    codes = [f.code for f in run_rules(catalogue.get("WMO301"), etree.fromstring(m.bytes()))]
    assert "CS050" in codes and "CS318" not in codes


def test_ijw_relatie_with_naamgebruik_6_is_no_cs318() -> None:
    # CS318 is about the client; a Relatie may be an organisation (CS050 judges its NaamGebruik as for iWmo).
    m = basis("JW301").set("Client/Relaties/Relatie[2]/Naam/NaamGebruik", "6")
    assert [c for c, _ in oordeel(m, "JW301")] == ["CS050"]


def test_melding_of_an_ijw_rule_says_what_to_do_in_dutch() -> None:
    m = basis("JW319").remove("Antwoord/Woonplaatsbeginsel")
    (finding,) = run_rules(catalogue.get("JW319"), etree.fromstring(m.bytes()))
    assert finding.melding.startswith("TR377: ") and "Neem Woonplaatsbeginsel op" in finding.melding
    assert finding.retourcode == "0001"
