"""The lifecycle's transition table, pinned pair by pair, and what refusing a transition means for a message.

The table is written out here by hand rather than read from `TRANSITIONS`: a test that derives its
expectation from the code it checks would bless any edit. A new edge is a decision; make it in both places.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.app import create_app
from gateway.ingest.ontvang import receive
from gateway.store import queries
from gateway.store.lifecycle import TRANSITIONS, IllegalTransition, Status, allowed, transition
from gateway.store.models import Aflevering, AuditEvent, Bericht
from gateway.transport.outbox import requeue, resend
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving, bouw, maak_dead_letter
from tests.msgedit import Msg
from tests.reference import our_example

R, A, J, Q, D, N, X, H = (Status.RECEIVED, Status.ACCEPTED, Status.REJECTED, Status.QUEUED, Status.DELIVERED,
                          Status.ANSWERED, Status.DEAD_LETTER, Status.HANDLED)

TOEGESTAAN: frozenset[tuple[Status, Status]] = frozenset({
    (R, A), (R, J),  # judged
    (A, Q), (A, N),  # sent on; or a heenbericht answered without travelling (its retour arrived or was made)
    (J, Q), (J, H),  # a rejection is still answered (retour or fault); or a person dealt with it
    (Q, D), (Q, X),  # delivered or refused for good
    (D, N), (D, X),  # answered; or an asynchronous Fo01 after the hub took it over
    (X, Q), (X, H),  # requeued by an operator; or given up on
    # answered and handled are final: nothing leaves them (no requeue of a handled message).
})


@pytest.mark.parametrize(("van", "naar"), list(itertools.product(Status, Status)),
                         ids=lambda s: str(s))
def test_every_transition_is_allowed_exactly_when_the_table_says_so(van: Status, naar: Status) -> None:
    assert allowed(van, naar) is ((van, naar) in TOEGESTAAN)


def test_the_code_knows_no_edge_that_is_not_in_the_table() -> None:
    assert {(van, naar) for van, doelen in TRANSITIONS.items() for naar in doelen} == TOEGESTAAN
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize("eind", [Status.ANSWERED, Status.HANDLED])
def test_answered_and_handled_are_final(eind: Status) -> None:
    assert not any(allowed(eind, naar) for naar in Status)


@pytest.mark.parametrize(("van", "naar"), [("received", "onbekend"), ("onbekend", "queued"), ("", ""),
                                           ("HANDLED", "queued")])
def test_an_unknown_state_is_never_a_legal_transition(van: str, naar: str) -> None:
    assert allowed(van, naar) is False


# -- a refused transition on a stored message (SQLite and PostgreSQL) -------------------------------------

def _events(session: Session, bericht_id: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.bericht_id == bericht_id))


def _afgehandeld(sessions: sessionmaker[Session]) -> str:
    """A rejected message an administrator has dealt with."""
    data = (Msg(our_example("WMO315")).set("Header/BerichtIdentificatie/Identificatie", "LC-HANDLED")
            .set("Client/Geboortedatum/Datum", "2090-01-01").bytes())
    r = receive(sessions, data, party="12345678")
    assert r.status == "rejected", [f.code for f in r.errors]
    with sessions() as session, session.begin():
        transition(session, session.get(Bericht, r.id), Status.HANDLED, actor="admin:test", action="afgehandeld")
    return r.id


@pytest.mark.parametrize("naar", [s for s in Status if s is not Status.HANDLED])
def test_a_handled_message_stays_handled_and_a_refused_transition_writes_no_event(
        sessions: sessionmaker[Session], naar: Status) -> None:
    bericht_id = _afgehandeld(sessions)
    with sessions() as session:
        voor = _events(session, bericht_id)
    with sessions() as session, session.begin(), pytest.raises(IllegalTransition) as fout:
        transition(session, session.get(Bericht, bericht_id), naar, actor="admin:test")
    assert (fout.value.current, fout.value.target) == ("handled", naar)
    with sessions() as session:
        assert session.get(Bericht, bericht_id).status == "handled"  # type: ignore[union-attr]
        assert _events(session, bericht_id) == voor
        assert [e.to_state for e in queries.audit_for(session, bericht_id)][-1] == "handled"


def test_the_outbox_will_not_requeue_or_resend_a_handled_dead_letter(sessions: sessionmaker[Session]) -> None:
    bericht_id = maak_dead_letter(sessions, "LC-DOOD-0001")
    with sessions() as session, session.begin():
        transition(session, session.get(Bericht, bericht_id), Status.HANDLED, actor="admin:test")
    for doe in (requeue, resend):
        with sessions() as session, session.begin(), pytest.raises(IllegalTransition):
            doe(session, bericht_id, actor="admin:test", routes=None)
    with sessions() as session:
        assert session.get(Bericht, bericht_id).status == "handled"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Aflevering)
                              .where(Aflevering.bericht_id == bericht_id)) == 1


# -- the console answers 409 ------------------------------------------------------------------------------

@pytest.fixture
def console(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Omgeving]]:
    omgeving = bouw(tmp_path, db_url)
    with TestClient(create_app(omgeving.settings), raise_server_exceptions=False, follow_redirects=False) as c:
        yield c, omgeving


def test_the_console_answers_409_to_requeue_and_resend_of_a_handled_message(
        console: tuple[TestClient, Omgeving]) -> None:
    client, omgeving = console
    csrf = inloggen(client, omgeving.sleutels.operator)
    dood = omgeving.dead_letter  # has a delivery to repeat, the most tempting one to send again
    for bericht_id in (dood, omgeving.tr019):  # a dead letter and a rejected message, both dealt with
        r = client.post(f"/admin/berichten/{bericht_id}/afhandelen", data={"csrf": csrf, "opmerking": "gebeld"})
        assert r.status_code == 303
    for bericht_id in (dood, omgeving.tr019):
        for actie, naam in (("opnieuw-in-wachtrij", "Opnieuw in de wachtrij zetten"),
                            ("opnieuw-verzenden", "Opnieuw verzenden")):
            r = client.post(f"/admin/berichten/{bericht_id}/{actie}", data={"csrf": csrf})
            assert r.status_code == 409, (actie, r.status_code)
            assert f"{naam} kan niet" in r.text and "status &#39;afgehandeld&#39;" in r.text
    with omgeving.sessions() as s:
        assert {s.get(Bericht, i).status for i in (dood, omgeving.tr019)} == {"handled"}  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Aflevering).where(Aflevering.bericht_id == dood)) == 1
        assert [e.to_state for e in queries.audit_for(s, dood)][-1] == "handled"
