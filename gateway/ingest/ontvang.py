"""The use case "receive a message", as the API, the inbound transport, the worker's pulls and the CLI call it.

Judging happens in the caller's thread, before any transaction; writing goes through the process's writer
(group commit) when there is one, or straight into one transaction of its own (CLI, tests, the demo seed).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.oordeel import Ingekort, Oordeel, beoordeel
from gateway.ingest.schrijver import Schrijver
from gateway.ingest.vastlegging import Aanlevering, CrossRules, Na, Received, Vooraf, leg_vast
from gateway.store.partnerprofielen import Partnerprofielen
from gateway.store.wekker import meld_wijziging


class Ontvanger:
    def __init__(self, sessions: sessionmaker[Session], *, cross_rules: CrossRules | None = None,
                 max_bytes: int | None = None, namens: frozenset[str] | None = None,
                 schrijver: Schrijver | None = None, retour_dagtekening: dt.date | None = None):
        self.sessions = sessions
        self.cross_rules = cross_rules
        self.max_bytes = max_bytes
        self.namens = namens or None
        self.schrijver = schrijver
        self.retour_dagtekening = retour_dagtekening
        self.partnerprofielen = Partnerprofielen(sessions)

    def beoordeel(self, data: bytes | Ingekort) -> Oordeel:
        return beoordeel(data, max_bytes=self.max_bytes, namens=self.namens,
                         retour_dagtekening=self.retour_dagtekening, vastgezet=self.partnerprofielen.van)

    def ontvang(self, bericht: bytes | Ingekort | Oordeel, *, party: str, richting: str = "in", vooraf: Vooraf | None = None,
                na: Na | None = None) -> Received:
        oordeel = bericht if isinstance(bericht, Oordeel) else self.beoordeel(bericht)
        aanlevering = Aanlevering(oordeel, party=party, richting=richting, vooraf=vooraf, na=na)
        if self.schrijver is not None:
            return self.schrijver.schrijf(aanlevering)
        return schrijf_los(self.sessions, aanlevering, cross_rules=self.cross_rules)


def schrijf_los(sessions: sessionmaker[Session], aanlevering: Aanlevering, *,
                cross_rules: CrossRules | None = None) -> Received:
    """Write one judged message in a transaction of its own (no writer thread)."""
    with sessions() as session, session.begin():
        uitkomst = leg_vast(session, [aanlevering], cross_rules=cross_rules)[0]
        meld_wijziging(session)
    return uitkomst


def receive(sessions: sessionmaker[Session], data: bytes | Ingekort, *, party: str, richting: str = "in",
            cross_rules: CrossRules | None = None, max_bytes: int | None = None,
            retour_dagtekening: dt.date | None = None, namens: frozenset[str] | None = None) -> Received:
    """Judge and store one message, committed before it returns; unreadable and rejected messages are stored
    too. Identical bytes from the same party return the stored message (`duplicaat`)."""
    return Ontvanger(sessions, cross_rules=cross_rules, max_bytes=max_bytes, namens=namens,
                     retour_dagtekening=retour_dagtekening).ontvang(data, party=party, richting=richting)
