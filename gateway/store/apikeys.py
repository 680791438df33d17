"""API keys: created once (the clear key is shown only then), stored as a hash, revocable."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.identiteit import Principal, key_hash, key_prefix, new_key
from gateway.standard import gemeenten
from gateway.store import audit
from gateway.store.models import ApiKey, utcnow

ROLES = ("party", "admin", "operator", "viewer")
BEHEERROLLEN = ("admin", "operator", "viewer")


def partij_fout(party: str) -> str | None:
    """Why `party` cannot own a key (one line naming the rule), or None: a party is a gemeente by its 4-digit
    CBS gemeentecode (one that exists) or an aanbieder by its 8-digit AGB code, as in the berichtheader."""
    if len(party) == 4 and party.isascii() and party.isdigit():
        if gemeenten.bestaat(party):
            return None
        return f"partij {party!r}: gemeentecode staat niet in de CBS-lijst ({gemeenten.BESTAND.name})"
    if len(party) == 8 and party.isascii() and party.isdigit():
        return None
    return (f"partij {party!r}: geen gemeentecode (4 cijfers, zoals 0599) en geen AGB-code (8 cijfers, "
            "zoals 12345678)")


@dataclass(frozen=True)
class NewKey:
    id: int
    key: str
    party: str | None
    role: str


def create(session: Session, *, label: str, party: str | None = None, role: str = "party",
           actor: str = "cli") -> NewKey:
    if role not in ROLES:
        raise ValueError(f"onbekende rol {role!r}; kies uit {', '.join(ROLES)}")
    if (role == "party") != (party is not None):
        raise ValueError("een partijsleutel hoort bij precies één gemeentecode of AGB-code; een beheerrol bij geen")
    fout = partij_fout(party) if party is not None else None
    if fout:
        raise ValueError(fout)
    key = new_key()
    row = ApiKey(key_hash=key_hash(key), prefix=key_prefix(key), party=party, role=role, label=label)
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, action="sleutel_aangemaakt",
                 details={"sleutel": row.id, "partij": party, "rol": role, "label": label})
    return NewKey(row.id, key, party, role)


def revoke(session: Session, key_id: int, *, actor: str = "cli") -> bool:
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.append(session, actor=actor, action="sleutel_ingetrokken", details={"sleutel": key_id})
    global _intrekkingen
    _intrekkingen += 1
    return True


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def authenticate(session: Session, key: str) -> Principal | None:
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(party=row.party, admin=row.role != "party", label=row.label, role=row.role)


# A key checked a moment ago is trusted a moment longer: looking it up costs a database round trip per request,
# as much as judging a message. A revocation made in this process counts at once; one made by another process
# (the CLI, a second instance) within CACHE_S. Unknown keys are not remembered, so guessing fills nothing.
CACHE_S = 2.0
_CACHE_MAX = 4096
_intrekkingen = 0  # revocations made in this process; a change empties every cache


class Sleutelcache:
    def __init__(self, sessions: sessionmaker[Session], *, ttl_s: float = CACHE_S):
        self.sessions = sessions
        self.ttl_s = ttl_s
        self._slot = threading.Lock()
        self._bekend: dict[str, tuple[float, Principal]] = {}
        self._intrekkingen = _intrekkingen

    def onthouden(self, key: str) -> Principal | None:
        """The caller of a key checked less than `ttl_s` ago, without touching the database (so an event loop
        may ask it); None: not known now, ask `authenticate`."""
        with self._slot:
            if self._intrekkingen != _intrekkingen:
                self._bekend.clear()
                self._intrekkingen = _intrekkingen
            hit = self._bekend.get(key)
            return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def authenticate(self, key: str) -> Principal | None:
        nu = time.monotonic()
        if (hit := self.onthouden(key)) is not None:
            return hit
        with self.sessions() as session:
            found = authenticate(session, key)
        if found is not None:
            with self._slot:
                if len(self._bekend) >= _CACHE_MAX:
                    self._bekend.clear()
                self._bekend[key] = (nu + self.ttl_s, found)
        return found
