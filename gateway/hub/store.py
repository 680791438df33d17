"""The hub's own store: every envelope it took over, its delivery status and history, and its refusals.

Its own tables (prefix hub_) under its own declarative base, in its own database; the gateway's schema and
migrations are not involved. A message is committed before the sender hears "accepted", and stays until the
addressee confirmed it (pull) or the hub delivered it (push): a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from gateway.store.db import make_engine, make_session_factory


class Status(enum.StrEnum):
    """VECOZO's delivery statuses (Berichtstatus v2)."""

    ONTVANGEN = "Ontvangen"
    AFGEKEURD = "AfgekeurdDoorDienst"
    AANGEBODEN = "Aangeboden"
    BEZORGD = "Bezorgd"
    MISLUKT = "AanbiedenMislukt"


class Kanaal(enum.StrEnum):
    PUSH = "push"  # the hub POSTs the StUF-GGk envelope to the addressee's endpoint
    PULL = "pull"  # the addressee lists, downloads and confirms (VECOZO-style)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without a zone; everything we write is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class HubBase(DeclarativeBase):
    pass


class HubBericht(HubBase):
    __tablename__ = "hub_bericht"
    # An envelope id is unique per sender (IB016/BRS114) and, so addressees can name it, per addressee.
    __table_args__ = (
        UniqueConstraint("zender", "traceer_id", name="uq_hub_bericht_zender"),
        UniqueConstraint("ontvanger", "traceer_id", name="uq_hub_bericht_ontvanger"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    traceer_id: Mapped[str] = mapped_column(String(36))  # = StUF referentienummer
    conversatie_id: Mapped[str] = mapped_column(String(36))
    als_antwoord_op: Mapped[str | None] = mapped_column(String(36))  # = StUF crossRefnummer of a Du01
    zender: Mapped[str] = mapped_column(String(8))
    zender_rol: Mapped[str] = mapped_column(String(50))
    ontvanger: Mapped[str] = mapped_column(String(8), index=True)
    ontvanger_rol: Mapped[str] = mapped_column(String(50))
    functie: Mapped[str] = mapped_column(String(8))
    kanaal: Mapped[str] = mapped_column(String(8))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    grootte: Mapped[int] = mapped_column(Integer)
    envelop: Mapped[bytes | None] = mapped_column(LargeBinary)  # the SOAP envelope to POST (push only)
    status: Mapped[str] = mapped_column(String(24), index=True)
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    foutcode: Mapped[str | None] = mapped_column(String(16))
    fouttekst: Mapped[str | None] = mapped_column(Text)
    ontvangen_op: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    bezorgd_op: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    bevestigd_op: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class HubStatus(HubBase):
    """Every status a message went through, with why: the hub's own track and trace."""

    __tablename__ = "hub_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[int] = mapped_column(ForeignKey("hub_bericht.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    op: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    toelichting: Mapped[str | None] = mapped_column(Text)


class HubWeigering(HubBase):
    """A refused envelope (AfgekeurdDoorDienst). Kept apart so a refused id does not block a corrected resend."""

    __tablename__ = "hub_weigering"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    traceer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    zender: Mapped[str] = mapped_column(String(8))
    ontvanger: Mapped[str | None] = mapped_column(String(8))
    functie: Mapped[str | None] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(16))
    omschrijving: Mapped[str] = mapped_column(Text)
    op: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class NieuwBericht:
    traceer_id: str
    conversatie_id: str
    als_antwoord_op: str | None
    zender: str
    zender_rol: str
    ontvanger: str
    ontvanger_rol: str
    functie: str
    kanaal: Kanaal
    payload: bytes
    envelop: bytes | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class Info:
    """A stored message without its payload bytes."""

    id: int
    traceer_id: str
    conversatie_id: str
    als_antwoord_op: str | None
    zender: str
    zender_rol: str
    ontvanger: str
    ontvanger_rol: str
    functie: str
    kanaal: str
    sha256: str
    grootte: int
    status: str
    pogingen: int
    foutcode: str | None
    fouttekst: str | None
    ontvangen_op: dt.datetime

    @classmethod
    def van(cls, r: HubBericht) -> Info:
        return cls(
            id=r.id, traceer_id=r.traceer_id, conversatie_id=r.conversatie_id, als_antwoord_op=r.als_antwoord_op,
            zender=r.zender, zender_rol=r.zender_rol, ontvanger=r.ontvanger, ontvanger_rol=r.ontvanger_rol,
            functie=r.functie, kanaal=r.kanaal, sha256=r.sha256, grootte=r.grootte, status=r.status,
            pogingen=r.pogingen, foutcode=r.foutcode, fouttekst=r.fouttekst, ontvangen_op=_utc(r.ontvangen_op),
        )


@dataclass(frozen=True)
class Aanname:
    info: Info
    nieuw: bool  # False: this very envelope was taken over before (an idempotent resend)


class Duplicaat(Exception):
    """The sender used this envelope id before for different content (IB016 / BRS114)."""

    def __init__(self, bestaand: Info):
        super().__init__(bestaand.traceer_id)
        self.bestaand = bestaand


@dataclass(frozen=True)
class Aflevering:
    id: int
    traceer_id: str
    ontvanger: str
    envelop: bytes
    pogingen: int
    ontvangen_op: dt.datetime


class HubStore:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        HubBase.metadata.create_all(self.engine)
        # Explicit begin() takes SQLite's write lock at once (see gateway/store/db.py), as every writer must.
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _status(session: Session, rij: HubBericht, status: Status, toelichting: str | None = None) -> None:
        rij.status = status.value
        session.add(HubStatus(bericht_id=rij.id, status=status.value, op=utcnow(), toelichting=toelichting))

    def _bestaand(self, session: Session, zender: str, ontvanger: str, traceer_id: str) -> HubBericht | None:
        return session.scalars(
            select(HubBericht).where(
                HubBericht.traceer_id == traceer_id,
                (HubBericht.zender == zender) | (HubBericht.ontvanger == ontvanger),
            )
        ).first()

    def _idempotent(self, rij: HubBericht, nieuw: NieuwBericht) -> Aanname:
        zelfde = (rij.zender, rij.ontvanger, rij.functie, rij.sha256) == (
            nieuw.zender, nieuw.ontvanger, nieuw.functie, nieuw.sha256)
        if not zelfde:
            raise Duplicaat(Info.van(rij))
        return Aanname(Info.van(rij), nieuw=False)

    def neem_aan(self, nieuw: NieuwBericht, nu: dt.datetime | None = None) -> Aanname:
        """Commit an accepted envelope (Ontvangen → Aangeboden). The same envelope again is not stored twice."""
        nu = nu or utcnow()
        try:
            with self.sessions() as session, session.begin():
                rij = self._bestaand(session, nieuw.zender, nieuw.ontvanger, nieuw.traceer_id)
                if rij is not None:
                    return self._idempotent(rij, nieuw)
                rij = HubBericht(
                    traceer_id=nieuw.traceer_id, conversatie_id=nieuw.conversatie_id,
                    als_antwoord_op=nieuw.als_antwoord_op, zender=nieuw.zender, zender_rol=nieuw.zender_rol,
                    ontvanger=nieuw.ontvanger, ontvanger_rol=nieuw.ontvanger_rol, functie=nieuw.functie,
                    kanaal=nieuw.kanaal.value, payload=nieuw.payload, sha256=nieuw.sha256,
                    grootte=len(nieuw.payload), envelop=nieuw.envelop, status=Status.ONTVANGEN.value, pogingen=0,
                    volgende_poging=nu if nieuw.kanaal is Kanaal.PUSH else None, ontvangen_op=nu,
                )
                session.add(rij)
                session.flush()
                self._status(session, rij, Status.ONTVANGEN)
                self._status(session, rij, Status.AANGEBODEN,
                             "wacht op ophalen" if nieuw.kanaal is Kanaal.PULL else "wordt afgeleverd")
            return Aanname(Info.van(rij), nieuw=True)
        except IntegrityError:
            # Two copies raced (possible on PostgreSQL); the other one won. Decide as if it had been first.
            with self.sessions() as session:
                bestaand = self._bestaand(session, nieuw.zender, nieuw.ontvanger, nieuw.traceer_id)
                if bestaand is None:
                    raise
                return self._idempotent(bestaand, nieuw)

    def weiger(self, *, traceer_id: str | None, zender: str, ontvanger: str | None, functie: str | None,
               code: str, omschrijving: str) -> None:
        with self.sessions() as session, session.begin():
            session.add(HubWeigering(traceer_id=traceer_id, zender=zender, ontvanger=ontvanger, functie=functie,
                                     code=code, omschrijving=omschrijving, op=utcnow()))

    # --- pull (VECOZO-style) ----------------------------------------------------------------------

    def wachtrij(self, ontvanger: str, limit: int) -> list[Info]:
        """The oldest unconfirmed messages for this addressee."""
        with self.sessions() as session:
            rijen = session.scalars(
                select(HubBericht)
                .where(HubBericht.ontvanger == ontvanger, HubBericht.kanaal == Kanaal.PULL.value,
                       HubBericht.bevestigd_op.is_(None))
                .order_by(HubBericht.id)
                .limit(limit)
            ).all()
            return [Info.van(r) for r in rijen]

    def _voor(self, session: Session, ontvanger: str, traceer_id: str) -> HubBericht | None:
        return session.scalars(
            select(HubBericht).where(HubBericht.ontvanger == ontvanger, HubBericht.traceer_id == traceer_id,
                                     HubBericht.kanaal == Kanaal.PULL.value, HubBericht.bevestigd_op.is_(None))
        ).first()

    def download(self, ontvanger: str, traceer_id: str) -> bytes | None:
        """The payload; the first download makes the message Bezorgd (fetched by the addressee)."""
        with self.sessions() as session, session.begin():
            rij = self._voor(session, ontvanger, traceer_id)
            if rij is None:
                return None
            if rij.status != Status.BEZORGD:
                rij.bezorgd_op = utcnow()
                self._status(session, rij, Status.BEZORGD, "payload opgehaald")
            return rij.payload

    def bevestig(self, ontvanger: str, traceer_id: str) -> bool:
        """The addressee confirms receipt: only now does the message leave its queue."""
        with self.sessions() as session, session.begin():
            rij = self._voor(session, ontvanger, traceer_id)
            if rij is None:
                return False
            rij.bevestigd_op = utcnow()
            if rij.status != Status.BEZORGD:
                rij.bezorgd_op = rij.bevestigd_op
                self._status(session, rij, Status.BEZORGD, "ontvangst bevestigd")
            else:
                session.add(HubStatus(bericht_id=rij.id, status=rij.status, op=rij.bevestigd_op,
                                      toelichting="ontvangst bevestigd"))
            return True

    # --- push (GGk-style delivery) ----------------------------------------------------------------

    def te_bezorgen(self, nu: dt.datetime | None = None, limit: int = 50) -> list[Aflevering]:
        nu = nu or utcnow()
        with self.sessions() as session:
            rijen = session.scalars(
                select(HubBericht)
                .where(HubBericht.kanaal == Kanaal.PUSH.value, HubBericht.status == Status.AANGEBODEN.value,
                       HubBericht.volgende_poging <= nu)
                .order_by(HubBericht.volgende_poging, HubBericht.id)
                .limit(limit)
            ).all()
            return [Aflevering(id=r.id, traceer_id=r.traceer_id, ontvanger=r.ontvanger, envelop=r.envelop or b"",
                               pogingen=r.pogingen, ontvangen_op=_utc(r.ontvangen_op)) for r in rijen]

    def afgeleverd(self, bericht_id: int, toelichting: str) -> None:
        with self.sessions() as session, session.begin():
            rij = session.get(HubBericht, bericht_id)
            if rij is None or rij.status != Status.AANGEBODEN:
                return
            rij.pogingen += 1
            rij.bezorgd_op = utcnow()
            rij.volgende_poging = None
            rij.foutcode = rij.fouttekst = None  # earlier failed attempts stay in the history
            self._status(session, rij, Status.BEZORGD, toelichting)

    def later_opnieuw(self, bericht_id: int, volgende: dt.datetime, reden: str, code: str | None = None) -> None:
        with self.sessions() as session, session.begin():
            rij = session.get(HubBericht, bericht_id)
            if rij is None or rij.status != Status.AANGEBODEN:
                return
            rij.pogingen += 1
            rij.volgende_poging = volgende
            rij.foutcode, rij.fouttekst = code, reden
            session.add(HubStatus(bericht_id=rij.id, status=rij.status, op=utcnow(),
                                  toelichting=f"poging {rij.pogingen} mislukt: {reden}"))

    def mislukt(self, bericht_id: int, reden: str, code: str | None = None) -> None:
        with self.sessions() as session, session.begin():
            rij = session.get(HubBericht, bericht_id)
            if rij is None or rij.status != Status.AANGEBODEN:
                return
            rij.pogingen += 1
            rij.volgende_poging = None
            rij.foutcode, rij.fouttekst = code, reden
            self._status(session, rij, Status.MISLUKT, reden)

    # --- track and trace --------------------------------------------------------------------------

    def status(self, traceer_id: str, partij: str) -> dict[str, object] | None:
        """The status of a message this party sent or receives, with its history; or of its refusal."""
        with self.sessions() as session:
            rij = session.scalars(
                select(HubBericht).where(HubBericht.traceer_id == traceer_id,
                                         (HubBericht.zender == partij) | (HubBericht.ontvanger == partij))
            ).first()
            if rij is not None:
                historie = session.scalars(
                    select(HubStatus).where(HubStatus.bericht_id == rij.id).order_by(HubStatus.id)).all()
                meldingen = [{"code": rij.foutcode, "omschrijving": rij.fouttekst}] if rij.fouttekst else []
                return {
                    "traceerId": rij.traceer_id, "status": rij.status, "berichttype": rij.functie,
                    "pogingen": rij.pogingen, "meldingen": meldingen,
                    "historie": [{"status": h.status, "op": _utc(h.op).isoformat(), "toelichting": h.toelichting}
                                 for h in historie],
                }
            weigering = session.scalars(
                select(HubWeigering).where(HubWeigering.traceer_id == traceer_id, HubWeigering.zender == partij)
                .order_by(HubWeigering.id.desc())
            ).first()
            if weigering is None:
                return None
            return {
                "traceerId": traceer_id, "status": Status.AFGEKEURD.value, "berichttype": weigering.functie,
                "pogingen": 0, "meldingen": [{"code": weigering.code, "omschrijving": weigering.omschrijving}],
                "historie": [{"status": Status.AFGEKEURD.value, "op": _utc(weigering.op).isoformat(),
                              "toelichting": weigering.omschrijving}],
            }

    def tellingen(self) -> dict[str, int]:
        """Messages per status, refusals included: for the hub's health page and tests."""
        with self.sessions() as session:
            uit = {s: n for s, n in session.execute(
                select(HubBericht.status, func.count()).group_by(HubBericht.status)).all()}
            uit[Status.AFGEKEURD.value] = session.scalar(select(func.count()).select_from(HubWeigering)) or 0
            return uit
