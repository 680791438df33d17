"""Declaraties in the console: the reconciliation of gateway/ingest/beslissing.py, shown per prestatie, and who
may send a WMO325 from the browser.

Amounts, outcomes, codes, deadlines and the WMO325 itself come from `beslissing` — the same functions the API
calls (gateway/api/declaraties.py) — so console and API cannot disagree. This module only adds what a person
needs beside them: the prestatie line's own fields (toewijzing, product, periode), the debet a credit cancels
and the credit that cancelled a debet (from the facts the cross rules keep), and the retourcodes to choose from.

Who may decide: an operator (a viewer only looks) of a gateway that answers for the gemeente the WMO323 is
addressed to — the gemeenten in IWMO_IDENTITEIT, or every gemeente when that is empty (the gateway then
answers for all its parties, as the receive path does: gateway/ingest/oordeel.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.admin import gesprek, partners, sessie
from gateway.ingest import beslissing
from gateway.messages import retour
from gateway.messages.declaratie_antwoord import VOLLEDIG_TOEGEKEND
from gateway.messages.declaratie_antwoord import Status as Uitkomst
from gateway.standard import catalogue
from gateway.standard.codelijsten import RETOURCODES_323, betekenis
from gateway.store.lifecycle import Status
from gateway.store.models import Bericht, DeclaratieVerwerking, Feit
from gateway.validation.cross.history import sleutel

# The codes an operator can refuse a prestatie with: WJ001's codes for a WMO323, less those with a fixed meaning
# that the WMO325 builder assigns itself (0001 controleniveau 2, 0200, 0233, 8001) and would refuse as a reason.
AFWIJSCODES: tuple[str, ...] = tuple(sorted(
    RETOURCODES_323 - {retour.TECHNISCH_AFGEKEURD, retour.GEEN_OPMERKINGEN, retour.NIET_BEOORDEELD,
                       VOLLEDIG_TOEGEKEND}))
TOEKENNEN = "toekennen"  # the choice "no refusal" in the form
GEWEIGERD = (Uitkomst.AFGEWEZEN, Uitkomst.NIET_BEOORDEELD, Uitkomst.NIET_VERWERKT)


@dataclass(frozen=True)
class Verwijzing:
    """Another prestatie a line refers to: the debet a credit cancels, or the credit that cancelled a debet."""

    referentie: str
    bericht_id: str
    declaratienummer: str | None
    bedrag: int | None  # eurocent


@dataclass(frozen=True)
class Prestatieregel:
    sleutel: str  # the key beslissing uses: ReferentieNummer, or the element path when one repeats
    regel: gesprek.Prestatie | None  # None when retention removed the bytes
    status: str  # toegekend | afgewezen | niet_beoordeeld | niet_verwerkt | open
    bedrag: int  # eurocent, credit negative
    codes: tuple[str, ...]
    crediteert: Verwijzing | None = None
    gecrediteerd_door: Verwijzing | None = None

    @property
    def beslisbaar(self) -> bool:
        """Still waiting for the gemeente: the gateway did not refuse it already."""
        return self.status == "open"


@dataclass(frozen=True)
class Declaratieweergave:
    stand: beslissing.Declaratiestand
    prestaties: list[Prestatieregel] = field(default_factory=list)

    @property
    def beantwoordbaar(self) -> bool:
        """Open and processed: a 323 that was not processed got its 325 from the gateway at once."""
        return self.stand.open and self.stand.verwerking != "niet_verwerkt" and self.stand.status != Status.REJECTED

    @property
    def afgewezen_bedrag(self) -> int:
        return sum(p.bedrag for p in self.prestaties if p.status in GEWEIGERD)

    @property
    def toegekend_bedrag(self) -> int | None:
        if self.stand.totaal_toegekend is not None:
            return self.stand.totaal_toegekend
        if self.stand.open or not self.prestaties:
            return None
        return sum(p.bedrag for p in self.prestaties if p.status == Uitkomst.TOEGEKEND)

    def te_laat(self, vandaag: dt.date) -> bool:
        return self.stand.uiterlijk is not None and self.stand.uiterlijk < vandaag


def afwijscodes() -> list[tuple[str, str]]:
    return [(c, betekenis(c)) for c in AFWIJSCODES]


def beslisser_fout(b: sessie.Beheerder, gemeente: str | None, identiteit: Collection[str],
                   aanbieders: dict[str, str] | None = None) -> str | None:
    """Why this administrator may not answer a declaratie addressed to `gemeente`, or None when they may."""
    if not b.mag_handelen:
        return ("Uw rol is viewer: u mag declaraties bekijken maar niet beantwoorden. Vraag een beheerder om een "
                "sleutel met rol operator (iwmo-gateway keys create --role operator).")
    naam = partners.label(gemeente, aanbieders or {})
    if not gemeente or partners.soort(gemeente) != "gemeente":
        return f"De declaratie is niet aan een gemeente gericht ({naam}); alleen een gemeente beantwoordt haar."
    if identiteit and gemeente not in identiteit:
        return (f"Deze gateway beantwoordt niet namens {naam}: IWMO_IDENTITEIT noemt alleen "
                f"{', '.join(sorted(identiteit))}. De gemeente zelf beantwoordt deze declaratie.")
    return None


_PER_VRAAG = 500  # keys per IN (...): a 10 000-line declaratie costs a few dozen queries, not 20 000


def _verwijzingen(session: Session, soort: str, aanbieder: str | None, referenties: set[str]) -> dict[str, Verwijzing]:
    """The newest fact of `soort` per ReferentieNummer (a `prestatie` for a credit's VorigReferentieNummer, a
    `credit` for a debet's own number), with the DeclaratieNummer of the 323 that carries it."""
    op_sleutel = {sleutel(aanbieder, r): r for r in referenties if r}
    feiten: dict[str, tuple[str, dict[str, object]]] = {}
    sleutels = sorted(op_sleutel)
    for i in range(0, len(sleutels), _PER_VRAAG):
        for feit in session.execute(select(Feit.sleutel, Feit.bericht_id, Feit.data)
                                    .where(Feit.soort == soort, Feit.sleutel.in_(sleutels[i:i + _PER_VRAAG]))
                                    .order_by(Feit.id)):
            feiten[op_sleutel[feit.sleutel]] = (feit.bericht_id, feit.data)  # the newest wins
    ids = sorted({b for b, _ in feiten.values()})
    nummers: dict[str, str | None] = {}
    for i in range(0, len(ids), _PER_VRAAG):
        nummers.update({b: n for b, n in session.execute(
            select(DeclaratieVerwerking.bericht_id, DeclaratieVerwerking.declaratienummer)
            .where(DeclaratieVerwerking.bericht_id.in_(ids[i:i + _PER_VRAAG])))})
    uit = {}
    for referentie, (bericht_id, data) in feiten.items():
        bedrag = str(data.get("bedrag") or "")
        uit[referentie] = Verwijzing(str(data.get("referentienummer") or referentie), bericht_id,
                                     nummers.get(bericht_id), int(bedrag) if bedrag.isdigit() else None)
    return uit


def _regels(session: Session, stand: beslissing.Declaratiestand) -> list[Prestatieregel]:
    bericht = session.get(Bericht, stand.id)
    lijnen = gesprek.prestaties(bericht.raw) if bericht is not None and bericht.raw else []
    uitkomsten = list(stand.prestaties.items())
    if len(lijnen) != len(uitkomsten):
        lijnen = []  # both are in document order; without the same count, show the outcomes alone
    debetten = _verwijzingen(session, "prestatie", stand.aanbieder, {p.vorig for p in lijnen if p.debet_credit == "C"})
    credits = _verwijzingen(session, "credit", stand.aanbieder, {p.referentie for p in lijnen if p.debet_credit != "C"})
    uit = []
    for i, (sleutel_, u) in enumerate(uitkomsten):
        lijn = lijnen[i] if lijnen else None
        status = "open" if stand.open and u.status is Uitkomst.TOEGEKEND else str(u.status)
        crediteert = gecrediteerd = None
        if lijn is not None and lijn.debet_credit == "C":
            crediteert = debetten.get(lijn.vorig)
        elif lijn is not None:
            gecrediteerd = credits.get(lijn.referentie)
        uit.append(Prestatieregel(sleutel_, lijn, status, u.bedrag, u.codes, crediteert, gecrediteerd))
    return uit


def per_nummer(sessions: sessionmaker[Session], declaratienummer: str) -> list[Declaratieweergave]:
    """Every WMO323 with this DeclaratieNummer (an administrator sees all parties), oldest first."""
    standen = beslissing.declaratie(sessions, declaratienummer, partij=None)
    with sessions() as session:
        return [Declaratieweergave(s, _regels(session, s)) for s in standen]


def declaratienummer_van(session: Session, bericht: Bericht) -> tuple[str, str | None] | None:
    """(id of the WMO323, its DeclaratieNummer) for a 323 or the 325 that answers it; None for other messages."""
    if catalogue.nummer_van(bericht.berichttype) == "325" and bericht.antwoord_op_id:
        declaratie_id = bericht.antwoord_op_id
    elif catalogue.nummer_van(bericht.berichttype) == "323":
        declaratie_id = bericht.id
    else:
        return None
    nummer = session.scalar(select(DeclaratieVerwerking.declaratienummer)
                            .where(DeclaratieVerwerking.bericht_id == declaratie_id))
    return declaratie_id, nummer


def voor_bericht(sessions: sessionmaker[Session], bericht: Bericht) -> Declaratieweergave | None:
    """The declaratie a 323 or 325 belongs to, as the declaratie page shows it."""
    with sessions() as session:
        gevonden = declaratienummer_van(session, bericht)
    if gevonden is None or gevonden[1] is None:
        return None
    declaratie_id, nummer = gevonden
    return next((w for w in per_nummer(sessions, nummer) if w.stand.id == declaratie_id), None)
