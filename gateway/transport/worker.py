"""`iwmo-gateway worker`: sends what the outbox holds and pulls what the hubs hold for us.

A pulled envelope is acknowledged (DELETE) only after it is committed and its SHA-256 verified; a crash in
between means it is pulled again and recognised by its envelope id. Several workers may run against one
PostgreSQL database; on SQLite run one.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from gateway.herverwerking.uitvoering import Herverwerker
from gateway.ingest.vastlegging import CrossRules
from gateway.settings import Settings
from gateway.store.models import utcnow
from gateway.store.wekker import Wekker
from gateway.transport import adapter as adapters
from gateway.transport.adapter import Transport, TransportFout, Verbinding
from gateway.transport.meldingen import Meldingen
from gateway.transport.ontvangst import ControlesomFout, Inbox
from gateway.transport.outbox import Beleid, Klok, Outbox
from gateway.transport.routing import Routeringstabel
from gateway.transport.webhooks import Webhooks

log = logging.getLogger("gateway.transport.worker")

# VECOZO hands out at most 250 messages per pull.
MAX_OPHALEN = 250


@dataclass
class Ronde:
    verzonden: int = 0
    opgehaald: int = 0
    bevestigd: int = 0
    fouten: int = 0
    herverwerkt: int = 0


class Transporten:
    """One transport per connection, shared by the worker's threads (httpx clients are thread-safe)."""

    def __init__(self, maker: Callable[[Verbinding], Transport] = adapters.maak, timeout: float = 30.0):
        self._maker = maker
        self._timeout = timeout
        self._cache: dict[Verbinding, Transport] = {}
        self._lock = threading.Lock()

    def __call__(self, verbinding: Verbinding) -> Transport:
        with self._lock:
            if verbinding not in self._cache:
                self._cache[verbinding] = self._maker(
                    Verbinding(verbinding.adapter, verbinding.endpoint, verbinding.credentials, self._timeout))
            return self._cache[verbinding]

    def close(self) -> None:
        with self._lock:
            for t in self._cache.values():
                t.close()
            self._cache.clear()


class Worker:
    def __init__(self, sessions: sessionmaker[Session], routes: Routeringstabel, *, settings: Settings,
                 transporten: Transporten | None = None, klok: Klok = utcnow, rng: random.Random | None = None,
                 cross_rules: CrossRules | None = None, batch: int = 20):
        self.sessions = sessions
        self.routes = routes
        self.transporten = transporten or Transporten(timeout=settings.transport_timeout_s)
        self.outbox = Outbox(sessions, Beleid.uit(settings), klok=klok, rng=rng)
        self.inbox = Inbox(sessions, routes, cross_rules=cross_rules, max_bytes=settings.max_bericht_bytes,
                           eigen_partijen=frozenset(settings.identiteit))
        self.webhooks = Webhooks(sessions, settings, self.outbox.beleid, klok=klok, rng=rng)  # issue 14
        self.meldingen = Meldingen(sessions, klok=klok)  # deadlines and alert signals as events, once a minute
        self.herverwerker = Herverwerker(sessions, routes, klok=klok)  # replay batches, a chunk per round
        self.batch = batch

    def verstuur(self) -> int:
        """Work the outbox until nothing more is due now."""
        totaal = 0
        while True:
            n = self.outbox.werk(self.transporten, limit=self.batch, routes=self.routes)
            totaal += n
            if n < self.batch:
                return totaal

    def haal_op(self, ronde: Ronde) -> None:
        for verbinding in self.routes.verbindingen_om_op_te_halen():
            transport = self.transporten(verbinding)
            try:
                berichten = transport.ophalen(MAX_OPHALEN)
            except TransportFout as exc:
                ronde.fouten += 1
                log.warning("ophalen bij %s (%s) mislukt: %s", verbinding.endpoint, verbinding.adapter, exc)
                continue
            for o in berichten:
                ronde.opgehaald += 1
                try:
                    aankomst = self.inbox.ontvang(o, adapter=verbinding.adapter)
                except ControlesomFout as exc:
                    ronde.fouten += 1
                    log.error("%s", exc)
                    continue
                try:
                    transport.bevestig(o.id)
                    ronde.bevestigd += 1
                except TransportFout as exc:  # stored already; the next pull finds it again and skips it
                    ronde.fouten += 1
                    log.warning("bevestigen van %s bij %s mislukt: %s", o.id, verbinding.endpoint, exc)
                log.info("ontvangen %s envelop %s: %s%s", aankomst.bericht or "onbekend", o.envelop_id,
                         aankomst.status, " (duplicaat)" if aankomst.duplicaat else "",
                         extra={"bericht_id": aankomst.bericht_id})

    def ronde(self, *, ophalen: bool = True) -> Ronde:
        r = Ronde()
        if ophalen:
            self.haal_op(r)
        r.herverwerkt = self.herverwerker.werk()  # before sending, so what it requeued goes out this round
        r.verzonden = self.verstuur()
        self.meldingen.werk()  # before the webhooks, so their deliveries go out in this round
        r.verzonden += self.webhooks.werk(self.batch)  # due webhook deliveries (gateway/transport/webhooks.py)
        return r

    def draai(self, stop: threading.Event, *, interval: float, ophalen: bool = True,
              wekker: Wekker | None = None) -> None:
        """Rounds until `stop`. Between idle rounds wait for the database to change (something queued: sent
        within milliseconds) or for `interval`; the hubs are asked for new messages once per interval, not on
        every wake-up."""
        volgende_ophaling = 0.0
        while not stop.is_set():
            nu = time.monotonic()
            haal_op = ophalen and nu >= volgende_ophaling
            try:
                r = self.ronde(ophalen=haal_op)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker; try again next round
                log.exception("ronde van de worker mislukt")
                r = Ronde()
            if haal_op:
                # A full pull means more is waiting at the hub: ask again at once.
                volgende_ophaling = nu if r.opgehaald >= MAX_OPHALEN else nu + interval
            if r.verzonden == 0 and r.opgehaald == 0 and r.herverwerkt == 0:
                wacht = interval if not ophalen else max(0.0, min(interval, volgende_ophaling - time.monotonic()))
                if wekker is None:
                    stop.wait(wacht)
                else:
                    wekker.wacht(stop, wacht)

    def close(self) -> None:
        self.transporten.close()
