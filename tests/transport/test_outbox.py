"""The durable outbox with the memory adapter and a clock the test moves: delivery, backoff with jitter,
the retry horizon, permanent refusals, leases after a crash, requeue/resend, and SKIP LOCKED on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import select

from gateway.store.lifecycle import IllegalTransition
from gateway.store.models import Aflevering, AuditEvent, Bericht
from gateway.transport.adapter import Resultaat, Zending
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import Beleid, Outbox, plan, requeue, resend
from gateway.transport.routing import Route
from tests.transport.helpers import AANBIEDER, GEMEENTE, Klok, opgeslagen

ROUTE = Route(("*",), "memory", "test")
BELEID = Beleid(horizon=dt.timedelta(days=5), basis=dt.timedelta(seconds=30), maximum=dt.timedelta(hours=1),
                lease=dt.timedelta(minutes=5))


def _in_wachtrij(sessions, klok: Klok, identificatie: str = "T0001") -> tuple[str, int]:  # type: ignore[no-untyped-def]
    bericht_id = opgeslagen(sessions, "WMO301", identificatie)
    with sessions() as session, session.begin():
        a = plan(session, session.get(Bericht, bericht_id), ROUTE, actor=GEMEENTE, nu=klok())
        return bericht_id, a.id


def _rij(sessions, aflevering_id: int) -> Aflevering:  # type: ignore[no-untyped-def]
    with sessions() as session:
        a = session.get(Aflevering, aflevering_id)
        _ = a.pogingen_log  # load before the session closes
        return a


def _status(sessions, bericht_id: str) -> str:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.get(Bericht, bericht_id).status


def _acties(sessions, bericht_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.bericht_id == bericht_id)
                                    .order_by(AuditEvent.seq)))


def test_delivery_row_is_committed_before_sending_and_the_message_is_queued(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    a = _rij(sessions, aflevering_id)
    assert (a.status, a.pogingen, a.functie, a.zender, a.ontvanger) == ("pending", 0, "WMO301", GEMEENTE, AANBIEDER)
    assert a.conversatie_id == a.envelop_id and a.antwoord_op is None  # a heenbericht starts a conversation
    assert _status(sessions, bericht_id) == "queued"
    assert "in_wachtrij" in _acties(sessions, bericht_id)


def test_delivered_envelope_carries_the_stored_bytes_and_marks_the_message_delivered(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    transport = MemoryTransport()
    assert Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport) == 1
    [zending] = transport.verzonden
    with sessions() as session:
        assert zending.payload == session.get(Bericht, bericht_id).raw
    assert (zending.zender, zending.ontvanger, zending.retour) == (GEMEENTE, AANBIEDER, False)
    a = _rij(sessions, aflevering_id)
    assert (a.status, a.pogingen, [p.resultaat for p in a.pogingen_log]) == ("delivered", 1, ["ok"])
    assert _status(sessions, bericht_id) == "delivered"
    assert Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport) == 0  # nothing sent twice


def test_transient_failures_are_retried_with_growing_jittered_backoff(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    antwoorden = [Resultaat.tijdelijk("verbinding geweigerd"), Resultaat.tijdelijk("503", http_status=503),
                  Resultaat.tijdelijk("502", http_status=502), Resultaat.geslaagd()]
    transport = MemoryTransport(lambda _: antwoorden.pop(0))
    outbox = Outbox(sessions, BELEID, klok=klok, rng=random.Random(7))
    wachttijden = []
    for poging in range(1, 4):
        assert outbox.werk(lambda _: transport) == 1
        a = _rij(sessions, aflevering_id)
        assert (a.status, a.pogingen) == ("failed", poging)
        wacht = (a.volgende_poging_at.replace(tzinfo=dt.UTC) - klok()).total_seconds()
        volle = 30 * 2 ** (poging - 1)
        assert volle / 2 <= wacht <= volle
        wachttijden.append(wacht)
        klok.verder(seconds=wacht - 1)
        assert outbox.werk(lambda _: transport) == 0  # not due yet
        klok.verder(seconds=1)
    assert outbox.werk(lambda _: transport) == 1
    assert _rij(sessions, aflevering_id).status == "delivered" and _status(sessions, bericht_id) == "delivered"
    assert len(transport.pogingen) == 4 and len({z.envelop_id for z in transport.pogingen}) == 1  # same envelope


def test_jitter_spreads_retries_of_failures_that_happened_together() -> None:
    rng = random.Random(1)
    waits = {BELEID.wachttijd(3, rng) for _ in range(50)}
    assert len(waits) > 40 and all(dt.timedelta(seconds=60) <= w <= dt.timedelta(seconds=120) for w in waits)
    assert BELEID.wachttijd(30, rng) <= BELEID.maximum  # capped


def test_transient_failures_past_the_horizon_go_to_the_dead_letter_with_the_reason(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    transport = MemoryTransport(lambda _: Resultaat.tijdelijk("hub onbereikbaar", http_status=503))
    outbox = Outbox(sessions, BELEID, klok=klok, rng=random.Random(3))
    for _ in range(500):
        outbox.werk(lambda _: transport)
        a = _rij(sessions, aflevering_id)
        if a.status == "dead_letter":
            break
        klok.nu = a.volgende_poging_at.replace(tzinfo=dt.UTC)
    assert a.status == "dead_letter"
    assert klok() - dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC) <= dt.timedelta(days=5)
    assert klok() - dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC) >= dt.timedelta(days=4)  # hourly cap reached
    assert "geen aflevering binnen 5 days" in a.laatste_fout and "hub onbereikbaar" in a.laatste_fout
    assert _status(sessions, bericht_id) == "dead_letter"
    assert _acties(sessions, bericht_id)[-1] == "niet_afleverbaar"


def test_a_permanent_refusal_is_not_retried(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    transport = MemoryTransport(lambda _: Resultaat.definitief("geen route", http_status=422, code="BRS33"))
    outbox = Outbox(sessions, BELEID, klok=klok)
    outbox.werk(lambda _: transport)
    klok.verder(days=1)
    assert outbox.werk(lambda _: transport) == 0
    a = _rij(sessions, aflevering_id)
    assert (a.status, a.pogingen) == ("dead_letter", 1)
    assert a.laatste_fout == "definitief geweigerd: BRS33: HTTP 422: geen route"
    assert a.pogingen_log[0].http_status == 422
    assert _status(sessions, bericht_id) == "dead_letter"


def test_an_adapter_that_raises_counts_as_a_transient_failure(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    _, aflevering_id = _in_wachtrij(sessions, klok)

    def kapot(_: Zending) -> Resultaat:
        raise RuntimeError("bug in plug-in")

    Outbox(sessions, BELEID, klok=klok).werk(lambda _: MemoryTransport(kapot))
    a = _rij(sessions, aflevering_id)
    assert a.status == "failed" and "bug in plug-in" in a.laatste_fout


def test_a_worker_that_died_mid_send_leaves_a_lease_another_worker_takes_over(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    eerste = Outbox(sessions, BELEID, klok=klok)
    assert eerste.claim() == [aflevering_id]  # ... and then the process is killed before it records anything
    tweede = Outbox(sessions, BELEID, klok=klok)
    assert tweede.claim() == []  # leased
    klok.verder(minutes=5, seconds=1)
    transport = MemoryTransport()
    assert tweede.werk(lambda _: transport) == 1
    assert _rij(sessions, aflevering_id).status == "delivered"
    with sessions() as session:
        assert transport.verzonden[0].envelop_id == session.get(Aflevering, aflevering_id).envelop_id


def test_requeue_puts_a_dead_letter_back_in_a_fresh_envelope(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    Outbox(sessions, BELEID, klok=klok).werk(lambda _: MemoryTransport(lambda _: Resultaat.definitief("x", 422)))
    with sessions() as session, session.begin():
        requeue(session, bericht_id, actor="admin:beheer", routes=None, nu=klok())
    assert _status(sessions, bericht_id) == "queued"
    transport = MemoryTransport()
    Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport)
    assert _status(sessions, bericht_id) == "delivered"
    with sessions() as session:
        rijen = list(session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)
                                     .order_by(Aflevering.id)))
    assert [r.status for r in rijen] == ["dead_letter", "delivered"]
    assert rijen[0].envelop_id != rijen[1].envelop_id == transport.verzonden[0].envelop_id
    with sessions() as session, session.begin(), pytest.raises(IllegalTransition):
        requeue(session, bericht_id, actor="admin:beheer", routes=None)  # delivered is not a dead letter


def test_resend_of_a_delivered_message_sends_a_new_envelope_and_keeps_its_state(sessions) -> None:  # type: ignore[no-untyped-def]
    klok = Klok()
    bericht_id, _ = _in_wachtrij(sessions, klok)
    transport = MemoryTransport()
    Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport)
    with sessions() as session, session.begin():
        resend(session, bericht_id, actor="admin:beheer", routes=None, nu=klok())
    Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport)
    assert len(transport.verzonden) == 2 and transport.verzonden[0].envelop_id != transport.verzonden[1].envelop_id
    assert _status(sessions, bericht_id) == "delivered"
    assert "opnieuw_verzonden" in _acties(sessions, bericht_id)
    pending = opgeslagen(sessions, "WMO301", "T0002")  # accepted, never queued
    with sessions() as session, session.begin(), pytest.raises(IllegalTransition):
        resend(session, pending, actor="admin:beheer", routes=None, nu=klok())


@pytest.mark.postgres
def test_workers_on_postgresql_share_the_queue_without_sending_anything_twice(pg_url: str) -> None:
    from gateway.store.db import make_engine, make_session_factory, upgrade_to_head

    upgrade_to_head(pg_url)
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    klok = Klok()
    ids = [_in_wachtrij(sessions, klok, f"SKIP{i:04d}")[1] for i in range(60)]
    verzonden: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def werker(naam: str) -> None:
        def handler(z: Zending) -> Resultaat:
            with lock:
                verzonden.append((naam, z.envelop_id))
            return Resultaat.geslaagd()

        transport = MemoryTransport(handler)
        outbox = Outbox(sessions, BELEID, klok=klok)
        start.wait()
        while outbox.werk(lambda _: transport, limit=3):
            pass

    threads = [threading.Thread(target=werker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    envelop_ids = [e for _, e in verzonden]
    assert len(envelop_ids) == len(ids) == len(set(envelop_ids))
    assert len({w for w, _ in verzonden}) > 1  # the work was shared
    with sessions() as session:
        assert set(session.scalars(select(Aflevering.status))) == {"delivered"}
    engine.dispose()


def test_an_answer_that_overtakes_the_delivery_record_closes_the_message_on_delivery(sessions) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    from gateway.ingest.ontvang import receive
    from gateway.messages.retour import build_retourbericht

    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok)
    outbox = Outbox(sessions, BELEID, klok=klok)
    assert outbox.claim() == [aflevering_id]  # handed over, but the worker dies before it records that
    with sessions() as session:
        heen = etree.ElementTree(etree.fromstring(session.get(Bericht, bericht_id).raw))
    receive(sessions, build_retourbericht(heen, []), party=AANBIEDER)  # the 302 arrives meanwhile
    assert _status(sessions, bericht_id) == "queued"
    outbox.vastleggen(aflevering_id, Resultaat.geslaagd())
    assert _status(sessions, bericht_id) == "answered"


@pytest.mark.postgres
def test_a_worker_whose_lease_ran_out_records_nothing_beside_the_worker_that_took_over(pg_url: str) -> None:
    """Worker A's lease runs out mid-send; worker B takes the delivery over and is recording its outcome when A
    comes back with its own. A waits for B's transaction and then sees B's outcome: its attempt is listed, but the
    audit trail has one "afgeleverd", from queued (before the row locks A wrote a second one from a stale queued)."""
    from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
    from gateway.store.lifecycle import Status, transition

    upgrade_to_head(pg_url)
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    klok = Klok()
    bericht_id, aflevering_id = _in_wachtrij(sessions, klok, "RACE0001")
    assert Outbox(sessions, BELEID, klok=klok).claim() == [aflevering_id]  # A
    klok.verder(minutes=6)  # A's lease (5 min) runs out
    assert Outbox(sessions, BELEID, klok=klok).claim() == [aflevering_id]  # B takes it over

    klaar = threading.Event()
    with sessions() as b, b.begin():  # B records its outcome, and has not committed yet
        a = b.get(Aflevering, aflevering_id, with_for_update=True)
        a.status, a.pogingen = "delivered", a.pogingen + 1
        transition(b, b.get(Bericht, bericht_id), Status.DELIVERED, actor="worker-b", action="afgeleverd")
        b.flush()
        a_thread = threading.Thread(target=lambda: (Outbox(sessions, BELEID, klok=klok, actor="worker-a")
                                                    .vastleggen(aflevering_id, Resultaat.geslaagd()), klaar.set()))
        a_thread.start()
        with engine.connect() as kijk:  # until A waits on a lock that B holds
            for _ in range(400):
                wachtend = kijk.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).scalar()
                if wachtend or klaar.is_set():
                    break
                threading.Event().wait(0.025)
    a_thread.join(timeout=30)
    assert klaar.is_set()
    with sessions() as session:
        overgangen = [(e.actor, e.action, e.from_state, e.to_state) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.bericht_id == bericht_id, AuditEvent.to_state.is_not(None))
            .order_by(AuditEvent.seq))]
        rij = session.get(Aflevering, aflevering_id)
        assert (rij.status, rij.pogingen) == ("delivered", 2)  # both attempts happened and are listed
    assert [o for o in overgangen if o[1] == "afgeleverd"] == [("worker-b", "afgeleverd", "queued", "delivered")]
    engine.dispose()
