"""Receiving an envelope from any transport: verify, validate and store, answer, and remember the envelope.

The payload goes through the same door as every message (`repository.receive`: XSD, rules, stored-state rules,
retourbericht, audit). The retourbericht that comes out is queued back through the route in the envelope
the heenbericht's envelope asks for (crossRefnummer / alsAntwoordOp, same conversation). The envelope id
is recorded per sender, so the same envelope arriving twice is stored once; on PostgreSQL an advisory lock
per envelope keeps two deliveries of it from racing past that check.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.standard import catalogue
from gateway.store import audit, repository
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


def _zender_uit_payload(payload: bytes) -> str | None:
    from gateway.store.keys import extract
    from gateway.validation import safe_xml
    from gateway.validation.validator import detect

    try:
        root = safe_xml.parse(payload).root
    except safe_xml.XmlRefused:
        return None
    bericht = detect(root)
    kop = extract(root)
    if bericht is None or not kop.afzender or not kop.ontvanger:
        return None
    return bericht.verzender_en_adressaat(kop.afzender, kop.ontvanger)[0]


def _engine(sessions: sessionmaker[Session]) -> Engine | None:
    bind = sessions.kw.get("bind")
    return bind if isinstance(bind, Engine) else None


@contextlib.contextmanager
def _envelop_slot(engine: Engine | None, sleutel: str) -> Iterator[None]:
    """Serialise work on one envelope across processes (PostgreSQL); SQLite serialises writers already."""
    if engine is None or engine.dialect.name != "postgresql":
        yield
        return
    k = int.from_bytes(hashlib.sha256(sleutel.encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": k})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": k})
            conn.commit()


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], routes: Routeringstabel, *,
                 cross_rules: repository.CrossRules | None = None, max_bytes: int | None = None,
                 eigen_partijen: frozenset[str] = frozenset()):
        self.sessions = sessions
        self.routes = routes
        self.cross_rules = cross_rules
        self.max_bytes = max_bytes
        self.eigen_partijen = eigen_partijen

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
        zender = o.zender or _zender_uit_payload(o.payload) or "onbekend"
        with self.sessions() as session:
            eerder = self._bekend(session, zender, o.envelop_id)
            if eerder is not None:
                return self._als_duplicaat(session, eerder)
        with _envelop_slot(_engine(self.sessions), f"{zender}|{o.envelop_id}"):
            with self.sessions() as session:
                eerder = self._bekend(session, zender, o.envelop_id)
                if eerder is not None:
                    return self._als_duplicaat(session, eerder)
            r = repository.receive(self.sessions, o.payload, party=zender, richting="in",
                                   cross_rules=self.cross_rules, max_bytes=self.max_bytes,
                                   namens=self.eigen_partijen or None)
            try:
                return self._afronden(o, adapter=adapter, zender=zender, ontvangen=r)
            except IntegrityError:  # the same envelope finished in another process meanwhile (SQLite path)
                with self.sessions() as session:
                    eerder = self._bekend(session, zender, o.envelop_id)
                    if eerder is None:
                        raise
                    return self._als_duplicaat(session, eerder)

    def _afronden(self, o: Ontvangen, *, adapter: str, zender: str, ontvangen: repository.Received) -> Aankomst:
        with self.sessions() as session, session.begin():
            eerder = self._bekend(session, zender, o.envelop_id)
            if eerder is not None:
                return self._als_duplicaat(session, eerder)
            session.add(Ontvangst(adapter=adapter, zender=zender, envelop_id=o.envelop_id,
                                  conversatie_id=o.conversatie_id or o.envelop_id, functie=o.functie,
                                  bericht_id=ontvangen.id))
            session.flush()
            row = session.get(Bericht, ontvangen.id)
            assert row is not None
            aflevering_id = None
            if ontvangen.retour_id is not None:
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
        if b is None or row.antwoord_op_id is None or not (b.soort is catalogue.Soort.RETOUR or b.naam == "WMO325"):
            return
        heen = session.get(Bericht, row.antwoord_op_id)
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
