"""Webhook subscriptions in the console: who is told what, how each delivery went, and the operator's hand on them.

The rules live in `gateway.transport.webhooks` (the API calls the same `pauzeer`, `hervat` and `opnieuw`); here
only reading for the pages and the audit event each console action leaves. The signing secret never leaves the
store: the views below do not carry it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.admin.acties import Geweigerd
from gateway.gebeurtenissen.vastleggen import WebhookStatus
from gateway.store import audit
from gateway.store.models import Abonnement, WebhookAflevering
from gateway.store.wekker import meld_wijziging
from gateway.transport import webhooks

RECENT = 100  # deliveries on the detail page, newest first (the API pages further with ?limit)


@dataclass(frozen=True)
class Abonnementweergave:
    """A subscription as the console shows it: everything but the secret."""

    id: int
    partij: str | None  # None: an administrator's subscription to every party's events
    url: str
    gebeurtenissen: list[str]
    berichttypen: list[str]
    gepauzeerd: bool
    reden: str | None
    fouten_op_rij: int
    aangemaakt_door: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Afleveringweergave:
    id: int
    gebeurtenis_id: int
    type: str
    webhook_id: str
    status: str
    pogingen: int
    volgende_poging_at: dt.datetime | None  # None once delivered: nothing follows
    laatste_http_status: int | None
    laatste_fout: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def opnieuw_mogelijk(self) -> bool:
        return self.status != WebhookStatus.SENDING  # the server checks again (webhooks.opnieuw)


def _weergave(a: Abonnement) -> Abonnementweergave:
    return Abonnementweergave(a.id, a.partij, a.url, list(a.gebeurtenissen), list(a.berichttypen), a.gepauzeerd,
                              a.reden, a.fouten_op_rij, a.aangemaakt_door, a.created_at)


def overzicht(session: Session) -> list[Abonnementweergave]:
    """Every subscription, paused ones first (they need someone), then by id."""
    rijen = session.scalars(select(Abonnement).order_by(Abonnement.gepauzeerd.desc(), Abonnement.id))
    return [_weergave(a) for a in rijen]


def laad(session: Session, abonnement_id: int) -> Abonnementweergave | None:
    a = session.get(Abonnement, abonnement_id)
    return None if a is None else _weergave(a)


def afleveringen(session: Session, abonnement_id: int, limit: int = RECENT) -> list[Afleveringweergave]:
    rijen = session.scalars(select(WebhookAflevering).where(WebhookAflevering.abonnement_id == abonnement_id)
                            .order_by(WebhookAflevering.id.desc()).limit(limit))
    return [Afleveringweergave(
        r.id, r.gebeurtenis_id, r.gebeurtenis.type, webhooks.webhook_id(r.gebeurtenis_id), r.status, r.pogingen,
        None if r.status == WebhookStatus.DELIVERED else r.volgende_poging_at, r.laatste_http_status,
        r.laatste_fout, r.delivered_at, r.created_at,
    ) for r in rijen]


def _abonnement(session: Session, abonnement_id: int) -> Abonnement:
    a = session.get(Abonnement, abonnement_id)
    if a is None:
        raise Geweigerd(f"Abonnement {abonnement_id} bestaat niet (meer); het kan via de API verwijderd zijn. "
                        "Ververs de lijst van abonnementen.")
    return a


def pauzeer(session: Session, abonnement_id: int, *, actor: str) -> None:
    a = _abonnement(session, abonnement_id)
    if a.gepauzeerd:
        raise Geweigerd(f"Abonnement {abonnement_id} is al gepauzeerd ({a.reden}); hervat het eerst als dat de "
                        "bedoeling was.")
    webhooks.pauzeer(a, actor=actor)
    audit.append(session, actor=actor, action="webhook_gepauzeerd", details={"abonnement": a.id, "url": a.url})


def hervat(session: Session, abonnement_id: int, *, actor: str) -> None:
    a = _abonnement(session, abonnement_id)
    if not a.gepauzeerd:
        raise Geweigerd(f"Abonnement {abonnement_id} is niet gepauzeerd; er valt niets te hervatten.")
    reden = a.reden
    webhooks.hervat(session, a)
    # Why it stood still belongs in the trail: the row forgets it the moment it is resumed.
    audit.append(session, actor=actor, action="webhook_hervat",
                 details={"abonnement": a.id, "url": a.url, "reden": reden})
    meld_wijziging(session)  # a waiting worker sends what waited now, not at its next interval


def opnieuw(session: Session, abonnement_id: int, aflevering_id: int, *, actor: str) -> None:
    _abonnement(session, abonnement_id)
    a = session.get(WebhookAflevering, aflevering_id)
    if a is None or a.abonnement_id != abonnement_id:
        raise Geweigerd(f"Aflevering {aflevering_id} hoort niet bij abonnement {abonnement_id}; ververs de pagina.")
    vorige = a.status
    try:
        webhooks.opnieuw(a)
    except webhooks.WordtVerstuurd as fout:
        raise Geweigerd(str(fout)) from None
    audit.append(session, actor=actor, action="webhook_opnieuw",
                 details={"abonnement": abonnement_id, "aflevering": a.id,
                          "webhook_id": webhooks.webhook_id(a.gebeurtenis_id), "was": vorige})
    meld_wijziging(session)
