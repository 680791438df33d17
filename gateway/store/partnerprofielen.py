"""Which profiles a partner exchanges: pinned by an administrator during a transition (table `partner_profiel`).

A party without a row exchanges every installed profile. Pinned, a message of another profile to or from it is
refused before it is stored as accepted (finding PROFIEL, `gateway.ingest.oordeel`): an aanbieder that is not
ready for a new release keeps getting the old one, and one that does no youth care never gets a JW301.
The receive path asks `Partnerprofielen.van` for every message, so the table is read at most once per
`ttl_s` per process; a change made in this process is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.standard import profielen
from gateway.store import audit
from gateway.store.models import PartnerProfiel, utcnow

CACHE_S = 2.0
_wijzigingen = 0  # bumped by every change in this process: caches drop what they hold


class ProfielOngeldig(ValueError):
    """A pin the gateway cannot store; the message says what to enter."""


def _sleutels(tekst: str) -> frozenset[str]:
    return frozenset(s for s in (d.strip() for d in tekst.split(",")) if s)


def alle(session: Session) -> dict[str, frozenset[str]]:
    return {code: _sleutels(tekst) for code, tekst in session.execute(select(PartnerProfiel.code,
                                                                              PartnerProfiel.profielen))}


def zet_vast(session: Session, code: str, sleutels: Iterable[str], *, actor: str) -> None:
    """Pin a party to these installed profiles; no profiles frees it (every installed profile again). Audited."""
    global _wijzigingen
    code = code.strip()
    if not (code.isdigit() and len(code) in (4, 8)):
        raise ProfielOngeldig(f"Code: '{code}' is geen gemeentecode (4 cijfers) of AGB-code (8 cijfers).")
    gekozen = sorted({s.strip().lower() for s in sleutels if s.strip()})
    for sleutel in gekozen:
        try:
            profielen.get(sleutel)
        except KeyError:
            raise ProfielOngeldig(f"Profiel: '{sleutel}' is niet geïnstalleerd; kies uit "
                                  f"{', '.join(p.sleutel for p in profielen.PROFIELEN)}.") from None
    rij = session.get(PartnerProfiel, code)
    vorige = sorted(_sleutels(rij.profielen)) if rij else None
    if not gekozen:
        if rij is not None:
            session.delete(rij)
    elif rij is None:
        session.add(PartnerProfiel(code=code, profielen=",".join(gekozen), bijgewerkt_door=actor[:80],
                                   bijgewerkt_at=utcnow()))
    else:
        rij.profielen, rij.bijgewerkt_door, rij.bijgewerkt_at = ",".join(gekozen), actor[:80], utcnow()
    audit.append(session, actor=actor, action="partner_profielen",
                 details={"partner": code, "profielen": gekozen or "alle", "was": vorige or "alle"})
    _wijzigingen += 1


class Partnerprofielen:
    """The pins, read at most once per `ttl_s`: what the receive path consults for every message."""

    def __init__(self, sessions: sessionmaker[Session], *, ttl_s: float = CACHE_S):
        self.sessions = sessions
        self.ttl_s = ttl_s
        self._slot = threading.Lock()
        self._tot = 0.0
        self._gezien = -1
        self._pins: dict[str, frozenset[str]] = {}

    def van(self, code: str | None) -> frozenset[str] | None:
        """The profile keys `code` is pinned to; None: not pinned (every installed profile)."""
        if not code:
            return None
        nu = time.monotonic()
        with self._slot:
            vers = self._tot > nu and self._gezien == _wijzigingen
        if not vers:
            with self.sessions() as session:
                pins = alle(session)
            with self._slot:
                self._pins, self._tot, self._gezien = pins, nu + self.ttl_s, _wijzigingen
        return self._pins.get(code)
