"""Dutch working days (weekends, Koningsdag, Easter Monday, Hemelvaart, Pinksteren, Christmas) and the
watchdog that lists sent heenberichten whose retourbericht (3 working days) or WMO325 (10) is overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from sqlalchemy import select

from gateway.ingest.ontvang import receive
from gateway.messages.retour import build_retourbericht
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Aflevering, Bericht
from gateway.transport.outbox import plan
from gateway.transport.routing import Route
from gateway.transport.watchdog import achterstallig, termijn
from gateway.transport.werkdagen import (
    feestdagen,
    is_werkdag,
    koningsdag,
    pasen,
    werkdagen_na,
    werkdagen_tussen,
)
from tests.transport.helpers import AANBIEDER, opgeslagen

D = dt.date


@pytest.mark.parametrize(("jaar", "paaszondag"), [(2024, D(2024, 3, 31)), (2025, D(2025, 4, 20)),
                                                   (2026, D(2026, 4, 5)), (2027, D(2027, 3, 28)),
                                                   (2038, D(2038, 4, 25)), (2285, D(2285, 3, 22))])
def test_easter_is_computed_for_any_year(jaar: int, paaszondag: dt.date) -> None:
    assert pasen(jaar) == paaszondag


def test_the_national_holidays_of_2026() -> None:
    assert sorted(feestdagen(2026)) == [D(2026, 1, 1), D(2026, 4, 6), D(2026, 4, 27), D(2026, 5, 5), D(2026, 5, 14),
                                        D(2026, 5, 25), D(2026, 12, 25), D(2026, 12, 26)]
    assert is_werkdag(D(2026, 4, 3))  # Goede Vrijdag is not a holiday for deadlines


def test_koningsdag_on_a_sunday_moves_to_the_saturday() -> None:
    assert koningsdag(2025) == D(2025, 4, 26)  # 27 April 2025 was a Sunday
    assert koningsdag(2026) == D(2026, 4, 27)
    assert koningsdag(2013) == D(2013, 4, 30)  # Koninginnedag


def test_a_retour_due_over_easter_monday_and_koningsdag_moves_out() -> None:
    # Sent Thursday 2 April 2026: Fri 3 (1), [Sat, Sun, Easter Monday 6 skipped], Tue 7 (2), Wed 8 (3).
    assert werkdagen_na(D(2026, 4, 2), 3) == D(2026, 4, 8)
    # Sent Friday 24 April 2026: [weekend], Koningsdag Mon 27 skipped: Tue 28, Wed 29, Thu 30.
    assert werkdagen_na(D(2026, 4, 24), 3) == D(2026, 4, 30)
    # Over Hemelvaart (Thu 14 May 2026): sent Wed 13 -> Fri 15, Mon 18, Tue 19.
    assert werkdagen_na(D(2026, 5, 13), 3) == D(2026, 5, 19)
    # Christmas and New Year: sent Wed 23 Dec 2026 -> Thu 24, Mon 28, Tue 29.
    assert werkdagen_na(D(2026, 12, 23), 3) == D(2026, 12, 29)
    # Ten from Friday 1 May 2026 skip 5 May and Hemelvaart: Mon 4, Wed 6 … Fri 15, Mon 18, Tue 19.
    assert werkdagen_na(D(2026, 5, 1), 10) == D(2026, 5, 19)


def test_working_days_between_dates() -> None:
    assert werkdagen_tussen(D(2026, 4, 2), D(2026, 4, 8)) == 3
    assert werkdagen_tussen(D(2026, 4, 8), D(2026, 4, 8)) == 0
    assert werkdagen_tussen(D(2026, 4, 24), D(2026, 4, 27)) == 0  # weekend and Koningsdag


def test_deadlines_per_message_type() -> None:
    assert termijn("WMO301") is not None and termijn("WMO301")[0] == "WMO302" and termijn("WMO301")[1].werkdagen == 3
    assert termijn("WMO323") is not None and termijn("WMO323")[0] == "WMO325" and termijn("WMO323")[1].werkdagen == 10
    assert termijn("WMO302") is None and termijn("WMO325") is None  # nobody answers these


def _verzonden(sessions, naam: str, identificatie: str, op: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    bericht_id = opgeslagen(sessions, naam, identificatie)
    with sessions() as session, session.begin():
        plan(session, session.get(Bericht, bericht_id), Route(("*",), "memory", "x"), actor="t", nu=op)
    return bericht_id


def test_watchdog_lists_a_301_from_the_fourth_working_day_and_stops_when_the_302_arrives(sessions) -> None:  # type: ignore[no-untyped-def]
    # Sent Friday 24 April 2026 at 10:00 in Amsterdam (08:00 UTC); due Thursday 30 April.
    bericht_id = _verzonden(sessions, "WMO301", "WD0001", dt.datetime(2026, 4, 24, 8, 0, tzinfo=dt.UTC))
    with sessions() as session:
        assert achterstallig(session, vandaag=D(2026, 4, 30)) == []
        [a] = achterstallig(session, vandaag=D(2026, 5, 1))
        assert (a.bericht_id, a.verwacht, a.regel, a.uiterlijk, a.werkdagen_te_laat) == (
            bericht_id, "WMO302", "OP090", D(2026, 4, 30), 1)
        assert achterstallig(session, vandaag=D(2026, 5, 1), partij=AANBIEDER) == []  # not the aanbieder's to chase
    # The aanbieder's 302 arrives through the transport.
    with sessions() as session:
        heen = session.get(Bericht, bericht_id)
        retour = build_retourbericht(etree.ElementTree(etree.fromstring(heen.raw)), [], dagtekening=D(2026, 4, 27))
    receive(sessions, retour, party=AANBIEDER)
    with sessions() as session:
        assert achterstallig(session, vandaag=D(2026, 5, 1)) == []


def test_a_323_waits_ten_working_days_for_its_325(sessions) -> None:  # type: ignore[no-untyped-def]
    bericht_id = _verzonden(sessions, "WMO323", "WD0323", dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC))
    with sessions() as session:
        assert achterstallig(session, vandaag=D(2026, 5, 19)) == []
        [a] = achterstallig(session, vandaag=D(2026, 5, 20))
        assert (a.bericht_id, a.verwacht, a.regel, a.uiterlijk) == (bericht_id, "WMO325", "OP090x4", D(2026, 5, 19))


def test_a_dead_lettered_message_is_not_waiting_for_an_answer(sessions) -> None:  # type: ignore[no-untyped-def]
    _verzonden(sessions, "WMO301", "WD0002", dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC))
    with sessions() as session, session.begin():
        a = session.scalars(select(Aflevering)).one()
        b = session.get(Bericht, a.bericht_id)
        transition(session, b, Status.DEAD_LETTER, actor="t")
    with sessions() as session:
        assert achterstallig(session, vandaag=D(2026, 6, 1)) == []
