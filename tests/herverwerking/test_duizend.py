"""What issue 14 asks to see: 1 000 dead letters replayed by filter — dry run, then the batch worked by the worker's
rounds — with each message's fate in its audit trail and no duplicate arriving at the partner. SQLite only: the
other tests run every path on PostgreSQL too, and this one is about scale."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from gateway.herverwerking import plan, uitvoering
from gateway.herverwerking.selectie import Selectie
from gateway.settings import Settings
from gateway.store import audit
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import AuditEvent
from gateway.transport.routing import Routeringstabel
from gateway.transport.worker import Transporten, Worker
from tests.herverwerking.conftest import ROUTE, Partner, dead_letters

AANTAL = 1000

pytestmark = pytest.mark.slow(seconden=50)


def test_replay_of_a_thousand_dead_letters_by_filter_dry_run_then_run_without_duplicates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'duizend.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    partner = Partner()
    ids = dead_letters(sessions, AANTAL, partner)
    assert partner.ontvangen == []
    selectie = Selectie(status="dead_letter", berichttype="WMO301", partner="12345678", regel=None)

    with sessions() as s:
        proef = plan.proef(s, selectie, plan.Actie.OPNIEUW_IN_WACHTRIJ, limit=plan.MAX_GETOOND)
        seq_voor = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert (proef.totaal, proef.per_uitkomst) == (AANTAL, {"in_wachtrij": AANTAL})
    assert {st.bericht_id for st in proef.stappen} == set(ids)
    assert {(st.envelop, st.identificatie) for st in proef.stappen} == {("zelfde", "zelfde")}

    with sessions() as s, s.begin():
        batch = uitvoering.start(s, selectie, plan.Actie.OPNIEUW_IN_WACHTRIJ, actor="admin:beheer").id
    partner.weigert = False
    worker = Worker(sessions, Routeringstabel([ROUTE]), settings=Settings(database_url=url),
                    transporten=Transporten(lambda _: partner.transport))
    rondes = 0
    while worker.ronde(ophalen=False).herverwerkt:
        rondes += 1
    assert rondes == AANTAL // uitvoering.CHUNK

    with sessions() as s:
        v = uitvoering.voortgang(s, batch)
        assert (v.status, v.verwerkt, v.per_uitkomst) == ("klaar", AANTAL, {"in_wachtrij": AANTAL})
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.seq > seq_voor).order_by(AuditEvent.seq)))
        assert audit.verify_chain(s) is None and audit.verify_berichten(s).afwijkingen == []
    fates = Counter((e.bericht_id, e.action) for e in events)
    for i in ids:  # each message: requeued and its fate recorded once, then delivered once
        assert (fates[(i, "in_wachtrij")], fates[(i, "herverwerkt")], fates[(i, "afgeleverd")]) == (1, 1, 1)
    herverwerkt = [e for e in events if e.action == "herverwerkt"]
    assert {(e.actor, e.details["herverwerking"]) for e in herverwerkt} == {("admin:beheer", batch)}

    # No duplicate at the partner: each message once, in its original envelope, with its own identificatie.
    ontvangen = partner.ontvangen
    assert len(ontvangen) == AANTAL
    assert len({envelop for envelop, _ in ontvangen}) == len({ident for _, ident in ontvangen}) == AANTAL
    assert {envelop for envelop, _ in ontvangen} == {p.envelop_id for p in partner.transport.pogingen[:AANTAL]}
    engine.dispose()
