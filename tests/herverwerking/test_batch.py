"""The batch: chunks, pause and resume (audited, with who did it), carrying on after a restart or a crash mid-chunk,
re-judging with today's rules, and the worker's round that runs it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from gateway.herverwerking import plan, uitvoering
from gateway.herverwerking.modellen import Herverwerking
from gateway.herverwerking.selectie import Selectie
from gateway.settings import Settings
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import AuditEvent, Bericht, Bevinding
from gateway.transport.routing import Routeringstabel
from gateway.transport.worker import Transporten, Worker
from tests.admin.omgeving import toewijzing_met_fout
from tests.herverwerking.conftest import ROUTE, Partner, acties, dead_letters, opgeslagen, status

BEHEERDER = "admin:beheer"


def _start(sessions, selectie: Selectie, actie: plan.Actie = plan.Actie.OPNIEUW_IN_WACHTRIJ) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s, s.begin():
        return uitvoering.start(s, selectie, actie, actor=BEHEERDER).id


def _stand(sessions, batch: int) -> uitvoering.Voortgang:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return uitvoering.voortgang(s, batch)


def _batch_events(sessions) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return [(e.action, e.actor) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("herverwerking_%")).order_by(AuditEvent.seq))]


def test_a_paused_batch_waits_and_a_resumed_one_carries_on_where_it_stopped(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = dead_letters(sessions, 5, Partner())
    batch = _start(sessions, Selectie(status="dead_letter"))
    werker = uitvoering.Herverwerker(sessions, chunk=2)
    assert werker.werk() == 2
    with sessions() as s, s.begin():
        uitvoering.pauzeer(s, batch, actor="admin:olga")
    assert werker.werk() == 0 and _stand(sessions, batch).verwerkt == 2
    assert [status(sessions, i) for i in ids] == ["queued"] * 2 + ["dead_letter"] * 3
    with sessions() as s, s.begin(), pytest.raises(uitvoering.Geweigerd):
        uitvoering.pauzeer(s, batch, actor="admin:olga")  # paused already
    with sessions() as s, s.begin():
        uitvoering.hervat(s, batch, actor="admin:olga")
    assert werker.alles() == 3
    v = _stand(sessions, batch)
    assert (v.status, v.verwerkt, v.per_uitkomst) == ("klaar", 5, {"in_wachtrij": 5})
    assert _batch_events(sessions) == [("herverwerking_gestart", BEHEERDER), ("herverwerking_gepauzeerd", "admin:olga"),
                                       ("herverwerking_hervat", "admin:olga"), ("herverwerking_klaar", "worker")]


def test_a_new_process_carries_on_and_a_crash_mid_chunk_leaves_nothing_half_done(
        sessions, migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ids = dead_letters(sessions, 6, Partner())
    batch = _start(sessions, Selectie(status="dead_letter"))
    assert uitvoering.Herverwerker(sessions, chunk=2).werk() == 2
    echt = uitvoering._een
    gedaan = []

    def sterft_halverwege(session, b, item, *rest, **kw):  # type: ignore[no-untyped-def]
        if gedaan:
            raise KeyboardInterrupt  # kill -9 between two messages of one chunk: the transaction never commits
        echt(session, b, item, *rest, **kw)
        gedaan.append(item.bericht_id)

    monkeypatch.setattr(uitvoering, "_een", sterft_halverwege)
    with pytest.raises(KeyboardInterrupt):
        uitvoering.Herverwerker(sessions, chunk=3).werk()
    monkeypatch.setattr(uitvoering, "_een", echt)
    assert status(sessions, gedaan[0]) == "dead_letter" and _stand(sessions, batch).verwerkt == 2
    # A restart: a new engine and a new worker, nothing in memory from before.
    engine = make_engine(migrated_url)
    assert uitvoering.Herverwerker(make_session_factory(engine), chunk=3).alles() == 4
    engine.dispose()
    assert [status(sessions, i) for i in ids] == ["queued"] * 6
    for i in ids:  # each message's fate exactly once
        assert [a for a, _, _ in acties(sessions, i)].count("herverwerkt") == 1


def test_rejudging_records_a_changed_verdict_in_the_audit_trail_and_changes_nothing_else(sessions) -> None:  # type: ignore[no-untyped-def]
    from gateway.ingest.ontvang import receive

    afgekeurd = receive(sessions, toewijzing_met_fout("TW-FOUT-0001"), party="0599")
    [goed] = opgeslagen(sessions, 1)
    assert afgekeurd.status == "rejected"
    with sessions() as s, s.begin():  # as if the rule had not existed when the message arrived
        codes = sorted({b.code for b in s.scalars(select(Bevinding).where(Bevinding.bericht_id == afgekeurd.id))})
        s.execute(delete(Bevinding).where(Bevinding.bericht_id == afgekeurd.id))
    with sessions() as s:
        stappen = {st.bericht_id: st for st in plan.proef(s, Selectie(berichttype="WMO301"),
                                                          plan.Actie.HERBEOORDELEN).stappen}
    assert stappen[goed].uitkomst == "oordeel_gelijk"
    gewijzigd = stappen[afgekeurd.id]
    assert gewijzigd.uitkomst == "oordeel_gewijzigd" and gewijzigd.oordeel_voor == plan.Oordeel(True, ())
    assert list(gewijzigd.oordeel_na.codes) == codes  # type: ignore[union-attr]
    _start(sessions, Selectie(berichttype="WMO301"), plan.Actie.HERBEOORDELEN)
    uitvoering.Herverwerker(sessions).alles()
    [(_, actor, details)] = [e for e in acties(sessions, afgekeurd.id) if e[0] == "herverwerkt"]
    assert (actor, details["uitkomst"], details["oordeel_na"]["codes"]) == (BEHEERDER, "oordeel_gewijzigd", codes)
    assert status(sessions, afgekeurd.id) == "rejected"


def test_the_worker_round_runs_a_batch_and_sends_what_it_requeued(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    partner = Partner()
    ids = dead_letters(sessions, 3, partner)
    _start(sessions, Selectie(status="dead_letter"))
    partner.weigert = False
    worker = Worker(sessions, Routeringstabel([ROUTE]), settings=Settings(database_url=migrated_url),
                    transporten=Transporten(lambda _: partner.transport))
    r = worker.ronde(ophalen=False)
    assert (r.herverwerkt, r.verzonden) == (3, 3)
    assert [status(sessions, i) for i in ids] == ["delivered"] * 3
    with sessions() as s:
        assert s.scalars(select(Herverwerking.status)).one() == "klaar"
        assert s.get(Bericht, ids[0]) is not None
