"""What readers ask of the store: filtered lists with keyset pagination, one message, its trail, the inbox."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from gateway.standard import catalogue
from gateway.store.models import AuditEvent, Bericht, BerichtSleutel, Bevinding, utcnow


@dataclass(frozen=True)
class Filter:
    party: str | None = None  # restrict to messages this party sent or receives
    type: str | None = None
    status: str | None = None
    richting: str | None = None
    # Who sends the message and to whom it travels (verzender/adressaat): for a retourbericht the reverse of its
    # header, which keeps the heenbericht's Afzender/Ontvanger (IV028).
    afzender: str | None = None
    ontvanger: str | None = None
    vanaf: dt.datetime | None = None
    tot: dt.datetime | None = None
    regel: str | None = None
    retourcode: str | None = None
    partner: str | None = None  # verzender or adressaat
    zoek: str | None = None  # prefix of an identifier: identificatie or a business key


def _encode_cursor(row: Bericht) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str] | None:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(created), str(ident)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


class BadCursor(ValueError):
    pass


def _naam(type_: str) -> str:
    """A message type as stored: 'WMO301', 'JW301'; a bare number ('301') is the first profile's."""
    try:
        return catalogue.get(type_).naam
    except KeyError:
        return type_.upper()  # matches nothing: the caller validated the filter already


def apply(stmt: Select, f: Filter) -> Select:  # type: ignore[type-arg]
    if f.party:
        stmt = stmt.where(or_(Bericht.verzender == f.party, Bericht.adressaat == f.party,
                              Bericht.submitted_by == f.party))
    if f.type:
        stmt = stmt.where(Bericht.berichttype == _naam(f.type))
    if f.status:
        stmt = stmt.where(Bericht.status == f.status)
    if f.richting:
        stmt = stmt.where(Bericht.richting == f.richting)
    if f.afzender:
        stmt = stmt.where(Bericht.verzender == f.afzender)
    if f.ontvanger:
        stmt = stmt.where(Bericht.adressaat == f.ontvanger)
    if f.partner:
        stmt = stmt.where(or_(Bericht.verzender == f.partner, Bericht.adressaat == f.partner))
    if f.vanaf:
        stmt = stmt.where(Bericht.created_at >= f.vanaf)
    if f.tot:
        stmt = stmt.where(Bericht.created_at < f.tot)
    if f.regel:
        stmt = stmt.where(exists().where(Bevinding.bericht_id == Bericht.id, Bevinding.code == f.regel))
    if f.retourcode:
        stmt = stmt.where(exists().where(Bevinding.bericht_id == Bericht.id, Bevinding.retourcode == f.retourcode))
    if f.zoek:
        prefix = f.zoek.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(
            Bericht.identificatie.like(prefix, escape="\\"),
            Bericht.id.like(prefix, escape="\\"),
            Bericht.conversatie_id.like(prefix, escape="\\"),
            exists().where(BerichtSleutel.bericht_id == Bericht.id, BerichtSleutel.kind != "Bsn",
                           BerichtSleutel.value.like(prefix, escape="\\")),
        ))
    return stmt


def list_berichten(session: Session, f: Filter, *, limit: int = 50, cursor: str | None = None
                   ) -> tuple[list[Bericht], str | None]:
    """Newest first; `cursor` continues after the last row of the previous page."""
    stmt = apply(select(Bericht), f).order_by(Bericht.created_at.desc(), Bericht.id.desc())
    if cursor:
        decoded = _decode_cursor(cursor)
        if decoded is None:
            raise BadCursor(cursor)
        created, ident = decoded
        stmt = stmt.where(or_(Bericht.created_at < created, (Bericht.created_at == created) & (Bericht.id < ident)))
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode_cursor(rows[-1]) if more and rows else None)


def count(session: Session, f: Filter) -> int:
    return session.scalar(apply(select(func.count()).select_from(Bericht), f)) or 0


def get(session: Session, bericht_id: str) -> Bericht | None:
    return session.get(Bericht, bericht_id)


def answers(session: Session, bericht_id: str) -> list[Bericht]:
    return list(session.scalars(select(Bericht).where(Bericht.antwoord_op_id == bericht_id)
                                .order_by(Bericht.created_at)))


def retour_for(session: Session, bericht_id: str) -> Bericht | None:
    return next(iter(answers(session, bericht_id)), None)


def conversation(session: Session, conversatie_id: str) -> list[Bericht]:
    return list(session.scalars(select(Bericht).where(Bericht.conversatie_id == conversatie_id)
                                .order_by(Bericht.created_at)))


def audit_for(session: Session, bericht_id: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.bericht_id == bericht_id)
                                .order_by(AuditEvent.seq)))


def inbox(session: Session, party: str, *, limit: int = 50, cursor: str | None = None) -> tuple[list[Bericht], str | None]:
    """Unread messages addressed to the party, oldest first."""
    stmt = select(Bericht).where(Bericht.adressaat == party, Bericht.gelezen_at.is_(None),
                                 Bericht.status.in_(("accepted", "queued", "delivered", "answered")))
    stmt = stmt.order_by(Bericht.created_at, Bericht.id)
    if cursor:
        decoded = _decode_cursor(cursor)
        if decoded is None:
            raise BadCursor(cursor)
        created, ident = decoded
        stmt = stmt.where(or_(Bericht.created_at > created, (Bericht.created_at == created) & (Bericht.id > ident)))
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode_cursor(rows[-1]) if more and rows else None)


def acknowledge(session: Session, bericht: Bericht) -> None:
    if bericht.gelezen_at is None:
        bericht.gelezen_at = utcnow()


def client_timeline(session: Session, bsn: str) -> list[Bericht]:
    """Every message about one client, by dagtekening: toewijzingen, starts, stops, verzoeken, declaraties."""
    ids = select(BerichtSleutel.bericht_id).where(BerichtSleutel.kind == "Bsn", BerichtSleutel.value == bsn)
    heen = list(session.scalars(select(Bericht).where(Bericht.id.in_(ids))))
    answers_ = list(session.scalars(select(Bericht).where(Bericht.antwoord_op_id.in_([b.id for b in heen])))) if heen else []
    rows = {b.id: b for b in heen + answers_}
    return sorted(rows.values(), key=lambda b: (b.dagtekening or dt.date.min, b.created_at))


def counts_by(session: Session, *, since: dt.datetime) -> list[tuple[str | None, str, str | None, int]]:
    """(berichttype, status, partner, count) for the dashboard."""
    stmt = (select(Bericht.berichttype, Bericht.status, Bericht.verzender, func.count())
            .where(Bericht.created_at >= since)
            .group_by(Bericht.berichttype, Bericht.status, Bericht.verzender))
    return [(t, s, p, n) for t, s, p, n in session.execute(stmt)]
