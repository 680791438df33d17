"""`iwmo-gateway worker`: sends what the outbox holds and pulls what the hubs hold for us.

A pulled envelope is acknowledged (DELETE) only after it is committed and its SHA-256 verified; a crash in
between means it is pulled again and recognised by its envelope id. Several workers may run against one
PostgreSQL database; on SQLite run one.

Running (`draai`), each connection to pull from has a thread of its own, so a pull the hub holds until a message
arrives (a route's `wacht_ms`) never keeps the outbox waiting, and what a pull stored is answered at once.
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
# How often an idle sending loop without a database wekker looks whether it was stopped or a pull stored something.
WEKSTAP_S = 0.05


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
        """Pull once from every connection, without waiting (a route's wacht_ms holds only `draai`'s pulls)."""
        for verbinding in self.routes.verbindingen_om_op_te_halen():
            self.haal_op_bij(verbinding, ronde)

    def haal_op_bij(self, verbinding: Verbinding, ronde: Ronde, wacht_s: float = 0.0) -> None:
        """One pull from one connection: store each envelope, then acknowledge it. With `wacht_s` the other side
        may hold the pull until something arrives (only adapters in WACHTEND_OPHALEN; the routing table sees to
        that)."""
        transport = self.transporten(verbinding)
        try:
            if wacht_s > 0:
                berichten = transport.ophalen(MAX_OPHALEN, wacht_s=wacht_s)  # type: ignore[call-arg]
            else:
                berichten = transport.ophalen(MAX_OPHALEN)
        except TransportFout as exc:
            ronde.fouten += 1
            log.warning("ophalen bij %s (%s) mislukt: %s", verbinding.endpoint, verbinding.adapter, exc)
            return
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
        """Send rounds until `stop`. Between idle rounds wait for the database to change (something queued: sent
        within milliseconds), for a pull to store something, or for `interval`. With `ophalen`, every connection
        to pull from gets a thread of its own for as long as this runs (`_haal_op_lus`): a held pull never keeps
        the outbox waiting. Returns once those threads ended too: a held pull ends within its wait (and margin)."""
        opgehaald = threading.Event()
        verbindingen = self.routes.verbindingen_om_op_te_halen() if ophalen else []
        ophalers = [threading.Thread(target=self._haal_op_lus, args=(stop, v, interval, opgehaald),
                                     name=f"ophalen-{i}-{v.adapter}", daemon=True)
                    for i, v in enumerate(verbindingen)]
        for t in ophalers:
            t.start()
        try:
            while not stop.is_set():
                try:
                    r = self.ronde(ophalen=False)
                except Exception:  # noqa: BLE001 - a database hiccup must not end the worker; try again next round
                    log.exception("ronde van de worker mislukt")
                    r = Ronde()
                if r.verzonden or r.herverwerkt or opgehaald.is_set():
                    opgehaald.clear()  # the next round sends what was stored (its retourberichten) at once
                    continue
                if wekker is None:
                    _wacht_op(stop, opgehaald, interval)
                else:
                    wekker.wacht(stop, interval)  # storing a pulled message changes the database: it wakes too
        finally:
            for t in ophalers:
                t.join()

    def _haal_op_lus(self, stop: threading.Event, verbinding: Verbinding, interval: float,
                     opgehaald: threading.Event) -> None:
        """Pull from one connection until `stop`: held pulls back to back where the route asks for them
        (`wacht_ms`), otherwise once per interval; see `pauze_na_ophalen`."""
        wacht_s = self.routes.wachttijd_s(verbinding)
        while not stop.is_set():
            begin = time.monotonic()
            r = Ronde()
            try:
                self.haal_op_bij(verbinding, r, wacht_s)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the pulling; try again after a pause
                log.exception("ophalen bij %s (%s) mislukt", verbinding.endpoint, verbinding.adapter)
                r.fouten += 1
            if r.opgehaald:
                opgehaald.set()
            stop.wait(pauze_na_ophalen(r, wacht_s=wacht_s, duur_s=time.monotonic() - begin, interval=interval))

    def close(self) -> None:
        self.transporten.close()


def pauze_na_ophalen(r: Ronde, *, wacht_s: float, duur_s: float, interval: float) -> float:
    """How long to wait before the next pull over a connection.

    A full pull means more is waiting: at once. A held pull (wacht_s > 0) that went well is followed by the next
    one at once, because the hub's holding is the wait; but not after a failure (a message whose checksum fails
    would come back at once, forever) nor after an empty answer well within the wait: that hub does not hold
    pulls (VECOZO itself, or its room for held pulls is full), so it is asked once per interval, as without one.
    """
    if r.opgehaald >= MAX_OPHALEN:
        return 0.0
    if wacht_s > 0 and not r.fouten and (r.opgehaald or duur_s >= wacht_s / 2):
        return 0.0
    return interval


def _wacht_op(stop: threading.Event, opgehaald: threading.Event, seconden: float) -> None:
    """Until `stop`, a pull stored something, or `seconden` passed (without a database wekker)."""
    einde = time.monotonic() + seconden
    while not stop.is_set() and not opgehaald.is_set():
        rest = einde - time.monotonic()
        if rest <= 0:
            return
        opgehaald.wait(min(rest, WEKSTAP_S))
