"""Everything the detail page shows about one message, gathered in one place (reads only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.admin import acties
from gateway.admin.gesprek import gesprek
from gateway.admin.uitleg import Uitleg, uitleg
from gateway.admin.xmlweergave import Weergave, weergave
from gateway.standard import catalogue, profielen
from gateway.store import queries
from gateway.store.models import Aflevering, AuditEvent, Bericht, Ontvangst
from gateway.transport.outbox import afleveringen_van


@dataclass(frozen=True)
class BevindingUitleg:
    index: int
    locatie: list[str]
    melding: str  # as stored with the message (may name the offending value)
    uitleg: Uitleg

    @property
    def eigen_melding(self) -> str:
        """The stored melding when it says more than the rule's general text (e.g. names the value)."""
        kern = self.melding.removeprefix(f"{self.uitleg.code}: ").strip()
        return "" if kern == self.uitleg.oplossing.strip() else self.melding


@dataclass(frozen=True)
class Detail:
    bericht: Bericht
    omschrijving: str
    bevindingen: list[BevindingUitleg]
    xml: Weergave | None  # None: content removed by retention
    antwoorden: list[Bericht]
    heen: Bericht | None
    afleveringen: list[Aflevering]
    ontvangsten: list[Ontvangst]
    audit: list[AuditEvent]
    gesprek: list[Bericht]
    mogelijk: dict[str, bool]


def omschrijving(berichttype: str | None) -> str:
    b = catalogue.BERICHTEN.get(berichttype or "")
    if b is None:
        return "onleesbaar bericht"
    # The default standard's messages go by their short name; the others name their standard (Toewijzing · iJw 3.2).
    return b.omschrijving if b.profiel is profielen.PROFIELEN[0] else f"{b.omschrijving} · {b.profiel.naam}"


def laad(session: Session, bericht_id: str, *, bsn_zichtbaar: bool = False) -> Detail | None:
    bericht = queries.get(session, bericht_id)
    if bericht is None:
        return None
    bevindingen = [BevindingUitleg(i, list(v.locatie or []), v.melding, uitleg(v.code, v.retourcode, v.melding))
                   for i, v in enumerate(bericht.bevindingen)]
    xml = weergave(bericht.raw, [b.locatie for b in bevindingen], bsn_zichtbaar=bsn_zichtbaar) if bericht.raw \
        else None
    afleveringen = afleveringen_van(session, bericht.id)
    return Detail(
        bericht=bericht,
        omschrijving=omschrijving(bericht.berichttype),
        bevindingen=bevindingen,
        xml=xml,
        antwoorden=queries.answers(session, bericht.id),
        heen=queries.get(session, bericht.antwoord_op_id) if bericht.antwoord_op_id else None,
        afleveringen=afleveringen,
        ontvangsten=list(session.scalars(select(Ontvangst).where(Ontvangst.bericht_id == bericht.id)
                                         .order_by(Ontvangst.id))),
        audit=queries.audit_for(session, bericht.id),
        gesprek=gesprek(session, bericht),
        mogelijk=acties.mogelijk(bericht, bool(afleveringen)),
    )
