"""SQLAlchemy 2 models. Migrations in `migrations/` are the schema's source of truth for databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Bericht(Base):
    """One message exactly as it arrived or left: bytes verbatim plus the keys extracted from them."""

    __tablename__ = "bericht"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    berichttype: Mapped[str | None] = mapped_column(String(8))  # WMO301 …; None when unreadable
    berichtcode: Mapped[str | None] = mapped_column(String(3))
    afzender: Mapped[str | None] = mapped_column(String(8))  # header Afzender
    ontvanger: Mapped[str | None] = mapped_column(String(8))  # header Ontvanger
    verzender: Mapped[str | None] = mapped_column(String(8))  # who sent it (differs for retourberichten)
    adressaat: Mapped[str | None] = mapped_column(String(8))  # to whom it travels
    identificatie: Mapped[str | None] = mapped_column(String(64))
    dagtekening: Mapped[dt.date | None] = mapped_column(Date)
    richting: Mapped[str] = mapped_column(String(3))  # in | uit
    status: Mapped[str] = mapped_column(String(16))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    gelezen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    antwoord_op_id: Mapped[str | None] = mapped_column(ForeignKey("bericht.id"))
    conversatie_id: Mapped[str | None] = mapped_column(String(64))
    # True when `raw` holds only a bounded prefix of a refused body (oversize, unreadable); sha256 and size
    # still describe the whole body as it arrived.
    ingekort: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The Afzender a message claimed when that is not the authenticated party (the row is the caller's).
    geclaimde_afzender: Mapped[str | None] = mapped_column(String(64))

    sleutels: Mapped[list[BerichtSleutel]] = relationship(back_populates="bericht", cascade="all, delete-orphan")
    bevindingen: Mapped[list[Bevinding]] = relationship(
        back_populates="bericht", cascade="all, delete-orphan", order_by="Bevinding.id"
    )

    __table_args__ = (
        Index("ix_bericht_created", "created_at", "id"),
        Index("ix_bericht_status_created", "status", "created_at"),
        Index("ix_bericht_type_created", "berichttype", "created_at"),
        Index("ix_bericht_verzender", "verzender", "created_at"),
        Index("ix_bericht_adressaat", "adressaat", "gelezen_at"),
        Index("ix_bericht_dedupe", "submitted_by", "sha256"),
        Index("ix_bericht_identificatie", "identificatie"),
        Index("ix_bericht_antwoord_op", "antwoord_op_id"),
        Index("ix_bericht_conversatie", "conversatie_id"),
    )


class BerichtSleutel(Base):
    """Business keys of a message for correlation (ToewijzingNummer, DeclaratieNummer, Bsn, …).

    The BSN lives only here, because the cross-message rules and the client timeline need it.
    """

    __tablename__ = "bericht_sleutel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(64))

    bericht: Mapped[Bericht] = relationship(back_populates="sleutels")

    __table_args__ = (Index("ix_sleutel_kind_value", "kind", "value"), Index("ix_sleutel_bericht", "bericht_id"))


class Bevinding(Base):
    __tablename__ = "bevinding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    retourcode: Mapped[str | None] = mapped_column(String(8))
    locatie: Mapped[list[str]] = mapped_column(JSON, default=list)
    melding: Mapped[str] = mapped_column(Text)

    bericht: Mapped[Bericht] = relationship(back_populates="bevindingen")

    __table_args__ = (Index("ix_bevinding_code", "code", "bericht_id"), Index("ix_bevinding_bericht", "bericht_id"),
                      Index("ix_bevinding_retourcode", "retourcode"))


class IdentificatieClaim(Base):
    """One row per accepted (afzender, berichtcode, identificatie): the database decides TR056 races."""

    __tablename__ = "identificatie_claim"

    afzender: Mapped[str] = mapped_column(String(8), primary_key=True)
    berichtcode: Mapped[str] = mapped_column(String(3), primary_key=True)
    identificatie: Mapped[str] = mapped_column(String(64), primary_key=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id"))


class AuditEvent(Base):
    """Append-only; each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(48))
    bericht_id: Mapped[str | None] = mapped_column(String(36))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of `hash` under IWMO_AUDIT_KEY (kept outside the database); None when no key is set.
    mac: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_bericht", "bericht_id", "seq"),)


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    party: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16))  # party | admin | operator | viewer
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """The durable outbox: one row per envelope to send, worked by `iwmo-gateway worker`."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id"))
    adapter: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    envelope_id: Mapped[str | None] = mapped_column(String(64))
    conversatie_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_bericht", "bericht_id"),
        UniqueConstraint("envelope_id", name="uq_delivery_envelope"),
    )


class Feit(Base):
    """What the cross-message rules may need to know of an accepted message, filed under a lookup key."""

    __tablename__ = "feit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id", ondelete="CASCADE"))
    soort: Mapped[str] = mapped_column(String(32))
    sleutel: Mapped[str] = mapped_column(String(160))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_feit_soort_sleutel", "soort", "sleutel", "id"), Index("ix_feit_bericht", "bericht_id"))


class Aflevering(Base):
    """One outgoing envelope in the durable outbox: committed before anything is sent, worked by the worker.

    status: pending (due) | sending (leased by a worker until volgende_poging_at) | failed (a transient failure,
    retried at volgende_poging_at) | delivered | dead_letter (refused or past the retry horizon).
    """

    __tablename__ = "aflevering"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id"))
    adapter: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(255))
    credentials: Mapped[str | None] = mapped_column(String(64))  # name of the environment variable, never the secret
    functie: Mapped[str] = mapped_column(String(8))  # WMO301 …
    zender: Mapped[str] = mapped_column(String(8))
    ontvanger: Mapped[str] = mapped_column(String(8))
    envelop_id: Mapped[str] = mapped_column(String(64))  # StUF referentienummer / VECOZO traceerId
    conversatie_id: Mapped[str | None] = mapped_column(String(64))
    antwoord_op: Mapped[str | None] = mapped_column(String(64))  # crossRefnummer / alsAntwoordOp
    status: Mapped[str] = mapped_column(String(16))
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    laatste_fout: Mapped[str | None] = mapped_column(Text)
    wachtrij_sinds: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # retry horizon
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    pogingen_log: Mapped[list[AfleveringPoging]] = relationship(
        back_populates="aflevering", cascade="all, delete-orphan", order_by="AfleveringPoging.id"
    )

    __table_args__ = (
        Index("ix_aflevering_due", "status", "volgende_poging_at"),
        Index("ix_aflevering_bericht", "bericht_id"),
        UniqueConstraint("envelop_id", name="uq_aflevering_envelop"),
    )


class AfleveringPoging(Base):
    """One attempt to hand an envelope over: what came back, for the admin console and for diagnosis."""

    __tablename__ = "aflevering_poging"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aflevering_id: Mapped[int] = mapped_column(ForeignKey("aflevering.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resultaat: Mapped[str] = mapped_column(String(16))  # ok | tijdelijk | definitief
    http_status: Mapped[int | None] = mapped_column(Integer)
    fout: Mapped[str | None] = mapped_column(Text)

    aflevering: Mapped[Aflevering] = relationship(back_populates="pogingen_log")

    __table_args__ = (Index("ix_aflevering_poging_aflevering", "aflevering_id", "id"),)


class Ontvangst(Base):
    """An envelope that arrived through a transport: makes receiving idempotent per (zender, envelop_id) and
    keeps the ids the answer must refer to (crossRefnummer, conversatieId, alsAntwoordOp)."""

    __tablename__ = "ontvangst"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    adapter: Mapped[str] = mapped_column(String(32))
    zender: Mapped[str] = mapped_column(String(8))
    envelop_id: Mapped[str] = mapped_column(String(64))
    conversatie_id: Mapped[str | None] = mapped_column(String(64))
    functie: Mapped[str | None] = mapped_column(String(8))
    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("zender", "envelop_id", name="uq_ontvangst_envelop"),
        Index("ix_ontvangst_bericht", "bericht_id"),
    )


class BeheerSessie(Base):
    """A console session: it is valid only while this row says so (sign-out and revocation end it)."""

    __tablename__ = "beheer_sessie"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sleutel_id: Mapped[int] = mapped_column(Integer)
    rol: Mapped[str] = mapped_column(String(16))
    aangemaakt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    verloopt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    beeindigd_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_beheer_sessie_sleutel", "sleutel_id"),)


class DeclaratieVerwerking(Base):
    """How a WMO323 was processed (IV087) and what the gateway itself refused in it; its WMO325 once answered."""

    __tablename__ = "declaratie_verwerking"

    bericht_id: Mapped[str] = mapped_column(ForeignKey("bericht.id", ondelete="CASCADE"), primary_key=True)
    declaratienummer: Mapped[str | None] = mapped_column(String(64))
    aanbieder: Mapped[str | None] = mapped_column(String(8))
    gemeente: Mapped[str | None] = mapped_column(String(8))
    verwerking: Mapped[str] = mapped_column(String(16))  # volledig | gedeeltelijk | niet_verwerkt
    technisch: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    totaal_ingediend: Mapped[int | None] = mapped_column(BigInteger)  # cents, signed
    totaal_toegekend: Mapped[int | None] = mapped_column(BigInteger)
    antwoord_id: Mapped[str | None] = mapped_column(String(36))
    beantwoord_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_declaratie_nummer", "aanbieder", "declaratienummer"),
                      Index("ix_declaratie_gemeente", "gemeente", "antwoord_id"))


class Partner(Base):
    """The name an administrator gave a party (an aanbieder by AGB code), so the console shows names, not codes.
    Gemeenten are named by the CBS list (gateway/standard/gemeenten.py); a row here is for what that list lacks."""

    __tablename__ = "partner"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # AGB code (8 digits) or gemeentecode
    naam: Mapped[str] = mapped_column(String(200))
    bijgewerkt_door: Mapped[str] = mapped_column(String(80))
    bijgewerkt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PartnerProfiel(Base):
    """The profiles a party exchanges ("iwmo-3.2,ijw-3.2"), when an administrator pinned it (migration 0012);
    a party without a row exchanges every installed profile."""

    __tablename__ = "partner_profiel"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    profielen: Mapped[str] = mapped_column(String(200))  # profile keys, comma-separated
    bijgewerkt_door: Mapped[str] = mapped_column(String(80))
    bijgewerkt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Abonnement(Base):
    """A webhook subscription: where a party (None: an administrator's, for every party) wants which events.

    The secret signs each delivery (Standard Webhooks, `whsec_` + base64); it is shown once, at creation."""

    __tablename__ = "abonnement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partij: Mapped[str | None] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(String(2048))
    gebeurtenissen: Mapped[list[str]] = mapped_column(JSON, default=list)
    berichttypen: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every berichttype
    geheim: Mapped[str] = mapped_column(String(128))
    gepauzeerd: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    reden: Mapped[str | None] = mapped_column(Text)
    fouten_op_rij: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    aangemaakt_door: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_abonnement_partij", "partij"),)


class Gebeurtenis(Base):
    """Something a back-office may want to be told: links only, never message bytes or a Bsn. The id only
    grows, so it is the SSE stream's `id:` and a reader resumes after the last one it saw."""

    __tablename__ = "gebeurtenis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(48))
    partij: Mapped[str | None] = mapped_column(String(8))  # whom it concerns
    berichttype: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_gebeurtenis_partij", "partij", "id"),)


class WebhookAflevering(Base):
    """One event to one subscription: status pending | sending (leased until volgende_poging_at) | failed
    (retried at volgende_poging_at) | delivered."""

    __tablename__ = "webhook_aflevering"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    abonnement_id: Mapped[int] = mapped_column(ForeignKey("abonnement.id", ondelete="CASCADE"))
    gebeurtenis_id: Mapped[int] = mapped_column(ForeignKey("gebeurtenis.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    laatste_fout: Mapped[str | None] = mapped_column(Text)
    laatste_http_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    gebeurtenis: Mapped[Gebeurtenis] = relationship()

    __table_args__ = (
        Index("ix_webhook_aflevering_due", "status", "volgende_poging_at"),
        Index("ix_webhook_aflevering_abonnement", "abonnement_id", "id"),
    )


class Melding(Base):
    """A condition already told as an event (issue 14), so a later check — after a restart too, or on another
    worker — does not tell it again. The key names the condition: `termijn.verstreken:<bericht id>` stays for
    good; a `signaal.…` key lives as long as its episode and is removed when the condition clears."""

    __tablename__ = "melding"

    sleutel: Mapped[str] = mapped_column(String(160), primary_key=True)
    gebeurtenis_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: events may be purged, this not
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
