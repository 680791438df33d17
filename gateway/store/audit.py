"""The audit trail: an append-only hash chain over every event.

Each event's hash is SHA-256 over a canonical JSON of its content and the previous event's hash, so an
edited, deleted, inserted or reordered row breaks the chain at that point. Appends are serialised
(PostgreSQL: a transaction-scoped advisory lock; SQLite: every transaction takes the write lock at BEGIN).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, utcnow

GENESIS = "0" * 64
_LOCK_KEY = 0x1A7D17  # the advisory lock that serialises appends on PostgreSQL


def _canonical_time(at: dt.datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were written as UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *, seq: int, at: dt.datetime, actor: str, action: str, bericht_id: str | None, from_state: str | None,
    to_state: str | None, details: dict[str, Any], prev_hash: str,
) -> str:
    content = {
        "seq": seq,
        "at": _canonical_time(at),
        "actor": actor,
        "action": action,
        "bericht_id": bericht_id,
        "from_state": from_state,
        "to_state": to_state,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    bericht_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction (committed with the change it records)."""
    _lock(session)
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = utcnow()
    payload = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    event = AuditEvent(
        seq=seq, at=at, actor=actor, action=action, bericht_id=bericht_id, from_state=from_state,
        to_state=to_state, details=payload, prev_hash=prev,
        hash=event_hash(seq=seq, at=at, actor=actor, action=action, bericht_id=bericht_id, from_state=from_state,
                        to_state=to_state, details=payload, prev_hash=prev),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


@dataclass(frozen=True)
class Anker:
    """An event's seq and hash kept somewhere else (a ticket, a second system): a chain cut short after it, or
    rewritten from the start, can no longer hold it, which the chain alone cannot show."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anker:
        seq, sep, digest = text.partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            raise ValueError(f"anker {text!r}: verwacht SEQ:HASH, zoals 'audit verify' het afdrukt")
        return cls(int(seq), digest.lower())

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def head(session: Session) -> Anker | None:
    """The newest event, to export as an anchor."""
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return Anker(row.seq, row.hash) if row else None


def verify_chain(session: Session, *, batch: int = 5000, anker: Anker | None = None) -> BrokenLink | None:
    """Walk the chain from the start; the first link that does not hold, or None when all hold.

    With an anker, the chain must also still hold that event with that hash."""
    broken = _walk(session, batch)
    if broken is None and anker is not None:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == anker.seq))
        if stored is None:
            return BrokenLink(anker.seq, "het geankerde event ontbreekt: de keten is na dat event ingekort")
        if stored != anker.hash:
            return BrokenLink(anker.seq, "het geankerde event heeft een andere hash: de keten is herschreven")
    return broken


def _walk(session: Session, batch: int) -> BrokenLink | None:
    expected_seq = 1
    prev = GENESIS
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return None
        for e in rows:
            if e.seq != expected_seq:
                return BrokenLink(expected_seq, f"event {expected_seq} ontbreekt (volgende is {e.seq})")
            if e.prev_hash != prev:
                return BrokenLink(e.seq, "prev_hash wijst niet naar het vorige event (verwijderd of verplaatst)")
            recomputed = event_hash(
                seq=e.seq, at=e.at, actor=e.actor, action=e.action, bericht_id=e.bericht_id,
                from_state=e.from_state, to_state=e.to_state, details=e.details or {}, prev_hash=e.prev_hash,
            )
            if recomputed != e.hash:
                return BrokenLink(e.seq, "inhoud gewijzigd: de hash klopt niet meer")
            prev = e.hash
            expected_seq += 1
            last_seq = e.seq
