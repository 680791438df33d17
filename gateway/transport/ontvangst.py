"""Receiving an envelope from any transport: verify, validate and store, answer, and remember the envelope.

The payload goes through the same door as every message (`gateway.ingest`: judged before any transaction,
then written with the cross-message rules, retourbericht and audit). In that same transaction the envelope
is recorded per sender and the retourbericht is queued back through the route the heenbericht's envelope
asks for (crossRefnummer / alsAntwoordOp, same conversation). The same envelope arriving twice is stored
once: the write checks the envelope id under the audit chain's lock, which every writer takes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import Ontvanger
from gateway.ingest.vastlegging import CrossRules, Received
from gateway.standard import catalogue
from gateway.store import audit
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Aflevering, AfleveringPoging, Bericht, Ontvangst, utcnow
from gateway.transport.adapter import Ontvangen
from gateway.transport.outbox import AfleveringStatus, plan_als_nodig
from gateway.transport.routing import Routeringstabel
from gateway.validation.findings import TRANSPORT_CODES, Finding

log = logging.getLogger("gateway.transport.ontvangst")

class ControlesomFout(ValueError):
    """The payload is not what the transport announced; nothing is stored and nothing acknowledged."""


@dataclass
class Aankomst:
    bericht_id: str
    status: str
    bericht: str | None
    duplicaat: bool = False
    fouten: list[Finding] = field(default_factory=list)
    retour_aflevering: int | None = None

    @property
    def schema_afgekeurd(self) -> bool:
        """The payload never got past the XSD: no retourbericht (IV028), a fault to the sender instead."""
        return any(f.code in TRANSPORT_CODES for f in self.fouten)


def verzender_van(payload: bytes) -> str | None:
    """Who sends this payload by its header (a retourbericht: its Ontvanger); None when unreadable."""
    from gateway.store.keys import extract, partijen
    from gateway.validation import safe_xml
    from gateway.validation.validator import detect

    try:
        root = safe_xml.parse(payload).root
    except safe_xml.XmlRefused:
        return None
    beide = partijen(detect(root), extract(root))
    return beide[0] if beide else None


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], routes: Routeringstabel, *,
                 cross_rules: CrossRules | None = None, max_bytes: int | None = None,
                 eigen_partijen: frozenset[str] = frozenset(), ontvanger: Ontvanger | None = None):
        self.sessions = sessions
        self.routes = routes
        self.eigen_partijen = eigen_partijen
        self.ontvanger = ontvanger or Ontvanger(sessions, cross_rules=cross_rules, max_bytes=max_bytes,
                                                namens=eigen_partijen or None)

    def _bekend(self, session: Session, zender: str, envelop_id: str) -> Ontvangst | None:
        return session.scalars(select(Ontvangst).where(Ontvangst.zender == zender,
                                                       Ontvangst.envelop_id == envelop_id)).first()

    def _als_duplicaat(self, session: Session, ontvangst: Ontvangst) -> Aankomst:
        row = session.get(Bericht, ontvangst.bericht_id)
        assert row is not None
        # The same findings as the first time, so a repeated envelope gets the same answer (e.g. the same Fo01).
        fouten = [Finding(code=b.code, retourcode=b.retourcode, locatie=tuple(b.locatie or ()), melding=b.melding)
                  for b in row.bevindingen]
        return Aankomst(row.id, row.status, row.berichttype, duplicaat=True, fouten=fouten)

    def ontvang(self, o: Ontvangen, *, adapter: str) -> Aankomst:
        if o.sha256 is not None and hashlib.sha256(o.payload).hexdigest() != o.sha256.lower():
            raise ControlesomFout(f"envelop {o.envelop_id}: de SHA-256 van de payload klopt niet met de aangekondigde "
                                  "controlesom; niet opgeslagen en niet bevestigd, de volgende ronde haalt hem opnieuw op")
        oordeel = self.ontvanger.beoordeel(o.payload)  # before any transaction
        zender = o.zender or oordeel.verzender or "onbekend"
        with self.sessions() as session:
            eerder = self._bekend(session, zender, o.envelop_id)
            if eerder is not None:
                return self._als_duplicaat(session, eerder)
        uitkomst: dict[str, Aankomst] = {}

        def vooraf(session: Session) -> Received | None:
            # Checked again inside the write: the same envelope may have arrived meanwhile (another process,
            # or earlier in the same group).
            eerder = self._bekend(session, zender, o.envelop_id)
            if eerder is None:
                return None
            aankomst = uitkomst["aankomst"] = self._als_duplicaat(session, eerder)
            return Received(aankomst.bericht_id, aankomst.status, aankomst.bericht, aankomst.fouten, True)

        def na(session: Session, row: Bericht, ontvangen: Received) -> None:
            uitkomst["aankomst"] = self._afronden(session, o, adapter=adapter, zender=zender, row=row,
                                                  ontvangen=ontvangen)

        self.ontvanger.ontvang(oordeel, party=zender, vooraf=vooraf, na=na)
        return uitkomst["aankomst"]

    def _afronden(self, session: Session, o: Ontvangen, *, adapter: str, zender: str, row: Bericht,
                  ontvangen: Received) -> Aankomst:
        """In the message's own transaction: remember the envelope, queue the retourbericht back through the
        route the envelope came by, and close the heenbericht an answer answers."""
        session.add(Ontvangst(adapter=adapter, zender=zender, envelop_id=o.envelop_id,
                              conversatie_id=o.conversatie_id or o.envelop_id, functie=o.functie, bericht_id=row.id))
        aflevering_id = None
        if ontvangen.retour_id is not None:
            session.flush()  # the delivery planner reads the retour and the envelope it answers
            retour = session.get(Bericht, ontvangen.retour_id)
            assert retour is not None
            aflevering = plan_als_nodig(session, retour, self.routes, actor="system",
                                        eigen_partijen=self.eigen_partijen)
            if aflevering is not None:
                aflevering_id = aflevering.id
                if row.status == Status.ACCEPTED:
                    transition(session, row, Status.ANSWERED, actor="system", action="retour_verzonden",
                               details={"retour": retour.id})
            elif retour.status == Status.ACCEPTED and not ontvangen.duplicaat:
                log.warning("geen route naar %s voor %s; het retourbericht %s blijft in de API staan",
                            retour.adressaat, retour.berichttype, retour.id)
        self._beantwoordt(session, row)
        return Aankomst(row.id, row.status, row.berichttype, ontvangen.duplicaat, list(ontvangen.errors),
                        aflevering_id)

    @staticmethod
    def _beantwoordt(session: Session, row: Bericht) -> None:
        """A retourbericht or WMO325 that arrives closes its heenbericht (the watchdog stops waiting)."""
        b = catalogue.BERICHTEN.get(row.berichttype or "")
        if b is None or row.antwoord_op_id is None or not (b.soort is catalogue.Soort.RETOUR or b.is_soort("325")):
            return
        # Locked, as the worker locks it to record the delivery (outbox.vastleggen): whichever comes second sees the
        # other's outcome, so an answer that overtakes the worker's bookkeeping still closes its heenbericht.
        heen = session.get(Bericht, row.antwoord_op_id, with_for_update=True, populate_existing=True)
        if heen is not None and heen.status == Status.DELIVERED:
            transition(session, heen, Status.ANSWERED, actor="system", action="antwoord_ontvangen",
                       details={"antwoord": row.id})

    def fout_ontvangen(self, cross_ref: str, *, code: str, omschrijving: str, zender: str) -> bool:
        """A hub or partner refused an envelope of ours after accepting it (a Fo01 that arrives later): the
        delivery is marked dead letter with the reason. False when the envelope is not ours."""
        with self.sessions() as session, session.begin():
            aflevering = session.scalars(select(Aflevering).where(Aflevering.envelop_id == cross_ref)).first()
            if aflevering is None:
                return False
            reden = f"{code}: {omschrijving} (gemeld door {zender})"
            aflevering.status = AfleveringStatus.DEAD_LETTER
            aflevering.laatste_fout = reden
            aflevering.pogingen_log.append(AfleveringPoging(at=utcnow(), resultaat="definitief", fout=reden))
            bericht = session.get(Bericht, aflevering.bericht_id)
            assert bericht is not None
            details = {"aflevering": aflevering.id, "envelop_id": cross_ref, "code": code, "reden": reden}
            nieuwste = session.scalars(select(Aflevering.id).where(Aflevering.bericht_id == bericht.id)
                                       .order_by(Aflevering.id.desc())).first()
            # Only the newest envelope speaks for the message: a Fo01 on an envelope that was since resent in
            # a fresh one is history, not the message's fate.
            if bericht.status in (Status.QUEUED, Status.DELIVERED) and nieuwste == aflevering.id:
                transition(session, bericht, Status.DEAD_LETTER, actor=zender, action="fout_ontvangen",
                           details=details)
            else:
                audit.append(session, actor=zender, action="fout_ontvangen", bericht_id=bericht.id, details=details)
            return True
