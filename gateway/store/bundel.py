"""The rows a writer's group inserts with Core statements instead of the ORM's unit of work.

A received message makes a message row, its retourbericht's row, their keys, findings, a TR056 claim and an
event. Through the ORM each of those is an object the unit of work tracks, orders and inserts (≈ 3 ms a message
for a group of one, more than judging it); here they are plain values collected for the whole group and
inserted with one `executemany` per table, message rows first (the others refer to them).

A message row stays an ordinary `Bericht` object the writer and its hooks read and change (a transition, a
link to its heenbericht); it is inserted with whatever values it has when the bundle is written out, and from
then on it belongs to the session like a row it loaded, so a later change is an UPDATE. The bundle is written
out when the group ends, before anything the ORM flushes (an outbox delivery, a declaratie's processing refers
to the row), and on request before a query that must see the group's earlier rows (`schrijf_uit`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from gateway.store.models import Bericht, BerichtSleutel, Bevinding, Gebeurtenis, IdentificatieClaim
from gateway.store.voorbereid import Invoegen

_BUNDEL = "iwmo_bundel"
_BERICHT_KOLOMMEN = tuple(c.key for c in Bericht.__table__.columns)

_INSERT_BERICHT = Invoegen(Bericht.__table__)
_INSERT_SLEUTEL = Invoegen(BerichtSleutel.__table__)
_INSERT_BEVINDING = Invoegen(Bevinding.__table__)
_INSERT_CLAIM = Invoegen(IdentificatieClaim.__table__)
_INSERT_GEBEURTENIS = Invoegen(Gebeurtenis.__table__)


@dataclass
class Bundel:
    berichten: list[Bericht] = field(default_factory=list)
    bevindingen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per message id
    claims: list[dict[str, Any]] = field(default_factory=list)
    gebeurtenissen: list[dict[str, Any]] = field(default_factory=list)


def van(session: Session) -> Bundel | None:
    """The session's open bundle, if a writer opened one."""
    return session.info.get(_BUNDEL)


@contextlib.contextmanager
def bundel(session: Session) -> Iterator[Bundel]:
    """Collect rows for the rest of this unit of work; they are written out when it ends (the caller commits)."""
    b = Bundel()
    session.info[_BUNDEL] = b
    try:
        yield b
        schrijf_uit(session)
    finally:
        session.info.pop(_BUNDEL, None)


def voeg_toe(session: Session, row: Bericht) -> bool:
    """Queue a new message row (its keys come from `row.nieuwe_sleutels`); False when no bundle is open."""
    b = van(session)
    if b is None:
        return False
    b.berichten.append(row)
    return True


def gebeurtenis(session: Session, rij: dict[str, Any]) -> bool:
    """Queue an event row (no subscription wants it, so nothing needs its id now); False without a bundle."""
    b = van(session)
    if b is None:
        return False
    b.gebeurtenissen.append(rij)
    return True


def sleutelrijen(row: Bericht) -> list[dict[str, Any]]:
    """The key rows of a message row made by `new_row` (its `nieuwe_sleutels`), as they are inserted."""
    return [{"bericht_id": row.id, "kind": k, "value": v} for k, v in (getattr(row, "nieuwe_sleutels", None) or ())]


def schrijf_sleutels(session: Session, rijen: list[dict[str, Any]]) -> None:
    """Insert key rows (their messages must be written already): one statement, on the driver's cursor."""
    _INSERT_SLEUTEL.voer_uit(session, rijen)


def schrijf_uit(session: Session, *, behalve: Bericht | None = None) -> None:
    """Insert what the bundle holds (all but `behalve`, a row still being decided) and let the session treat
    the message rows as loaded ones."""
    b = van(session)
    if b is None:
        return
    rijen = [r for r in b.berichten if r is not behalve]
    if not (rijen or b.claims or b.gebeurtenissen):
        return
    b.berichten = [r for r in b.berichten if r is behalve]
    if rijen:
        _INSERT_BERICHT.voer_uit(session, [{k: getattr(r, k) for k in _BERICHT_KOLOMMEN} for r in rijen])
        schrijf_sleutels(session, [k for r in rijen for k in sleutelrijen(r)])
        gevonden = [f for r in rijen for f in b.bevindingen.pop(r.id, ())]
        if gevonden:
            _INSERT_BEVINDING.voer_uit(session, gevonden)
    # A claim names its message row: it waits while that row does.
    wacht = {r.id for r in b.berichten}
    klaar = [c for c in b.claims if c["bericht_id"] not in wacht]
    if klaar:
        _INSERT_CLAIM.voer_uit(session, klaar)
        b.claims = [c for c in b.claims if c["bericht_id"] in wacht]
    if b.gebeurtenissen:
        _INSERT_GEBEURTENIS.voer_uit(session, b.gebeurtenissen)
        b.gebeurtenissen = []
    for r in rijen:
        make_transient_to_detached(r)
        session.add(r)


@event.listens_for(Session, "before_flush")
def _eerst_de_bundel(session: Session, _context: object, _instances: object) -> None:
    # Whatever the ORM flushes may refer to a queued message row (a delivery, a declaratie's processing).
    schrijf_uit(session)
