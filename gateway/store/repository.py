"""Receiving and storing messages: validate, store verbatim, decide, answer — committed before acknowledged.

`receive` is what the API and the transport inbox call for every message that arrives. It never loses a
message: unreadable and rejected ones are stored too. Identical bytes from the same party return the
stored message instead of a second copy. An accepted message claims its (afzender, berichtcode,
identificatie) in `identificatie_claim`, so of two concurrent submissions only one can win (TR056).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.messages.retour import GeenRetourbericht, build_retourbericht
from gateway.standard import catalogue
from gateway.store import audit
from gateway.store.history import file_facts
from gateway.store.keys import extract
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Bericht, BerichtSleutel, Bevinding, IdentificatieClaim
from gateway.validation.findings import Finding
from gateway.validation.validator import Uitslag, validate

TR056_MELDING = (
    "TR056: De BerichtIdentificatie is al eerder gebruikt voor dit berichttype door deze afzender. "
    "Geef elk bericht een nieuwe, unieke Identificatie en verstuur het opnieuw."
)

# Rules that need earlier messages: (bericht, root, session) -> findings. Injected by the caller so the
# store stays free of rule logic and the rules stay free of SQL.
CrossRules = Callable[[catalogue.Berichttype, etree._Element, Session], list[Finding]]


@dataclass
class Received:
    id: str
    status: str
    bericht: str | None
    errors: list[Finding] = field(default_factory=list)
    duplicaat: bool = False
    retour_id: str | None = None


def _tr056(root: etree._Element | None) -> Finding:
    locatie: tuple[str, ...] = ("/Bericht/Header/BerichtIdentificatie/Identificatie",)
    return Finding(code="TR056", retourcode="9056", locatie=locatie, melding=TR056_MELDING)


def _findings_of(row: Bericht) -> list[Finding]:
    return [Finding(code=b.code, retourcode=b.retourcode, locatie=tuple(b.locatie or ()), melding=b.melding)
            for b in row.bevindingen]


def _new_row(data: bytes, uitslag: Uitslag, *, party: str, richting: str, digest: str) -> Bericht:
    row = Bericht(
        id=str(uuid.uuid4()), richting=richting, status=Status.RECEIVED, raw=data, sha256=digest, size=len(data),
        submitted_by=party, berichttype=uitslag.bericht.naam if uitslag.bericht else None,
    )
    if uitslag.tree is not None:
        kop = extract(uitslag.tree.getroot())
        row.berichtcode = kop.berichtcode
        row.afzender, row.ontvanger = kop.afzender, kop.ontvanger
        row.dagtekening = kop.dagtekening
        row.identificatie = kop.identificatie_retour or kop.identificatie
        if uitslag.bericht and kop.afzender and kop.ontvanger:
            row.verzender, row.adressaat = uitslag.bericht.verzender_en_adressaat(kop.afzender, kop.ontvanger)
        sleutels = set(kop.sleutels)
        if kop.identificatie_retour and kop.identificatie:
            sleutels.add(("HeenIdentificatie", kop.identificatie))  # a retour names its heenbericht (IV028)
        row.sleutels = [BerichtSleutel(kind=k, value=v) for k, v in sorted(sleutels)]
    row.conversatie_id = row.id
    return row


def _link_answer(session: Session, row: Bericht) -> None:
    """Tie a retourbericht to its heenbericht and a WMO325 to its WMO323 (conversation), where known."""
    b = catalogue.BERICHTEN.get(row.berichttype or "")
    if b is None:
        return
    if b.soort is catalogue.Soort.RETOUR and b.antwoord_op:
        heen_code = catalogue.get(b.antwoord_op).berichtcode
        heen = session.scalars(
            select(Bericht).where(Bericht.berichtcode == heen_code, Bericht.afzender == row.afzender,
                                  Bericht.identificatie == _heen_identificatie(row)).order_by(Bericht.created_at)
        ).first()
    elif b.naam == "WMO325":
        decl = next((s.value for s in row.sleutels if s.kind == "DeclaratieIdentificatie"), None)
        heen = session.scalars(
            select(Bericht).where(Bericht.berichttype == "WMO323", Bericht.afzender == row.ontvanger,
                                  Bericht.identificatie == decl).order_by(Bericht.created_at)
        ).first()
    else:
        return
    if heen is not None:
        row.antwoord_op_id = heen.id
        row.conversatie_id = heen.conversatie_id


def _heen_identificatie(row: Bericht) -> str | None:
    return next((s.value for s in row.sleutels if s.kind == "HeenIdentificatie"), None)


def receive(
    sessions: sessionmaker[Session],
    data: bytes,
    *,
    party: str,
    richting: str = "in",
    cross_rules: CrossRules | None = None,
    max_bytes: int | None = None,
    retour_dagtekening: dt.date | None = None,
    namens: frozenset[str] | None = None,
) -> Received:
    """`namens`: the parties this gateway answers for (IWMO_IDENTITEIT). A heenbericht addressed to another
    organisation gets its retourbericht from that organisation; building one here would give the sender a
    second, local "answer" beside the partner's real one, so the sender keeps only the findings. None: this
    gateway answers for every party (one gateway serving both sides)."""
    digest = hashlib.sha256(data).hexdigest()
    with sessions() as session, session.begin():
        existing = session.scalars(
            select(Bericht).where(Bericht.submitted_by == party, Bericht.sha256 == digest).order_by(Bericht.created_at)
        ).first()
        if existing is not None:
            retour = session.scalars(
                select(Bericht.id).where(Bericht.antwoord_op_id == existing.id, Bericht.richting == "uit")
            ).first()
            return Received(existing.id, existing.status, existing.berichttype, _findings_of(existing), True, retour)

        uitslag = validate(data, max_bytes=max_bytes)
        errors = list(uitslag.errors)
        if uitslag.xsd_valid and uitslag.bericht and cross_rules is not None and uitslag.tree is not None:
            errors += cross_rules(uitslag.bericht, uitslag.tree.getroot(), session)

        row = _new_row(data, uitslag, party=party, richting=richting, digest=digest)
        session.add(row)
        session.flush()
        audit.append(session, actor=party, action="ontvangen", bericht_id=row.id, to_state=Status.RECEIVED,
                     details={"bericht": row.berichttype, "sha256": digest, "grootte": len(data)})
        _link_answer(session, row)

        if not errors and uitslag.bericht and row.afzender and row.berichtcode and row.identificatie:
            try:
                with session.begin_nested():
                    session.add(IdentificatieClaim(afzender=row.afzender, berichtcode=row.berichtcode,
                                                   identificatie=row.identificatie, bericht_id=row.id))
            except IntegrityError:
                errors.append(_tr056(None))
        row.bevindingen = [Bevinding(code=f.code, retourcode=f.retourcode, locatie=list(f.locatie), melding=f.melding)
                           for f in errors]
        verdict = Status.REJECTED if errors else Status.ACCEPTED
        if verdict is Status.ACCEPTED and uitslag.bericht and uitslag.tree is not None:
            file_facts(session, row.id, uitslag.bericht, uitslag.tree.getroot())
        transition(session, row, verdict, actor="system", action="beoordeeld",
                   details={"codes": sorted({f.code for f in errors})})

        retour_id = None
        if (uitslag.xsd_valid and uitslag.bericht and catalogue.retourbericht_voor(uitslag.bericht.naam)
                and (not namens or row.adressaat in namens)):
            retour_id = _store_retour(session, row, uitslag, errors, retour_dagtekening)
        return Received(row.id, row.status, row.berichttype, errors, False, retour_id)


def _store_retour(session: Session, heen: Bericht, uitslag: Uitslag, errors: list[Finding],
                  dagtekening: dt.date | None) -> str | None:
    try:
        data = build_retourbericht(uitslag.tree, errors, dagtekening=dagtekening)
    except GeenRetourbericht:
        return None
    retour = store_outgoing(session, data, actor="system", antwoord_op=heen)
    return retour.id


def store_outgoing(session: Session, data: bytes, *, actor: str, antwoord_op: Bericht | None = None) -> Bericht:
    """Store a message the gateway itself sends (a retourbericht, a forwarded message), in the caller's
    transaction. It is accepted at once: we built and validated it."""
    uitslag = validate(data, rules=False)
    row = _new_row(data, uitslag, party=actor, richting="uit", digest=hashlib.sha256(data).hexdigest())
    if antwoord_op is not None:
        row.antwoord_op_id = antwoord_op.id
        row.conversatie_id = antwoord_op.conversatie_id
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, action="aangemaakt", bericht_id=row.id, to_state=Status.RECEIVED,
                 details={"bericht": row.berichttype, "antwoord_op": row.antwoord_op_id})
    transition(session, row, Status.ACCEPTED, actor=actor, action="beoordeeld")
    return row
