"""Console sessions kept server-side: a signed cookie is a session only while its row in `beheer_sessie` is live.

A signed cookie cannot be taken back; a row can. A request passes only when its session's row exists, is not
ended, has not expired, and its key is neither revoked nor moved to a role that gives another console role.
Sign-out ends the row; a revoked key or a changed role ends it at the next request, for good (giving the role
back does not revive it). The row's id is the SHA-256 of the session id, so reading the table yields no session
(and a cookie needs the server secret as well).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete
from sqlalchemy.orm import Session

from gateway.admin.sessie import ROL_VAN_SLEUTEL, Beheerder
from gateway.store.models import ApiKey, BeheerSessie

# Expired rows are of no use to anyone; the audit trail keeps who signed in and out.
OPRUIMEN_NA = dt.timedelta(days=1)


def _rij_id(sessie_id: str) -> str:
    return hashlib.sha256(sessie_id.encode()).hexdigest()


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def begin(session: Session, b: Beheerder, *, nu: dt.datetime) -> None:
    """Record a new session (at sign-in) and clear rows that expired long ago."""
    session.execute(delete(BeheerSessie).where(BeheerSessie.verloopt_at < nu - OPRUIMEN_NA))
    session.add(BeheerSessie(id=_rij_id(b.sessie_id), sleutel_id=b.sleutel_id, rol=b.rol, aangemaakt_at=nu,
                             verloopt_at=dt.datetime.fromtimestamp(b.verloopt, dt.UTC)))


def geldig(session: Session, b: Beheerder, *, nu: dt.datetime) -> bool:
    """Whether the session a cookie names is still live. Ends the row when its key no longer carries it; the
    caller commits, so that end sticks."""
    rij = session.get(BeheerSessie, _rij_id(b.sessie_id))
    if rij is None or rij.beeindigd_at is not None or _utc(rij.verloopt_at) <= nu:
        return False
    if rij.sleutel_id != b.sleutel_id or rij.rol != b.rol:
        return False
    sleutel = session.get(ApiKey, rij.sleutel_id)
    if sleutel is None or sleutel.revoked_at is not None or ROL_VAN_SLEUTEL.get(sleutel.role) != rij.rol:
        rij.beeindigd_at = nu
        return False
    return True


def beeindig(session: Session, b: Beheerder, *, nu: dt.datetime) -> None:
    """Sign-out: the session's row ends, so the cookie is worthless even if someone kept a copy."""
    rij = session.get(BeheerSessie, _rij_id(b.sessie_id))
    if rij is not None and rij.beeindigd_at is None:
        rij.beeindigd_at = nu
