"""Recording events and their webhook deliveries, inside the caller's transaction.

A payload carries ids, codes and links only: never message bytes and never a Bsn, so it may travel to a
receiver or sit in a stream without widening who can read personal data (they follow the link with a key).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.standard import catalogue
from gateway.store import bundel
from gateway.store.models import Abonnement, Aflevering, Bericht, Gebeurtenis, WebhookAflevering, utcnow
from gateway.store.voorbereid import Voorbereid, json_waarde


class Type(enum.StrEnum):
    BERICHT_ONTVANGEN = "bericht.ontvangen"  # a message addressed to the party was accepted
    BERICHT_AFGEKEURD = "bericht.afgekeurd"  # a message of the party was rejected, with its finding codes
    ANTWOORD_ONTVANGEN = "antwoord.ontvangen"  # a retourbericht or WMO325 to the party's message arrived
    AFLEVERING_MISLUKT = "aflevering.mislukt"  # a message of the party became a dead letter
    # The answer (OP090: retourbericht, OP090x4: WMO325) to the party's heenbericht is due by the next working
    # day, or overdue (gateway/transport/meldingen.py).
    TERMIJN_BIJNA = "termijn.bijna"
    TERMIJN_VERSTREKEN = "termijn.verstreken"
    # An alert condition of gateway/transport/signalen.py began: for administrators' subscriptions only.
    SIGNAAL_WACHTRIJ = "signaal.wachtrij"
    SIGNAAL_ONAFLEVERBAAR = "signaal.onafleverbaar"
    SIGNAAL_AFKEURINGEN = "signaal.afkeuringen"


TYPES: frozenset[str] = frozenset(Type)


class WebhookStatus:
    PENDING = "pending"
    SENDING = "sending"
    FAILED = "failed"
    DELIVERED = "delivered"


def links(bericht_id: str) -> dict[str, str]:
    base = f"/api/v1/berichten/{bericht_id}"
    return {"bericht": base, "xml": f"{base}/xml", "audit": f"{base}/audit"}


# The messages that answer another (each retourbericht, and WMO325 for WMO323), as the catalogue says.
ANTWOORDEN: frozenset[str] = frozenset(b.beantwoord_door for b in catalogue.BERICHTEN.values() if b.beantwoord_door)


def _partij(*kandidaten: str | None) -> str | None:
    # A party is a gemeentecode or AGB code; an actor such as "admin:…" or "*" (a hub) is nobody's event.
    return next((k for k in kandidaten if k and k.isdigit() and len(k) in (4, 8)), None)


class _Abonnee(NamedTuple):
    """What `wil` and a delivery need of a subscription: loading objects cost more than the query."""

    id: int
    partij: str | None
    gebeurtenissen: list[str]
    berichttypen: list[str] | None


_A = Abonnement.__table__.c
_ABONNEMENTEN = Voorbereid(select(_A.id, _A.partij, _A.gebeurtenissen, _A.berichttypen))


def _abonnementen(session: Session) -> list[_Abonnee]:
    """Every subscription, read once per transaction (the writer records many events in one group). A paused
    one gets its deliveries too: they wait, unclaimed, until it is resumed (gateway/transport/webhooks.py)."""
    transactie = session.get_transaction()
    eerder = session.info.get("iwmo_abonnementen")
    if eerder is not None and eerder[0] is transactie:
        return eerder[1]
    rijen = [_Abonnee(i, p, json_waarde(g) or [], json_waarde(b)) for i, p, g, b in _ABONNEMENTEN.rijen(session)]
    session.info["iwmo_abonnementen"] = (transactie, rijen)
    return rijen


def wil(abonnement: Abonnement | _Abonnee, g: Gebeurtenis) -> bool:
    """Whether this subscription is to receive this event."""
    if abonnement.partij is not None and abonnement.partij != g.partij:
        return False
    if g.type not in abonnement.gebeurtenissen:
        return False
    return not abonnement.berichttypen or g.berichttype in abonnement.berichttypen


def registreer(session: Session, type_: Type, *, partij: str | None, berichttype: str | None,
               payload: dict[str, object]) -> Gebeurtenis:
    """Add an event and one webhook delivery per unpaused subscription that wants it (flushed with the caller's
    transaction: the writer flushes its group once)."""
    nu = utcnow()
    velden = {"type": str(type_), "partij": partij, "berichttype": berichttype, "created_at": nu,
              "payload": {"type": str(type_), "partij": partij, "berichttype": berichttype, **payload}}
    g = Gebeurtenis(**velden)
    abonnementen = _abonnementen(session)
    # With no subscription nothing needs the event's id now: a writer inserts it with the rest of its group.
    # (With one, every event of the group goes through the ORM, so ids keep the order the events were made in.)
    if not abonnementen and bundel.gebeurtenis(session, velden):
        return g
    session.add(g)
    for a in abonnementen:
        if wil(a, g):
            session.add(WebhookAflevering(abonnement_id=a.id, gebeurtenis=g, status=WebhookStatus.PENDING,
                                          pogingen=0, volgende_poging_at=nu, created_at=nu, updated_at=nu))
    return g


def na_vastlegging(session: Session, row: Bericht, codes: Iterable[str], *, afgekeurd: bool) -> Gebeurtenis | None:
    """The event a newly stored message makes: rejected (for whoever handed it in), an answer (for the party
    whose message it answers) or a message for its adressaat."""
    bericht = {"id": row.id, "berichttype": row.berichttype, "afzender": row.afzender, "ontvanger": row.ontvanger,
               "identificatie": row.identificatie}
    if afgekeurd:
        return registreer(session, Type.BERICHT_AFGEKEURD, partij=_partij(row.submitted_by, row.verzender),
                          berichttype=row.berichttype,
                          payload={"bericht": bericht, "codes": sorted(set(codes)), "links": links(row.id)})
    partij = _partij(row.adressaat)
    if partij is None:
        return None
    if row.berichttype in ANTWOORDEN:
        return registreer(session, Type.ANTWOORD_ONTVANGEN, partij=partij, berichttype=row.berichttype,
                          payload={"bericht": bericht, "antwoord_op": row.antwoord_op_id, "links": links(row.id)})
    return registreer(session, Type.BERICHT_ONTVANGEN, partij=partij, berichttype=row.berichttype,
                      payload={"bericht": bericht, "links": links(row.id)})


def dead_letter(session: Session, bericht: Bericht, aflevering: Aflevering) -> Gebeurtenis:
    """A delivery of the party's message gave up: tell its sender. The reason stays in the audit trail (behind
    the link): it holds what the receiving side answered, which this payload cannot vouch for."""
    return registreer(session, Type.AFLEVERING_MISLUKT, partij=_partij(aflevering.zender, bericht.verzender),
                      berichttype=bericht.berichttype,
                      payload={"bericht": {"id": bericht.id, "berichttype": bericht.berichttype,
                                           "ontvanger": aflevering.ontvanger},
                               "aflevering": aflevering.id, "links": links(bericht.id)})


def termijn(session: Session, type_: Type, *, bericht: dict[str, str | None], submitted_by: str | None,
            verwacht: str, regel: str, uiterlijk: str) -> Gebeurtenis:
    """The answer to a sent heenbericht is due soon or overdue: tell the party that sent it and awaits the answer
    (`bericht` holds id, berichttype, identificatie, verzender and adressaat)."""
    return registreer(session, type_, partij=_partij(bericht["verzender"], submitted_by),
                      berichttype=bericht["berichttype"],
                      payload={"bericht": bericht, "verwacht": verwacht, "regel": regel, "uiterlijk": uiterlijk,
                               "links": links(str(bericht["id"]))})


def signaal(session: Session, type_: Type, *, partner: str, berichttype: str | None, waarde: float) -> Gebeurtenis:
    """An alert condition began. No party's event (partij None): only an administrator's subscription, which is
    for every party, wants it, and only an administrator reads it from the stream."""
    return registreer(session, type_, partij=None, berichttype=berichttype,
                      payload={"partner": partner, "waarde": waarde,
                               "links": {"overzicht": "/admin", "metrics": "/metrics"}})
