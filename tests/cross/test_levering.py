"""Start (WMO305) and stop (WMO307) against the toewijzing and earlier starts and stops.

TR019 TR063 TR071 TR074 TR326 TR382(9069) TR413 TR414 TR415. The history is the example conversation:
toewijzing 260451 (02A05, from 2026-04-01) and 260452 (01B02); started 2026-04-02 and 2026-04-06; 260451
stopped definitively (reden 19) on 2026-09-30.
"""

from __future__ import annotations

from gateway.settings import Mode
from gateway.validation.validator import validate
from tests.cross.keten import (
    ANDERE_BSN,
    START,
    START_LOC,
    STOP,
    STOP_LOC,
    Keten,
    data,
    gestart,
    gestopt,
    nieuw,
    start,
    stop,
    toegewezen,
    voeg_regel_toe,
    voorbeeld,
)


def _loc(prefix: str, *velden: str) -> list[str]:
    return [f"{prefix}/{v}" for v in velden]


# -- TR019: a start or stop belongs to a toewijzing (9019) ---------------------------------------------------

def test_tr019_start_on_a_known_toewijzing_passes() -> None:
    assert toegewezen().fouten(voorbeeld("WMO305"), "TR019") == []


def test_tr019_unknown_toewijzingnummer() -> None:
    onbekend = voorbeeld("WMO305").set(f"{START}[2]/ToewijzingNummer", "260999")
    assert toegewezen().fouten(onbekend, "TR019") == [
        ("TR019", "9019", [f"{START_LOC}[2]/ToewijzingNummer"])]


def test_tr019_stop_on_an_unknown_toewijzing() -> None:
    onbekend = voorbeeld("WMO307").set(f"{STOP}/ToewijzingNummer", "260999")
    assert gestart().fouten(onbekend, "TR019") == [("TR019", "9019", [f"{STOP_LOC}/ToewijzingNummer"])]


def test_tr019_toewijzing_of_another_client() -> None:
    # The ToewijzingNummer exists, but the gemeente allocated it to another client.
    ander = voorbeeld("WMO305").set("Client/Bsn", ANDERE_BSN)
    findings = toegewezen(Mode.LENIENT).oordeel(ander)
    assert [(f.code, f.retourcode) for f in findings] == [("TR019", "9019")] * 2
    assert all("andere cliënt" in f.melding and ANDERE_BSN not in f.melding for f in findings)


def test_tr019_toewijzing_of_another_gemeente() -> None:
    # 260451 of gemeente 0599 says nothing about a start reported to gemeente 0600.
    andere = voorbeeld("WMO305").set("Header/Ontvanger", "0600")
    assert toegewezen().codes(andere) >= {"TR019"}


def test_tr019_strict_without_any_toewijzing() -> None:
    assert Keten(Mode.STRICT).fouten(voorbeeld("WMO305"), "TR019") == [
        ("TR019", "9019", [f"{START_LOC}[1]/ToewijzingNummer"]),
        ("TR019", "9019", [f"{START_LOC}[2]/ToewijzingNummer"]),
    ]


def test_tr019_lenient_only_when_the_client_is_known() -> None:
    assert Keten(Mode.LENIENT).fouten(voorbeeld("WMO305"), "TR019") == []  # from before the gateway
    onbekend = voorbeeld("WMO305").set(f"{START}[2]/ToewijzingNummer", "260999")
    assert toegewezen(Mode.LENIENT).fouten(onbekend, "TR019") == [
        ("TR019", "9019", [f"{START_LOC}[2]/ToewijzingNummer"])]


def test_tr019_leaves_deletions_to_tr063() -> None:
    verwijder = start(1, status="3").set(f"{START}/ToewijzingNummer", "260999")
    assert toegewezen().fouten(verwijder, "TR019") == []
    assert toegewezen().fouten(verwijder, "TR063") == [("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]


# -- TR063: status 3 deletes an earlier delivery with the same logical key (9063) ------------------------------

def test_tr063_deleting_the_earlier_start_passes() -> None:
    assert gestart().fouten(start(1, status="3"), "TR063") == []


def test_tr063_deleting_a_start_that_was_never_sent() -> None:
    verkeerd = start(1, status="3", begindatum="2026-04-03")  # Begindatum is part of the key
    assert gestart().fouten(verkeerd, "TR063") == [("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]


def test_tr063_product_is_part_of_the_key() -> None:
    verkeerd = start(1, status="3").set(f"{START}/Product/Code", "02A06")
    assert gestart().fouten(verkeerd, "TR063") == [("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]


def test_tr063_a_deleted_start_cannot_be_deleted_again() -> None:
    keten = gestart().accepteer(start(1, status="3"))
    assert keten.fouten(start(1, status="3"), "TR063") == [("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]


def test_tr063_stop_key_includes_reden_and_einddatum() -> None:
    keten = gestopt()
    assert keten.fouten(stop(status="3"), "TR063") == []
    for anders in (stop(status="3", einddatum="2026-09-29"), stop(status="3", reden="20")):
        assert keten.fouten(anders, "TR063") == [("TR063", "9063", [f"{STOP_LOC}/StatusAanlevering"])]


def test_tr063_strict_and_lenient_without_history() -> None:
    assert Keten(Mode.STRICT).fouten(start(1, status="3"), "TR063") == [
        ("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]
    assert Keten(Mode.LENIENT).fouten(start(1, status="3"), "TR063") == []
    # lenient, but the toewijzing is known here: the start should have been seen too
    assert toegewezen(Mode.LENIENT).fouten(start(1, status="3"), "TR063") == [
        ("TR063", "9063", [f"{START_LOC}/StatusAanlevering"])]


# -- TR071: a start with a stop cannot be deleted (9071) -----------------------------------------------------------

def test_tr071_deleting_a_stopped_start() -> None:
    assert gestopt().fouten(start(1, status="3"), "TR071") == [("TR071", "9071", [f"{START_LOC}/StatusAanlevering"])]


def test_tr071_deleting_a_start_without_stop_passes() -> None:
    assert gestopt().fouten(start(2, status="3"), "TR071") == []  # 260452 was never stopped
    assert gestart().fouten(start(1, status="3"), "TR071") == []


def test_tr071_after_the_stop_was_deleted_the_start_may_go() -> None:
    keten = gestopt().accepteer(stop(status="3"))
    assert keten.fouten(start(1, status="3"), "TR071") == []


def test_tr071_a_temporary_stop_counts_too(modus: Mode) -> None:
    keten = gestart(modus).accepteer(stop(reden="20"))
    assert keten.fouten(start(1, status="3"), "TR071") == [("TR071", "9071", [f"{START_LOC}/StatusAanlevering"])]


# -- TR074: status 1 means a new key, in the message and against earlier messages (9074) -------------------------

def test_tr074_the_same_start_again(modus: Mode) -> None:
    assert gestart(modus).fouten(start(2), "TR074") == [
        ("TR074", "9074", _loc(START_LOC, "ToewijzingNummer", "Begindatum"))]


def test_tr074_a_non_key_correction_needs_a_deletion_first() -> None:
    # ToewijzingIngangsdatum is not part of the key: without a deletion this is the same delivery twice.
    gecorrigeerd = start(2).set(f"{START}/ToewijzingIngangsdatum", "2026-04-02")
    assert gestart().fouten(gecorrigeerd, "TR074") == [
        ("TR074", "9074", _loc(START_LOC, "ToewijzingNummer", "Begindatum"))]
    # IV008: delete in one message, send the corrected start in the next.
    keten = gestart().accepteer(start(2, status="3"))
    assert keten.fouten(gecorrigeerd, "TR074") == []


def test_tr074_delete_and_resend_of_one_key_in_one_message_is_already_a_tr101() -> None:
    # IV008 point 2: within one message this is the same berichtklasse twice. StatusAanlevering is not part of
    # the StartProduct's logical key, so the in-message TR101 refuses it before any cross-message rule runs.
    bericht = start(2, status="3", dagtekening="2026-04-08")
    voeg_regel_toe(bericht, START, StatusAanlevering="1", ToewijzingIngangsdatum="2026-04-02")
    uitslag = validate(data(bericht))
    assert [(f.code, list(f.locatie)) for f in uitslag.errors] == [
        ("TR101", [f"{START_LOC}[1]", f"{START_LOC}[2]"])]


def test_tr074_a_new_key_passes() -> None:
    assert gestopt().fouten(start(1, begindatum="2026-10-12", dagtekening="2026-10-13"), "TR074") == []


def test_tr074_the_same_stop_again(modus: Mode) -> None:
    assert gestopt(modus).fouten(stop(), "TR074") == [
        ("TR074", "9074", _loc(STOP_LOC, "ToewijzingNummer", "Begindatum"))]


# -- TR326: no new start while an actual start exists (9326) -------------------------------------------------------

def test_tr326_second_start_while_the_first_runs(modus: Mode) -> None:
    assert gestart(modus).fouten(start(1, begindatum="2026-05-01", dagtekening="2026-05-02"), "TR326") == [
        ("TR326", "9326", _loc(START_LOC, "ToewijzingNummer", "Begindatum"))]


def test_tr326_restart_after_a_definitive_stop() -> None:
    assert gestopt().fouten(start(1, begindatum="2026-10-12", dagtekening="2026-10-13"), "TR326") == []


def test_tr326_restart_after_a_temporary_stop() -> None:
    # OP289/OP379: after a (tijdelijke) stop a new start is allowed.
    keten = gestart().accepteer(stop(reden="20", einddatum="2026-06-30", dagtekening="2026-07-02"))
    assert keten.fouten(start(1, begindatum="2026-08-03", dagtekening="2026-08-04"), "TR326") == []


def test_tr326_after_the_stop_is_deleted_the_start_is_actual_again() -> None:
    keten = gestopt().accepteer(stop(status="3"))
    assert keten.fouten(start(1, begindatum="2026-10-12", dagtekening="2026-10-13"), "TR326") == [
        ("TR326", "9326", _loc(START_LOC, "ToewijzingNummer", "Begindatum"))]


def test_tr326_correcting_the_begindatum_in_one_message() -> None:
    # IV008 point 1: Begindatum is part of the key, so delete and re-send may share a message.
    correctie = start(1, status="3", dagtekening="2026-04-08")
    voeg_regel_toe(correctie, START, StatusAanlevering="1", Begindatum="2026-04-03")
    assert gestart().oordeel(correctie) == []


def test_tr326_two_new_starts_for_one_toewijzing_in_one_message() -> None:
    twee = start(1, dagtekening="2026-04-10")
    voeg_regel_toe(twee, START, Begindatum="2026-04-09")
    assert toegewezen().fouten(twee, "TR326") == [
        ("TR326", "9326", _loc(f"{START_LOC}[2]", "ToewijzingNummer", "Begindatum"))]


def test_tr326_is_per_toegewezen_product() -> None:
    keten = toegewezen().accepteer(start(1))
    assert keten.fouten(start(2), "TR326") == []


# -- TR382 (9069): a stop repeats the start's key elements ---------------------------------------------------------

def test_tr382_stop_matching_the_start_passes() -> None:
    assert gestart().fouten(voorbeeld("WMO307"), "TR382") == []


def test_tr382_stop_with_another_begindatum() -> None:
    assert gestart(Mode.LENIENT).fouten(stop(begindatum="2026-04-01"), "TR382") == [
        ("TR382", "9069", _loc(STOP_LOC, "ToewijzingNummer", "Product", "Begindatum"))]


def test_tr382_stop_with_another_product() -> None:
    anders = stop().set(f"{STOP}/Product/Code", "02A06")
    assert gestart().fouten(anders, "TR382") == [
        ("TR382", "9069", _loc(STOP_LOC, "ToewijzingNummer", "Product", "Begindatum"))]


def test_tr382_stop_of_a_deleted_start() -> None:
    keten = gestart().accepteer(start(1, status="3", dagtekening="2026-04-08"))
    assert keten.fouten(stop(), "TR382") == [
        ("TR382", "9069", _loc(STOP_LOC, "ToewijzingNummer", "Product", "Begindatum"))]


def test_tr382_strict_and_lenient_without_a_known_start() -> None:
    assert toegewezen(Mode.STRICT).fouten(stop(), "TR382") == [
        ("TR382", "9069", _loc(STOP_LOC, "ToewijzingNummer", "Product", "Begindatum"))]
    assert toegewezen(Mode.LENIENT).fouten(stop(), "TR382") == []


def test_tr382_deleting_a_stop_is_not_checked() -> None:
    assert gestopt().fouten(stop(status="3"), "TR382") == []


# -- TR413 TR414 TR415: one start, several stops -------------------------------------------------------------------

TIJDELIJK = {"reden": "20", "einddatum": "2026-06-30", "dagtekening": "2026-07-02"}


def test_tr413_second_temporary_stop(modus: Mode) -> None:
    keten = gestart(modus).accepteer(stop(**TIJDELIJK))
    tweede = stop(reden="20", einddatum="2026-07-31", dagtekening="2026-08-03")
    assert keten.fouten(tweede, "TR413") == [("TR413", "9413", [f"{STOP_LOC}/RedenBeeindiging"])]


def test_tr413_temporary_then_definitive_passes() -> None:
    keten = gestart().accepteer(stop(**TIJDELIJK))
    assert keten.oordeel(stop(reden="19", einddatum="2026-07-31", dagtekening="2026-08-03")) == []


def test_tr413_after_a_restart_a_new_temporary_stop_passes() -> None:
    keten = gestart().accepteer(stop(**TIJDELIJK), start(1, begindatum="2026-08-03", dagtekening="2026-08-04"))
    nieuw_tijdelijk = stop(reden="20", begindatum="2026-08-03", einddatum="2026-08-31", dagtekening="2026-09-01")
    assert keten.oordeel(nieuw_tijdelijk) == []


def test_tr413_after_deleting_the_temporary_stop() -> None:
    keten = gestart().accepteer(stop(**TIJDELIJK)).accepteer(stop(**{**TIJDELIJK, "dagtekening": "2026-07-03"},
                                                                  status="3"))
    assert keten.fouten(stop(reden="20", einddatum="2026-07-31", dagtekening="2026-08-03"), "TR413") == []


def test_tr414_later_stop_may_not_move_the_einddatum_back(modus: Mode) -> None:
    keten = gestart(modus).accepteer(stop(**TIJDELIJK))
    assert keten.fouten(stop(reden="19", einddatum="2026-06-29", dagtekening="2026-08-03"), "TR414") == [
        ("TR414", "9414", [f"{STOP_LOC}/Einddatum"])]


def test_tr414_the_same_einddatum_is_allowed() -> None:
    # Migratiehandreiking 3.2: a definitive stop straight after a temporary one may keep its Einddatum.
    keten = gestart().accepteer(stop(**TIJDELIJK))
    assert keten.oordeel(stop(reden="19", einddatum="2026-06-30", dagtekening="2026-08-03")) == []


def test_tr414_correction_in_one_message() -> None:
    # IV008: delete the stop and send it again with an earlier Einddatum, in one message.
    keten = gestopt()
    correctie = stop(status="3", dagtekening="2026-10-06")
    voeg_regel_toe(correctie, STOP, StatusAanlevering="1", Einddatum="2026-09-15")
    assert keten.oordeel(correctie) == []


def test_tr415_no_stop_after_a_definitive_stop(modus: Mode) -> None:
    nog_een = stop(reden="19", einddatum="2026-10-31", dagtekening="2026-11-02")
    assert gestopt(modus).fouten(nog_een, "TR415") == [("TR415", "9415", [f"{STOP_LOC}/RedenBeeindiging"])]


def test_tr415_also_not_a_temporary_one() -> None:
    tijdelijk = stop(reden="20", einddatum="2026-10-31", dagtekening="2026-11-02")
    assert gestopt().fouten(tijdelijk, "TR415") == [("TR415", "9415", [f"{STOP_LOC}/RedenBeeindiging"])]


def test_tr415_after_deleting_the_definitive_stop() -> None:
    keten = gestopt().accepteer(stop(status="3", dagtekening="2026-10-06"))
    assert keten.oordeel(stop(reden="19", einddatum="2026-10-31", dagtekening="2026-11-02")) == []


def test_tr415_correcting_the_reden_in_one_message() -> None:
    correctie = stop(status="3", dagtekening="2026-10-06")
    voeg_regel_toe(correctie, STOP, StatusAanlevering="1", RedenBeeindiging="02")
    assert gestopt().oordeel(correctie) == []


def test_stop_rules_are_per_client() -> None:
    # The same ToewijzingNummer and Begindatum for another client is another delivery (and TR019's case).
    ander = stop(reden="19", einddatum="2026-10-31", dagtekening="2026-11-02").set("Client/Bsn", ANDERE_BSN)
    assert gestopt().codes(ander) & {"TR413", "TR414", "TR415"} == set()


def test_the_whole_example_conversation_passes_in_both_modes(modus: Mode) -> None:
    keten = Keten(modus)
    for naam in ("WMO315", "WMO301", "WMO319", "WMO305", "WMO307", "WMO323", "WMO325"):
        assert keten.oordeel(voorbeeld(naam)) == [], naam
        keten.history.add(voorbeeld(naam).bytes())
    assert keten.fouten(nieuw("WMO305"), "TR074") != []  # and it remembers
