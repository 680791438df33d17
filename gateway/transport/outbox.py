"""The durable outbox: a delivery row per outgoing envelope, committed before anything is sent.

A row is claimed with a lease (status `sending` until `volgende_poging_at`), sent outside any transaction,
and its outcome recorded afterwards. A worker that dies mid-send leaves a lease that runs out, after which
any worker takes the row again with the same envelope id, so the receiver can recognise the repeat. On
PostgreSQL several workers claim with `FOR UPDATE SKIP LOCKED`; SQLite takes the write lock at BEGIN, so
claims there are serialised anyway.

Transient failures are retried with exponential backoff and jitter until the horizon (default 5 days, the
Digikoppeling reliable-messaging default); permanent refusals go to the dead letter at once, with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.gebeurtenissen import vastleggen as gebeurtenissen
from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store import audit
from gateway.store.lifecycle import IllegalTransition, Status, transition
from gateway.store.models import Aflevering, AfleveringPoging, Bericht, Ontvangst, utcnow
from gateway.transport.adapter import Resultaat, Transport, Uitkomst, Verbinding, Zending
from gateway.transport.routing import Route, Routeringstabel

log = logging.getLogger("gateway.transport.outbox")

Klok = Callable[[], dt.datetime]


class AfleveringStatus:
    PENDING = "pending"
    SENDING = "sending"
    FAILED = "failed"  # a transient failure; retried at volgende_poging_at
    DELIVERED = "delivered"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class Beleid:
    """How long and how often the outbox retries."""

    horizon: dt.timedelta = dt.timedelta(days=5)
    basis: dt.timedelta = dt.timedelta(seconds=30)
    maximum: dt.timedelta = dt.timedelta(hours=1)
    lease: dt.timedelta = dt.timedelta(minutes=5)

    @classmethod
    def uit(cls, settings: Settings) -> Beleid:
        return cls(horizon=dt.timedelta(seconds=settings.transport_horizon_s),
                   basis=dt.timedelta(seconds=settings.transport_retry_basis_s),
                   maximum=dt.timedelta(seconds=settings.transport_retry_max_s),
                   lease=dt.timedelta(seconds=settings.transport_lease_s))

    def wachttijd(self, pogingen: int, rng: random.Random) -> dt.timedelta:
        """Exponential backoff with jitter: the n-th retry waits between half and all of basis·2^(n-1), capped,
        so workers that failed together do not all come back at the same moment."""
        volle = min(self.maximum.total_seconds(), self.basis.total_seconds() * 2 ** max(pogingen - 1, 0))
        return dt.timedelta(seconds=volle * (0.5 + rng.random() / 2))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def nieuw_envelop_id() -> str:
    # StUF-GGk wants a lower-case UUID v4 per envelope; VECOZO's traceerId takes the same value.
    return str(uuid.uuid4())


# -- putting messages in the outbox ------------------------------------------------------------------------

def _inkomende_envelop(session: Session, bericht_id: str | None) -> Ontvangst | None:
    if bericht_id is None:
        return None
    return session.scalars(select(Ontvangst).where(Ontvangst.bericht_id == bericht_id)
                           .order_by(Ontvangst.id)).first()


def plan(session: Session, bericht: Bericht, route: Route, *, actor: str, nu: dt.datetime | None = None,
         overgang: bool = True) -> Aflevering:
    """Add a delivery for this stored message, in the caller's transaction; the message becomes `queued`.

    The envelope ids that tie an answer to its question come from the envelope the question arrived in:
    a retourbericht's crossRefnummer/alsAntwoordOp is that envelope's id, and the conversation goes on.
    """
    nu = nu or utcnow()
    b = catalogue.BERICHTEN.get(bericht.berichttype or "")
    if b is None or not bericht.verzender or not bericht.adressaat:
        raise ValueError(f"bericht {bericht.id} is geen leesbaar iWmo-bericht; het kan niet worden verzonden")
    envelop_id = nieuw_envelop_id()
    vraag = _inkomende_envelop(session, bericht.antwoord_op_id)
    aflevering = Aflevering(
        bericht_id=bericht.id, adapter=route.adapter, endpoint=route.endpoint, credentials=route.credentials,
        functie=b.naam, zender=bericht.verzender, ontvanger=bericht.adressaat, envelop_id=envelop_id,
        conversatie_id=(vraag.conversatie_id or vraag.envelop_id) if vraag else envelop_id,
        antwoord_op=vraag.envelop_id if vraag else None, status=AfleveringStatus.PENDING, pogingen=0,
        volgende_poging_at=nu, wachtrij_sinds=nu, created_at=nu,
    )
    session.add(aflevering)
    session.flush()
    details = {"aflevering": aflevering.id, "adapter": route.adapter, "envelop_id": envelop_id,
               "naar": bericht.adressaat}
    if overgang:
        transition(session, bericht, Status.QUEUED, actor=actor, action="in_wachtrij", details=details)
    else:
        audit.append(session, actor=actor, action="opnieuw_verzonden", bericht_id=bericht.id, details=details)
    return aflevering


def plan_als_nodig(session: Session, bericht: Bericht, routes: Routeringstabel, *, actor: str,
                   eigen_partijen: frozenset[str] = frozenset(), nu: dt.datetime | None = None) -> Aflevering | None:
    """Queue an accepted message that travels to another organisation with a route; otherwise leave it for the
    API (a back-office reads it from its inbox). Returns None when nothing was queued."""
    if bericht.status != Status.ACCEPTED or not bericht.adressaat or bericht.adressaat in eigen_partijen:
        return None
    if bericht.adressaat == bericht.submitted_by:  # the sender's own retourbericht, read through the API
        return None
    route = routes.voor(bericht.adressaat, bericht.berichttype)
    if route is None:
        return None
    session.flush()  # only now, with a route: the delivery refers to the row, and a writer's group stays unflushed
    if session.scalars(select(Aflevering.id).where(Aflevering.bericht_id == bericht.id)).first() is not None:
        return None
    return plan(session, bericht, route, actor=actor, nu=nu)


# -- what the admin console calls --------------------------------------------------------------------------

def route_opnieuw(oud: Aflevering, routes: Routeringstabel | None) -> Route:
    if routes is not None:
        route = routes.voor(oud.ontvanger, oud.functie)
        if route is not None:
            return route  # the administrator may have fixed the route that made it fail
    return Route((oud.ontvanger,), oud.adapter, oud.endpoint, oud.credentials)


def _standaard_routes() -> Routeringstabel | None:
    from gateway.settings import get_settings
    from gateway.transport.routing import RouteringFout, laad

    try:
        return laad(get_settings().routes_file)
    except RouteringFout:
        return None


def _laatste(session: Session, bericht_id: str) -> Aflevering | None:
    return session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)
                           .order_by(Aflevering.id.desc())).first()


def requeue(session: Session, bericht_id: str, *, actor: str, routes: Routeringstabel | None = None,
            nu: dt.datetime | None = None) -> None:
    """A dead-lettered message goes back in the queue, in a fresh envelope (the hub may remember the refused
    envelope id); anything else raises the lifecycle's IllegalTransition."""
    bericht = session.get(Bericht, bericht_id)
    if bericht is None:
        raise LookupError(f"bericht {bericht_id} bestaat niet")
    if bericht.status != Status.DEAD_LETTER:
        raise IllegalTransition(bericht.id, bericht.status, Status.QUEUED)
    oud = _laatste(session, bericht.id)
    if oud is None:
        raise IllegalTransition(bericht.id, bericht.status, Status.QUEUED)
    route = route_opnieuw(oud, routes if routes is not None else _standaard_routes())
    plan(session, bericht, route, actor=actor, nu=nu)


def resend(session: Session, bericht_id: str, *, actor: str, routes: Routeringstabel | None = None,
           nu: dt.datetime | None = None) -> None:
    """Send a message again: a dead letter is requeued; a delivered one (the partner lost it) gets a new
    envelope without changing its state; anything else raises IllegalTransition."""
    bericht = session.get(Bericht, bericht_id)
    if bericht is None:
        raise LookupError(f"bericht {bericht_id} bestaat niet")
    if bericht.status == Status.DEAD_LETTER:
        requeue(session, bericht_id, actor=actor, routes=routes, nu=nu)
        return
    oud = _laatste(session, bericht.id)
    if bericht.status not in (Status.DELIVERED, Status.ANSWERED) or oud is None:
        raise IllegalTransition(bericht.id, bericht.status, Status.QUEUED)
    route = route_opnieuw(oud, routes if routes is not None else _standaard_routes())
    plan(session, bericht, route, actor=actor, overgang=False, nu=nu)


# -- working the queue -------------------------------------------------------------------------------------

class Outbox:
    def __init__(self, sessions: sessionmaker[Session], beleid: Beleid | None = None, *,
                 klok: Klok = utcnow, rng: random.Random | None = None, actor: str = "worker"):
        self.sessions = sessions
        self.beleid = beleid or Beleid()
        self.klok = klok
        self.rng = rng or random.Random()
        self.actor = actor

    def claim(self, limit: int = 20) -> list[int]:
        """Lease up to `limit` due deliveries to this worker; other workers skip the locked rows."""
        nu = self.klok()
        with self.sessions() as session, session.begin():
            stmt = (select(Aflevering)
                    .where(Aflevering.status.in_((AfleveringStatus.PENDING, AfleveringStatus.FAILED,
                                                  AfleveringStatus.SENDING)),
                           Aflevering.volgende_poging_at <= nu)
                    .order_by(Aflevering.volgende_poging_at, Aflevering.id).limit(limit)
                    .with_for_update(skip_locked=True))
            rijen = list(session.scalars(stmt))
            for rij in rijen:
                rij.status = AfleveringStatus.SENDING
                rij.volgende_poging_at = nu + self.beleid.lease
            return [r.id for r in rijen]

    def zending(self, session: Session, aflevering: Aflevering) -> Zending:
        bericht = session.get(Bericht, aflevering.bericht_id)
        assert bericht is not None
        b = catalogue.BERICHTEN.get(aflevering.functie)
        return Zending(envelop_id=aflevering.envelop_id, functie=aflevering.functie, zender=aflevering.zender,
                       ontvanger=aflevering.ontvanger, payload=bericht.raw,
                       retour=b is not None and b.soort is catalogue.Soort.RETOUR,
                       conversatie_id=aflevering.conversatie_id, antwoord_op=aflevering.antwoord_op)

    def lever(self, aflevering_id: int, transport: Transport) -> Resultaat:
        """Send one claimed delivery and record the outcome."""
        with self.sessions() as session:
            aflevering = session.get(Aflevering, aflevering_id)
            if aflevering is None:
                raise LookupError(f"aflevering {aflevering_id} bestaat niet")
            zending = self.zending(session, aflevering)
        try:
            resultaat = transport.verstuur(zending)
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the row; retry like a network fault
            log.exception("adapter %s faalde bij aflevering %s", transport.naam, aflevering_id)
            resultaat = Resultaat.tijdelijk(f"adapter {transport.naam} faalde: {type(exc).__name__}: {exc}")
        self.vastleggen(aflevering_id, resultaat)
        return resultaat

    def vastleggen(self, aflevering_id: int, resultaat: Resultaat) -> str:
        """Record one attempt's outcome; returns the delivery's new status."""
        nu = self.klok()
        with self.sessions() as session, session.begin():
            # Locked, and read after the lock: a worker whose lease ran out while it was sending may record the same
            # delivery as another worker that took it over. The second to get the lock sees the first one's outcome
            # (below) instead of a stale SENDING and QUEUED, which wrote a second "afgeleverd" from queued into the
            # audit trail (found by the two-serves-two-workers test under load).
            aflevering = session.get(Aflevering, aflevering_id, with_for_update=True, populate_existing=True)
            assert aflevering is not None
            bericht = session.get(Bericht, aflevering.bericht_id, with_for_update=True, populate_existing=True)
            assert bericht is not None
            aflevering.pogingen += 1
            aflevering.pogingen_log.append(AfleveringPoging(
                at=nu, resultaat=str(resultaat.uitkomst), http_status=resultaat.http_status,
                fout=None if resultaat.ok else _fouttekst(resultaat)))
            details: dict[str, object] = {"aflevering": aflevering.id, "envelop_id": aflevering.envelop_id,
                                          "adapter": aflevering.adapter, "pogingen": aflevering.pogingen}
            if aflevering.status != AfleveringStatus.SENDING:
                # Our lease ran out and another worker finished the delivery meanwhile: its outcome stands.
                return aflevering.status
            if resultaat.ok:
                aflevering.status = AfleveringStatus.DELIVERED
                aflevering.delivered_at = nu
                aflevering.laatste_fout = None
                if bericht.status == Status.QUEUED:
                    transition(session, bericht, Status.DELIVERED, actor=self.actor, action="afgeleverd",
                               details=details)
                    if _antwoord_al_binnen(session, bericht.id):
                        # The answer overtook our own bookkeeping (a worker died after the hand-over).
                        transition(session, bericht, Status.ANSWERED, actor=self.actor, action="antwoord_ontvangen")
                else:
                    audit.append(session, actor=self.actor, action="afgeleverd", bericht_id=bericht.id,
                                 details=details)
                return aflevering.status
            aflevering.laatste_fout = _fouttekst(resultaat)
            if resultaat.uitkomst is Uitkomst.TIJDELIJK:
                volgende = nu + self.beleid.wachttijd(aflevering.pogingen, self.rng)
                if volgende <= _aware(aflevering.wachtrij_sinds) + self.beleid.horizon:
                    aflevering.status = AfleveringStatus.FAILED
                    aflevering.volgende_poging_at = volgende
                    return aflevering.status
                reden = (f"geen aflevering binnen {self.beleid.horizon} na {aflevering.pogingen} pogingen; "
                         f"laatste fout: {aflevering.laatste_fout}")
            else:
                reden = f"definitief geweigerd: {aflevering.laatste_fout}"
            aflevering.status = AfleveringStatus.DEAD_LETTER
            aflevering.laatste_fout = reden
            details |= {"reden": reden, "code": resultaat.code, "http_status": resultaat.http_status}
            if bericht.status == Status.QUEUED:
                transition(session, bericht, Status.DEAD_LETTER, actor=self.actor, action="niet_afleverbaar",
                           details=details)
            else:
                audit.append(session, actor=self.actor, action="niet_afleverbaar", bericht_id=bericht.id,
                             details=details)
            log.warning("aflevering %s van bericht %s in dead letter: %s", aflevering.id, bericht.id, reden)
            gebeurtenissen.dead_letter(session, bericht, aflevering)  # webhooks / event stream (issue 14)
            return aflevering.status

    def werk(self, transport_voor: Callable[[Verbinding], Transport], limit: int = 20, *,
             routes: Routeringstabel | None = None) -> int:
        """One pass: claim what is due and send it; a delivery over a route in a freeze window (`routes`) waits
        for its end instead. Returns how many deliveries were claimed."""
        ids = self.claim(limit)
        for aflevering_id in ids:
            with self.sessions() as session:
                a = session.get(Aflevering, aflevering_id)
                assert a is not None
                verbinding = Verbinding(a.adapter, a.endpoint, a.credentials)
            tot = routes.bevroren_tot(verbinding, self.klok()) if routes is not None else None
            if tot is not None:
                self.uitstellen(aflevering_id, tot)
            else:
                self.lever(aflevering_id, transport_voor(verbinding))
        return len(ids)

    def uitstellen(self, aflevering_id: int, tot: dt.datetime) -> None:
        """Put a claimed delivery back until a freeze window ends: no attempt is counted, and the wait does not
        count against the delivery horizon (its queue time restarts at the window's end)."""
        with self.sessions() as session, session.begin():
            aflevering = session.get(Aflevering, aflevering_id)
            assert aflevering is not None
            if aflevering.status != AfleveringStatus.SENDING:
                return
            aflevering.status = AfleveringStatus.PENDING if aflevering.pogingen == 0 else AfleveringStatus.FAILED
            aflevering.volgende_poging_at = aflevering.wachtrij_sinds = tot.astimezone(dt.UTC)
            audit.append(session, actor=self.actor, action="uitgesteld_bevriezing", bericht_id=aflevering.bericht_id,
                         details={"aflevering": aflevering.id, "envelop_id": aflevering.envelop_id,
                                  "tot": tot.isoformat()})


def _antwoord_al_binnen(session: Session, bericht_id: str) -> bool:
    return session.scalars(select(Bericht.id).where(Bericht.antwoord_op_id == bericht_id,
                                                    Bericht.richting == "in")).first() is not None


def _fouttekst(resultaat: Resultaat) -> str:
    delen = [p for p in (resultaat.code, f"HTTP {resultaat.http_status}" if resultaat.http_status else None,
                         resultaat.detail) if p]
    return ": ".join(delen) or str(resultaat.uitkomst)


def afleveringen_van(session: Session, bericht_id: str) -> list[Aflevering]:
    return list(session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)
                                .order_by(Aflevering.id)))


def wachtrij(session: Session) -> list[Aflevering]:
    """Deliveries not yet done (for operators)."""
    return list(session.scalars(select(Aflevering).where(or_(
        Aflevering.status == AfleveringStatus.PENDING, Aflevering.status == AfleveringStatus.SENDING,
        Aflevering.status == AfleveringStatus.FAILED)).order_by(Aflevering.volgende_poging_at)))
