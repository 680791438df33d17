"""Delivering events to webhook subscriptions, following the Standard Webhooks specification.

Each `webhook_aflevering` is worked like the outbox's `aflevering`: claimed with a lease (status `sending`
until `volgende_poging_at`, `FOR UPDATE SKIP LOCKED` on PostgreSQL), posted outside any transaction, and its
outcome recorded afterwards; a worker killed mid-post leaves a lease that runs out, after which the event goes
again with the same `webhook-id`, so the receiver can drop the repeat (at least once). Failures are retried
with the outbox's backoff; after `IWMO_WEBHOOK_MAX_POGINGEN` failures in a row the subscription is paused,
with the reason, until someone resumes it. Redirects are never followed, and the URL's addresses are checked
again at every attempt (a name may resolve elsewhere than when the subscription was made).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import random
import secrets
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from gateway.gebeurtenissen.vastleggen import WebhookStatus
from gateway.settings import Settings
from gateway.store.models import Abonnement, Gebeurtenis, WebhookAflevering, utcnow
from gateway.transport.outbox import Beleid, Klok

log = logging.getLogger("gateway.transport.webhooks")

GEHEIM_PREFIX = "whsec_"
_FOUT_MAX = 500  # what is kept of a receiver's answer


def nieuw_geheim() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return GEHEIM_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def webhook_id(gebeurtenis_id: int) -> str:
    # One id per event: every attempt and every resend of it carries the same one, so a receiver dedupes.
    return f"evt_{gebeurtenis_id}"


def body(g: Gebeurtenis) -> bytes:
    """The Standard Webhooks payload shape: type, timestamp and data (links, never message bytes or a Bsn)."""
    created = g.created_at if g.created_at.tzinfo else g.created_at.replace(tzinfo=dt.UTC)
    document = {"type": g.type, "timestamp": created.isoformat().replace("+00:00", "Z"),
                "data": {"id": g.id, **g.payload}}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def headers(geheim: str, msg_id: str, moment: dt.datetime, data: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(geheim).sign(msg_id, moment, data.decode("utf-8")),
            "content-type": "application/json"}


# -- which URLs may be called ------------------------------------------------------------------------------

def _verboden(adres: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(adres, ipaddress.IPv6Address) and adres.ipv4_mapped is not None:
        adres = adres.ipv4_mapped
    return (adres.is_loopback or adres.is_link_local or adres.is_private or adres.is_reserved
            or adres.is_multicast or adres.is_unspecified or not adres.is_global)


def url_probleem(url: str, *, prive_toegestaan: bool) -> str | None:
    """Why this URL may not receive webhooks (in Dutch, saying what to do), or None when it may."""
    try:
        delen = urlsplit(url)
        poort = delen.port
    except ValueError:
        return f"De url {url!r} is ongeldig. Geef een volledige http- of https-url, zoals https://voorbeeld.nl/hook."
    if delen.scheme not in ("http", "https") or not delen.hostname:
        return "Alleen http- en https-url's met een hostnaam kunnen webhooks ontvangen, zoals https://voorbeeld.nl/hook."
    if delen.username or delen.password:
        return "Zet geen gebruikersnaam of wachtwoord in de url; de handtekening (webhook-signature) bewijst de afzender."
    if prive_toegestaan:
        return None
    try:
        adressen = {info[4][0] for info in socket.getaddrinfo(delen.hostname, poort or 443, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return f"De hostnaam {delen.hostname} kan niet worden opgezocht. Controleer de url."
    for adres in sorted(adressen):
        if _verboden(ipaddress.ip_address(adres.split("%")[0])):
            return (f"De url wijst naar {adres}, een loopback-, link-local- of privéadres; dat is niet toegestaan "
                    "(SSRF). Gebruik een publiek bereikbare url, of laat de beheerder IWMO_WEBHOOK_PRIVE_TOEGESTAAN "
                    "aanzetten voor een ontvanger in het eigen netwerk.")
    return None


# -- working the deliveries --------------------------------------------------------------------------------

class Webhooks:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, beleid: Beleid | None = None, *,
                 klok: Klok = utcnow, rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.sessions = sessions
        self.beleid = beleid or Beleid.uit(settings)
        self.max_pogingen = settings.webhook_max_pogingen
        self.timeout = settings.webhook_timeout_s
        self.prive_toegestaan = settings.webhook_prive_toegestaan
        self.klok = klok
        self.rng = rng or random.Random()
        self.transport = transport  # tests plug in an httpx.MockTransport

    def claim(self, limit: int = 20) -> list[int]:
        """Lease up to `limit` due deliveries of unpaused subscriptions; other workers skip the locked rows."""
        nu = self.klok()
        with self.sessions() as session, session.begin():
            stmt = (select(WebhookAflevering)
                    .join(Abonnement, Abonnement.id == WebhookAflevering.abonnement_id)
                    .where(WebhookAflevering.status.in_((WebhookStatus.PENDING, WebhookStatus.FAILED,
                                                         WebhookStatus.SENDING)),
                           WebhookAflevering.volgende_poging_at <= nu, Abonnement.gepauzeerd.is_(False))
                    .order_by(WebhookAflevering.volgende_poging_at, WebhookAflevering.id).limit(limit)
                    .with_for_update(skip_locked=True, of=WebhookAflevering))
            rijen = list(session.scalars(stmt))
            for rij in rijen:
                rij.status = WebhookStatus.SENDING
                rij.volgende_poging_at = nu + self.beleid.lease
                rij.updated_at = nu
            return [r.id for r in rijen]

    def _post(self, client: httpx.Client, aflevering_id: int) -> tuple[int | None, str | None]:
        """One attempt: (HTTP status, error) — error None means delivered."""
        with self.sessions() as session:
            a = session.get_one(WebhookAflevering, aflevering_id)
            abonnement = session.get_one(Abonnement, a.abonnement_id)
            url, geheim = abonnement.url, abonnement.geheim
            data, msg_id = body(a.gebeurtenis), webhook_id(a.gebeurtenis_id)
        if (probleem := url_probleem(url, prive_toegestaan=self.prive_toegestaan)) is not None:
            return None, probleem
        try:
            antwoord = client.post(url, content=data, headers=headers(geheim, msg_id, self.klok(), data))
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:_FOUT_MAX]
        if antwoord.is_success:
            return antwoord.status_code, None
        if antwoord.is_redirect:
            return antwoord.status_code, "doorverwijzing niet gevolgd; geef de url waar de webhook moet aankomen"
        return antwoord.status_code, f"HTTP {antwoord.status_code}: {antwoord.text[:200]}"[:_FOUT_MAX]

    def vastleggen(self, aflevering_id: int, http_status: int | None, fout: str | None) -> str:
        """Record one attempt's outcome; a subscription failing `max_pogingen` times in a row is paused."""
        nu = self.klok()
        with self.sessions() as session, session.begin():
            a = session.get_one(WebhookAflevering, aflevering_id)
            if a.status != WebhookStatus.SENDING:
                return a.status  # our lease ran out and another worker finished it: its outcome stands
            abonnement = session.get_one(Abonnement, a.abonnement_id)
            a.pogingen += 1
            a.laatste_http_status, a.updated_at = http_status, nu
            if fout is None:
                a.status, a.delivered_at, a.laatste_fout = WebhookStatus.DELIVERED, nu, None
                abonnement.fouten_op_rij = 0
                return a.status
            a.status, a.laatste_fout = WebhookStatus.FAILED, fout
            a.volgende_poging_at = nu + self.beleid.wachttijd(a.pogingen, self.rng)
            abonnement.fouten_op_rij += 1
            if abonnement.fouten_op_rij >= self.max_pogingen and not abonnement.gepauzeerd:
                abonnement.gepauzeerd = True
                abonnement.reden = (f"gepauzeerd op {nu:%Y-%m-%d %H:%M} UTC na {abonnement.fouten_op_rij} mislukte "
                                    f"afleveringen op rij; laatste fout: {fout}. Herstel de ontvanger en hervat met "
                                    f"POST /api/v1/abonnementen/{abonnement.id}/hervat.")
                log.warning("webhook-abonnement %s gepauzeerd: %s", abonnement.id, fout)
            return a.status

    def werk(self, limit: int = 20) -> int:
        """One pass: claim what is due and post it. Returns how many deliveries were attempted."""
        ids = self.claim(limit)
        if not ids:
            return 0
        with httpx.Client(timeout=self.timeout, follow_redirects=False, transport=self.transport) as client:
            for aflevering_id in ids:
                status, fout = self._post(client, aflevering_id)
                self.vastleggen(aflevering_id, status, fout)
        return len(ids)


# -- what the API and the console call ---------------------------------------------------------------------

class WordtVerstuurd(Exception):
    """A delivery a worker holds right now: re-sending it would race the attempt under way."""


def pauzeer(abonnement: Abonnement, *, actor: str, nu: dt.datetime | None = None) -> None:
    """Pause by hand: the worker skips its waiting deliveries until it is resumed."""
    nu = nu or utcnow()
    abonnement.gepauzeerd, abonnement.reden = True, f"gepauzeerd door {actor} op {nu:%Y-%m-%d %H:%M} UTC"


def hervat(session: Session, abonnement: Abonnement, *, nu: dt.datetime | None = None) -> None:
    """Resume a paused subscription: what waited goes out at the next round."""
    nu = nu or utcnow()
    abonnement.gepauzeerd, abonnement.reden, abonnement.fouten_op_rij = False, None, 0
    for a in session.scalars(select(WebhookAflevering).where(
            WebhookAflevering.abonnement_id == abonnement.id,
            WebhookAflevering.status.in_((WebhookStatus.PENDING, WebhookStatus.FAILED)))):
        a.volgende_poging_at = nu


def opnieuw(aflevering: WebhookAflevering, *, nu: dt.datetime | None = None) -> None:
    """Send an event again (the receiver lost it): due now, with the same webhook-id."""
    if aflevering.status == WebhookStatus.SENDING:
        raise WordtVerstuurd(f"Aflevering {aflevering.id} wordt op dit moment verstuurd; probeer het zo opnieuw.")
    nu = nu or utcnow()
    aflevering.status, aflevering.volgende_poging_at, aflevering.updated_at = WebhookStatus.PENDING, nu, nu


class WebhookCollector(Collector):
    """`iwmo_webhook_gepauzeerd{abonnement}`: 1 while a subscription is paused (config/alerts.yml alerts on it)."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._familie()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        familie = self._familie()
        with self.sessions() as session:
            for abonnement_id, gepauzeerd in session.execute(select(Abonnement.id, Abonnement.gepauzeerd)):
                familie.add_metric([str(abonnement_id)], 1.0 if gepauzeerd else 0.0)
        yield familie

    @staticmethod
    def _familie() -> GaugeMetricFamily:
        return GaugeMetricFamily("iwmo_webhook_gepauzeerd", "1 zolang een webhook-abonnement gepauzeerd is",
                                 labels=["abonnement"])
