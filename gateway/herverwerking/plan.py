"""What a replay would do to each message — the dry run — decided by small pure functions over a message's
state and its last envelope, so the run does exactly what the dry run said (it asks the same function again,
at the moment it acts, because a message may have moved on in between).

Three actions:

- `herbeoordelen`: judge the stored bytes again with today's XSD and in-message rules (`validate`). The verdict
  before is the stored one for the same layers; cross-message findings (TR019, TR056, …) need the store as it was
  when the message arrived and are not judged again — the plan lists them apart. **A changed verdict changes
  nothing but the audit trail**: the sender was told the first verdict in its retourbericht, and the status,
  findings and that retourbericht stay as they were. The event (`herverwerkt`, with before → after) is what an
  administrator acts on: mark the message handled, or ask the sender to submit it again.
- `opnieuw_in_wachtrij`: a dead letter goes back to the outbox.
- `opnieuw_verzenden`: a dead letter as above; a delivered or answered message is handed to its partner again.

No duplicates at the partner: by default the envelope is the same one (StUF referentienummer / VECOZO traceerId)
and the bytes are the same (BerichtIdentificatie / IdentificatieRetour), so a hub and the partner recognise a
repeat. Only with `nieuwe_verzending` does the gateway make a new envelope id, and — only for a message the partner
never accepted (a dead letter) — a new identificatie, in a new message that replaces the old one (the old one is
`handled`, its bytes and audit trail untouched). A message the partner did accept keeps its identificatie, so the
partner refuses the repeat as a duplicate (TR056) instead of processing it twice.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.herverwerking.selectie import Selectie
from gateway.standard import catalogue
from gateway.store.lifecycle import Status
from gateway.store.models import Aflevering, Bericht, Bevinding
from gateway.transport.outbox import AfleveringStatus
from gateway.validation.validator import validate

MAX_GETOOND = 1000  # steps a dry run lists; it always counts them all


class Actie(enum.StrEnum):
    HERBEOORDELEN = "herbeoordelen"
    OPNIEUW_IN_WACHTRIJ = "opnieuw_in_wachtrij"
    OPNIEUW_VERZENDEN = "opnieuw_verzenden"


class Uitkomst(enum.StrEnum):
    OORDEEL_GELIJK = "oordeel_gelijk"
    OORDEEL_GEWIJZIGD = "oordeel_gewijzigd"
    IN_WACHTRIJ = "in_wachtrij"  # a dead letter back in the outbox
    OPNIEUW_VERZONDEN = "opnieuw_verzonden"  # a delivered message handed over again
    OVERGESLAGEN = "overgeslagen"  # the action does not apply to this message (the reason says why)
    FOUT = "fout"  # acting failed unexpectedly; the message is as it was


ZELFDE, NIEUW = "zelfde", "nieuw"


class Ongeldig(ValueError):
    """An action with options that do not go together; the message says what would."""


def controleer(actie: Actie, nieuwe_verzending: bool) -> None:
    if nieuwe_verzending and actie is Actie.HERBEOORDELEN:
        raise Ongeldig("nieuwe_verzending hoort bij opnieuw_in_wachtrij of opnieuw_verzenden; herbeoordelen "
                       "verstuurt niets")


@dataclass(frozen=True)
class Oordeel:
    geldig: bool
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Stap:
    """What happens (or would happen) to one message."""

    bericht_id: str
    berichttype: str | None
    status: str
    partner: str | None  # to whom it travels
    uitkomst: Uitkomst
    toelichting: str  # Dutch, for the operator
    envelop: str | None = None  # zelfde | nieuw: the envelope id the partner will see
    envelop_id: str | None = None  # the envelope id kept (zelfde)
    identificatie: str | None = None  # zelfde | nieuw
    oordeel_voor: Oordeel | None = None
    oordeel_na: Oordeel | None = None
    niet_herbeoordeeld: tuple[str, ...] = ()  # cross-message codes, which need the store of then

    def als_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Proef:
    totaal: int
    stappen: list[Stap] = field(default_factory=list)

    @property
    def per_uitkomst(self) -> dict[str, int]:
        telling: dict[str, int] = {}
        for s in self.stappen:
            telling[s.uitkomst] = telling.get(s.uitkomst, 0) + 1
        return telling


# -- the decisions -----------------------------------------------------------------------------------------

def _leesbaar(bericht: Bericht) -> bool:
    return bool(bericht.raw) and not bericht.ingekort and len(bericht.raw) == bericht.size


def _overgeslagen(bericht: Bericht, reden: str) -> Stap:
    return Stap(bericht.id, bericht.berichttype, bericht.status, bericht.adressaat, Uitkomst.OVERGESLAGEN, reden)


def _cross_codes() -> frozenset[str]:
    from gateway.validation.cross.registry import all_cross_rules

    return frozenset(c.code for c in all_cross_rules())


def herbeoordeling(bericht: Bericht, opgeslagen_codes: Sequence[str]) -> Stap:
    """The verdict on the stored bytes now, beside the stored verdict for the same layers."""
    if not _leesbaar(bericht):
        return _overgeslagen(bericht, "De bytes van dit bericht zijn niet (meer) volledig bewaard (ingekort of na de "
                                      "bewaartermijn verwijderd); herbeoordelen kan niet.")
    cross = _cross_codes()
    niet = tuple(sorted({c for c in opgeslagen_codes if c in cross}))
    voor_codes = tuple(sorted({c for c in opgeslagen_codes if c not in cross and c != "BEPERKT"}))
    uitslag = validate(bericht.raw)
    na_codes = tuple(sorted({f.code for f in uitslag.errors}))
    voor, na = Oordeel(not voor_codes, voor_codes), Oordeel(not na_codes, na_codes)

    def woord(o: Oordeel) -> str:
        return "goedgekeurd" if o.geldig else f"afgekeurd ({', '.join(o.codes)})"

    if voor == na:
        uitkomst, tekst = Uitkomst.OORDEEL_GELIJK, f"Oordeel ongewijzigd: {woord(na)}."
    else:
        uitkomst = Uitkomst.OORDEEL_GEWIJZIGD
        tekst = (f"Oordeel gewijzigd: {woord(voor)} → {woord(na)}. Dit wordt vastgelegd in de audit trail; status, "
                 "bevindingen en het verstuurde retourbericht blijven zoals ze waren. Handel het bericht af of vraag "
                 "de afzender het opnieuw in te dienen.")
    if niet:
        tekst += f" Berichtoverstijgende bevindingen ({', '.join(niet)}) zijn niet opnieuw beoordeeld."
    return Stap(bericht.id, bericht.berichttype, bericht.status, bericht.adressaat, uitkomst, tekst,
                oordeel_voor=voor, oordeel_na=na, niet_herbeoordeeld=niet)


def nieuwe_identificatie_mag(bericht: Bericht) -> bool:
    """The partner never accepted a dead letter (refused, or lost in transit): a new identificatie names a message
    it has not seen. A message it accepted keeps its identificatie, so a repeat is recognised (TR056)."""
    return bericht.status == Status.DEAD_LETTER and bericht.berichttype in catalogue.BERICHTEN


def verzending(bericht: Bericht, laatste: Aflevering | None, actie: Actie, nieuwe_verzending: bool) -> Stap:
    """Requeue or resend: which envelope and which identificatie the partner will see, or why not."""
    if bericht.status == Status.DEAD_LETTER:
        if laatste is None:
            return _overgeslagen(bericht, "Dit bericht heeft nooit een envelop gehad; er is niets om opnieuw te "
                                          "versturen. Controleer de route en verstuur het via de berichtpagina.")
        if laatste.status != AfleveringStatus.DEAD_LETTER:
            return _overgeslagen(bericht, "De laatste envelop van dit bericht is nog onderweg; wacht tot de worker "
                                          "haar heeft afgehandeld.")
        uitkomst = Uitkomst.IN_WACHTRIJ
        wat = "gaat opnieuw in de wachtrij"
    elif actie is Actie.OPNIEUW_IN_WACHTRIJ:
        return _overgeslagen(bericht, f"Alleen een niet-afleverbaar bericht gaat opnieuw in de wachtrij; dit bericht "
                                      f"heeft status '{bericht.status}'.")
    elif bericht.status in (Status.DELIVERED, Status.ANSWERED):
        if laatste is None or laatste.status != AfleveringStatus.DELIVERED:
            return _overgeslagen(bericht, "De laatste envelop van dit bericht is niet afgeleverd of nog onderweg; "
                                          "er is niets opnieuw te versturen.")
        uitkomst = Uitkomst.OPNIEUW_VERZONDEN
        wat = "wordt opnieuw aan de partner aangeboden"
    else:
        return _overgeslagen(bericht, f"Een bericht met status '{bericht.status}' wordt niet opnieuw verzonden; "
                                      "alleen niet-afleverbare, afgeleverde en beantwoorde berichten.")
    if not nieuwe_verzending:
        return Stap(bericht.id, bericht.berichttype, bericht.status, bericht.adressaat, uitkomst,
                    f"Het bericht {wat} in dezelfde envelop ({laatste.envelop_id}) met dezelfde identificatie: een "
                    "knooppunt en de partner herkennen de herhaling, er ontstaat geen dubbel bericht.",
                    envelop=ZELFDE, envelop_id=laatste.envelop_id, identificatie=ZELFDE)
    if nieuwe_identificatie_mag(bericht):
        return Stap(bericht.id, bericht.berichttype, bericht.status, bericht.adressaat, uitkomst,
                    f"Nieuwe verzending: de partner heeft dit bericht nooit aangenomen, dus het {wat} als nieuw "
                    "bericht met een nieuwe identificatie in een nieuwe envelop. Het oude bericht wordt afgehandeld "
                    "en verwijst naar het nieuwe; een retourbericht noemt de nieuwe identificatie.",
                    envelop=NIEUW, identificatie=NIEUW)
    return Stap(bericht.id, bericht.berichttype, bericht.status, bericht.adressaat, uitkomst,
                f"Nieuwe verzending: het bericht {wat} in een nieuwe envelop, maar met dezelfde identificatie: de "
                "partner heeft het al aangenomen, dus een nieuwe identificatie zou een tweede bericht zijn. De "
                "partner herkent de herhaling aan de identificatie (TR056).",
                envelop=NIEUW, identificatie=ZELFDE)


# -- the store side ----------------------------------------------------------------------------------------

def laatste_afleveringen(session: Session, ids: Sequence[str]) -> dict[str, Aflevering]:
    laatste: dict[str, Aflevering] = {}
    for a in session.scalars(select(Aflevering).where(Aflevering.bericht_id.in_(ids)).order_by(Aflevering.id)):
        laatste[a.bericht_id] = a
    return laatste


def opgeslagen_codes(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {i: [] for i in ids}
    for bericht_id, code in session.execute(select(Bevinding.bericht_id, Bevinding.code)
                                            .where(Bevinding.bericht_id.in_(ids))):
        codes[bericht_id].append(code)
    return codes


def stappen(session: Session, berichten: Sequence[Bericht], actie: Actie, nieuwe_verzending: bool) -> list[Stap]:
    """The step for each message, with what it needs read in one query per kind (not one per message)."""
    ids = [b.id for b in berichten]
    if actie is Actie.HERBEOORDELEN:
        codes = opgeslagen_codes(session, ids)
        return [herbeoordeling(b, codes[b.id]) for b in berichten]
    laatste = laatste_afleveringen(session, ids)
    return [verzending(b, laatste.get(b.id), actie, nieuwe_verzending) for b in berichten]


def proef(session: Session, selectie: Selectie, actie: Actie, *, nieuwe_verzending: bool = False,
          limit: int = 100) -> Proef:
    """The dry run: how many messages the filter selects, and the step for the first `limit` of them. Nothing is
    written."""
    controleer(actie, nieuwe_verzending)
    totaal = session.scalar(select(func.count()).select_from(selectie.query(Bericht.id).order_by(None).subquery()))
    berichten = list(session.scalars(selectie.query().limit(min(limit, MAX_GETOOND))))
    return Proef(int(totaal or 0), stappen(session, berichten, actie, nieuwe_verzending))
