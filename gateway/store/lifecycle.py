"""The lifecycle of a message: an explicit state machine; every transition is an audit event.

    received ──> accepted ──> queued ──> delivered ──> answered
        │            │           │  ^          │
        │            │           v  │ (requeue) │ (a Fo01 after the hub accepted it)
        │            │       dead_letter <──────┘
        │            └──> answered      (a heenbericht whose retour/325 arrived or was made)
        └──> rejected ──> handled       (an administrator dealt with it)
                 └──> queued            (an XSD/rule rejection is still answered: retour or fault)
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from gateway.store import audit
from gateway.store.models import Bericht


class Status(enum.StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QUEUED = "queued"
    DELIVERED = "delivered"
    ANSWERED = "answered"
    DEAD_LETTER = "dead_letter"
    HANDLED = "handled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset({Status.QUEUED, Status.ANSWERED}),
    Status.REJECTED: frozenset({Status.HANDLED, Status.QUEUED}),
    Status.QUEUED: frozenset({Status.DELIVERED, Status.DEAD_LETTER}),
    # A hub may accept an envelope and refuse it later in an asynchronous Fo01 (StUF-GGk); the message
    # then did not arrive after all and needs a person, exactly like one refused at once.
    Status.DELIVERED: frozenset({Status.ANSWERED, Status.DEAD_LETTER}),
    Status.DEAD_LETTER: frozenset({Status.QUEUED, Status.HANDLED}),
    Status.ANSWERED: frozenset(),
    Status.HANDLED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, bericht_id: str, current: str, target: str):
        super().__init__(f"bericht {bericht_id}: overgang {current} → {target} is niet toegestaan")
        self.current = current
        self.target = target


def allowed(current: str, target: str) -> bool:
    try:
        return Status(target) in TRANSITIONS[Status(current)]
    except ValueError:
        return False


def transition(session: Session, bericht: Bericht, target: Status, *, actor: str, action: str | None = None,
               details: dict[str, object] | None = None) -> None:
    if not allowed(bericht.status, target):
        raise IllegalTransition(bericht.id, bericht.status, target)
    previous = bericht.status
    bericht.status = target
    audit.append(session, actor=actor, action=action or str(target), bericht_id=bericht.id, from_state=previous,
                 to_state=target, details=details)
