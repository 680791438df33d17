"""The batch and its items. The rows are the batch's whole state, so any worker process — also one started after
a crash — carries on where the last committed chunk ended (migration 0011)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models import Base, utcnow


class Herverwerking(Base):
    """One replay: which messages (the filter as the operator gave it), what to do with them, by whom.

    status: lopend (the worker takes its next chunk) | gepauzeerd | klaar."""

    __tablename__ = "herverwerking"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actie: Mapped[str] = mapped_column(String(32))
    nieuwe_verzending: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    totaal: Mapped[int] = mapped_column(Integer, default=0)
    verwerkt: Mapped[int] = mapped_column(Integer, default=0)
    gestart_door: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    bijgewerkt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    klaar_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_herverwerking_status", "status", "id"),)


class HerverwerkingItem(Base):
    """One message of a batch and its fate: uitkomst None until its chunk commits."""

    __tablename__ = "herverwerking_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    herverwerking_id: Mapped[int] = mapped_column(ForeignKey("herverwerking.id", ondelete="CASCADE"))
    bericht_id: Mapped[str] = mapped_column(String(36))
    uitkomst: Mapped[str | None] = mapped_column(String(24))
    toelichting: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    verwerkt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_herverwerking_item_open", "herverwerking_id", "uitkomst", "id"),)
