"""The declaratie (WMO323) against toewijzingen and earlier declaraties; TR304 also on WMO317 and WMO325.

TR304 TR307 TR308 TR314 TR321 TR322 TR323 TR333 TR338. The example declaratie covers April 2026:
P2026-04-0001 on 260451 (02A05, 3 uur per week, 2026-04-01 t/m 2026-12-31): 12 uur over 04-02..04-30;
P2026-04-0002 on 260452 (01B02, 12 uur per maand, open end): 10 uur over 04-06..04-30.
"""

from __future__ import annotations

import pytest

from gateway.settings import Mode
from tests.cross.keten import (
    ANDERE_AANBIEDER,
    ANDERE_BSN,
    ANDERE_GEMEENTE,
    PRESTATIE,
    PRESTATIE_LOC,
    TP,
    Keten,
    afwijzing,
    alleen_prestatie,
    crediteer,
    declaratie,
    gedeclareerd,
    hernummer,
    nieuw,
    toegewezen,
    toewijzing,
    volume,
    voorbeeld,
)
from tests.msgedit import Msg

VOLUME_1 = f"{PRESTATIE_LOC}[1]/GeleverdVolume"
VOLUME_2 = f"{PRESTATIE_LOC}[2]/GeleverdVolume"


def nieuwe_declaratie(*refs: str) -> Msg:
    """A second declaratie over April: fresh Identificatie, DeclaratieNummer and ReferentieNummers."""
    return hernummer(declaratie(), *(refs or ("R-0001", "R-0002")))


# -- TR338: a prestatie belongs to a toegewezen product (9338) -------------------------------------------------

def test_tr338_prestaties_on_known_toewijzingen_pass() -> None:
    assert toegewezen().fouten(voorbeeld("WMO323"), "TR338") == []


def test_tr338_unknown_toewijzingnummer() -> None:
    onbekend = voorbeeld("WMO323").set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    assert toegewezen().fouten(onbekend, "TR338") == [("TR338", "9338", [f"{PRESTATIE_LOC}[2]/ToewijzingNummer"])]


def test_tr338_toewijzing_of_another_client() -> None:
    ander = voorbeeld("WMO323").set("Declaratie/Clienten/Client/Bsn", ANDERE_BSN)
    assert toegewezen(Mode.LENIENT).fouten(ander, "TR338") == [
        ("TR338", "9338", [f"{PRESTATIE_LOC}[1]/ToewijzingNummer"]),
        ("TR338", "9338", [f"{PRESTATIE_LOC}[2]/ToewijzingNummer"]),
    ]


def test_tr338_strict_and_lenient_without_toewijzingen() -> None:
    assert len(Keten(Mode.STRICT).fouten(voorbeeld("WMO323"), "TR338")) == 2
    assert Keten(Mode.LENIENT).fouten(voorbeeld("WMO323"), "TR338") == []
    onbekend = voorbeeld("WMO323").set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    assert toegewezen(Mode.LENIENT).fouten(onbekend, "TR338") == [
        ("TR338", "9338", [f"{PRESTATIE_LOC}[2]/ToewijzingNummer"])]


# -- TR304: the Bsn belongs to a known client (8187) ------------------------------------------------------------

@pytest.mark.parametrize(("naam", "bsn"), [
    ("WMO323", "Declaratie/Clienten/Client/Bsn"),
    ("WMO317", "Client/Bsn"),
    ("WMO325", "DeclaratieAntwoord/Clienten/Client/Bsn"),
])
def test_tr304_unknown_client(naam: str, bsn: str) -> None:
    keten = toegewezen(Mode.LENIENT)
    assert keten.fouten(voorbeeld(naam), "TR304") == []
    ander = voorbeeld(naam).set(bsn, ANDERE_BSN)
    assert keten.fouten(ander, "TR304") == [("TR304", "8187", [f"/Bericht/{bsn}"])]
    assert keten.fouten(ander, "TR304", mode=Mode.STRICT) == [("TR304", "8187", [f"/Bericht/{bsn}"])]


def test_tr304_strict_and_lenient_without_any_toewijzing() -> None:
    assert Keten(Mode.STRICT).fouten(voorbeeld("WMO317"), "TR304") == [("TR304", "8187", ["/Bericht/Client/Bsn"])]
    assert Keten(Mode.LENIENT).fouten(voorbeeld("WMO317"), "TR304") == []  # parties unknown: from before


def test_tr304_client_of_another_aanbieder() -> None:
    # The gemeente allocated ANDERE_BSN to another aanbieder: not a client of this one.
    andere = nieuw("WMO301").set("Header/Ontvanger", ANDERE_AANBIEDER).set("Client/Bsn", ANDERE_BSN)
    keten = Keten(Mode.LENIENT).accepteer(voorbeeld("WMO301"), andere)
    ander = voorbeeld("WMO323").set("Declaratie/Clienten/Client/Bsn", ANDERE_BSN)
    assert keten.fouten(ander, "TR304") == [("TR304", "8187", ["/Bericht/Declaratie/Clienten/Client/Bsn"])]


# -- TR307 / TR308: the product period lies within the toewijzing (9307, 9308) -------------------------------------

def test_tr307_begindatum_on_the_ingangsdatum_passes() -> None:
    keten = Keten().accepteer(toewijzing(Ingangsdatum="2026-04-02"))
    op_ingang = voorbeeld("WMO323").set(f"{PRESTATIE}[1]/ProductPeriode/Begindatum", "2026-04-02")
    assert keten.fouten(op_ingang, "TR307") == []


def test_tr307_begindatum_before_the_ingangsdatum(modus: Mode) -> None:
    keten = Keten(modus).accepteer(toewijzing(Ingangsdatum="2026-04-03"))
    assert keten.fouten(voorbeeld("WMO323"), "TR307") == [
        ("TR307", "9307", [f"{PRESTATIE_LOC}[1]/ProductPeriode/Begindatum"])]


def test_tr307_uses_the_latest_toewijzing_not_the_last_received() -> None:
    # IV013: the actual toewijzing has the latest Toewijzingsdatum/-tijd, whatever order they arrive in.
    later = toewijzing(Ingangsdatum="2026-04-03", Toewijzingsdatum="2026-03-20")
    later.set("Header/BerichtIdentificatie/Identificatie", "TW2026-0320").set(
        "Header/BerichtIdentificatie/Dagtekening", "2026-03-20")
    keten = Keten().accepteer(later, voorbeeld("WMO301"))
    assert [c for c, _, _ in keten.fouten(voorbeeld("WMO323"), "TR307")] == ["TR307"]


def test_tr307_tr308_tr321_tr322_skip_an_unknown_toewijzing(modus: Mode) -> None:
    # Dates and volumes far outside anything allocated: only TR338 speaks, the others have nothing to compare.
    onbekend = volume(voorbeeld("WMO323").set(f"{PRESTATIE}[1]/ToewijzingNummer", "260999"), 1, 999)
    onbekend.set(f"{PRESTATIE}[1]/ProductPeriode/Begindatum", "2026-04-01")
    keten = Keten(modus).accepteer(toewijzing(Ingangsdatum="2026-04-20", Einddatum="2026-04-21"))
    assert keten.codes(onbekend) & {"TR307", "TR308", "TR321", "TR322"} == set()
    assert "TR338" in keten.codes(onbekend)


def test_tr308_einddatum_on_the_toewijzing_einddatum_passes() -> None:
    keten = Keten().accepteer(toewijzing(Einddatum="2026-04-30"))
    assert keten.oordeel(voorbeeld("WMO323")) == []


def test_tr308_einddatum_after_the_toewijzing(modus: Mode) -> None:
    # The period should have ended on the toewijzing's earlier Einddatum: TR388 says so too.
    keten = Keten(modus).accepteer(toewijzing(Einddatum="2026-04-29"))
    assert keten.fouten(voorbeeld("WMO323")) == [
        ("TR308", "9308", [f"{PRESTATIE_LOC}[1]/ProductPeriode/Einddatum"]),
        ("TR388", "9388", [f"{PRESTATIE_LOC}[1]/ProductPeriode/Einddatum"])]


def test_tr308_open_toewijzing_has_no_end() -> None:
    # 260452 has no Einddatum: any period end passes.
    assert toegewezen().fouten(voorbeeld("WMO323"), "TR308") == []


# -- TR314: ReferentieNummer unique per aanbieder (8021) ------------------------------------------------------------

def test_tr314_referentienummer_used_before(modus: Mode) -> None:
    assert gedeclareerd(modus).fouten(declaratie(), "TR314") == [
        ("TR314", "8021", [f"{PRESTATIE_LOC}[1]/ProductReferentie/ReferentieNummer"]),
        ("TR314", "8021", [f"{PRESTATIE_LOC}[2]/ProductReferentie/ReferentieNummer"]),
    ]


def test_tr314_new_referentienummers_pass() -> None:
    assert gedeclareerd().fouten(nieuwe_declaratie(), "TR314") == []


def test_tr314_twice_in_one_declaratie() -> None:
    # The second line is a credit, so the two differ in their TR101 key (ReferentieNummer, VorigReferentieNummer)
    # and only the cross-message uniqueness of the ReferentieNummer is at stake.
    dubbel = crediteer(hernummer(voorbeeld("WMO323"), "R-0001", "R-0001"), 2, "R-0000")
    findings = [f for f in toegewezen().oordeel(dubbel) if f.code == "TR314"]
    assert [(f.code, f.retourcode, list(f.locatie)) for f in findings] == [
        ("TR314", "8021", [f"{PRESTATIE_LOC}[2]/ProductReferentie/ReferentieNummer"])]
    assert "al eerder in deze declaratie" in findings[0].melding


def test_tr314_is_per_aanbieder() -> None:
    ander = declaratie().set("Header/Afzender", ANDERE_AANBIEDER)
    assert gedeclareerd(Mode.LENIENT).fouten(ander, "TR314") == []


def test_tr314_a_rejected_prestatie_keeps_its_number() -> None:
    # The number stays used "over alle (sub)versies": a new debet after a 325 rejection gets a new number.
    keten = gedeclareerd().accepteer(voorbeeld("WMO325"))
    opnieuw = hernummer(alleen_prestatie(declaratie(), 2), "P2026-04-0002")
    assert [c for c, _, _ in keten.fouten(opnieuw, "TR314")] == ["TR314"]


# -- TR333: DeclaratieNummer unique per aanbieder (9333) --------------------------------------------------------

def test_tr333_declaratienummer_used_before(modus: Mode) -> None:
    dubbel = nieuwe_declaratie().set("Declaratie/DeclaratieNummer", "D2026040001")
    assert gedeclareerd(modus).fouten(dubbel, "TR333") == [("TR333", "9333", ["/Bericht/Declaratie/DeclaratieNummer"])]


def test_tr333_new_declaratienummer_passes() -> None:
    assert gedeclareerd().fouten(nieuwe_declaratie(), "TR333") == []


def test_tr333_is_per_aanbieder() -> None:
    ander = voorbeeld("WMO323").set("Header/Afzender", ANDERE_AANBIEDER)
    assert gedeclareerd(Mode.LENIENT).fouten(ander, "TR333") == []


def test_tr333_a_rejected_declaratie_does_not_use_up_its_number() -> None:
    keten = toegewezen()
    afgekeurd = voorbeeld("WMO323").set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    assert keten.codes(afgekeurd) == {"TR338"}  # not filed: the gateway rejects it
    assert keten.fouten(voorbeeld("WMO323"), "TR333") == []


# -- TR321: volume per prestatie within the allocated volume (9321) -------------------------------------------

def test_tr321_per_week_counts_calendar_weeks(modus: Mode) -> None:
    # 2026-04-02 .. 2026-04-30 touches weeks 14..18: 5 × 3 uur = 15 uur.
    keten = toegewezen(modus)
    assert keten.fouten(volume(voorbeeld("WMO323"), 1, 15), "TR321") == []
    assert keten.fouten(volume(voorbeeld("WMO323"), 1, 16), "TR321") == [("TR321", "9321", [VOLUME_1])]


def test_tr321_minutes_against_hours() -> None:
    keten = toegewezen()
    assert keten.fouten(volume(voorbeeld("WMO323"), 1, 900, "01"), "TR321") == []
    findings = keten.oordeel(volume(voorbeeld("WMO323"), 1, 901, "01"))
    assert [(f.code, list(f.locatie)) for f in findings] == [("TR321", [VOLUME_1])]
    assert "(15.0167 > 15)" in findings[0].melding


def test_tr321_per_maand() -> None:
    keten = toegewezen()
    assert keten.fouten(volume(voorbeeld("WMO323"), 2, 12), "TR321") == []
    assert keten.fouten(volume(voorbeeld("WMO323"), 2, 13), "TR321") == [("TR321", "9321", [VOLUME_2])]


def test_tr321_huishoudelijke_hulp_per_week_allows_six_weeks() -> None:
    # IV077: Productcategorie 01 with a weekly volume may declare up to 6× that volume per prestatie, although
    # 2026-04-06 .. 2026-04-30 has only 4 calendar weeks.
    hh = voorbeeld("WMO301")
    hh.set(f"{TP}[2]/Omvang/Volume", "2").set(f"{TP}[2]/Omvang/Frequentie", "2")
    hh.append(f"{TP}[2]", "Einddatum", "2026-12-31", after="Ingangsdatum")
    keten = Keten().accepteer(hh)
    assert keten.fouten(volume(voorbeeld("WMO323"), 2, 12), "TR321") == []
    assert keten.fouten(volume(voorbeeld("WMO323"), 2, 13), "TR321") == [("TR321", "9321", [VOLUME_2])]


def test_tr321_outputgericht_broken_last_week() -> None:
    # IV077 outputgericht: toewijzing ends Wednesday 2026-06-03; May 2026 holds 5 Sundays plus the
    # toewijzing's last Sunday (05-31), so 6 × 3 = 18 (the calendar-week count would give 5 × 3 = 15).
    keten = Keten().accepteer(toewijzing(Einddatum="2026-06-03"))
    mei = alleen_prestatie(declaratie(dagtekening="2026-06-05"), 1)
    mei.set("Declaratie/DeclaratiePeriode/Begindatum", "2026-05-01").set(
        "Declaratie/DeclaratiePeriode/Einddatum", "2026-05-31")
    mei.set(f"{PRESTATIE}/ProductPeriode/Begindatum", "2026-05-01").set(
        f"{PRESTATIE}/ProductPeriode/Einddatum", "2026-05-31")
    assert keten.fouten(volume(mei, 1, 18), "TR321") == []
    assert keten.fouten(volume(mei, 1, 19), "TR321") == [("TR321", "9321", [f"{PRESTATIE_LOC}/GeleverdVolume"])]


def test_tr321_counts_only_weeks_within_the_toewijzing() -> None:
    # Toewijzing from Monday 2026-04-20: of the prestatie's 04-02..04-30 only weeks 17 and 18 count ("binnen
    # de toewijzing"), so 2 × 3 = 6, not 5 × 3. (The early Begindatum itself is TR307's finding.)
    keten = Keten(Mode.LENIENT).accepteer(toewijzing(Ingangsdatum="2026-04-20"))
    assert keten.fouten(volume(voorbeeld("WMO323"), 1, 6), "TR321") == []
    assert keten.fouten(volume(voorbeeld("WMO323"), 1, 7), "TR321") == [("TR321", "9321", [VOLUME_1])]
    assert "TR307" in keten.codes(volume(voorbeeld("WMO323"), 1, 6))


def test_tr321_skips_credits() -> None:
    # The gemeente has since cut 260451 to 2 uur per week (10 in April); crediting the approved 12 must still work.
    minder = toewijzing(**{"Omvang/Volume": "2", "Toewijzingsdatum": "2026-05-10"})
    minder.set("Header/BerichtIdentificatie/Identificatie", "TW2026-0510").set(
        "Header/BerichtIdentificatie/Dagtekening", "2026-05-10")
    keten = gedeclareerd().accepteer(minder)
    assert keten.fouten(volume(alleen_prestatie(nieuwe_declaratie("R-0001"), 1), 1, 12), "TR321") == [
        ("TR321", "9321", [f"{PRESTATIE_LOC}/GeleverdVolume"])]
    assert keten.oordeel(credit_van("P2026-04-0001")) == []


# -- TR322: all prestaties together within the toewijzing's total (9322) ----------------------------------------

def _kort() -> Msg:
    return toewijzing(Einddatum="2026-05-31", **{"Omvang/Volume": "15", "Omvang/Frequentie": "6"})


def kort(modus: Mode = Mode.STRICT) -> Keten:
    """260451 for April and May, 15 uur in total (Frequentie 6); the example declaratie used 12 in April."""
    return Keten(modus).accepteer(_kort(), voorbeeld("WMO323"))


def mei(uren: int) -> Msg:
    """A declaratie over May 2026 with one prestatie on 260451 (a second April one would be TR389's finding)."""
    m = alleen_prestatie(hernummer(declaratie(dagtekening="2026-06-05"), "R-0001"), 1)
    m.set("Declaratie/DeclaratiePeriode/Begindatum", "2026-05-01").set(
        "Declaratie/DeclaratiePeriode/Einddatum", "2026-05-31")
    m.set(f"{PRESTATIE}/ProductPeriode/Begindatum", "2026-05-01").set(
        f"{PRESTATIE}/ProductPeriode/Einddatum", "2026-05-31")
    return volume(m, 1, uren)


def test_tr322_up_to_the_total_passes() -> None:
    assert kort().oordeel(mei(3)) == []


def test_tr322_over_the_total(modus: Mode) -> None:
    findings = kort(modus).oordeel(mei(4))
    assert [(f.code, f.retourcode, list(f.locatie)) for f in findings] == [
        ("TR322", "9322", [f"{PRESTATIE_LOC}/GeleverdVolume"])]
    assert "(16 > 15)" in findings[0].melding


def test_tr322_a_credit_frees_the_volume() -> None:
    correctie = hernummer(declaratie(), "R-0001", "R-0002")
    correctie.set(f"{PRESTATIE}[2]/ToewijzingNummer", "260451").set(f"{PRESTATIE}[2]/ProductCategorie", "02")
    correctie.set(f"{PRESTATIE}[2]/ProductCode", "02A05").set(f"{PRESTATIE}[2]/ProductTarief", "6150")
    volume(correctie, 2, 15)
    crediteer(correctie, 1, "P2026-04-0001")  # 12 back, 15 new: 12 - 12 + 15 = 15
    assert kort().oordeel(correctie) == []


def test_tr322_a_rejected_prestatie_does_not_count() -> None:
    keten = kort().accepteer(afwijzing("P2026-04-0001", toewijzing="260451"))
    opnieuw = volume(alleen_prestatie(nieuwe_declaratie("R-0001"), 1), 1, 15)
    assert keten.oordeel(opnieuw) == []
    assert kort().fouten(opnieuw, "TR322") == [("TR322", "9322", [f"{PRESTATIE_LOC}/GeleverdVolume"])]


def test_tr322_open_ended_toewijzing_has_no_total() -> None:
    # 260452 (no Einddatum, per maand): month after month of the full 12 uur is fine.
    keten = gedeclareerd()
    assert keten.fouten(volume(alleen_prestatie(nieuwe_declaratie("x", "R-0002"), 2), 1, 12), "TR322") == []


# -- TR323: a credit refers to an earlier approved debet (8017) ------------------------------------------------

def credit_van(vorig: str) -> Msg:
    return crediteer(alleen_prestatie(nieuwe_declaratie("R-0001"), 1), 1, vorig)


VORIG = [f"{PRESTATIE_LOC}/ProductReferentie/VorigReferentieNummer"]


def test_tr323_credit_of_an_approved_debet_passes() -> None:
    assert gedeclareerd().oordeel(credit_van("P2026-04-0001")) == []


def test_tr323_credit_of_an_unknown_prestatie(modus: Mode) -> None:
    assert gedeclareerd(modus).fouten(credit_van("P2026-04-0099"), "TR323") == [("TR323", "8017", VORIG)]


def test_tr323_credit_of_a_rejected_debet() -> None:
    keten = gedeclareerd().accepteer(voorbeeld("WMO325"))  # rejects P2026-04-0002
    credit = crediteer(alleen_prestatie(nieuwe_declaratie("x", "R-0002"), 2), 1, "P2026-04-0002")
    assert keten.fouten(credit, "TR323") == [("TR323", "8017", VORIG)]


def test_tr323_credit_of_a_credit() -> None:
    keten = gedeclareerd().accepteer(credit_van("P2026-04-0001"))
    tweede = crediteer(alleen_prestatie(nieuwe_declaratie("R-0002"), 1), 1, "R-0001")
    assert keten.fouten(tweede, "TR323") == [("TR323", "8017", VORIG)]


def test_tr323_credit_to_another_gemeente() -> None:
    bij_ander = credit_van("P2026-04-0001").set("Header/Ontvanger", ANDERE_GEMEENTE)
    assert gedeclareerd(Mode.LENIENT).fouten(bij_ander, "TR323") == [("TR323", "8017", VORIG)]


def test_tr323_strict_and_lenient_without_earlier_declaraties() -> None:
    assert toegewezen(Mode.STRICT).fouten(credit_van("P2026-04-0001"), "TR323") == [("TR323", "8017", VORIG)]
    assert toegewezen(Mode.LENIENT).fouten(credit_van("P2026-04-0001"), "TR323") == []


def test_tr323_debet_lines_are_not_checked() -> None:
    assert Keten(Mode.STRICT).fouten(voorbeeld("WMO323"), "TR323") == []
