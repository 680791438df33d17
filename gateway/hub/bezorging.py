"""Delivering envelopes to gemeente endpoints (GGk-style push), with retries until a horizon.

A transient failure (no connection, timeout, 5xx, 408/429, 401/403 while an operator fixes a token) is
retried with exponential backoff and jitter; a refusal (a Fo01 with plek client, another 4xx) ends the
delivery as AanbiedenMislukt at once, as does reaching the horizon (default five days, as Digikoppeling).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from dataclasses import dataclass

import httpx

from gateway.hub.config import HubConfig
from gateway.hub.store import Aflevering, HubStore, utcnow
from gateway.transport import envelope
from gateway.transport.ggk import TIJDELIJK_CODES

log = logging.getLogger("gateway.hub.bezorging")


@dataclass(frozen=True)
class Antwoord:
    gelukt: bool
    definitief: bool  # only meaningful when not gelukt
    reden: str
    code: str | None = None


def beoordeel(status: int, body: bytes) -> Antwoord:
    """What a gemeente endpoint's HTTP answer means for the delivery."""
    fo01 = None
    if body.strip():
        try:
            gelezen = envelope.lees(body)
        except envelope.EnvelopFout:
            gelezen = None
        if gelezen is not None and gelezen.fout is not None:
            fo01 = gelezen.fout
    if fo01 is not None:
        reden = f"Fo01 {fo01.code}: {fo01.omschrijving}"
        tijdelijk = fo01.code in TIJDELIJK_CODES or (fo01.plek == "server" and status >= 500)
        return Antwoord(False, not tijdelijk, reden, fo01.code)
    if 200 <= status < 300:
        return Antwoord(True, False, f"afgeleverd (HTTP {status})")
    if status >= 500 or status in (401, 403, 408, 429):
        return Antwoord(False, False, f"HTTP {status}")
    return Antwoord(False, True, f"geweigerd met HTTP {status}")


def wachttijd(pogingen: int, basis_s: float, max_s: float, rnd: random.Random | None = None) -> float:
    """Exponential backoff with jitter: about basis·2^(n-1), capped, spread over its upper half."""
    r = rnd or random
    grens = min(max_s, basis_s * (2 ** max(pogingen - 1, 0)))
    return grens * (0.5 + r.random() / 2)


class Bezorger:
    def __init__(self, store: HubStore, config: HubConfig, client: httpx.Client | None = None):
        self.store = store
        self.config = config
        self.beleid = config.beleid
        self.client = client or httpx.Client(timeout=self.beleid.timeout_s)
        self._stop = threading.Event()
        self._wek = threading.Event()
        self._thread: threading.Thread | None = None

    def wek(self) -> None:
        """Something new is waiting: deliver now instead of at the next interval."""
        self._wek.set()

    def _post(self, a: Aflevering) -> Antwoord:
        partij = self.config.partijen.get(a.ontvanger)
        if partij is None or partij.endpoint is None:
            return Antwoord(False, True, f"{a.ontvanger} heeft geen endpoint meer in de hubconfiguratie", "IB005")
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        gelezen = envelope.lees(a.envelop)
        headers["SOAPAction"] = f'"{envelope.SOAP_ACTION[gelezen.soort]}"'
        if partij.aflever_token:
            headers["Authorization"] = f"Bearer {partij.aflever_token}"
        try:
            antwoord = self.client.post(partij.endpoint, content=a.envelop, headers=headers)
        except httpx.TransportError as exc:
            return Antwoord(False, False, f"{type(exc).__name__}: {exc or 'geen verbinding'} ({partij.endpoint})")
        return beoordeel(antwoord.status_code, antwoord.content)

    def ronde(self, nu: dt.datetime | None = None) -> int:
        """Try every delivery that is due once; returns how many were delivered."""
        nu = nu or utcnow()
        geleverd = 0
        for a in self.store.te_bezorgen(nu):
            uitkomst = self._post(a)
            if uitkomst.gelukt:
                self.store.afgeleverd(a.id, uitkomst.reden)
                geleverd += 1
                log.info("envelop %s afgeleverd bij %s", a.traceer_id, a.ontvanger)
            elif uitkomst.definitief:
                self.store.mislukt(a.id, uitkomst.reden, uitkomst.code)
                log.warning("envelop %s niet af te leveren bij %s: %s", a.traceer_id, a.ontvanger, uitkomst.reden)
            elif nu - a.ontvangen_op >= dt.timedelta(seconds=self.beleid.horizon_s):
                self.store.mislukt(a.id, f"na {a.pogingen + 1} pogingen opgegeven: {uitkomst.reden}", uitkomst.code)
                log.warning("envelop %s: horizon bereikt voor %s", a.traceer_id, a.ontvanger)
            else:
                wacht = wachttijd(a.pogingen + 1, self.beleid.basis_s, self.beleid.max_s)
                self.store.later_opnieuw(a.id, nu + dt.timedelta(seconds=wacht), uitkomst.reden, uitkomst.code)
                log.info("envelop %s: %s; opnieuw over %.1f s", a.traceer_id, uitkomst.reden, wacht)
        return geleverd

    def _draai(self) -> None:
        while not self._stop.is_set():
            try:
                self.ronde()
            except Exception:  # the loop must survive a bad round (database busy, a bug in one envelope)
                log.exception("bezorgronde mislukt")
            # The interval is for retries that fall due; a new envelope wakes the loop at once.
            self._wek.wait(self.beleid.interval_s)
            self._wek.clear()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._draai, name="hub-bezorging", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wek.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.client.close()
