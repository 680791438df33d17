"""Deadlines and alert conditions as events (gateway/transport/meldingen.py): `termijn.bijna` and
`termijn.verstreken` once per heenbericht for the party that sent it (and an administrator's subscription),
`signaal.…` once per episode for administrators only; from the worker's round, at most once a minute, and not
again after a restart."""

from __future__ import annotations

import base64
import datetime as dt
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.settings import Settings
from gateway.store.db import downgrade, make_engine
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Abonnement, Aflevering, Base, Bericht, Gebeurtenis, WebhookAflevering
from gateway.transport.meldingen import Meldingen
from gateway.transport.outbox import AfleveringStatus, plan
from gateway.transport.routing import Route, uit_data
from gateway.transport.worker import Worker
from tests.transport.helpers import AANBIEDER, GEMEENTE, Klok, opgeslagen

UTC = dt.UTC
BSN = "207416035"  # the Bsn in our example messages
# Sent Friday 24 April 2026, 10:00 in Amsterdam: a 301's 302 is due Thursday 30 April (Koningsdag skipped).
VERZONDEN = dt.datetime(2026, 4, 24, 8, 0, tzinfo=UTC)
MORGEN_UITERLIJK = dt.datetime(2026, 4, 29, 12, 0, tzinfo=UTC)
NOG_NIET = dt.datetime(2026, 4, 28, 12, 0, tzinfo=UTC)
TE_LAAT = dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TERMIJNEN = ["termijn.bijna", "termijn.verstreken"]
SIGNALEN = ["signaal.wachtrij", "signaal.onafleverbaar", "signaal.afkeuringen"]


def _verzonden(sessions: sessionmaker[Session], naam: str, identificatie: str) -> str:
    """A heenbericht sent (delivered) at VERZONDEN, waiting for its answer."""
    bericht_id = opgeslagen(sessions, naam, identificatie)
    with sessions() as session, session.begin():
        bericht = session.get_one(Bericht, bericht_id)
        plan(session, bericht, Route(("*",), "memory", "x"), actor="t", nu=VERZONDEN)
        for a in session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)):
            a.status = AfleveringStatus.DELIVERED
        transition(session, bericht, Status.DELIVERED, actor="t")
    return bericht_id


def _abonnement(sessions: sessionmaker[Session], partij: str | None, soorten: list[str]) -> int:
    with sessions() as session, session.begin():
        a = Abonnement(partij=partij, url="http://127.0.0.1:9/h", gebeurtenissen=soorten, berichttypen=[],
                       geheim="whsec_" + base64.b64encode(b"k" * 24).decode(), aangemaakt_door="t")
        session.add(a)
        session.flush()
        return a.id


def _ontvangen(sessions: sessionmaker[Session], abonnement_id: int) -> list[tuple[str, str | None]]:
    """(type, bericht id) of each event delivered to the subscription."""
    with sessions() as session:
        stmt = (select(Gebeurtenis).join(WebhookAflevering, WebhookAflevering.gebeurtenis_id == Gebeurtenis.id)
                .where(WebhookAflevering.abonnement_id == abonnement_id).order_by(Gebeurtenis.id))
        return [(g.type, (g.payload.get("bericht") or {}).get("id")) for g in session.scalars(stmt)]


def _worker(sessions: sessionmaker[Session], klok: Klok) -> Worker:
    routes = uit_data({"route": [{"naar": ["*"], "adapter": "memory", "endpoint": "x"}]})
    return Worker(sessions, routes, settings=Settings(database_url="sqlite://"), klok=klok)


def test_an_overdue_heenbericht_is_told_once_to_its_sender_and_an_administrator(sessions) -> None:  # type: ignore[no-untyped-def]
    gemeente = _abonnement(sessions, GEMEENTE, TERMIJNEN)
    beheer = _abonnement(sessions, None, TERMIJNEN)
    bericht_id = _verzonden(sessions, "WMO301", "TM0001")
    klok = Klok(TE_LAAT)
    _worker(sessions, klok).ronde(ophalen=False)
    assert _ontvangen(sessions, gemeente) == [("termijn.verstreken", bericht_id)]
    assert _ontvangen(sessions, beheer) == [("termijn.verstreken", bericht_id)]
    with sessions() as session:
        [g] = session.scalars(select(Gebeurtenis).where(Gebeurtenis.type == "termijn.verstreken"))
        assert (g.partij, g.berichttype) == (GEMEENTE, "WMO301")
        assert (g.payload["verwacht"], g.payload["regel"], g.payload["uiterlijk"]) == ("WMO302", "OP090", "2026-04-30")
        assert g.payload["links"]["bericht"] == f"/api/v1/berichten/{bericht_id}"
        assert BSN not in json.dumps(g.payload) and "<" not in json.dumps(g.payload)
    # A later round of a restarted worker tells nobody again.
    klok.verder(minutes=5)
    _worker(sessions, klok).ronde(ophalen=False)
    assert len(_ontvangen(sessions, gemeente)) == len(_ontvangen(sessions, beheer)) == 1


def test_an_answer_due_tomorrow_is_near_then_overdue_each_told_once(sessions) -> None:  # type: ignore[no-untyped-def]
    gemeente = _abonnement(sessions, GEMEENTE, TERMIJNEN)
    bericht_id = _verzonden(sessions, "WMO301", "TM0002")
    for moment in (NOG_NIET, MORGEN_UITERLIJK, MORGEN_UITERLIJK + dt.timedelta(hours=1), TE_LAAT):
        Meldingen(sessions, klok=Klok(moment)).werk()
    assert _ontvangen(sessions, gemeente) == [("termijn.bijna", bericht_id), ("termijn.verstreken", bericht_id)]


def test_the_worker_looks_at_most_once_a_minute(sessions) -> None:  # type: ignore[no-untyped-def]
    gemeente = _abonnement(sessions, GEMEENTE, TERMIJNEN)
    klok = Klok(TE_LAAT)
    worker = _worker(sessions, klok)
    worker.ronde(ophalen=False)
    bericht_id = _verzonden(sessions, "WMO301", "TM0003")
    klok.verder(seconds=30)
    worker.ronde(ophalen=False)
    assert _ontvangen(sessions, gemeente) == []
    klok.verder(seconds=31)
    worker.ronde(ophalen=False)
    assert _ontvangen(sessions, gemeente) == [("termijn.verstreken", bericht_id)]


def test_a_party_never_gets_another_partys_deadline_events(sessions) -> None:  # type: ignore[no-untyped-def]
    gemeente = _abonnement(sessions, GEMEENTE, TERMIJNEN)
    aanbieder = _abonnement(sessions, AANBIEDER, TERMIJNEN)
    van_gemeente = _verzonden(sessions, "WMO301", "TM0004")
    van_aanbieder = _verzonden(sessions, "WMO315", "TM0005")
    Meldingen(sessions, klok=Klok(TE_LAAT)).werk()
    assert _ontvangen(sessions, gemeente) == [("termijn.verstreken", van_gemeente)]
    assert _ontvangen(sessions, aanbieder) == [("termijn.verstreken", van_aanbieder)]


def test_a_dead_letter_signal_goes_to_administrators_only_once_per_episode(sessions) -> None:  # type: ignore[no-untyped-def]
    partij = _abonnement(sessions, GEMEENTE, SIGNALEN)
    beheer = _abonnement(sessions, None, SIGNALEN)
    bericht_id = _verzonden(sessions, "WMO301", "TM0006")

    def zet(status: Status) -> None:
        with sessions() as session, session.begin():
            transition(session, session.get_one(Bericht, bericht_id), status, actor="t")

    def kijk(minuten: int) -> None:
        Meldingen(sessions, klok=Klok(NOG_NIET + dt.timedelta(minutes=minuten))).werk()

    zet(Status.DEAD_LETTER)
    kijk(0)
    kijk(1)
    assert [t for t, _ in _ontvangen(sessions, beheer)] == ["signaal.onafleverbaar"]
    zet(Status.QUEUED)  # requeued: the episode ends
    kijk(2)
    zet(Status.DEAD_LETTER)  # a new episode is told again
    kijk(3)
    assert [t for t, _ in _ontvangen(sessions, beheer)] == ["signaal.onafleverbaar"] * 2
    assert _ontvangen(sessions, partij) == []
    with sessions() as session:
        g = session.scalars(select(Gebeurtenis).where(Gebeurtenis.type == "signaal.onafleverbaar")).first()
        assert g is not None and g.partij is None and g.payload["partner"] == AANBIEDER


def test_0010_creates_the_melding_table_as_the_model_says_and_downgrades(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        verschillen = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in verschillen if "melding" in repr(d)] == []
    downgrade(migrated_url, "0009")
    assert "melding" not in inspect(engine).get_table_names()
    engine.dispose()
