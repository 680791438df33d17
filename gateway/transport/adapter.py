"""The one small interface between the outbox/inbox and the networks: send, pull, acknowledge, close.

An adapter knows its wire (StUF-GGk SOAP, VECOZO REST, a directory, memory); the outbox and the worker never
do. Adapters are found by name: ours are built in, third parties add theirs through the entry-point group
`iwmo_gateway.transport` (a callable taking a `Verbinding` and returning a `Transport`).
"""

from __future__ import annotations

import enum
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

import httpx

ENTRY_POINT_GROUP = "iwmo_gateway.transport"

# Ours, so a source checkout without installed metadata still finds them; entry points may add or replace.
_INGEBOUWD = {
    "ggk": "gateway.transport.ggk:maak",
    "vecozo": "gateway.transport.vecozo:maak",
    "filesystem": "gateway.transport.filesystem:maak",
    "memory": "gateway.transport.memory:maak",
}

# The adapters whose `ophalen` also takes `wacht_s`, asking the other side to hold the pull until something arrives
# (our hub's long poll, gateway/transport/vecozo.py). A route asks for it with `wacht_ms`, only on these.
WACHTEND_OPHALEN = frozenset({"vecozo"})


class Uitkomst(enum.StrEnum):
    OK = "ok"
    TIJDELIJK = "tijdelijk"  # try again later: connection error, timeout, 5xx, 503
    DEFINITIEF = "definitief"  # refused for good: 4xx, 422, a Fo01; retrying cannot help


@dataclass(frozen=True, slots=True)
class Resultaat:
    uitkomst: Uitkomst
    detail: str = ""
    http_status: int | None = None
    code: str | None = None  # the refusing party's foutcode (IB005, BRS33, StUF055, …) when it gave one

    @property
    def ok(self) -> bool:
        return self.uitkomst is Uitkomst.OK

    @classmethod
    def geslaagd(cls, detail: str = "", http_status: int | None = None) -> Resultaat:
        return cls(Uitkomst.OK, detail, http_status)

    @classmethod
    def tijdelijk(cls, detail: str, http_status: int | None = None, code: str | None = None) -> Resultaat:
        return cls(Uitkomst.TIJDELIJK, detail, http_status, code)

    @classmethod
    def definitief(cls, detail: str, http_status: int | None = None, code: str | None = None) -> Resultaat:
        return cls(Uitkomst.DEFINITIEF, detail, http_status, code)


@dataclass(frozen=True, slots=True)
class Zending:
    """One envelope to hand over: the iWmo payload plus the routing data each adapter puts in its own envelope.

    The direction comes from the message type, not from the payload header: a retourbericht keeps the
    heenbericht's Afzender/Ontvanger (IV028) but travels the other way.
    """

    envelop_id: str  # StUF referentienummer / VECOZO traceerId: fresh lower-case UUID v4, kept over retries
    functie: str  # WMO301 …
    zender: str  # gemeentecode or AGB code of the party that sends this envelope
    ontvanger: str
    payload: bytes
    retour: bool = False  # a retourbericht travels as Du01 with a crossRefnummer
    conversatie_id: str | None = None
    antwoord_op: str | None = None  # the envelope this one answers (crossRefnummer / alsAntwoordOp)


@dataclass(frozen=True, slots=True)
class Ontvangen:
    """One envelope a transport handed us; `id` is what `bevestig` takes once it is safely stored."""

    id: str
    envelop_id: str
    payload: bytes
    zender: str | None = None  # None: take it from the payload (the message type decides the direction)
    ontvanger: str | None = None
    functie: str | None = None
    sha256: str | None = None  # the checksum the transport announced; None when it announces none
    conversatie_id: str | None = None
    antwoord_op: str | None = None


@dataclass(frozen=True, slots=True)
class Verbinding:
    """Where an adapter connects: from the routing table. `credentials` names an environment variable."""

    adapter: str
    endpoint: str
    credentials: str | None = None
    timeout: float = 30.0

    def geheim(self) -> str | None:
        return os.environ.get(self.credentials) if self.credentials else None

    def http_client(self, **headers: str) -> httpx.Client:
        """An httpx client for this endpoint, carrying the bearer token from `credentials` when there is one."""
        token = self.geheim()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(timeout=self.timeout, headers=headers)


@runtime_checkable
class Transport(Protocol):
    naam: str

    def verstuur(self, zending: Zending) -> Resultaat: ...

    def ophalen(self, limit: int) -> list[Ontvangen]:
        """The waiting envelopes, at most `limit`. An adapter in WACHTEND_OPHALEN also takes `wacht_s`."""
        ...

    def bevestig(self, id: str) -> None: ...

    def close(self) -> None: ...


class TransportFout(Exception):
    """Pulling or acknowledging failed (network, refused); the worker logs it and tries again next round."""


class OnbekendeAdapter(LookupError):
    pass


Fabriek = Callable[[Verbinding], Transport]


def _laad_doel(doel: str) -> Fabriek:
    module, _, attr = doel.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def beschikbaar() -> dict[str, str]:
    """Adapter name -> 'module:callable', built-ins first and installed entry points over them."""
    found = dict(_INGEBOUWD)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


def fabriek(naam: str) -> Fabriek:
    doelen = beschikbaar()
    if naam not in doelen:
        raise OnbekendeAdapter(
            f"onbekende transport-adapter {naam!r}; beschikbaar: {', '.join(sorted(doelen))} (andere adapters "
            f"installeer je als pakket met een entry point in de groep {ENTRY_POINT_GROUP!r})"
        )
    return _laad_doel(doelen[naam])


def maak(verbinding: Verbinding) -> Transport:
    return fabriek(verbinding.adapter)(verbinding)
