"""The declaratie (WMO323) against the toegewezen product, earlier declaraties and the contract's tarieven.

TR318 TR339 TR340 TR341 TR346 TR369 TR384 TR387 TR388 TR389 TR390 TR418, and the two lenient-mode blind spots
(TR382 after a deleted start, TR323 after a refusal). The example declaratie covers April 2026:
P2026-04-0001 on 260451 (02A05, 3 uur per week, 2026-04-01 t/m 2026-12-31): 12 uur × 6150 = 73800;
P2026-04-0002 on 260452 (01B02, 12 uur per maand, open end): 10 uur × 6550 = 65500.
"""

from __future__ import annotations

import pytest

from gateway.settings import Mode
from gateway.validation.cross.history import afwijzing_feit, sleutel
from gateway.validation.cross.tarieven import Tarief, Tarieven
from gateway.validation.validator import validate
from tests.cross.keten import (
    ANDERE_AANBIEDER,
    ANDERE_GEMEENTE,
    PRESTATIE,
    PRESTATIE_LOC,
    STOP_LOC,
    TP,
    Keten,
    afwijzing,
    alleen_prestatie,
    crediteer,
    declaratie,
    gedeclareerd,
    gestart,
    herbereken,
    hernummer,
    start,
    stop,
    toegewezen,
    toewijzing,
    voorbeeld,
)
from tests.msgedit import Msg

GEMEENTE, AANBIEDER = "0599", "12345678"
P1 = f"{PRESTATIE}[1]"
LOC1, LOC2 = f"{PRESTATIE_LOC}[1]", f"{PRESTATIE_LOC}[2]"


def een(index: int = 1, ref: str = "R-0001", *, dagtekening: str = "2026-05-06") -> Msg:
    """Prestatie `index` of the example declaratie alone, in a fresh declaratie under a new ReferentieNummer."""
    return hernummer(alleen_prestatie(declaratie(dagtekening=dagtekening), index), ref)


def periode(m: Msg, begin: str, eind: str, index: int = 1) -> Msg:
    m.set(f"{PRESTATIE}[{index}]/ProductPeriode/Begindatum", begin)
    m.set(f"{PRESTATIE}[{index}]/ProductPeriode/Einddatum", eind)
    return m


def declaratieperiode(m: Msg, begin: str, eind: str) -> Msg:
    m.set("Declaratie/DeclaratiePeriode/Begindatum", begin).set("Declaratie/DeclaratiePeriode/Einddatum", eind)
    return m


def bedrag(m: Msg, index: int, waarde: int) -> Msg:
    """Set one IngediendBedrag (debet) and keep TotaalIngediendBedrag the sum, so only TR346 can object."""
    m.set(f"{PRESTATIE}[{index}]/IngediendBedrag/Bedrag", str(waarde))
    prestaties = len(m.el("Declaratie/Clienten/Client/Prestaties"))
    totaal = sum(int(m.text(f"{PRESTATIE}[{i}]/IngediendBedrag/Bedrag") or 0) for i in range(1, prestaties + 1))
    m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(totaal))
    return m


def in_minuten(m: Msg, minuten: int, *, uurtarief: int = 6150, index: int = 1) -> Msg:
    """IV081: prestatie in minuten against a tarief per uur: ProductTarief per minute rounded half up, the
    Bedrag (uurtarief × minuten) / 60 rounded half up."""
    p = f"{PRESTATIE}[{index}]"
    m.set(f"{p}/Eenheid", "01").set(f"{p}/GeleverdVolume", str(minuten))
    m.set(f"{p}/ProductTarief", str((2 * uurtarief + 60) // 120))
    return bedrag(m, index, (2 * uurtarief * minuten + 60) // 120)


def in_euros(eurocent: int) -> Msg:
    """Prestatie 1 in Euro's (83): GeleverdVolume in eurocent, no ProductTarief (CD087)."""
    m = voorbeeld("WMO323").set(f"{P1}/Eenheid", "83").set(f"{P1}/GeleverdVolume", str(eurocent))
    m.remove(f"{P1}/ProductTarief")
    return bedrag(m, 1, eurocent)


def aspecifiek(*, budget: str | None = None, **velden: str) -> Msg:
    """260451 as an aspecifieke toewijzing: only ProductCategorie 02, no Omvang; optionally a Budget."""
    m = toewijzing(**velden)
    m.remove(f"{TP}[1]/Product/Code").remove(f"{TP}[1]/Omvang")
    if budget is not None:
        m.append(f"{TP}[1]", "Budget", budget)
    return m


def contract(*regels: tuple[str, str, str, int], gemeente: str = GEMEENTE, aanbieder: str = AANBIEDER,
             vanaf: str | None = None) -> Tarieven:
    """A tarieven table from (categorie, code, eenheid, tarief) rows for one gemeente and aanbieder."""
    import datetime as dt

    start_ = dt.date.fromisoformat(vanaf) if vanaf else None
    return Tarieven(Tarief(gemeente, aanbieder, c, p, e, t, start_) for c, p, e, t in regels)


CONTRACT = (("02", "02A05", "04", 6150), ("01", "01B02", "04", 6550))


# -- TR339 / TR340: the declared product is the toegewezen product (9339, 9340) --------------------------------

def test_tr339_tr340_the_toegewezen_product_passes(modus: Mode) -> None:
    assert toegewezen(modus).codes(voorbeeld("WMO323")) & {"TR339", "TR340"} == set()


def test_tr339_another_productcategorie(modus: Mode) -> None:
    ander = voorbeeld("WMO323").set(f"{P1}/ProductCategorie", "01").set(f"{P1}/ProductCode", "01B02")
    assert toegewezen(modus).fouten(ander, "TR339") == [("TR339", "9339", [f"{LOC1}/ProductCategorie"])]


def test_tr340_another_productcode(modus: Mode) -> None:
    ander = voorbeeld("WMO323").set(f"{P1}/ProductCode", "02A06")
    findings = [f for f in toegewezen(modus).oordeel(ander) if f.code == "TR340"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("9340", [f"{LOC1}/ProductCode"])]
    assert "toegewezen: 02A05" in findings[0].melding


def test_tr340_an_aspecifieke_toewijzing_allows_any_code() -> None:
    keten = Keten().accepteer(aspecifiek())
    ander = voorbeeld("WMO323").set(f"{P1}/ProductCode", "02A06")
    assert keten.codes(ander) & {"TR339", "TR340"} == set()
    assert keten.fouten(ander.set(f"{P1}/ProductCategorie", "01"), "TR339") == [
        ("TR339", "9339", [f"{LOC1}/ProductCategorie"])]


def test_tr339_tr340_skip_an_unknown_toewijzing(modus: Mode) -> None:
    onbekend = voorbeeld("WMO323").set(f"{P1}/ToewijzingNummer", "260999").set(f"{P1}/ProductCode", "02A06")
    assert toegewezen(modus).codes(onbekend) & {"TR339", "TR340"} == set()


# -- TR341: the Eenheid fits the toegewezen Eenheid; hours may be declared in minutes (9341, IV081) -----------------

def test_tr341_minutes_against_hours_pass(modus: Mode) -> None:
    assert toegewezen(modus).oordeel(in_minuten(voorbeeld("WMO323"), 720)) == []


def test_tr341_hours_against_minutes_fail(modus: Mode) -> None:
    keten = Keten(modus).accepteer(toewijzing(**{"Omvang/Volume": "180", "Omvang/Eenheid": "01"}))
    assert keten.fouten(voorbeeld("WMO323"), "TR341") == [("TR341", "9341", [f"{LOC1}/Eenheid"])]
    assert keten.fouten(in_minuten(voorbeeld("WMO323"), 720), "TR341") == []


def test_tr341_another_unit(modus: Mode) -> None:
    dagdelen = herbereken(voorbeeld("WMO323").set(f"{P1}/Eenheid", "16").set(f"{P1}/GeleverdVolume", "3"))
    assert toegewezen(modus).fouten(dagdelen, "TR341") == [("TR341", "9341", [f"{LOC1}/Eenheid"])]


def test_tr341_aspecifiek_follows_the_contract_eenheid() -> None:
    dagdelen = herbereken(voorbeeld("WMO323").set(f"{P1}/Eenheid", "16").set(f"{P1}/GeleverdVolume", "3"))
    zonder = Keten().accepteer(aspecifiek())
    assert zonder.fouten(dagdelen, "TR341") == []  # no Eenheid allocated, no contract loaded: nothing to fit
    met = Keten(tarieven=contract(*CONTRACT)).accepteer(aspecifiek())
    findings = [f for f in met.oordeel(dagdelen) if f.code == "TR341"]
    assert [list(f.locatie) for f in findings] == [[f"{LOC1}/Eenheid"]] and "contract: 04" in findings[0].melding
    assert met.fouten(in_minuten(voorbeeld("WMO323"), 720), "TR341") == []


# -- TR369: all prestaties together within the toegewezen Budget (9369) ---------------------------------------

def test_tr369_up_to_the_budget_passes(modus: Mode) -> None:
    assert Keten(modus).accepteer(aspecifiek(budget="73800")).fouten(voorbeeld("WMO323"), "TR369") == []


def test_tr369_over_the_budget(modus: Mode) -> None:
    findings = [f for f in Keten(modus).accepteer(aspecifiek(budget="73799")).oordeel(voorbeeld("WMO323"))
                if f.code == "TR369"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("9369", [f"{LOC1}/GeleverdVolume"])]
    assert "(73800 > 73799 eurocent)" in findings[0].melding


def test_tr369_counts_earlier_declaraties_and_frees_refused_and_credited_ones() -> None:
    keten = Keten().accepteer(aspecifiek(budget="100000"), voorbeeld("WMO323"))  # 73800 used
    mei = declaratieperiode(periode(een(1, dagtekening="2026-06-05"), "2026-05-01", "2026-05-31"),
                            "2026-05-01", "2026-05-31")
    assert keten.fouten(mei, "TR369") == [("TR369", "9369", [f"{PRESTATIE_LOC}/GeleverdVolume"])]
    afgewezen = Keten().accepteer(aspecifiek(budget="100000"), voorbeeld("WMO323"),
                                  afwijzing("P2026-04-0001", toewijzing="260451"))
    assert afgewezen.fouten(mei, "TR369") == []


def test_tr369_a_prestatie_in_euros_counts_its_volume() -> None:
    keten = Keten().accepteer(aspecifiek(budget="50000"))
    assert keten.fouten(in_euros(50000), "TR369") == []
    assert keten.fouten(in_euros(50001), "TR369") == [("TR369", "9369", [f"{LOC1}/GeleverdVolume"])]


def test_tr369_without_budget_is_not_checked() -> None:
    assert Keten().accepteer(aspecifiek()).fouten(voorbeeld("WMO323"), "TR369") == []


# -- TR384: no declaratie on a deleted toewijzing (9384) ----------------------------------------------------

def verwijderd() -> Msg:
    """The gemeente deletes 260451 (RedenWijziging 13, Einddatum = Ingangsdatum) in a later WMO301."""
    m = toewijzing(Einddatum="2026-04-01", Toewijzingsdatum="2026-04-20")
    m.append(f"{TP}[1]", "RedenWijziging", "13", after="Einddatum")
    m.set("Header/BerichtIdentificatie/Identificatie", "TW2026-0420")
    return m.set("Header/BerichtIdentificatie/Dagtekening", "2026-04-20")


def test_tr384_declaratie_on_a_deleted_toewijzing(modus: Mode) -> None:
    keten = Keten(modus).accepteer(voorbeeld("WMO301"), verwijderd())
    assert keten.fouten(voorbeeld("WMO323"), "TR384") == [("TR384", "9384", [f"{LOC1}/ToewijzingNummer"])]


def test_tr384_another_reden_wijziging_passes() -> None:
    gewijzigd = verwijderd().set(f"{TP}[1]/RedenWijziging", "14").set(f"{TP}[1]/Einddatum", "2026-12-31")
    assert Keten().accepteer(voorbeeld("WMO301"), gewijzigd).fouten(voorbeeld("WMO323"), "TR384") == []


# -- TR387 / TR388: the ProductPeriode covers the month, or the toewijzing's part of it (9387, 9388) ------------

BEGIN1, EIND1 = [f"{LOC1}/ProductPeriode/Begindatum"], [f"{LOC1}/ProductPeriode/Einddatum"]


@pytest.mark.parametrize(("ingang", "begin", "fout"), [
    ("2026-04-01", "2026-04-01", False),  # the example
    ("2026-04-01", "2026-04-02", True),  # not the first, and the toewijzing did not start later
    ("2026-04-15", "2026-04-15", False),  # toewijzing starting mid-month: its Ingangsdatum
    ("2026-04-15", "2026-04-16", True),
    ("2026-04-15", "2026-04-01", True),  # the first is too early now (TR307 says so as well)
    ("2026-03-15", "2026-04-01", False),  # started in an earlier month: the first
    ("2026-03-15", "2026-04-15", True),
])
def test_tr387_begindatum(ingang: str, begin: str, fout: bool, modus: Mode) -> None:
    keten = Keten(modus).accepteer(toewijzing(Ingangsdatum=ingang))
    gevonden = keten.fouten(periode(voorbeeld("WMO323"), begin, "2026-04-30"), "TR387")
    assert gevonden == ([("TR387", "9387", BEGIN1)] if fout else [])


def test_tr387_says_which_begindatum_is_expected() -> None:
    keten = Keten().accepteer(toewijzing(Ingangsdatum="2026-04-15"))
    findings = keten.oordeel(periode(voorbeeld("WMO323"), "2026-04-16", "2026-04-30"))
    assert "verwacht 2026-04-15" in next(f.melding for f in findings if f.code == "TR387")


@pytest.mark.parametrize(("einde", "eind", "fout"), [
    ("2026-12-31", "2026-04-30", False),  # the example
    ("2026-12-31", "2026-04-29", True),
    ("2026-04-20", "2026-04-20", False),  # toewijzing ending mid-month: its Einddatum
    ("2026-04-20", "2026-04-19", True),
    ("2026-04-20", "2026-04-30", True),  # past the toewijzing (TR308 says so as well)
    ("2026-05-10", "2026-04-30", False),  # ends in a later month: the last of April
])
def test_tr388_einddatum(einde: str, eind: str, fout: bool, modus: Mode) -> None:
    keten = Keten(modus).accepteer(toewijzing(Einddatum=einde))
    gevonden = keten.fouten(periode(voorbeeld("WMO323"), "2026-04-01", eind), "TR388")
    assert gevonden == ([("TR388", "9388", EIND1)] if fout else [])


def test_tr388_open_ended_toewijzing() -> None:
    # 260452 has no Einddatum: the period ends on the last of the month.
    keten = toegewezen()
    assert keten.fouten(periode(voorbeeld("WMO323"), "2026-04-01", "2026-04-30", 2), "TR388") == []
    assert keten.fouten(periode(voorbeeld("WMO323"), "2026-04-01", "2026-04-29", 2), "TR388") == [
        ("TR388", "9388", [f"{LOC2}/ProductPeriode/Einddatum"])]


def test_tr387_tr388_skip_an_unknown_toewijzing(modus: Mode) -> None:
    onbekend = periode(voorbeeld("WMO323").set(f"{P1}/ToewijzingNummer", "260999"), "2026-04-02", "2026-04-29")
    assert toegewezen(modus).codes(onbekend) & {"TR387", "TR388"} == set()


# -- TR318: the DeclaratiePeriode does not go back before the last one (8214) --------------------------------------

def maart() -> Msg:
    return periode(declaratieperiode(een(1), "2026-03-01", "2026-03-31"), "2026-03-01", "2026-03-31")


def test_tr318_a_period_before_the_last_one(modus: Mode) -> None:
    findings = [f for f in gedeclareerd(modus).oordeel(maart()) if f.code == "TR318"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [
        ("8214", ["/Bericht/Declaratie/DeclaratiePeriode/Begindatum"])]
    assert "2026-04-01" in findings[0].melding


def test_tr318_the_last_period_again_and_a_gap_pass(modus: Mode) -> None:
    # IV090: a second declaratie over the last period (corrections), or months later after months without care.
    keten = gedeclareerd(modus)
    assert keten.fouten(een(2, "R-0002"), "TR318") == []
    juni = declaratieperiode(periode(een(1, dagtekening="2026-07-06"), "2026-06-01", "2026-06-30"),
                             "2026-06-01", "2026-06-30")
    assert keten.fouten(juni, "TR318") == []


def test_tr318_is_per_gemeente_and_aanbieder() -> None:
    assert gedeclareerd(Mode.LENIENT).fouten(maart().set("Header/Ontvanger", ANDERE_GEMEENTE), "TR318") == []
    assert toegewezen().fouten(maart(), "TR318") == []  # nothing declared yet


# -- TR389: one debet per toewijzing, product and ProductPeriode until it is credited (9389) ----------------------

DEBETCREDIT = [f"{PRESTATIE_LOC}/IngediendBedrag/DebetCredit"]


def test_tr389_a_second_debet_for_the_same_period(modus: Mode) -> None:
    findings = [f for f in gedeclareerd(modus).oordeel(een(1)) if f.code == "TR389"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("9389", DEBETCREDIT)]
    assert "P2026-04-0001" in findings[0].melding


def test_tr389_after_a_credit_a_new_debet_passes() -> None:
    keten = gedeclareerd().accepteer(crediteer(een(1, "R-0001"), 1, "P2026-04-0001"))
    assert keten.oordeel(een(1, "R-0002")) == []


def test_tr389_credit_and_new_debet_in_one_declaratie_pass() -> None:
    correctie = crediteer(hernummer(declaratie(), "R-0001", "R-0002"), 1, "P2026-04-0001")
    correctie.set(f"{PRESTATIE}[2]/ToewijzingNummer", "260451").set(f"{PRESTATIE}[2]/ProductCategorie", "02")
    correctie.set(f"{PRESTATIE}[2]/ProductCode", "02A05").set(f"{PRESTATIE}[2]/ProductTarief", "6150")
    assert gedeclareerd().oordeel(herbereken(correctie)) == []


def test_tr389_a_refused_debet_may_be_sent_again() -> None:
    keten = gedeclareerd().accepteer(voorbeeld("WMO325"))  # refuses P2026-04-0002
    assert keten.fouten(een(2, "R-0002"), "TR389") == []


def test_tr389_twice_in_one_declaratie_is_the_in_message_tr416() -> None:
    dubbel = declaratie()
    dubbel.duplicate(P1)  # P2026-04-0001 twice, then P2026-04-0002
    dubbel = herbereken(hernummer(dubbel, "R-0001", "R-0002", "R-0003"))
    assert "TR416" in {f.code for f in validate(dubbel.bytes()).errors}


def test_tr389_another_period_passes() -> None:
    mei = declaratieperiode(periode(een(1, dagtekening="2026-06-05"), "2026-05-01", "2026-05-31"),
                            "2026-05-01", "2026-05-31")
    assert gedeclareerd().fouten(mei, "TR389") == []


# -- TR390: a debet is credited once (9390) --------------------------------------------------------------------

def test_tr390_a_second_credit_of_the_same_debet(modus: Mode) -> None:
    keten = gedeclareerd(modus)
    assert keten.oordeel(crediteer(een(1, "R-0001"), 1, "P2026-04-0001")) == []
    keten.accepteer(crediteer(een(1, "R-0001"), 1, "P2026-04-0001"))
    findings = [f for f in keten.oordeel(crediteer(een(1, "R-0002"), 1, "P2026-04-0001")) if f.code == "TR390"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("9390", DEBETCREDIT)]
    assert "R-0001" in findings[0].melding


def test_tr390_two_credits_in_one_declaratie_is_the_in_message_tr315() -> None:
    dubbel = crediteer(crediteer(hernummer(declaratie(), "R-0001", "R-0002"), 1, "P2026-04-0001"), 2,
                       "P2026-04-0001")
    assert "TR315" in {f.code for f in validate(dubbel.bytes()).errors}


def test_tr390_a_refused_credit_does_not_count() -> None:
    keten = gedeclareerd().accepteer(crediteer(een(1, "R-0001"), 1, "P2026-04-0001"),
                                     afwijzing("R-0001", toewijzing="260451"))
    assert keten.fouten(crediteer(een(1, "R-0002"), 1, "P2026-04-0001"), "TR390") == []


# -- TR346: IngediendBedrag = GeleverdVolume × the unrounded ProductTarief (9346, IV081) ----------------------

def test_tr346_volume_times_tarief(modus: Mode) -> None:
    keten = toegewezen(modus)
    assert keten.fouten(voorbeeld("WMO323"), "TR346") == []
    findings = [f for f in keten.oordeel(bedrag(voorbeeld("WMO323"), 1, 73801)) if f.code == "TR346"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("9346", [f"{LOC1}/IngediendBedrag/Bedrag"])]
    assert "verwacht 73800" in findings[0].melding


def test_tr346_minutes_without_a_contract_accept_either_reading() -> None:
    # 720 min: by the hourly 6150, (6150 × 720) / 60 = 73800; by the per-minute 103, 74160. Either may be agreed.
    keten = toegewezen()
    assert keten.fouten(in_minuten(voorbeeld("WMO323"), 720), "TR346") == []
    assert keten.fouten(bedrag(in_minuten(voorbeeld("WMO323"), 720), 1, 74160), "TR346") == []
    assert keten.fouten(bedrag(in_minuten(voorbeeld("WMO323"), 720), 1, 74161), "TR346") == [
        ("TR346", "9346", [f"{LOC1}/IngediendBedrag/Bedrag"])]


def test_tr346_minutes_against_the_contract_uurtarief_round_half_up() -> None:
    # 1 minute at 6150 per uur is 102.5 eurocent: 103 (half up), not 102; the per-minute 103 × 1 happens to agree.
    keten = Keten(tarieven=contract(*CONTRACT)).accepteer(voorbeeld("WMO301"))
    assert keten.fouten(in_minuten(voorbeeld("WMO323"), 1), "TR346") == []
    assert keten.fouten(bedrag(in_minuten(voorbeeld("WMO323"), 1), 1, 102), "TR346") == [
        ("TR346", "9346", [f"{LOC1}/IngediendBedrag/Bedrag"])]
    # 720 minutes: the contract says 73800; 720 × the rounded 103 = 74160 is not it.
    assert keten.fouten(bedrag(in_minuten(voorbeeld("WMO323"), 720), 1, 74160), "TR346") == [
        ("TR346", "9346", [f"{LOC1}/IngediendBedrag/Bedrag"])]


def test_tr346_skips_euros() -> None:
    # In Euro's there is no ProductTarief (CD087); GeleverdVolume equals the Bedrag (CS339, in-message).
    assert Keten(Mode.LENIENT).fouten(in_euros(50000), "TR346") == []


# -- TR418: ProductTarief is the contractual tarief (0611) --------------------------------------------------------

def test_tr418_the_contract_tarief_passes(modus: Mode) -> None:
    keten = Keten(modus, tarieven=contract(*CONTRACT)).accepteer(voorbeeld("WMO301"))
    assert keten.oordeel(voorbeeld("WMO323")) == []


def test_tr418_another_tarief(modus: Mode) -> None:
    hoger = herbereken(voorbeeld("WMO323").set(f"{P1}/ProductTarief", "6151"))
    findings = [f for f in Keten(modus, tarieven=contract(*CONTRACT)).oordeel(hoger) if f.code == "TR418"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("0611", [f"{LOC1}/ProductTarief"])]
    assert "contractueel 6150" in findings[0].melding


def test_tr418_skipped_without_tarieven_for_the_pair() -> None:
    hoger = herbereken(voorbeeld("WMO323").set(f"{P1}/ProductTarief", "6151"))
    assert Keten().fouten(hoger, "TR418") == []  # no table loaded
    anderen = contract(*CONTRACT, aanbieder=ANDERE_AANBIEDER)
    assert Keten(tarieven=anderen).fouten(hoger, "TR418") == []  # a contract with someone else


def test_tr418_a_product_outside_the_contract() -> None:
    keten = Keten(tarieven=contract(CONTRACT[0]))
    assert keten.fouten(voorbeeld("WMO323"), "TR418") == [("TR418", "0611", [f"{LOC2}/ProductCode"])]


def test_tr418_a_tarief_not_yet_valid() -> None:
    keten = Keten(tarieven=contract(*CONTRACT, vanaf="2026-05-01"))
    assert [loc for _, _, loc in keten.fouten(voorbeeld("WMO323"), "TR418")] == [
        [f"{LOC1}/ProductCode"], [f"{LOC2}/ProductCode"]]


def test_tr418_minutes_carry_the_hourly_tarief_divided_by_60() -> None:
    keten = Keten(tarieven=contract(*CONTRACT))
    assert keten.fouten(in_minuten(voorbeeld("WMO323"), 720), "TR418") == []
    per_minuut = in_minuten(voorbeeld("WMO323"), 720).set(f"{P1}/ProductTarief", "102")
    assert keten.fouten(per_minuut, "TR418") == [("TR418", "0611", [f"{LOC1}/ProductTarief"])]


# -- the lenient-mode blind spots ----------------------------------------------------------------------------

def test_tr382_lenient_fires_after_the_start_was_deleted() -> None:
    # A start for 260451 was seen and deleted (StatusAanlevering 3): starts are known, none stands.
    keten = gestart(Mode.LENIENT).accepteer(start(1, status="3"))
    assert keten.fouten(stop(), "TR382") == [
        ("TR382", "9069", [f"{STOP_LOC}/ToewijzingNummer", f"{STOP_LOC}/Product", f"{STOP_LOC}/Begindatum"])]


def test_tr382_lenient_still_skips_a_toewijzing_without_any_start() -> None:
    assert toegewezen(Mode.LENIENT).fouten(stop(), "TR382") == []


VORIG = [f"{PRESTATIE_LOC}/ProductReferentie/VorigReferentieNummer"]


def test_tr323_lenient_fires_on_a_credit_of_a_debet_refused_in_a_325() -> None:
    # The 323 itself was never seen here, but the 325 that refused P2026-04-0002 was.
    keten = toegewezen(Mode.LENIENT).accepteer(voorbeeld("WMO325"))
    findings = [f for f in keten.oordeel(crediteer(een(2, "R-0002"), 1, "P2026-04-0002")) if f.code == "TR323"]
    assert [(f.retourcode, list(f.locatie)) for f in findings] == [("8017", VORIG)]
    assert "afgewezen" in findings[0].melding


@pytest.mark.parametrize("modus_", [Mode.STRICT, Mode.LENIENT], ids=["strict", "lenient"])
def test_tr323_fires_on_a_credit_of_a_prestatie_the_gateway_refused(modus_: Mode) -> None:
    # A partly processed 323: its good prestatie is filed, the refused one only as an afwijzing fact.
    keten = toegewezen(modus_)
    keten.history.file(*afwijzing_feit(AANBIEDER, "P2026-04-0002", ["9308"], "WMO323"))
    assert keten.history.bekend("afwijzing", sleutel(AANBIEDER, "P2026-04-0002"))
    assert keten.fouten(crediteer(een(2, "R-0002"), 1, "P2026-04-0002"), "TR323") == [("TR323", "8017", VORIG)]
