"""TR056 (Identificatie unique per berichtsoort per afzender) and TR135 (Dagtekening not in the future)."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.settings import Mode
from tests.cross.keten import (
    ANDERE_GEMEENTE,
    DAGTEKENING_LOC,
    IDENTIFICATIE_LOC,
    Keten,
    nieuw,
    toegewezen,
    voorbeeld,
)

TR056 = ("TR056", "9056", [IDENTIFICATIE_LOC])
TR135 = ("TR135", "8848", [DAGTEKENING_LOC])
ALLE = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]


@pytest.mark.parametrize("naam", ALLE)
def test_tr056_same_identificatie_twice_from_the_same_afzender(naam: str, modus: Mode) -> None:
    keten = Keten(Mode.LENIENT).accepteer(voorbeeld(naam))
    assert keten.fouten(voorbeeld(naam), "TR056", mode=modus) == [TR056]


@pytest.mark.parametrize("naam", ALLE)
def test_tr056_a_fresh_identificatie_passes(naam: str) -> None:
    keten = Keten(Mode.LENIENT).accepteer(voorbeeld(naam))
    assert keten.fouten(nieuw(naam), "TR056") == []


def test_tr056_is_per_berichtsoort() -> None:
    # A start may carry the Identificatie the toewijzing had: another berichtsoort (and another afzender).
    start = voorbeeld("WMO305").set("Header/BerichtIdentificatie/Identificatie", "TW2026-0311")
    assert toegewezen().fouten(start, "TR056") == []


def test_tr056_is_per_afzender() -> None:
    andere = voorbeeld("WMO301").set("Header/Afzender", ANDERE_GEMEENTE)
    assert toegewezen().fouten(andere, "TR056") == []


def test_tr056_does_not_compare_the_dagtekening() -> None:
    later = voorbeeld("WMO301").set("Header/BerichtIdentificatie/Dagtekening", "2026-03-12")
    assert toegewezen().fouten(later, "TR056") == [TR056]


@pytest.mark.parametrize("naam", ALLE)
def test_tr135_dagtekening_today_passes_tomorrow_fails(naam: str, modus: Mode) -> None:
    bericht = voorbeeld(naam)
    dagtekening = dt.date.fromisoformat(bericht.text("Header/BerichtIdentificatie/Dagtekening") or "")
    keten = Keten(modus)
    assert keten.fouten(bericht, "TR135", today=dagtekening) == []
    assert keten.fouten(bericht, "TR135", today=dagtekening - dt.timedelta(days=1)) == [TR135]


def test_tr135_uses_the_injected_date_not_the_clock() -> None:
    # A client born in 2026 would be over 120 on that day (TR002): move the birth along with the date.
    toekomst = nieuw("WMO301", dagtekening="2999-01-01").set("Client/Geboortedatum/Datum", "2990-01-01")
    keten = Keten(Mode.LENIENT)
    assert keten.fouten(toekomst, "TR135", today=dt.date(2999, 1, 1)) == []
    assert keten.fouten(toekomst, "TR135", today=dt.date(2998, 12, 31)) == [TR135]


def test_tr135_finding_names_the_rule_and_what_to_do() -> None:
    [finding] = Keten().oordeel(voorbeeld("WMO301"), today=dt.date(2026, 3, 10))
    assert finding.melding.startswith("TR135: ") and "Dagtekening" in finding.melding
    assert finding.regel is not None  # the line in the message, for the CLI and the API
