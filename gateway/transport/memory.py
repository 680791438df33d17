"""An in-memory transport for tests: sending calls a handler function, pulling reads a list.

Named channels let a routing table point at one (`adapter = "memory"`, `endpoint = "naam"`) while the test holds
the same object through `kanaal("naam")`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from gateway.transport.adapter import Ontvangen, Resultaat, Verbinding, Zending

Handler = Callable[[Zending], Resultaat]


def _accepteer(_: Zending) -> Resultaat:
    return Resultaat.geslaagd("aangenomen")


class MemoryTransport:
    naam = "memory"

    def __init__(self, handler: Handler | None = None):
        self.handler: Handler = handler or _accepteer
        self.verzonden: list[Zending] = []  # every envelope that got an OK
        self.pogingen: list[Zending] = []  # every call, whatever the outcome
        self.wachtend: list[Ontvangen] = []  # what ophalen hands out until bevestigd
        self.bevestigd: list[str] = []
        self._lock = threading.Lock()

    def verstuur(self, zending: Zending) -> Resultaat:
        with self._lock:
            self.pogingen.append(zending)
        resultaat = self.handler(zending)
        if resultaat.ok:
            with self._lock:
                self.verzonden.append(zending)
        return resultaat

    def klaarzetten(self, envelop_id: str, payload: bytes, *, sha256: str | None = None, **velden: str | None) -> None:
        """Put an envelope in the pull queue, as the hub would for us."""
        digest = sha256 if sha256 is not None else hashlib.sha256(payload).hexdigest()
        with self._lock:
            self.wachtend.append(Ontvangen(id=envelop_id, envelop_id=envelop_id, payload=payload, sha256=digest,
                                           **velden))  # type: ignore[arg-type]

    def ophalen(self, limit: int) -> list[Ontvangen]:
        with self._lock:
            return list(self.wachtend[:limit])

    def bevestig(self, id: str) -> None:
        with self._lock:
            self.wachtend = [o for o in self.wachtend if o.id != id]
            self.bevestigd.append(id)

    def close(self) -> None:
        pass


_KANALEN: dict[str, MemoryTransport] = {}
_KANALEN_LOCK = threading.Lock()


def kanaal(naam: str) -> MemoryTransport:
    with _KANALEN_LOCK:
        return _KANALEN.setdefault(naam, MemoryTransport())


def vergeet_kanalen() -> None:
    with _KANALEN_LOCK:
        _KANALEN.clear()


def maak(verbinding: Verbinding) -> MemoryTransport:
    return kanaal(verbinding.endpoint)
