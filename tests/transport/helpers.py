"""Messages and clocks for the transport tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import receive
from tests.msgedit import Msg
from tests.reference import our_example

GEMEENTE = "0599"
AANBIEDER = "12345678"


def variant(naam: str, identificatie: str) -> bytes:
    """Our example message with another BerichtIdentificatie, so it is a new message to the store."""
    return Msg(our_example(naam)).set("Header/BerichtIdentificatie/Identificatie", identificatie).bytes()


def opgeslagen(sessions: sessionmaker[Session], naam: str = "WMO301", identificatie: str = "T0001") -> str:
    """Store an accepted message as its Afzender submitted it; returns its id."""
    data = variant(naam, identificatie)
    afzender = Msg(data).text("Header/Afzender") or ""
    r = receive(sessions, data, party=afzender)
    assert r.status == "accepted", [f.code for f in r.errors]
    return r.id


class Klok:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime | None = None):
        self.nu = start or dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.nu

    def verder(self, **delta: float) -> dt.datetime:
        self.nu += dt.timedelta(**delta)
        return self.nu
