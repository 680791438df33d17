"""The gemeente's decision on a WMO323, and the reconciliation of declaraties for both parties.

`beantwoord` turns a decision ("refuse these prestaties with these codes; grant the rest") into exactly one
WMO325 per WMO323 (IV087): the gateway merges its own technical refusals from when the 323 arrived, builds the
325, checks it with our own schema and rules, stores it as the 323's answer, files its refusals as facts for
TR323 (IV085) and hands it to the relay like any outgoing message. `declaraties` and `declaratie` read the
same store back: submitted, granted and refused amounts, per declaratie and per prestatie, and the open ones
with their OP090x4 deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.gebeurtenissen import vastleggen as gebeurtenissen
from gateway.ingest.declaratie import oordeel_uit_json
from gateway.ingest.vastlegging import store_outgoing
from gateway.messages.declaratie_antwoord import (
    BeslissingOngeldig,
    Declaratieantwoord,
    PrestatieUitkomst,
    beslissing_uit_antwoord,
    bouw_declaratie_antwoord,
)
from gateway.standard import catalogue
from gateway.store.history import file_facts
from gateway.store.lifecycle import Status, allowed, transition
from gateway.store.models import Bericht, DeclaratieVerwerking, IdentificatieClaim, utcnow
from gateway.store.repository import declaratie_van
from gateway.store.wekker import meld_wijziging
from gateway.transport.werkdagen import werkdagen_na
from gateway.validation import safe_xml
from gateway.validation.findings import Finding
from gateway.validation.validator import validate

OP090X4_WERKDAGEN = 10  # a WMO325 within 10 working days of its WMO323

# What follows once the 325 is stored, in the same transaction: queue it for its addressee.
NaAntwoord = Callable[[Session, Bericht], None]


class NietGevonden(LookupError):
    """No WMO323 with that id that this party may answer (the same answer whether it exists or not)."""


class AlBeantwoord(Exception):
    def __init__(self, antwoord_id: str | None):
        super().__init__("Deze declaratie heeft al een declaratie-antwoord (WMO325); er komt er precies één per "
                         "WMO323 (IV087).")
        self.antwoord_id = antwoord_id


class AntwoordOngeldig(ValueError):
    def __init__(self, fouten: Sequence[Finding]):
        super().__init__("; ".join(f.melding for f in fouten))
        self.fouten = list(fouten)


@dataclass(frozen=True)
class Beantwoord:
    antwoord_id: str
    declaratie_id: str
    totaal_ingediend: int
    totaal_toegekend: int
    per_prestatie: dict[str, PrestatieUitkomst]


def _verwerking(session: Session, row: Bericht) -> DeclaratieVerwerking:
    query = select(DeclaratieVerwerking).where(DeclaratieVerwerking.bericht_id == row.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # two answers at once: the second waits, then sees the first
    dv = session.scalars(query).first()
    if dv is None:  # a 323 stored before the gateway recorded its processing: nothing of its own was refused
        dv = DeclaratieVerwerking(bericht_id=row.id, aanbieder=row.afzender, gemeente=row.ontvanger,
                                  verwerking="volledig", technisch={})
        session.add(dv)
    return dv


def beantwoord(sessions: sessionmaker[Session], declaratie_id: str, *, partij: str, actor: str,
               afgewezen: Mapping[str, Sequence[str]], na: NaAntwoord | None = None,
               client_fouten: Mapping[str, Sequence[str]] | None = None, identificatie: str | None = None,
               dagtekening: str | None = None, xslt_versie: str | None = None) -> Beantwoord:
    """Build, check, store and queue the WMO325 for one WMO323 addressed to `partij` (the gemeente).

    `client_fouten` (Bsn → codes) adds the gemeente's client-level refusals to the gateway's own. A 325 the
    gemeente wrote itself keeps its `identificatie`, `dagtekening` and `xslt_versie` (see `te_herbouwen`); its
    Identificatie is then claimed as any accepted message's is (TR056)."""
    with sessions() as session, session.begin():
        row, dv, besluit = _stel_op(session, declaratie_id, partij=partij, afgewezen=afgewezen,
                                    client_fouten=client_fouten, identificatie=identificatie,
                                    dagtekening=dagtekening, xslt_versie=xslt_versie)
        antwoord = store_outgoing(session, besluit.xml, actor=actor, antwoord_op=row)
        if identificatie is not None and antwoord.afzender and antwoord.berichtcode:
            session.add(IdentificatieClaim(afzender=antwoord.afzender, berichtcode=antwoord.berichtcode,
                                           identificatie=identificatie, bericht_id=antwoord.id))
        file_facts(session, antwoord.id, catalogue.get(antwoord.berichttype or ""), safe_xml.parse(besluit.xml).root)
        dv.antwoord_id, dv.beantwoord_at = antwoord.id, utcnow()
        dv.totaal_ingediend, dv.totaal_toegekend = besluit.totaal_ingediend, besluit.totaal_toegekend
        if allowed(row.status, Status.ANSWERED):
            transition(session, row, Status.ANSWERED, actor=actor, action="declaratie_beantwoord",
                       details={"antwoord": antwoord.id, "toegekend": besluit.totaal_toegekend})
        # The aanbieder's event (issue 14): a WMO325 is built here, not written by vastlegging._een.
        gebeurtenissen.na_vastlegging(session, antwoord, (), afgekeurd=False)
        if na is not None:
            na(session, antwoord)
        meld_wijziging(session)
        return Beantwoord(antwoord.id, row.id, besluit.totaal_ingediend, besluit.totaal_toegekend,
                          besluit.per_prestatie)


def proef_antwoord(sessions: sessionmaker[Session], declaratie_id: str, *, partij: str,
                   afgewezen: Mapping[str, Sequence[str]], client_fouten: Mapping[str, Sequence[str]] | None = None,
                   identificatie: str | None = None, dagtekening: str | None = None,
                   xslt_versie: str | None = None) -> Declaratieantwoord:
    """The WMO325 `beantwoord` would build and check, with nothing written (the dry run of a submitted 325).
    Raises what `beantwoord` raises."""
    with sessions() as session:
        return _stel_op(session, declaratie_id, partij=partij, afgewezen=afgewezen, client_fouten=client_fouten,
                        identificatie=identificatie, dagtekening=dagtekening, xslt_versie=xslt_versie)[2]


def _stel_op(session: Session, declaratie_id: str, *, partij: str, afgewezen: Mapping[str, Sequence[str]],
             client_fouten: Mapping[str, Sequence[str]] | None, identificatie: str | None,
             dagtekening: str | None, xslt_versie: str | None
             ) -> tuple[Bericht, DeclaratieVerwerking, Declaratieantwoord]:
    """Find the 323, merge the gateway's technical refusals with the gemeente's, build the 325 and check it."""
    row = session.get(Bericht, declaratie_id) if "\x00" not in declaratie_id else None
    if row is None or catalogue.nummer_van(row.berichttype) != "323" or row.richting != "in" or row.adressaat != partij:
        raise NietGevonden(declaratie_id)
    dv = _verwerking(session, row)
    if dv.antwoord_id is not None or dv.verwerking == "niet_verwerkt" or row.status == Status.REJECTED:
        raise AlBeantwoord(dv.antwoord_id)
    technisch = oordeel_uit_json(dv.technisch)
    clienten: dict[str, tuple[str, ...]] = dict(technisch.client_fouten)
    for sleutel, codes in (client_fouten or {}).items():  # the gateway's codes first, as for prestaties
        clienten[sleutel] = (*clienten.get(sleutel, ()), *([codes] if isinstance(codes, str) else codes))
    try:
        besluit = bouw_declaratie_antwoord(
            row.raw, afgewezen=afgewezen, technisch=technisch.technisch, client_fouten=clienten,
            kop_fout=technisch.kop_fout, declaratie_fout=technisch.declaratie_fout,
            identificatie=identificatie, dagtekening=dagtekening, xslt_versie=xslt_versie)
    except BeslissingOngeldig as exc:
        raise AntwoordOngeldig(exc.fouten) from None
    _controleer(besluit)
    return row, dv, besluit


def te_herbouwen(session: Session, *, gemeente: str, aanbieder: str | None,
                 declaratie_identificatie: str | None, declaratie: str = "WMO323") -> Bericht | None:
    """The WMO323 that a WMO325 `gemeente` wrote itself answers, when the gateway builds that answer instead:
    a 323 it received for `gemeente` that is answered already (`beantwoord` then refuses: 409) or awaits the
    gemeente's decision. None for a 323 the gateway never saw (exchanged before it was installed) and for one
    that is not processed and has no 325 yet (the header-only answer `beantwoord` does not write): such a
    325 is judged and stored as written."""
    row = declaratie_van(session, aanbieder=aanbieder, identificatie=declaratie_identificatie, declaratie=declaratie)
    if row is None or row.richting != "in" or row.adressaat != gemeente:
        return None
    dv = session.scalars(select(DeclaratieVerwerking).where(DeclaratieVerwerking.bericht_id == row.id)).first()
    if dv is not None and dv.antwoord_id is not None:
        return row
    if (dv is not None and dv.verwerking == "niet_verwerkt") or row.status == Status.REJECTED:
        return None
    return row


def _controleer(besluit: Declaratieantwoord) -> None:
    """Our builder's 325 passes our own schema and rules; if it ever does not, nothing is stored or sent."""
    uitslag = validate(besluit.xml)
    if not uitslag.valid:
        raise RuntimeError("het opgestelde WMO325 valideert niet: "
                           + "; ".join(f"{f.code} {', '.join(f.locatie)}" for f in uitslag.errors))


# -- reconciliation --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Declaratiestand:
    id: str
    declaratienummer: str | None
    aanbieder: str | None
    gemeente: str | None
    ontvangen_op: dt.datetime
    status: str
    verwerking: str
    totaal_ingediend: int | None
    totaal_toegekend: int | None
    antwoord_id: str | None
    uiterlijk: dt.date | None  # OP090x4: the 325 is due by then (None once answered)
    prestaties: dict[str, PrestatieUitkomst] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.antwoord_id is None


def _stand(row: Bericht, dv: DeclaratieVerwerking, prestaties: dict[str, PrestatieUitkomst] | None = None
           ) -> Declaratiestand:
    ontvangen = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    uiterlijk = None if dv.antwoord_id else werkdagen_na(ontvangen.date(), OP090X4_WERKDAGEN)
    return Declaratiestand(row.id, dv.declaratienummer, dv.aanbieder, dv.gemeente, ontvangen, row.status,
                           dv.verwerking, dv.totaal_ingediend, dv.totaal_toegekend, dv.antwoord_id, uiterlijk,
                           prestaties or {})


def declaraties(sessions: sessionmaker[Session], *, partij: str | None, open_alleen: bool = False,
                limit: int = 100) -> list[Declaratiestand]:
    """The declaraties `partij` sent or received (None: all, for an administrator), newest first."""
    with sessions() as session:
        query = (select(Bericht, DeclaratieVerwerking)
                 .join(DeclaratieVerwerking, DeclaratieVerwerking.bericht_id == Bericht.id)
                 .order_by(Bericht.created_at.desc(), Bericht.id.desc()).limit(limit))
        if partij is not None:
            query = query.where(or_(DeclaratieVerwerking.aanbieder == partij, DeclaratieVerwerking.gemeente == partij))
        if open_alleen:
            query = query.where(DeclaratieVerwerking.antwoord_id.is_(None))
        return [_stand(row, dv) for row, dv in session.execute(query)]


def declaratie(sessions: sessionmaker[Session], declaratienummer: str, *, partij: str | None) -> list[Declaratiestand]:
    """Every WMO323 with this DeclaratieNummer that `partij` may see (a not-processed one and its resend are two),
    with the outcome per prestatie: as decided in its 325, or — while open — the gateway's own refusals and the
    rest awaiting the gemeente."""
    with sessions() as session:
        query = (select(Bericht, DeclaratieVerwerking)
                 .join(DeclaratieVerwerking, DeclaratieVerwerking.bericht_id == Bericht.id)
                 .where(DeclaratieVerwerking.declaratienummer == declaratienummer)
                 .order_by(Bericht.created_at))
        if partij is not None:
            query = query.where(or_(DeclaratieVerwerking.aanbieder == partij, DeclaratieVerwerking.gemeente == partij))
        uit = []
        for row, dv in session.execute(query).all():
            uit.append(_stand(row, dv, _per_prestatie(session, row, dv)))
        return uit


def _per_prestatie(session: Session, row: Bericht, dv: DeclaratieVerwerking) -> dict[str, PrestatieUitkomst]:
    if not row.raw:
        return {}  # retention removed the bytes: the totals stay, the prestaties are gone
    besluit: dict[str, object] = {"afgewezen": {}}
    if dv.antwoord_id is not None:
        antwoord = session.get(Bericht, dv.antwoord_id)
        if antwoord is not None and antwoord.raw:
            besluit = beslissing_uit_antwoord(antwoord.raw)
    argumenten = oordeel_uit_json(dv.technisch).als_argumenten() | besluit
    try:
        return bouw_declaratie_antwoord(row.raw, **argumenten).per_prestatie  # type: ignore[arg-type]
    except BeslissingOngeldig:
        return {}
