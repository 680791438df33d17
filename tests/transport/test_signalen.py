"""The per-partner signals of gateway/transport/signalen.py: queue age, unanswered heenberichten with their
deadlines (due within a working day, overdue — in agreement with the watchdog), dead letters and rejections."""

from __future__ import annotations

import datetime as dt

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select

from gateway.ingest.ontvang import receive
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Aflevering, Bericht
from gateway.transport import signalen
from gateway.transport.outbox import AfleveringStatus, plan
from gateway.transport.routing import Route
from gateway.transport.watchdog import achterstallig
from gateway.transport.werkdagen import werkdagen_na
from tests.admin.omgeving import toewijzing_met_fout
from tests.transport.helpers import AANBIEDER, GEMEENTE, opgeslagen

D = dt.date
UTC = dt.UTC


def test_the_last_sending_day_under_a_deadline_agrees_with_counting_working_days() -> None:
    # Every day of spring and Christmas 2026 (Easter, Koningsdag, 5 May, Hemelvaart, Pinksteren, Christmas).
    dagen = [D(2026, 3, 20) + dt.timedelta(days=i) for i in range(90)]
    dagen += [D(2026, 12, 15) + dt.timedelta(days=i) for i in range(25)]
    for werkdagen in (3, 10):
        for peil in dagen:
            grens = signalen.laatste_verzenddag(werkdagen, peil)
            for verzonden in (peil - dt.timedelta(days=i) for i in range(1, 30)):
                assert (verzonden <= grens) == (werkdagen_na(verzonden, werkdagen) < peil), (werkdagen, peil, verzonden)


def test_a_deadline_counts_in_amsterdam_days() -> None:
    # Thursday 2 April 2026 is the last sending day of a 302 due before Thursday 9 April (Easter Monday skipped):
    # its end is midnight in Amsterdam, 22:00 UTC in summer time.
    assert signalen.grens(3, D(2026, 4, 9)) == dt.datetime(2026, 4, 2, 22, 0, tzinfo=UTC)


def _verzonden(sessions, naam: str, identificatie: str, op: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    bericht_id = opgeslagen(sessions, naam, identificatie)
    with sessions() as session, session.begin():
        plan(session, session.get(Bericht, bericht_id), Route(("*",), "memory", "x"), actor="t", nu=op)
    return bericht_id


def _afgeleverd(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session, session.begin():
        for a in session.scalars(select(Aflevering)):
            a.status = AfleveringStatus.DELIVERED
            transition(session, session.get(Bericht, a.bericht_id), Status.DELIVERED, actor="t")


def _om(dag: dt.date, uur: int = 12) -> dt.datetime:
    return dt.datetime(dag.year, dag.month, dag.day, uur, 0, tzinfo=UTC)


def test_a_sent_301_is_due_tomorrow_then_today_then_overdue_as_the_watchdog_says(sessions) -> None:  # type: ignore[no-untyped-def]
    # Sent Friday 24 April 2026, 10:00 in Amsterdam: the 302 is due Thursday 30 April (Koningsdag skipped).
    _verzonden(sessions, "WMO301", "SG0001", dt.datetime(2026, 4, 24, 8, 0, tzinfo=UTC))
    _afgeleverd(sessions)
    sleutel = (AANBIEDER, "WMO301")
    verwacht = {D(2026, 4, 28): (0, 0), D(2026, 4, 29): (1, 0), D(2026, 4, 30): (1, 0), D(2026, 5, 1): (0, 1)}
    with sessions() as session:
        for dag, (binnenkort, te_laat) in verwacht.items():
            w = signalen.meet(session, _om(dag)).onbeantwoord[sleutel]
            assert (w.binnenkort, w.te_laat) == (binnenkort, te_laat), dag
            assert w.te_laat == len(achterstallig(session, vandaag=dag))
        assert signalen.meet(session, _om(D(2026, 4, 24), 9)).onbeantwoord[sleutel].oudste_s == 3600
        # Overdue counts from Amsterdam's day: 1 May 00:30 there is still 30 April in UTC.
        vroeg = dt.datetime(2026, 4, 30, 22, 30, tzinfo=UTC)
        assert signalen.meet(session, vroeg).onbeantwoord[sleutel].te_laat == 1
        assert [s.soort for s in signalen.signalen(signalen.meet(session, _om(D(2026, 5, 1))))] == ["te_laat"]


def test_a_323_waits_ten_working_days(sessions) -> None:  # type: ignore[no-untyped-def]
    _verzonden(sessions, "WMO323", "SG0323", dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC))  # due Tue 19 May
    sleutel = (GEMEENTE, "WMO323")
    with sessions() as session:
        w = signalen.meet(session, _om(D(2026, 5, 18))).onbeantwoord[sleutel]
        assert (w.binnenkort, w.te_laat) == (1, 0)
        w = signalen.meet(session, _om(D(2026, 5, 20))).onbeantwoord[sleutel]
        assert (w.binnenkort, w.te_laat) == (0, 1)
        assert len(achterstallig(session, vandaag=D(2026, 5, 20))) == 1


def test_the_queue_age_is_that_of_the_oldest_delivery_still_waiting(sessions) -> None:  # type: ignore[no-untyped-def]
    begin = dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    _verzonden(sessions, "WMO301", "SG0002", begin)
    _verzonden(sessions, "WMO301", "SG0003", begin + dt.timedelta(minutes=20))
    with sessions() as session:
        m = signalen.meet(session, begin + dt.timedelta(minutes=29))
        assert m.wachtrij_oudste_s == {(AANBIEDER, "WMO301"): 29 * 60}
        assert signalen.signalen(m) == []
        m = signalen.meet(session, begin + dt.timedelta(minutes=31))
        assert [(s.soort, s.partner, s.bericht) for s in signalen.signalen(m)] == [("wachtrij", AANBIEDER, "WMO301")]
    _afgeleverd(sessions)
    with sessions() as session:
        assert signalen.meet(session, begin + dt.timedelta(hours=2)).wachtrij_oudste_s == {}


def test_dead_letters_are_counted_per_addressee(sessions) -> None:  # type: ignore[no-untyped-def]
    _verzonden(sessions, "WMO301", "SG0004", dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    with sessions() as session, session.begin():
        a = session.scalars(select(Aflevering)).one()
        a.status = AfleveringStatus.DEAD_LETTER
        transition(session, session.get(Bericht, a.bericht_id), Status.DEAD_LETTER, actor="t")
    with sessions() as session:
        m = signalen.meet(session)
        assert m.onafleverbaar == {(AANBIEDER, "WMO301"): 1}
        assert m.wachtrij_oudste_s == {} and m.onbeantwoord == {}  # a dead letter waits for a person, not an answer
        assert [s.soort for s in signalen.signalen(m)] == ["onafleverbaar"]


def test_rejections_of_the_last_hour_and_day_and_a_spike(sessions) -> None:  # type: ignore[no-untyped-def]
    for i in range(signalen.PIEK_MINIMUM):
        assert receive(sessions, toewijzing_met_fout(f"SGF{i}"), party=GEMEENTE).status == "rejected"
    nu = dt.datetime.now(UTC)
    with sessions() as session:
        m = signalen.meet(session, nu)
        assert m.afgekeurd_uur == m.afgekeurd_dag == {(GEMEENTE, "WMO301"): signalen.PIEK_MINIMUM}
        assert [(s.soort, s.partner) for s in signalen.signalen(m)] == [("afkeuringen", GEMEENTE)]
        later = signalen.meet(session, nu + dt.timedelta(hours=2))
        assert later.afgekeurd_uur == {(GEMEENTE, "WMO301"): 0} and signalen.signalen(later) == []
        assert signalen.meet(session, nu + dt.timedelta(days=2)).afgekeurd_dag == {}
    with sessions() as session, session.begin():  # one fewer than the minimum in the last hour is no spike
        eerder = session.scalars(select(Bericht).where(Bericht.identificatie == "SGF0")).one()
        eerder.created_at = nu - dt.timedelta(hours=2)
    with sessions() as session:
        assert signalen.signalen(signalen.meet(session, nu)) == []


def test_the_collector_exposes_each_gauge_per_partner_and_berichttype(sessions) -> None:  # type: ignore[no-untyped-def]
    begin = dt.datetime(2026, 4, 24, 8, 0, tzinfo=UTC)
    _verzonden(sessions, "WMO301", "SG0005", begin)
    registry = CollectorRegistry()
    registry.register(signalen.SignalenCollector(sessions, klok=lambda: dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)))
    tekst = generate_latest(registry).decode()
    assert 'iwmo_antwoorden_te_laat{bericht="WMO301",partner="12345678",regel="OP090"} 1.0' in tekst
    assert 'iwmo_antwoorden_binnenkort_verwacht{bericht="WMO301",partner="12345678",regel="OP090"} 0.0' in tekst
    leeftijd = (dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC) - begin).total_seconds()
    assert f'iwmo_wachtrij_oudste_seconden{{bericht="WMO301",partner="12345678"}} {leeftijd}' in tekst
    assert f'iwmo_onbeantwoord_oudste_seconden{{bericht="WMO301",partner="12345678"}} {leeftijd}' in tekst
