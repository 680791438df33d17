"""The one writer per process: judged messages committed in groups, each caller answered once its group is
durable; one bad message does not fail its group; duplicates and TR056 hold inside a group as across groups.
On SQLite and PostgreSQL (the `sessions` fixture)."""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures import Future

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import Ontvanger
from gateway.ingest.schrijver import Schrijver
from gateway.ingest.vastlegging import Aanlevering, Received
from gateway.settings import Settings
from gateway.store import audit
from gateway.store.history import cross_rules_for
from gateway.store.models import Bericht, IdentificatieClaim
from tests.cross.keten import nieuw
from tests.msgedit import Msg


def _toewijzing(i: int) -> bytes:
    return nieuw("WMO301").set("Header/BerichtIdentificatie/Identificatie", f"SCHR{i:08d}").bytes()


def _ontvanger(sessions: sessionmaker[Session]) -> tuple[Ontvanger, Schrijver]:
    rules = cross_rules_for(Settings())
    schrijver = Schrijver(sessions, cross_rules=rules)
    return Ontvanger(sessions, cross_rules=rules, schrijver=schrijver), schrijver


def _aantal(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Bericht).where(Bericht.richting == "in")) or 0


def test_concurrent_submissions_are_all_committed_once_with_one_linear_audit_chain(sessions) -> None:  # type: ignore[no-untyped-def]
    ontvanger, schrijver = _ontvanger(sessions)
    berichten = [_toewijzing(i) for i in range(120)]
    with cf.ThreadPoolExecutor(16) as pool:
        uitkomsten = list(pool.map(lambda b: ontvanger.ontvang(b, party="0599"), berichten))
    schrijver.stop()
    assert [u.status for u in uitkomsten] == ["accepted"] * 120
    assert len({u.id for u in uitkomsten}) == 120 and _aantal(sessions) == 120
    assert all(u.retour_id for u in uitkomsten)
    with sessions() as session:
        assert audit.verify_chain(session) is None


def _groep(schrijver: Schrijver, aanleveringen: list[Aanlevering]) -> list[Received | BaseException]:
    """Write exactly these as one group (as the writer thread would) and collect each caller's answer."""
    toekomsten: list[Future[Received]] = [Future() for _ in aanleveringen]
    schrijver._schrijf(list(zip(aanleveringen, toekomsten, strict=True)))
    return [t.exception() or t.result() for t in toekomsten]


def test_one_failing_message_fails_alone_and_the_rest_of_its_group_is_committed(sessions) -> None:  # type: ignore[no-untyped-def]
    ontvanger, schrijver = _ontvanger(sessions)

    def stuk(session: Session, row: Bericht, received: Received) -> None:
        raise RuntimeError("kapot na het opslaan")

    oordelen = [ontvanger.beoordeel(_toewijzing(i)) for i in range(3)]
    uit = _groep(schrijver, [Aanlevering(oordelen[0], party="0599"), Aanlevering(oordelen[1], party="0599", na=stuk),
                             Aanlevering(oordelen[2], party="0599")])
    assert isinstance(uit[1], RuntimeError)
    assert isinstance(uit[0], Received) and isinstance(uit[2], Received)
    assert _aantal(sessions) == 2
    with sessions() as session:
        assert audit.verify_chain(session) is None
        ids = set(session.scalars(select(Bericht.id).where(Bericht.richting == "in")))
    assert ids == {uit[0].id, uit[2].id}


def test_the_same_bytes_twice_in_one_group_are_stored_once(sessions) -> None:  # type: ignore[no-untyped-def]
    ontvanger, schrijver = _ontvanger(sessions)
    data = _toewijzing(1)
    eerste, tweede = _groep(schrijver, [Aanlevering(ontvanger.beoordeel(data), party="0599"),
                                        Aanlevering(ontvanger.beoordeel(data), party="0599")])
    assert isinstance(eerste, Received) and isinstance(tweede, Received)
    assert not eerste.duplicaat and tweede.duplicaat and tweede.id == eerste.id
    assert _aantal(sessions) == 1


def test_a_duplicate_in_the_group_is_answered_like_one_in_a_later_group(sessions) -> None:  # type: ignore[no-untyped-def]
    """Same answer whether the first copy is in this group or stored earlier: its findings, its retourbericht and
    its state as it is now (here queued for delivery by the hook that runs after acceptance)."""
    from gateway.store.lifecycle import Status, transition

    def in_wachtrij(session, row, received) -> None:  # type: ignore[no-untyped-def]
        if not received.duplicaat:
            transition(session, row, Status.QUEUED, actor="test")

    ontvanger, schrijver = _ontvanger(sessions)
    data = _toewijzing(2)
    _, binnen = _groep(schrijver, [Aanlevering(ontvanger.beoordeel(data), party="0599", na=in_wachtrij),
                                   Aanlevering(ontvanger.beoordeel(data), party="0599", na=in_wachtrij)])
    (later,) = _groep(schrijver, [Aanlevering(ontvanger.beoordeel(data), party="0599", na=in_wachtrij)])
    assert isinstance(binnen, Received) and isinstance(later, Received)
    assert binnen == later and binnen.duplicaat and binnen.status == "queued" and binnen.retour_id


def test_one_identificatie_twice_in_one_group_gives_tr056_to_the_second(sessions) -> None:  # type: ignore[no-untyped-def]
    ontvanger, schrijver = _ontvanger(sessions)
    een = Msg(_toewijzing(7))
    ander_bytes = een.bytes() + b"\n"  # same identificatie, other bytes: whitespace after the root
    eerste, tweede = _groep(schrijver, [Aanlevering(ontvanger.beoordeel(een.bytes()), party="0599"),
                                        Aanlevering(ontvanger.beoordeel(ander_bytes), party="0599")])
    assert isinstance(eerste, Received) and isinstance(tweede, Received)
    assert eerste.status == "accepted"
    assert tweede.status == "rejected" and [f.code for f in tweede.errors] == ["TR056"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(IdentificatieClaim)) == 1


@pytest.mark.parametrize("groep", [1, 5])
def test_a_commit_that_fails_answers_every_caller_with_the_error(sessions, groep: int) -> None:  # type: ignore[no-untyped-def]
    ontvanger, schrijver = _ontvanger(sessions)
    oordelen = [ontvanger.beoordeel(_toewijzing(100 + i)) for i in range(groep)]

    def kapotte_sessie():  # type: ignore[no-untyped-def]
        raise OSError("database or disk is full")

    schrijver.sessions = kapotte_sessie  # type: ignore[assignment]
    uit = _groep(schrijver, [Aanlevering(o, party="0599") for o in oordelen])
    assert all(isinstance(u, OSError) for u in uit)


def test_the_writers_turn_on_a_sqlite_file_leaves_no_descriptor_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On SQLite a writer takes its turn through an flock on `<database>.schrijver.lock` for each group; the
    descriptor is closed with the group, however many writers a process makes (an app per test, say)."""
    import os

    from gateway.store.db import make_engine, make_session_factory, upgrade_to_head

    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)

        def slotbestanden() -> int:
            return sum(1 for fd in os.listdir("/proc/self/fd")
                       if os.path.realpath(f"/proc/self/fd/{fd}").endswith("gw.db.schrijver.lock"))

        for i in range(5):
            ontvanger, schrijver = _ontvanger(sessions)
            (uitkomst,) = _groep(schrijver, [Aanlevering(ontvanger.beoordeel(_toewijzing(100 + i)), party="0599")])
            assert isinstance(uitkomst, Received) and uitkomst.status == "accepted"
            schrijver.stop()
        assert (tmp_path / "gw.db.schrijver.lock").exists()
        assert slotbestanden() == 0
    finally:
        engine.dispose()
