"""Declaratie (WMO323) and declaratie-antwoord (WMO325) rules: each both ways, with the boundaries of
rule-semantics §3 and the locations asserted."""

from __future__ import annotations

import pytest

from gateway.demo.generate import declaratie
from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import official_example, our_example

CODES = {"CD060", "CD087", "CS100", "CS325", "CS337", "CS339", "CS340", "TR137", "TR315", "TR316", "TR319",
         "TR335", "TR342", "TR358", "TR416"}
DAGTEKENING = "/Bericht/Header/BerichtIdentificatie/Dagtekening"
P = "Declaratie/Clienten/Client/Prestaties/Prestatie"
P_LOC = "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie"
A = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"
A_LOC = "/Bericht/DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"
PERIODE = "Declaratie/DeclaratiePeriode"
PERIODE_LOC = "/Bericht/Declaratie/DeclaratiePeriode"


def hits(data: bytes | Msg, code: str) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data.bytes() if isinstance(data, Msg) else data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if f.code == code]


def decl() -> Msg:
    return Msg(our_example("WMO323"))


def antwoord() -> Msg:
    return Msg(our_example("WMO325"))


def vorig(m: Msg, pad: str, waarde: str) -> Msg:
    m.append(f"{pad}/ProductReferentie", "VorigReferentieNummer", waarde, ns=BASIS)
    return m


def credit(m: Msg, index: int, van: str) -> Msg:
    vorig(m, f"{P}[{index}]", van)
    return m.set(f"{P}[{index}]/IngediendBedrag/DebetCredit", "C")


@pytest.mark.parametrize("data", [
    pytest.param(lambda: our_example("WMO323"), id="ours-323"),
    pytest.param(lambda: our_example("WMO325"), id="ours-325"),
    pytest.param(lambda: official_example("WMO323"), id="official-323"),
    pytest.param(lambda: declaratie(2_000, seed=7), id="generated-2000"),
])
def test_sound_declaraties_break_none_of_these_rules(data) -> None:  # type: ignore[no-untyped-def]
    assert [f.code for f in validate(data()).errors if f.code in CODES] == []


# --- CD060 ---------------------------------------------------------------------------------------------------

def test_cd060_debet_with_vorigreferentienummer() -> None:
    assert hits(vorig(decl(), f"{P}[1]", "P2026-03-0001"), "CD060") == [("CD060", "0001", [
        f"{P_LOC}[1]/ProductReferentie/VorigReferentieNummer", f"{P_LOC}[1]/IngediendBedrag/DebetCredit"])]


def test_cd060_credit_without_vorigreferentienummer_also_in_325() -> None:
    assert hits(decl().set(f"{P}[2]/IngediendBedrag/DebetCredit", "C"), "CD060") == [
        ("CD060", "0001", [f"{P_LOC}[2]/IngediendBedrag/DebetCredit"])]
    assert hits(antwoord().set(f"{A}/IngediendBedrag/DebetCredit", "C"), "CD060") == [
        ("CD060", "0001", [f"{A_LOC}/IngediendBedrag/DebetCredit"])]


def test_cd060_credit_with_vorigreferentienummer_passes() -> None:
    assert hits(credit(decl(), 2, "P2026-03-0002"), "CD060") == []


# --- CD087 ---------------------------------------------------------------------------------------------------

def test_cd087_tariff_missing_for_a_unit_other_than_euro() -> None:
    assert hits(decl().remove(f"{P}[1]/ProductTarief"), "CD087") == [("CD087", "0001", [f"{P_LOC}[1]/Eenheid"])]


def test_cd087_tariff_given_with_eenheid_83() -> None:
    assert hits(decl().set(f"{P}[1]/Eenheid", "83"), "CD087") == [
        ("CD087", "0001", [f"{P_LOC}[1]/Eenheid", f"{P_LOC}[1]/ProductTarief"])]
    assert hits(decl().set(f"{P}[1]/Eenheid", "83").remove(f"{P}[1]/ProductTarief"), "CD087") == []


# --- CS100 ---------------------------------------------------------------------------------------------------

def test_cs100_periods_before_2021() -> None:
    assert hits(decl().set(f"{PERIODE}/Begindatum", "2020-12-01"), "CS100") == [
        ("CS100", "0001", [f"{PERIODE_LOC}/Begindatum"])]
    assert hits(decl().set(f"{P}[2]/ProductPeriode/Begindatum", "2020-12-31"), "CS100") == [
        ("CS100", "0001", [f"{P_LOC}[2]/ProductPeriode/Begindatum"])]
    assert hits(decl().set(f"{P}[2]/ProductPeriode/Begindatum", "2021-01-01"), "CS100") == []


# --- CS325 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nul", ["0", "00", "-0"])
def test_cs325_zero_amount_as_credit(nul: str) -> None:
    m = decl().set(f"{P}[1]/IngediendBedrag/Bedrag", nul).set(f"{P}[1]/IngediendBedrag/DebetCredit", "C")
    assert hits(m, "CS325") == [("CS325", "0001", [
        f"{P_LOC}[1]/IngediendBedrag/Bedrag", f"{P_LOC}[1]/IngediendBedrag/DebetCredit"])]


def test_cs325_zero_debet_passes_and_the_325_totals_count() -> None:
    assert hits(decl().set(f"{P}[1]/IngediendBedrag/Bedrag", "0"), "CS325") == []
    m = antwoord().set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "0").set(
        "DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit", "C")
    assert hits(m, "CS325") == [("CS325", "0001", [
        "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag",
        "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit"])]


# --- CS337 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("begin", "eind", "aantal"), [
    ("2026-04-02", "2026-04-30", 0),
    ("2026-03-31", "2026-04-30", 1),  # another month
    ("2025-12-01", "2026-01-31", 2),  # another year and another month
    ("2025-04-01", "2026-04-30", 1),  # only the year differs
    ("2026-04-20", "2026-04-10", 0),  # reversed within one month: TR137's business, not CS337's
])
def test_cs337_product_period_within_one_calendar_month(begin: str, eind: str, aantal: int) -> None:
    m = decl().set(f"{P}[1]/ProductPeriode/Begindatum", begin).set(f"{P}[1]/ProductPeriode/Einddatum", eind)
    loc = [f"{P_LOC}[1]/ProductPeriode/Begindatum", f"{P_LOC}[1]/ProductPeriode/Einddatum"]
    assert hits(m, "CS337") == [("CS337", "0001", loc)] * aantal


# --- CS339 ---------------------------------------------------------------------------------------------------

def _euro(volume: str) -> Msg:
    return decl().set(f"{P}[1]/Eenheid", "83").remove(f"{P}[1]/ProductTarief").set(f"{P}[1]/GeleverdVolume", volume)


def test_cs339_euro_volume_must_equal_the_amount() -> None:
    assert hits(_euro("4"), "CS339") == [
        ("CS339", "0001", [f"{P_LOC}[1]/GeleverdVolume", f"{P_LOC}[1]/IngediendBedrag/Bedrag"])]
    assert hits(_euro("73800"), "CS339") == []
    assert hits(_euro("073800"), "CS339") == []  # numeric comparison: leading zeros are harmless


def test_cs339_only_for_eenheid_83() -> None:
    assert hits(decl().set(f"{P}[1]/GeleverdVolume", "4"), "CS339") == []


# --- CS340 ---------------------------------------------------------------------------------------------------

BEGIN, EIND = f"{PERIODE_LOC}/Begindatum", f"{PERIODE_LOC}/Einddatum"


@pytest.mark.parametrize(("begin", "eind", "locaties"), [
    ("2026-04-01", "2026-04-30", []),
    ("2026-04-01", "2026-04-29", [[BEGIN, EIND]]),
    ("2026-04-02", "2026-04-30", [[BEGIN], [BEGIN, EIND]]),
    ("2026-03-15", "2026-04-14", [[BEGIN]]),
    ("2023-02-01", "2023-02-28", []),
    ("2024-02-01", "2024-02-29", []),
    ("2024-02-01", "2024-02-28", [[BEGIN, EIND]]),
    ("2025-12-01", "2025-12-31", []),
    ("2100-02-01", "2100-02-28", [[BEGIN, EIND]]),  # the validator's leap rule: every fourth year
])
def test_cs340_declaratieperiode_is_one_calendar_month(begin: str, eind: str, locaties: list[list[str]]) -> None:
    m = decl().set(f"{PERIODE}/Begindatum", begin).set(f"{PERIODE}/Einddatum", eind)
    assert hits(m, "CS340") == [("CS340", "0001", loc) for loc in locaties]


# --- TR137 ---------------------------------------------------------------------------------------------------

def test_tr137_reversed_product_period_in_323_and_325() -> None:
    m = decl().set(f"{P}[1]/ProductPeriode/Begindatum", "2026-04-20").set(f"{P}[1]/ProductPeriode/Einddatum",
                                                                            "2026-04-19")
    assert hits(m, "TR137") == [("TR137", "0001", [
        f"{P_LOC}[1]/ProductPeriode/Begindatum", f"{P_LOC}[1]/ProductPeriode/Einddatum"])]
    a = antwoord().set(f"{A}/ProductPeriode/Einddatum", "2026-03-31")
    assert hits(a, "TR137") == [("TR137", "0001", [f"{A_LOC}/ProductPeriode/Begindatum",
                                                    f"{A_LOC}/ProductPeriode/Einddatum"])]


def test_tr137_end_after_the_dagtekening_and_equal_passes() -> None:
    m = decl().set("Header/BerichtIdentificatie/Dagtekening", "2026-04-29")
    assert hits(m, "TR137") == [
        ("TR137", "0001", [DAGTEKENING, EIND]),
        ("TR137", "0001", [DAGTEKENING, f"{P_LOC}[1]/ProductPeriode/Einddatum"]),
        ("TR137", "0001", [DAGTEKENING, f"{P_LOC}[2]/ProductPeriode/Einddatum"]),
    ]
    assert hits(decl().set("Header/BerichtIdentificatie/Dagtekening", "2026-04-30"), "TR137") == []


# --- TR315 / TR316 -------------------------------------------------------------------------------------------

def test_tr315_the_same_debet_credited_twice_also_across_clients() -> None:
    m = credit(credit(decl(), 1, "P2026-03-0009"), 2, "P2026-03-0009")
    assert hits(m, "TR315") == [("TR315", "0001", [
        f"{P_LOC}[1]/ProductReferentie/VorigReferentieNummer", f"{P_LOC}[2]/ProductReferentie/VorigReferentieNummer"])]
    assert hits(credit(credit(decl(), 1, "P2026-03-0009"), 2, "P2026-03-0008"), "TR315") == []
    # A second Client with a credit of the same debet: the scope crosses clients.
    twee = credit(decl(), 1, "P2026-03-0009").duplicate("Declaratie/Clienten/Client")
    twee.set("Declaratie/Clienten/Client[2]/Bsn", "111222333")
    found = hits(twee, "TR315")
    assert ("TR315", "0001", [
        "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
        "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
    ]) in found


def test_tr316_crediting_a_line_of_the_same_message() -> None:
    # (a) the later line credits an earlier one
    assert hits(credit(decl(), 2, "P2026-04-0001"), "TR316") == [("TR316", "0001", [
        f"{P_LOC}[1]/ProductReferentie/ReferentieNummer", f"{P_LOC}[2]/ProductReferentie/VorigReferentieNummer"])]
    # (b) the earlier line credits a later one
    assert hits(credit(decl(), 1, "P2026-04-0002"), "TR316") == [("TR316", "0001", [
        f"{P_LOC}[1]/ProductReferentie/VorigReferentieNummer", f"{P_LOC}[2]/ProductReferentie/ReferentieNummer"])]
    # (c) a line that credits itself
    assert hits(credit(decl(), 1, "P2026-04-0001"), "TR316") == [("TR316", "0001", [
        f"{P_LOC}[1]/ProductReferentie/ReferentieNummer", f"{P_LOC}[1]/ProductReferentie/VorigReferentieNummer"])]
    assert hits(credit(decl(), 2, "P2026-03-0002"), "TR316") == []


# --- TR319 ---------------------------------------------------------------------------------------------------

def test_tr319_a_product_period_after_the_declaratieperiode() -> None:
    m = decl().set(f"{P}[1]/ProductPeriode/Begindatum", "2026-05-01").set(f"{P}[1]/ProductPeriode/Einddatum",
                                                                            "2026-05-02")
    assert hits(m, "TR319") == [
        ("TR319", "9319", [EIND, f"{P_LOC}[1]/ProductPeriode/Begindatum"]),
        ("TR319", "9319", [EIND, f"{P_LOC}[1]/ProductPeriode/Einddatum"]),
    ]


def test_tr319_an_earlier_period_is_allowed() -> None:
    m = decl().set(f"{P}[1]/ProductPeriode/Begindatum", "2026-03-01").set(f"{P}[1]/ProductPeriode/Einddatum",
                                                                            "2026-03-31")
    assert hits(m, "TR319") == []


# --- TR335 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dagtekening", "eind", "fout"), [
    ("2026-05-06", "2021-05-06", False),  # exactly five years: allowed
    ("2026-05-06", "2021-05-05", True),
    ("2024-02-29", "2019-02-28", False),  # 29 February five years back is the 28th
    ("2024-02-29", "2019-02-27", True),
])
def test_tr335_at_most_five_years_before_the_declaratiedagtekening(dagtekening: str, eind: str, fout: bool) -> None:
    m = decl().set("Declaratie/DeclaratieDagtekening", dagtekening).set(f"{P}[1]/ProductPeriode/Einddatum", eind)
    expected = [("TR335", "0001", ["/Bericht/Declaratie/DeclaratieDagtekening",
                                   f"{P_LOC}[1]/ProductPeriode/Einddatum"])]
    assert hits(m, "TR335") == (expected if fout else [])


# --- TR342 ---------------------------------------------------------------------------------------------------

TI = "/Bericht/DeclaratieAntwoord/TotaalIngediendBedrag"
TT = "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag"


def test_tr342_totals_must_be_explained_by_the_rejected_prestaties() -> None:
    assert hits(antwoord(), "TR342") == []
    m = antwoord().set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "73801")
    assert hits(m, "TR342") == [("TR342", "0001", [TI, TT])]


def test_tr342_a_rejected_declaratie_grants_nothing() -> None:
    afgewezen = antwoord().set("DeclaratieAntwoord/RetourCodes/RetourCode", "8017")
    assert hits(afgewezen, "TR342") == [("TR342", "0001", [TT])]
    niets = afgewezen.set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "0")
    assert hits(niets, "TR342") == []
    # 8001 is not a rejection of the declaratie: the totals must add up as usual.
    assert hits(antwoord().set("DeclaratieAntwoord/RetourCodes/RetourCode", "8001"), "TR342") == []


# --- TR358 ---------------------------------------------------------------------------------------------------

TOTAAL = "/Bericht/Declaratie/TotaalIngediendBedrag"
ALLE_BEDRAGEN = [f"{TOTAAL}/TotaalBedrag", f"{TOTAAL}/DebetCredit", f"{P_LOC}[1]/IngediendBedrag",
                 f"{P_LOC}[2]/IngediendBedrag"]


@pytest.mark.parametrize("totaal", ["139301", "0139300"])
def test_tr358_total_must_be_the_signed_sum_as_text(totaal: str) -> None:
    m = decl().set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", totaal)
    assert hits(m, "TR358") == [("TR358", "0001", ALLE_BEDRAGEN)]


def test_tr358_credit_lines_are_subtracted() -> None:
    m = credit(decl(), 2, "P2026-03-0002")
    assert hits(m, "TR358") == [("TR358", "0001", ALLE_BEDRAGEN)]
    assert hits(m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(73800 - 65500)), "TR358") == []
    assert hits(decl().set("Declaratie/TotaalIngediendBedrag/DebetCredit", "C"), "TR358") == [
        ("TR358", "0001", ALLE_BEDRAGEN)]


# --- TR416 ---------------------------------------------------------------------------------------------------

def _dubbel() -> Msg:
    m = decl().duplicate(f"{P}[1]")
    return m.set(f"{P}[2]/ProductReferentie/ReferentieNummer", "P2026-04-0099")


def test_tr416_a_second_debet_for_the_same_period_product_and_toewijzing() -> None:
    assert hits(_dubbel(), "TR416") == [("TR416", "0001", [f"{P_LOC}[1]", f"{P_LOC}[2]"])]


def test_tr416_differences_that_make_it_another_line() -> None:
    assert hits(_dubbel().set(f"{P}[2]/ToewijzingNummer", "0260451"), "TR416") == []  # raw text
    assert hits(_dubbel().set(f"{P}[2]/ProductPeriode/Einddatum", "2026-04-29"), "TR416") == []
    assert hits(credit(_dubbel(), 2, "P2026-03-0001"), "TR416") == []


def test_tr416_generated_declaratie_with_a_duplicated_debet_line() -> None:
    m = Msg(declaratie(2_000, seed=3))
    m.duplicate(f"{P}[5]").set(f"{P}[6]/ProductReferentie/ReferentieNummer", "DUBBEL-0001")
    assert [code for code, _, _ in hits(m, "TR416")] == ["TR416"]
