"""Retention: after the configured term a finished message loses its payload and its personal data.

What stays is what proves the message existed and what was decided: the metadata, the SHA-256 and size of
the bytes, the findings and the audit trail (which is append-only and is never shortened; the purge itself is
an event). Two terms, because they protect different things:

- the *inhoud* term removes the stored bytes and the Bsn search key (nobody needs to read an old message to
  run the chain);
- the *feiten* term removes the facts the cross-message rules compare against (they hold the Bsn too). A
  toewijzing can run for years and a declaratie may be corrected long after it was sent, so this term must
  cover the longest back-reference the parties make; until it passes, TR019, TR323, TR333 … keep working.

Only messages in a state without open work are touched: never one that is still received or queued, nor a
rejected message or dead letter that waits for a person — except that a rejected message loses its content
after a term of its own (the *afgekeurd* term): refused bytes, however many arrive, are not kept for ever, and a
rejected message is proof of what was refused, not of care given. A refused body that was no message at all
was stored only as a prefix (`Bericht.ingekort`); `inhoud` hands that prefix out and the caller says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gateway.store import audit
from gateway.store.lifecycle import Status
from gateway.store.models import Bericht, BerichtSleutel, Feit, utcnow

AFGEROND = (Status.ACCEPTED, Status.DELIVERED, Status.ANSWERED, Status.HANDLED)
PERSOONSSLEUTELS = ("Bsn",)
ACTOR = "systeem:bewaartermijn"
BATCH = 500  # one transaction per batch: a long purge never holds the write lock for long


class Opgeschoond(Exception):
    """The payload of this message was removed when its retention term passed."""

    def __init__(self, bericht: Bericht):
        super().__init__(
            f"De inhoud van bericht {bericht.id} is na de bewaartermijn verwijderd; "
            f"sha256 {bericht.sha256} en {bericht.size} bytes blijven als bewijs bewaard.")
        self.bericht_id = bericht.id


def inhoud(bericht: Bericht) -> bytes:
    """The stored bytes, or Opgeschoond when retention removed them (an empty message is never stored)."""
    if not bericht.raw and bericht.size:
        raise Opgeschoond(bericht)
    return bericht.raw


@dataclass(frozen=True)
class Opschoning:
    inhoud: int = 0  # finished messages whose bytes and Bsn key were removed
    bytes: int = 0  # stored bytes removed, of finished and rejected messages together
    feiten: int = 0  # messages whose cross-rule facts were removed
    afgekeurd: int = 0  # rejected messages whose bytes and Bsn key were removed


def _grens(dagen: int, nu: dt.datetime) -> dt.datetime:
    return nu - dt.timedelta(days=dagen)


def _kandidaten_inhoud(grens: dt.datetime, statussen: tuple[Status, ...] = AFGEROND):  # type: ignore[no-untyped-def]
    return (select(Bericht.id, func.length(Bericht.raw))
            .where(Bericht.created_at < grens, Bericht.status.in_([str(s) for s in statussen]),
                   func.length(Bericht.raw) > 0)
            .order_by(Bericht.created_at, Bericht.id))


def _kandidaten_feiten(grens: dt.datetime):  # type: ignore[no-untyped-def]
    heeft_feiten = select(Feit.id).where(Feit.bericht_id == Bericht.id).exists()
    return (select(Bericht.id)
            .where(Bericht.created_at < grens, Bericht.status.in_([str(s) for s in AFGEROND]), heeft_feiten)
            .order_by(Bericht.created_at, Bericht.id))


def opschonen(sessions: Callable[[], Session], *, inhoud_dagen: int | None, feiten_dagen: int | None,
              afgekeurd_dagen: int | None = None, nu: dt.datetime | None = None, proef: bool = False) -> Opschoning:
    """Purge what has passed its term; with `proef` only count. Safe to run again: a purged row is skipped."""
    nu = nu or utcnow()
    if inhoud_dagen is not None and feiten_dagen is not None and feiten_dagen < inhoud_dagen:
        raise ValueError("de bewaartermijn voor feiten mag niet korter zijn dan die voor de inhoud")
    aantal_inhoud = aantal_bytes = aantal_feiten = aantal_afgekeurd = 0
    if inhoud_dagen is not None:
        aantal_inhoud, weg = _verwijder_inhoud_na(sessions, _kandidaten_inhoud(_grens(inhoud_dagen, nu)),
                                                  inhoud_dagen, proef)
        aantal_bytes += weg
    if afgekeurd_dagen is not None:
        kandidaten = _kandidaten_inhoud(_grens(afgekeurd_dagen, nu), (Status.REJECTED,))
        aantal_afgekeurd, weg = _verwijder_inhoud_na(sessions, kandidaten, afgekeurd_dagen, proef)
        aantal_bytes += weg
    if feiten_dagen is not None:
        kandidaten = _kandidaten_feiten(_grens(feiten_dagen, nu))
        for rijen in _in_porties(sessions, kandidaten, proef):
            aantal_feiten += len(rijen)
            if not proef:
                with sessions() as session, session.begin():
                    for (bericht_id,) in rijen:
                        _verwijder_feiten(session, bericht_id, feiten_dagen)
    return Opschoning(inhoud=aantal_inhoud, bytes=aantal_bytes, feiten=aantal_feiten, afgekeurd=aantal_afgekeurd)


def _verwijder_inhoud_na(sessions: Callable[[], Session], kandidaten, dagen: int,  # type: ignore[no-untyped-def]
                         proef: bool) -> tuple[int, int]:
    """(messages, bytes) whose content the term removes (or would remove, with `proef`)."""
    aantal = weg = 0
    for rijen in _in_porties(sessions, kandidaten, proef):
        aantal += len(rijen)
        weg += sum(lengte for _, lengte in rijen)
        if not proef:
            with sessions() as session, session.begin():
                for bericht_id, lengte in rijen:
                    _verwijder_inhoud(session, bericht_id, lengte, dagen)
    return aantal, weg


def _in_porties(sessions: Callable[[], Session], kandidaten, proef: bool):  # type: ignore[no-untyped-def]
    """Batches of candidate rows. A purged row stops being a candidate, so each batch re-asks from the start;
    a dry run asks once, for all of them."""
    while True:
        with sessions() as session:
            rijen = [tuple(r) for r in session.execute(kandidaten if proef else kandidaten.limit(BATCH))]
        if rijen:
            yield rijen
        if proef or len(rijen) < BATCH:
            return


def _verwijder_inhoud(session: Session, bericht_id: str, size: int, dagen: int) -> None:
    session.execute(update(Bericht).where(Bericht.id == bericht_id).values(raw=b""))
    session.execute(delete(BerichtSleutel).where(BerichtSleutel.bericht_id == bericht_id,
                                                 BerichtSleutel.kind.in_(PERSOONSSLEUTELS)))
    audit.append(session, actor=ACTOR, action="inhoud_verwijderd", bericht_id=bericht_id,
                 details={"bewaartermijn_dagen": dagen, "bytes": size})


def _verwijder_feiten(session: Session, bericht_id: str, dagen: int) -> None:
    session.execute(delete(Feit).where(Feit.bericht_id == bericht_id))
    audit.append(session, actor=ACTOR, action="feiten_verwijderd", bericht_id=bericht_id,
                 details={"bewaartermijn_dagen": dagen})
