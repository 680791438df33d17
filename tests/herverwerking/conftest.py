"""A seeded store (the console's: demo conversation, rejected messages, one dead letter) and helpers to make
dead letters and delivered messages through the real outbox, with a memory partner that records what arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.app import create_app
from gateway.herverwerking.uitvoering import Herverwerker
from gateway.ingest.oordeel import beoordeel
from gateway.ingest.vastlegging import Aanlevering, leg_vast
from gateway.store.models import AuditEvent, Bericht
from gateway.transport.adapter import Resultaat, Zending
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import Beleid, Outbox, plan
from gateway.transport.routing import Route
from tests.admin.omgeving import Omgeving, bouw
from tests.msgedit import Msg
from tests.transport.helpers import variant

ROUTE = Route(("*",), "memory", "test")


@pytest.fixture
def omgeving(db_url: str, tmp_path) -> Omgeving:  # type: ignore[no-untyped-def]
    return bouw(tmp_path, db_url)


@pytest.fixture
def client(omgeving: Omgeving) -> Iterator[TestClient]:
    app = create_app(omgeving.settings)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


class Partner:
    """A partner behind the hub: refuses for good while `weigert`, records each envelope it accepted."""

    def __init__(self) -> None:
        self.weigert = True
        self.transport = MemoryTransport(self._handel)

    def _handel(self, zending: Zending) -> Resultaat:
        if self.weigert:
            return Resultaat.definitief("ontvanger onbekend bij de hub", 422, code="IB010")
        return Resultaat.geslaagd("aangenomen")

    @property
    def ontvangen(self) -> list[tuple[str, str]]:
        """(envelope id, BerichtIdentificatie) of every envelope the partner accepted."""
        return [(z.envelop_id, Msg(z.payload).text("Header/BerichtIdentificatie/Identificatie") or "")
                for z in self.transport.verzonden]


def opgeslagen(sessions: sessionmaker[Session], aantal: int, prefix: str = "RP") -> list[str]:
    """`aantal` accepted WMO301s from gemeente 0599, written in groups as the writer does."""
    ids: list[str] = []
    for begin in range(0, aantal, 250):
        groep = [Aanlevering(beoordeel(variant("WMO301", f"{prefix}{i:05d}")), party="0599")
                 for i in range(begin, min(aantal, begin + 250))]
        with sessions() as s, s.begin():
            uit = leg_vast(s, groep)
        assert {u.status for u in uit} == {"accepted"}
        ids += [u.id for u in uit]
    return ids


def in_wachtrij(sessions: sessionmaker[Session], ids: list[str]) -> None:
    with sessions() as s, s.begin():
        for i in ids:
            plan(s, s.get(Bericht, i), ROUTE, actor="test")


def lever(sessions: sessionmaker[Session], partner: Partner) -> int:
    """What the worker does: work the outbox until nothing is due."""
    outbox, totaal = Outbox(sessions, Beleid()), 0
    while (n := outbox.werk(lambda _: partner.transport, limit=500)) > 0:
        totaal += n
    return totaal


def dead_letters(sessions: sessionmaker[Session], aantal: int, partner: Partner, prefix: str = "RP") -> list[str]:
    ids = opgeslagen(sessions, aantal, prefix)
    in_wachtrij(sessions, ids)
    partner.weigert = True
    lever(sessions, partner)
    return ids


def werk_af(sessions: sessionmaker[Session], chunk: int = 100) -> int:
    return Herverwerker(sessions, None, chunk=chunk).alles()


def acties(sessions: sessionmaker[Session], bericht_id: str) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    with sessions() as s:
        return [(e.action, e.actor, e.details) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.bericht_id == bericht_id).order_by(AuditEvent.seq))]


def status(sessions: sessionmaker[Session], bericht_id: str) -> str:
    with sessions() as s:
        return s.get(Bericht, bericht_id).status  # type: ignore[union-attr]
