"""The audit trail: an append-only hash chain over every event.

Each event's hash is SHA-256 over a canonical JSON of its content and the previous event's hash, so an
edited, deleted, inserted or reordered row breaks the chain at that point. Appends are serialised
(PostgreSQL: a transaction-scoped advisory lock; SQLite: every transaction takes the write lock at BEGIN).

Anyone who can write to the database can also rewrite the chain and compute every hash again. Two things
outside the database catch that: an anker (`SEQ:HASH` printed by `audit verify`, kept elsewhere) and the
audit key. With `IWMO_AUDIT_KEY` set, every event also carries `mac` = HMAC-SHA256(key, hash); without the
key nobody can make a valid mac for a rewritten event. Make the key once with
`python3 -c "import secrets; print(secrets.token_hex(32))"`, give it to the gateway processes and to whoever
runs `audit verify` (a secret store, not the database or its backups), and never change it: events keyed with
a lost key can no longer be checked. Events from before the key was set have no mac and are counted, not
failed; an event without a mac after one with a mac is a fault (someone appended without the key).

The chain also vouches for the messages: `verify_berichten` checks each stored message against its events
(the SHA-256 of its bytes, that its events exist, that its status is where its last transition left it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent, Bericht, utcnow
from gateway.store.voorbereid import Invoegen, Voorbereid

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


def event_mac(key: str, digest: str) -> str:
    """HMAC-SHA256 of an event's hash under the audit key: only the key holder can make it."""
    return hmac.new(key.encode("utf-8"), digest.encode("ascii"), hashlib.sha256).hexdigest()


def configured_key() -> str | None:
    """IWMO_AUDIT_KEY, read where every append can reach it without each caller passing it on."""
    from gateway.settings import get_settings

    key = get_settings().audit_key
    return key.get_secret_value() if key is not None else None


_JSON_SCALAIR = (str, int, float, bool, type(None))


class _GeenJson(Exception):
    pass


def _json_kopie(waarde: Any) -> Any:
    t = type(waarde)
    if t in _JSON_SCALAIR:
        return waarde
    if t is dict and all(type(k) is str for k in waarde):
        return {k: _json_kopie(v) for k, v in waarde.items()}
    if t is list:
        return [_json_kopie(v) for v in waarde]
    raise _GeenJson


def _als_json(details: dict[str, Any]) -> dict[str, Any]:
    """The details as JSON will give them back (what is hashed must be what a verifier reads), as a copy (the
    event is written when the group ends: a caller changing its dict meanwhile must not change the event).
    Plain JSON values are copied; anything else (a date, a tuple) goes through a JSON round trip."""
    try:
        return _json_kopie(details)  # type: ignore[no-any-return]
    except _GeenJson:
        return json.loads(json.dumps(details, ensure_ascii=False, default=str))  # type: ignore[no-any-return]


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
) -> None:
    """Add one event to the chain inside the caller's transaction (committed with the change it records).

    Inside `ketting(session)` the head comes from memory and the event is written with the rest of the group;
    otherwise the head is read (under the chain's lock) and the event inserted at once, after what the session
    holds (the row it names may be new). No ORM object is made for an event."""
    open_ketting: Ketting | None = session.info.get(_KETTING)
    if open_ketting is not None:
        seq, prev = open_ketting.seq + 1, open_ketting.hash
    else:
        _lock(session)
        last = _kop(session)
        seq = (last.seq + 1) if last else 1
        prev = last.hash if last else GENESIS
    at = utcnow()
    payload = _als_json(details or {})
    digest = event_hash(seq=seq, at=at, actor=actor, action=action, bericht_id=bericht_id, from_state=from_state,
                        to_state=to_state, details=payload, prev_hash=prev)
    key = configured_key()
    velden = {"seq": seq, "at": at, "actor": actor, "action": action, "bericht_id": bericht_id,
              "from_state": from_state, "to_state": to_state, "details": payload, "prev_hash": prev,
              "hash": digest, "mac": event_mac(key, digest) if key else None}
    if open_ketting is not None:
        # Written in one statement with the rest of the group's events when the group's chain closes.
        open_ketting.seq, open_ketting.hash = seq, digest
        open_ketting.rijen.append(velden)
        return
    session.flush()
    _INSERT_EVENT.voer_uit(session, [velden])


_KETTING = "iwmo_audit_ketting"
_HOOFD = Voorbereid(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))


def _kop(session: Session) -> Anker | None:
    """The chain's newest event (seq, hash), for every reader of the head: appends, groups, anchors."""
    rij = next(iter(_HOOFD.rijen(session)), None)
    return Anker(rij[0], rij[1]) if rij else None
_INSERT_EVENT = Invoegen(AuditEvent.__table__)


@dataclass
class Ketting:
    """The chain's head while one transaction appends many events (a group of received messages)."""

    seq: int
    hash: str
    rijen: list[dict[str, Any]] = field(default_factory=list)  # events appended, not yet written


@contextlib.contextmanager
def ketting(session: Session) -> Iterator[Ketting]:
    """Take the chain's lock, read its head once and let every `append` in this transaction continue from
    memory. The lock is held until the transaction ends, so no other writer can append in between."""
    _lock(session)
    last = _kop(session)
    k = Ketting(last.seq if last else 0, last.hash if last else GENESIS)
    session.info[_KETTING] = k
    try:
        yield k
        if k.rijen:  # one executemany for the whole group, after its messages (no ORM unit of work needed)
            _INSERT_EVENT.voer_uit(session, k.rijen)
    finally:
        session.info.pop(_KETTING, None)


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
    row = _kop(session)
    return Anker(row.seq, row.hash) if row else None


@dataclass(frozen=True)
class Ketencontrole:
    """What walking the chain found: the first broken link (None: all hold) and what the macs say."""

    broken: BrokenLink | None
    events: int = 0
    zonder_mac: int = 0  # events before the key was set (no mac), counted only while no keyed event came yet
    met_mac: int = 0
    macs_gecontroleerd: bool = False


def verify_chain(session: Session, *, batch: int = 5000, anker: Anker | None = None,
                 key: str | None = None) -> BrokenLink | None:
    """Walk the chain from the start; the first link that does not hold, or None when all hold.

    With an anker, the chain must also still hold that event with that hash; with the audit key, every mac
    must be the key's."""
    return walk_chain(session, batch=batch, anker=anker, key=key).broken


def walk_chain(session: Session, *, batch: int = 5000, anker: Anker | None = None,
               key: str | None = None) -> Ketencontrole:
    walked = _walk(session, batch, key)
    if walked.broken is None and anker is not None:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == anker.seq))
        if stored is None:
            reason = "het geankerde event ontbreekt: de keten is na dat event ingekort"
            return Ketencontrole(BrokenLink(anker.seq, reason), walked.events, walked.zonder_mac, walked.met_mac,
                                 walked.macs_gecontroleerd)
        if stored != anker.hash:
            reason = "het geankerde event heeft een andere hash: de keten is herschreven"
            return Ketencontrole(BrokenLink(anker.seq, reason), walked.events, walked.zonder_mac, walked.met_mac,
                                 walked.macs_gecontroleerd)
    return walked


def _walk(session: Session, batch: int, key: str | None) -> Ketencontrole:
    expected_seq = 1
    prev = GENESIS
    last_seq = 0
    zonder_mac = met_mac = 0
    first_keyed: int | None = None

    def result(broken: BrokenLink | None) -> Ketencontrole:
        return Ketencontrole(broken, expected_seq - 1, zonder_mac, met_mac, key is not None)

    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return result(None)
        for e in rows:
            if e.seq != expected_seq:
                return result(BrokenLink(expected_seq, f"event {expected_seq} ontbreekt (volgende is {e.seq})"))
            if e.prev_hash != prev:
                return result(BrokenLink(e.seq, "prev_hash wijst niet naar het vorige event (verwijderd of verplaatst)"))
            recomputed = event_hash(
                seq=e.seq, at=e.at, actor=e.actor, action=e.action, bericht_id=e.bericht_id,
                from_state=e.from_state, to_state=e.to_state, details=e.details or {}, prev_hash=e.prev_hash,
            )
            if recomputed != e.hash:
                return result(BrokenLink(e.seq, "inhoud gewijzigd: de hash klopt niet meer"))
            if e.mac is None:
                if first_keyed is not None:
                    # Once the gateway keys its events it keys every one: a gap is an append without the key.
                    return result(BrokenLink(e.seq, f"geen mac, terwijl event {first_keyed} er wel een heeft: "
                                                    "toegevoegd of herschreven zonder IWMO_AUDIT_KEY"))
                zonder_mac += 1
            else:
                if key is not None and not hmac.compare_digest(e.mac, event_mac(key, e.hash)):
                    return result(BrokenLink(e.seq, "mac klopt niet bij deze sleutel: het event is herschreven "
                                                    "zonder IWMO_AUDIT_KEY (of de sleutel is een andere dan "
                                                    "waarmee het is geschreven)"))
                met_mac += 1
                first_keyed = first_keyed or e.seq
            prev = e.hash
            expected_seq += 1
            last_seq = e.seq


# -- the messages against the chain ------------------------------------------------------------------------

CREATION_ACTIONS = ("ontvangen", "aangemaakt")  # the events that record a message's arrival (and its sha256)
PURGE_ACTIONS = ("inhoud_verwijderd",)  # retention removed the bytes on purpose (gateway/store/retentie.py)
_RAW_CHUNK = 32 * 1024 * 1024  # at most this many message bytes in memory at once (one bigger message alone)


@dataclass(frozen=True)
class Afwijking:
    """One thing about one message that the chain does not vouch for."""

    bericht_id: str
    wat: str

    def __str__(self) -> str:
        return f"bericht {self.bericht_id}: {self.wat}"


@dataclass
class Berichtencontrole:
    berichten: int = 0
    opgeschoond: int = 0  # bytes removed by retention, with its event
    ingekort: int = 0  # only a prefix kept (a refused body): the bytes cannot be checked, status and events can
    aantal_afwijkingen: int = 0
    afwijkingen: list[Afwijking] = field(default_factory=list)  # the first `max_getoond`

    def add(self, afwijking: Afwijking, max_getoond: int) -> None:
        self.aantal_afwijkingen += 1
        if len(self.afwijkingen) < max_getoond:
            self.afwijkingen.append(afwijking)


@dataclass(frozen=True)
class _Meta:
    id: str
    status: str
    sha256: str
    size: int
    lengte: int  # bytes actually stored in raw
    ingekort: bool


@dataclass(frozen=True)
class _Event:
    seq: int
    action: str
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


def judge_bericht(meta: _Meta, digest: str | None, events: Sequence[_Event]) -> list[str]:
    """What is wrong with one message given its stored metadata, the SHA-256 of its stored bytes (None when
    they were not read: purged or ingekort) and its events in seq order. Pure, so each rule is testable."""
    if not events:
        return ["heeft geen audit-events: de events van dit bericht zijn uit de keten verwijderd"]
    fouten: list[str] = []
    if meta.ingekort:
        pass  # raw holds a prefix of what arrived; sha256 and size describe the whole body
    elif meta.lengte == 0 and meta.size > 0:
        if not any(e.action in PURGE_ACTIONS for e in events):
            fouten.append(f"de opgeslagen bytes ontbreken ({meta.size} verwacht) zonder event van de bewaartermijn "
                          f"({', '.join(PURGE_ACTIONS)})")
    else:
        if meta.lengte != meta.size:
            fouten.append(f"er zijn {meta.lengte} bytes opgeslagen, kolom size zegt {meta.size}")
        if digest != meta.sha256:
            fouten.append(f"de opgeslagen bytes zijn gewijzigd: hun sha256 is {digest}, kolom sha256 zegt "
                          f"{meta.sha256}")
    for e in events:
        recorded = e.details.get("sha256") if e.action in CREATION_ACTIONS else None
        if isinstance(recorded, str) and recorded != meta.sha256:
            fouten.append(f"kolom sha256 is {meta.sha256}, maar event {e.seq} ({e.action}) legde {recorded} vast")
    overgangen = [e for e in events if e.to_state is not None]
    if not overgangen:
        fouten.append("geen statusovergang in de audit trail (het ontvangst-event ontbreekt)")
        return fouten
    vorige: str | None = None
    for e in overgangen:
        if e.from_state != vorige:
            fouten.append(f"event {e.seq} ({e.action}) gaat van {e.from_state or '(geen)'} naar {e.to_state}, "
                          f"maar de vorige overgang eindigde in {vorige or '(geen)'}")
            break
        vorige = e.to_state
    laatste = overgangen[-1]
    if meta.status != laatste.to_state:
        fouten.append(f"status is {meta.status}, maar de laatste overgang in de audit trail (event {laatste.seq}, "
                      f"{laatste.action}) is naar {laatste.to_state}")
    return fouten


def verify_berichten(session: Session, *, batch: int = 500, max_getoond: int = 50) -> Berichtencontrole:
    """Check every stored message against the chain, in id order and batch by batch (bytes in bounded
    chunks), and every message the chain knows of that is no longer stored. Linear in messages + events."""
    uitslag = Berichtencontrole()
    last_id = ""
    while True:
        metas = [
            _Meta(r.id, str(r.status), r.sha256, r.size, int(r.lengte or 0), bool(r.ingekort))
            for r in session.execute(
                select(Bericht.id, Bericht.status, Bericht.sha256, Bericht.size, Bericht.ingekort,
                       func.length(Bericht.raw).label("lengte"))
                .where(Bericht.id > last_id).order_by(Bericht.id).limit(batch))
        ]
        if not metas:
            break
        digests = dict(_digests(session, [m for m in metas if not m.ingekort and m.lengte > 0]))
        events = _events_of(session, [m.id for m in metas])
        for m in metas:
            uitslag.berichten += 1
            uitslag.ingekort += m.ingekort
            uitslag.opgeschoond += (not m.ingekort and m.lengte == 0 and m.size > 0)
            for wat in judge_bericht(m, digests.get(m.id), events.get(m.id, ())):
                uitslag.add(Afwijking(m.id, wat), max_getoond)
        last_id = metas[-1].id
    for bericht_id, aantal, eerste in _verdwenen(session):
        uitslag.add(Afwijking(bericht_id, f"staat in de audit trail ({aantal} statusovergang(en), vanaf event "
                                          f"{eerste}) maar is niet meer opgeslagen: de rij is verwijderd"),
                    max_getoond)
    return uitslag


def _digests(session: Session, metas: Sequence[_Meta]) -> Iterator[tuple[str, str]]:
    """(id, sha256 of the stored bytes), reading at most about _RAW_CHUNK bytes per query."""
    for chunk in _chunks(metas, _RAW_CHUNK):
        for bericht_id, raw in session.execute(select(Bericht.id, Bericht.raw).where(Bericht.id.in_(chunk))):
            data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw or b"")  # TEXT written over a BLOB
            yield bericht_id, hashlib.sha256(data).hexdigest()


def _chunks(metas: Iterable[_Meta], limit: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    total = 0
    for m in metas:
        if chunk and total + m.lengte > limit:
            yield chunk
            chunk, total = [], 0
        chunk.append(m.id)
        total += m.lengte
    if chunk:
        yield chunk


def _events_of(session: Session, ids: Sequence[str]) -> dict[str, list[_Event]]:
    events: dict[str, list[_Event]] = {}
    rows = session.execute(
        select(AuditEvent.bericht_id, AuditEvent.seq, AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state,
               AuditEvent.details)
        .where(AuditEvent.bericht_id.in_(ids)).order_by(AuditEvent.bericht_id, AuditEvent.seq))
    for r in rows:
        events.setdefault(r.bericht_id, []).append(
            _Event(r.seq, r.action, r.from_state, r.to_state, r.details if isinstance(r.details, dict) else {}))
    return events


def _verdwenen(session: Session) -> Iterator[tuple[str, int, int]]:
    """Messages whose transitions are in the chain but whose row is gone. Only transitions count: an event
    that merely names an id (a console action on a mistyped id) proves no message ever existed."""
    stored = select(Bericht.id).where(Bericht.id == AuditEvent.bericht_id).exists()
    rows = session.execute(
        select(AuditEvent.bericht_id, func.count(), func.min(AuditEvent.seq))
        .where(AuditEvent.bericht_id.is_not(None), AuditEvent.to_state.is_not(None), ~stored)
        .group_by(AuditEvent.bericht_id).order_by(func.min(AuditEvent.seq)))
    for bericht_id, aantal, eerste in rows:
        yield str(bericht_id), int(aantal), int(eerste)
