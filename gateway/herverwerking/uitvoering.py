"""Running a replay as one audited batch: started with its selection frozen into items, worked a chunk at a time by
the worker, paused and resumed by an administrator.

Each chunk is one transaction: the messages' changes, their audit events and the items' fates commit together, so
a worker killed mid-chunk leaves the chunk undone (not half done) and the next worker — or the same one after a
restart — does it again. Nothing else keeps the batch's state: a paused batch waits in the database, and `hervat`
makes the worker take its next open item. On PostgreSQL the batch row is locked with SKIP LOCKED, so two workers
never work one batch at the same time; SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.herverwerking.modellen import Herverwerking, HerverwerkingItem
from gateway.herverwerking.plan import NIEUW, Actie, Stap, Uitkomst, controleer, laatste_afleveringen, stappen
from gateway.herverwerking.selectie import Selectie
from gateway.messages.retour import nieuwe_identificatie
from gateway.standard import catalogue
from gateway.store import audit
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Aflevering, Bericht, BerichtSleutel, IdentificatieClaim, utcnow
from gateway.store.wekker import meld_wijziging
from gateway.transport import outbox
from gateway.transport.outbox import AfleveringStatus
from gateway.transport.routing import Routeringstabel
from gateway.validation import safe_xml
from gateway.validation.paths import local

log = logging.getLogger("gateway.herverwerking")

LOPEND, GEPAUZEERD, KLAAR = "lopend", "gepauzeerd", "klaar"
MAX_BERICHTEN = 50_000  # one batch; a wider filter is split by period or partner
CHUNK = 100


class Geweigerd(Exception):
    """A batch operation that cannot be done now; `melding` says why and what can."""

    def __init__(self, melding: str, *, status: int = 409):
        super().__init__(melding)
        self.melding = melding
        self.status = status


@dataclass
class Voortgang:
    id: int
    actie: str
    nieuwe_verzending: bool
    filter: dict[str, Any]
    status: str
    totaal: int
    verwerkt: int
    gestart_door: str
    created_at: dt.datetime
    bijgewerkt_at: dt.datetime
    klaar_at: dt.datetime | None
    per_uitkomst: dict[str, int] = field(default_factory=dict)


# -- start, pause, resume ----------------------------------------------------------------------------------

def start(session: Session, selectie: Selectie, actie: Actie, *, actor: str, nieuwe_verzending: bool = False,
          nu: dt.datetime | None = None) -> Herverwerking:
    """Freeze the selection into items and queue the batch for the worker, in the caller's transaction."""
    controleer(actie, nieuwe_verzending)
    nu = nu or utcnow()
    ids = list(session.scalars(selectie.query(Bericht.id).limit(MAX_BERICHTEN + 1)))
    if not ids:
        raise Geweigerd("Het filter selecteert geen berichten; er is niets gestart. Doe eerst een proef.", status=422)
    if len(ids) > MAX_BERICHTEN:
        raise Geweigerd(f"Het filter selecteert meer dan {MAX_BERICHTEN} berichten; maak het nauwer (periode, "
                        "partner of berichttype) en start meerdere herverwerkingen.", status=422)
    batch = Herverwerking(actie=str(actie), nieuwe_verzending=nieuwe_verzending, filter=selectie.als_json(),
                          status=LOPEND, totaal=len(ids), verwerkt=0, gestart_door=actor, created_at=nu,
                          bijgewerkt_at=nu)
    session.add(batch)
    session.flush()
    session.execute(insert(HerverwerkingItem.__table__),
                    [{"herverwerking_id": batch.id, "bericht_id": i, "details": {}} for i in ids])
    audit.append(session, actor=actor, action="herverwerking_gestart",
                 details={"herverwerking": batch.id, "actie": str(actie), "nieuwe_verzending": nieuwe_verzending,
                          "filter": batch.filter, "totaal": len(ids)})
    meld_wijziging(session)
    return batch


def _laad(session: Session, herverwerking_id: int) -> Herverwerking:
    batch = session.get(Herverwerking, herverwerking_id)
    if batch is None:
        raise Geweigerd(f"Herverwerking {herverwerking_id} bestaat niet.", status=404)
    return batch


def pauzeer(session: Session, herverwerking_id: int, *, actor: str) -> Herverwerking:
    batch = _laad(session, herverwerking_id)
    if batch.status != LOPEND:
        raise Geweigerd(f"Herverwerking {batch.id} is {batch.status}; alleen een lopende herverwerking kan pauzeren.")
    batch.status, batch.bijgewerkt_at = GEPAUZEERD, utcnow()
    audit.append(session, actor=actor, action="herverwerking_gepauzeerd",
                 details={"herverwerking": batch.id, "verwerkt": batch.verwerkt, "totaal": batch.totaal})
    return batch


def hervat(session: Session, herverwerking_id: int, *, actor: str) -> Herverwerking:
    batch = _laad(session, herverwerking_id)
    if batch.status != GEPAUZEERD:
        raise Geweigerd(f"Herverwerking {batch.id} is {batch.status}; alleen een gepauzeerde herverwerking kan "
                        "hervatten.")
    batch.status, batch.bijgewerkt_at = LOPEND, utcnow()
    audit.append(session, actor=actor, action="herverwerking_hervat",
                 details={"herverwerking": batch.id, "verwerkt": batch.verwerkt, "totaal": batch.totaal})
    meld_wijziging(session)
    return batch


def per_uitkomst(session: Session, herverwerking_id: int) -> dict[str, int]:
    rijen = session.execute(select(HerverwerkingItem.uitkomst, func.count())
                            .where(HerverwerkingItem.herverwerking_id == herverwerking_id)
                            .group_by(HerverwerkingItem.uitkomst))
    return {(u or "open"): int(n) for u, n in rijen}


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment  # SQLite: naive


def voortgang(session: Session, herverwerking_id: int) -> Voortgang:
    b = _laad(session, herverwerking_id)
    return Voortgang(b.id, b.actie, b.nieuwe_verzending, dict(b.filter), b.status, b.totaal, b.verwerkt,
                     b.gestart_door, _utc(b.created_at) or b.created_at, _utc(b.bijgewerkt_at) or b.bijgewerkt_at,
                     _utc(b.klaar_at), per_uitkomst(session, b.id))


def items(session: Session, herverwerking_id: int, *, limit: int = 100) -> list[HerverwerkingItem]:
    """The most recently decided items first, then the open ones (for the console's batch page)."""
    return list(session.scalars(select(HerverwerkingItem).where(HerverwerkingItem.herverwerking_id == herverwerking_id)
                                .order_by(HerverwerkingItem.verwerkt_at.is_(None), HerverwerkingItem.id.desc())
                                .limit(limit)))


def lijst(session: Session, *, limit: int = 50) -> list[Herverwerking]:
    return list(session.scalars(select(Herverwerking).order_by(Herverwerking.id.desc()).limit(limit)))


# -- doing one message -------------------------------------------------------------------------------------

def _met_nieuwe_identificatie(bericht: Bericht) -> tuple[bytes, str]:
    """The bytes with a fresh identificatie: IdentificatieRetour for a retourbericht (its BerichtIdentificatie is
    the heenbericht's, IV028), else BerichtIdentificatie/Identificatie. Only that text changes."""
    soort = catalogue.BERICHTEN[bericht.berichttype or ""].soort
    parsed = safe_xml.parse(bericht.raw)
    header = next(c for c in parsed.root if isinstance(c.tag, str) and local(c.tag) == "Header")
    if soort is catalogue.Soort.RETOUR:
        element = next(c for c in header if isinstance(c.tag, str) and local(c.tag) == "IdentificatieRetour")
    else:
        blok = next(c for c in header if isinstance(c.tag, str) and local(c.tag) == "BerichtIdentificatie")
        element = next(c for c in blok if isinstance(c.tag, str) and local(c.tag) == "Identificatie")
    nieuw = nieuwe_identificatie()
    element.text = nieuw
    return etree.tostring(parsed.tree, xml_declaration=True, encoding="UTF-8"), nieuw


def _vervang(session: Session, oud: Bericht, laatste: Aflevering, *, actor: str, batch_id: int,
             routes: Routeringstabel | None, nu: dt.datetime) -> dict[str, Any]:
    """A dead letter sent anew: a new message (new identificatie, new envelope) replaces it; the old one keeps its
    bytes and trail and is handled, pointing at the new one."""
    data, identificatie = _met_nieuwe_identificatie(oud)
    nieuw = Bericht(id=str(uuid.uuid4()), berichttype=oud.berichttype, berichtcode=oud.berichtcode,
                    afzender=oud.afzender, ontvanger=oud.ontvanger, verzender=oud.verzender, adressaat=oud.adressaat,
                    identificatie=identificatie, dagtekening=oud.dagtekening, richting=oud.richting,
                    status=Status.RECEIVED, raw=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    submitted_by=oud.submitted_by, created_at=nu, antwoord_op_id=oud.antwoord_op_id,
                    conversatie_id=oud.conversatie_id, ingekort=False)
    session.add(nieuw)
    session.flush()
    for kind, value in session.execute(select(BerichtSleutel.kind, BerichtSleutel.value)
                                       .where(BerichtSleutel.bericht_id == oud.id)).all():
        session.add(BerichtSleutel(bericht_id=nieuw.id, kind=kind, value=value))
    if nieuw.afzender and nieuw.berichtcode:  # the new identificatie is used up, as any accepted message's (TR056)
        session.add(IdentificatieClaim(afzender=nieuw.afzender, berichtcode=nieuw.berichtcode,
                                       identificatie=identificatie, bericht_id=nieuw.id))
    herkomst = {"herverwerking": batch_id, "vervangt": oud.id, "oude_identificatie": oud.identificatie,
                "identificatie": identificatie}
    audit.append(session, actor=actor, action="aangemaakt", bericht_id=nieuw.id, to_state=Status.RECEIVED,
                 details={"bericht": nieuw.berichttype, "sha256": nieuw.sha256, **herkomst})
    transition(session, nieuw, Status.ACCEPTED, actor=actor, action="beoordeeld", details=herkomst)
    transition(session, oud, Status.HANDLED, actor=actor, action="vervangen",
               details={"herverwerking": batch_id, "vervangen_door": nieuw.id, "identificatie": identificatie})
    aflevering = outbox.plan(session, nieuw, outbox.route_opnieuw(laatste, routes), actor=actor, nu=nu)
    return {"vervangen_door": nieuw.id, "identificatie": identificatie, "envelop_id": aflevering.envelop_id}


def _heropen(a: Aflevering, nu: dt.datetime) -> None:
    """The same envelope goes out again: the partner and a hub recognise its id as a repeat."""
    a.status, a.volgende_poging_at, a.wachtrij_sinds = AfleveringStatus.PENDING, nu, nu


def _verstuur(session: Session, bericht: Bericht, stap: Stap, laatste: Aflevering, *, actor: str, batch_id: int,
              routes: Routeringstabel | None, nu: dt.datetime) -> dict[str, Any]:
    if stap.envelop == NIEUW and stap.identificatie == NIEUW:
        return _vervang(session, bericht, laatste, actor=actor, batch_id=batch_id, routes=routes, nu=nu)
    if stap.envelop == NIEUW:
        aflevering = outbox.plan(session, bericht, outbox.route_opnieuw(laatste, routes), actor=actor, nu=nu,
                                 overgang=bericht.status == Status.DEAD_LETTER)
        return {"envelop_id": aflevering.envelop_id, "identificatie": bericht.identificatie}
    _heropen(laatste, nu)
    if bericht.status == Status.DEAD_LETTER:
        transition(session, bericht, Status.QUEUED, actor=actor, action="in_wachtrij",
                   details={"aflevering": laatste.id, "envelop_id": laatste.envelop_id, "zelfde_envelop": True,
                            "herverwerking": batch_id})
    return {"envelop_id": laatste.envelop_id, "identificatie": bericht.identificatie}


def _een(session: Session, batch: Herverwerking, item: HerverwerkingItem, bericht: Bericht | None,
         stap: Stap | None, laatste: Aflevering | None, *, routes: Routeringstabel | None, nu: dt.datetime) -> None:
    """Act on one message as its step says (decided just now, in this transaction: the message may have moved on
    since the dry run), and record its fate in its audit trail and in the item."""
    details: dict[str, Any] = {}
    if bericht is None or stap is None:
        uitkomst, toelichting = Uitkomst.OVERGESLAGEN, "Het bericht bestaat niet meer (verwijderd na de bewaartermijn)."
    else:
        uitkomst, toelichting = stap.uitkomst, stap.toelichting
        details = {k: v for k, v in stap.als_json().items()
                   if k in ("envelop", "envelop_id", "identificatie", "oordeel_voor", "oordeel_na",
                            "niet_herbeoordeeld") and v not in (None, ())}
        keten = session.info.get(audit._KETTING)
        kop = (keten.seq, keten.hash, len(keten.rijen)) if keten is not None else None
        try:
            with session.begin_nested():  # a failure undoes this message only; the batch goes on
                if uitkomst in (Uitkomst.IN_WACHTRIJ, Uitkomst.OPNIEUW_VERZONDEN) and laatste is not None:
                    details |= _verstuur(session, bericht, stap, laatste, actor=batch.gestart_door,
                                         batch_id=batch.id, routes=routes, nu=nu)
        except Exception as exc:  # noqa: BLE001 - one message's fault must not stop the other 999
            log.exception("herverwerking %s: bericht %s mislukt", batch.id, bericht.id)
            if keten is not None and kop is not None:  # its events, held in memory, go with the savepoint
                keten.seq, keten.hash = kop[0], kop[1]
                del keten.rijen[kop[2]:]
            uitkomst = Uitkomst.FOUT
            toelichting = (f"Herverwerken mislukte ({type(exc).__name__}); het bericht is ongewijzigd. Bekijk het "
                           "bericht en het logboek, en handel het zo nodig los af.")
            details = {}
        audit.append(session, actor=batch.gestart_door, action="herverwerkt", bericht_id=bericht.id,
                     details={"herverwerking": batch.id, "actie": batch.actie, "uitkomst": str(uitkomst),
                              "toelichting": toelichting, **details})
    item.uitkomst, item.toelichting, item.details, item.verwerkt_at = str(uitkomst), toelichting, details, nu


def _chunk(session: Session, batch: Herverwerking, open_items: list[HerverwerkingItem], *,
           routes: Routeringstabel | None, nu: dt.datetime) -> None:
    """The chunk's messages, their steps and last envelopes read in a few queries, then each message in turn."""
    ids = [i.bericht_id for i in open_items]
    berichten = {b.id: b for b in session.scalars(select(Bericht).where(Bericht.id.in_(ids)))}
    actie = Actie(batch.actie)
    gevonden = [berichten[i] for i in ids if i in berichten]
    per_id = {s.bericht_id: s for s in stappen(session, gevonden, actie, batch.nieuwe_verzending)}
    laatste = laatste_afleveringen(session, ids) if actie is not Actie.HERBEOORDELEN else {}
    for item in open_items:
        _een(session, batch, item, berichten.get(item.bericht_id), per_id.get(item.bericht_id),
             laatste.get(item.bericht_id), routes=routes, nu=nu)


class Herverwerker:
    """What the worker calls each round: the next chunk of the oldest running batch."""

    def __init__(self, sessions: sessionmaker[Session], routes: Routeringstabel | None = None, *,
                 chunk: int = CHUNK, klok: Any = utcnow):
        self.sessions = sessions
        self.routes = routes
        self.chunk = chunk
        self.klok = klok

    def werk(self) -> int:
        """Work one chunk; returns how many items it decided (0: no running batch had work)."""
        nu = self.klok()
        with self.sessions() as session, session.begin():
            batch = session.scalars(select(Herverwerking).where(Herverwerking.status == LOPEND)
                                    .order_by(Herverwerking.id).limit(1).with_for_update(skip_locked=True)).first()
            if batch is None:
                return 0
            open_items = list(session.scalars(
                select(HerverwerkingItem).where(HerverwerkingItem.herverwerking_id == batch.id,
                                                HerverwerkingItem.uitkomst.is_(None))
                .order_by(HerverwerkingItem.id).limit(self.chunk)))
            # The chain's head read once for the chunk, its events written in one statement at the end.
            with audit.ketting(session):
                _chunk(session, batch, open_items, routes=self.routes, nu=nu)
                session.flush()
            batch.verwerkt += len(open_items)
            batch.bijgewerkt_at = nu
            over = session.scalar(select(func.count()).where(HerverwerkingItem.herverwerking_id == batch.id,
                                                             HerverwerkingItem.uitkomst.is_(None)))
            if not over:
                batch.status, batch.klaar_at = KLAAR, nu
                audit.append(session, actor="worker", action="herverwerking_klaar",
                             details={"herverwerking": batch.id, "totaal": batch.totaal,
                                      "per_uitkomst": per_uitkomst(session, batch.id)})
            meld_wijziging(session)  # what went back to the outbox goes out now, not at the next interval
            return max(len(open_items), 1)

    def alles(self) -> int:
        """Work until no running batch has work left (tests, and a caller that wants the batch done now)."""
        totaal = 0
        while (n := self.werk()) > 0:
            totaal += n
        return totaal
