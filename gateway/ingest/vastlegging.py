"""Writing judged messages: the short part of receiving that needs the database.

Inside the caller's transaction, per message: dedupe on (party, sha256), the cross-message rules against the
facts of everything committed and everything written earlier in the same group, the TR056 claim, then the
message, its keys, findings, facts, audit events and retourbericht. Nothing here parses, validates or builds
XML from scratch: `oordeel` did that before the transaction began (a retourbericht is rebuilt only when the
store adds findings).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lxml import etree
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.gebeurtenissen import vastleggen as gebeurtenissen
from gateway.ingest.declaratie import (
    Soort,
    Verwerking,
    antwoord_niet_verwerkt,
    declaratienummer,
    verwerking_van,
)
from gateway.ingest.oordeel import Oordeel
from gateway.standard import catalogue
from gateway.store import audit, bundel
from gateway.store.history import file_facts, history_van, schrijf_feiten_weg, vergeet_history
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Bericht, DeclaratieVerwerking, IdentificatieClaim, utcnow
from gateway.store.repository import (
    add_row,
    eigen_en_begrensd,
    findings_of,
    link_answer,
    new_row,
    store_outgoing,
)
from gateway.store.voorbereid import Voorbereid
from gateway.validation.cross.registry import CrossRule, all_cross_rules
from gateway.validation.findings import Finding, begrens

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


# Hooks that run inside the message's savepoint: `vooraf` may answer instead of storing (an envelope seen
# before), `na` does what follows acceptance in the same transaction (queue for delivery, close a 323).
Vooraf = Callable[[Session], "Received | None"]
Na = Callable[[Session, Bericht, Received], None]


@dataclass
class Aanlevering:
    """A judged message and who handed it to us."""

    oordeel: Oordeel
    party: str  # the authenticated submitter, as the audit trail names it
    richting: str = "in"
    vooraf: Vooraf | None = None
    na: Na | None = None


@functools.cache
def _tr056_regel() -> CrossRule:
    return next(r for r in all_cross_rules() if r.code == "TR056")


def _tr056() -> Finding:
    """TR056 as the claim table decides it (it outlives the facts the registry's check reads), in the registry's
    words and retourcode."""
    regel = _tr056_regel()
    return Finding(code=regel.code, retourcode=regel.retourcode,
                   locatie=("/Bericht/Header/BerichtIdentificatie/Identificatie",),
                   melding=f"{regel.code}: {regel.melding}")


# Built once (with expanding IN lists): building a statement per group costs more than running it.
_B = Bericht.__table__.c
_BESTAAND = Voorbereid(select(_B.id, _B.submitted_by, _B.sha256)
             .where(_B.sha256.in_(bindparam("sha256", expanding=True)),
                    _B.submitted_by.in_(bindparam("partijen", expanding=True)))
             .order_by(_B.created_at))
_C = IdentificatieClaim.__table__.c
_CLAIMS = Voorbereid(select(_C.afzender, _C.berichtcode, _C.identificatie)
                     .where(_C.identificatie.in_(bindparam("ids", expanding=True))))


def bestaand_van(session: Session, aanleveringen: list[Aanlevering]) -> dict[tuple[str, str], str]:
    """The ids of the stored messages these exact bytes already are, per (party, sha256): one query for the
    group, reading ids only (a duplicate is rare; its row is loaded when one turns up)."""
    rijen = _BESTAAND.rijen(session, sha256=sorted({a.oordeel.sha256 for a in aanleveringen}),
                            partijen=sorted({a.party for a in aanleveringen}))
    gevonden: dict[tuple[str, str], str] = {}
    for id_, submitted_by, sha256 in rijen:
        gevonden.setdefault((submitted_by, sha256), id_)
    return gevonden


def claims_van(session: Session, oordelen: list[Oordeel]) -> set[tuple[str, str, str]]:
    """The TR056 claims already made on these messages' identificaties: one query for a group. Race-free in
    the writer because the group holds the chain's lock (SQLite: the write lock; PostgreSQL: the advisory
    lock) from this read to its commit; the table's primary key stays as the last line of defence."""
    ids = {k.identificatie_retour or k.identificatie for o in oordelen if (k := o.kop) is not None}
    ids.discard(None)
    if not ids:
        return set()
    return {(afzender, code, identificatie) for afzender, code, identificatie in _CLAIMS.rijen(session, ids=sorted(ids))}


def _claim(row: Bericht) -> tuple[str, str, str] | None:
    if row.afzender and row.berichtcode and row.identificatie:
        return (row.afzender, row.berichtcode, row.identificatie)
    return None


@dataclass
class Uitspraak:
    """A judged message held against the store: its row (not yet in the session), every finding, whether the
    message is refused, how a WMO323 is processed, and the TR056 claim it makes when accepted."""

    row: Bericht
    errors: list[Finding]
    blokkerend: bool
    vreemd: Finding | None = None  # the header names another sender than the party that handed it in
    verwerking: Verwerking | None = None
    claim: tuple[str, str, str] | None = None


def tegen_opslag(session: Session, o: Oordeel, *, party: str, richting: str = "in",
                 claims: set[tuple[str, str, str]], cross_rules: CrossRules | None) -> Uitspraak:
    """What the store adds to a judged message's verdict, without writing: the cross-message rules, the sender
    check, IV087 for a declaratie and TR056 against `claims`. The writer and the dry run (validate) share it."""
    errors = list(o.uitslag.errors)
    root = o.root
    if o.uitslag.xsd_valid and o.bericht is not None and cross_rules is not None and root is not None:
        errors += cross_rules(o.bericht, root, session)
    row = new_row(o.data, digest=o.sha256, size=o.grootte, bericht=o.bericht, kop=o.kop, party=party,
                  richting=richting)
    if (vreemd := eigen_en_begrensd(row, o.bericht, party)) is not None:
        errors.append(vreemd)
    # A declaratie with faults only in clients or prestaties is still processed (IV087): those faults refuse
    # their prestaties, not the message.
    verwerking = None
    if o.bericht is not None and o.bericht.is_soort("323") and o.uitslag.xsd_valid and root is not None:
        verwerking = verwerking_van(root, errors)
    blokkerend = bool(errors) and not (verwerking is not None and verwerking.soort is Soort.GEDEELTELIJK)
    claim = _claim(row) if o.bericht is not None and not blokkerend else None
    if claim is not None and claim in claims:
        errors.append(_tr056())
        blokkerend, claim = True, None
        if verwerking is not None and root is not None:  # TR056 is a Header fault: not processed after all
            verwerking = verwerking_van(root, errors)
    return Uitspraak(row, errors, blokkerend, vreemd, verwerking, claim)


def _duplicaat(session: Session, row: Bericht) -> Received:
    retour = session.scalars(
        select(Bericht.id).where(Bericht.antwoord_op_id == row.id, Bericht.richting == "uit")).first()
    return Received(row.id, row.status, row.berichttype, findings_of(row), True, retour)


@dataclass
class _Groep:
    bundel: bundel.Bundel
    # the id of a stored message, or a row of this group with its answer
    bestaand: dict[tuple[str, str], str | tuple[Bericht, Received]]
    claims: set[tuple[str, str, str]] = field(default_factory=set)


def _een(session: Session, a: Aanlevering, groep: _Groep, cross_rules: CrossRules | None) -> Received:
    o = a.oordeel
    if a.vooraf is not None and (eerder := a.vooraf(session)) is not None:
        return eerder
    if (dubbel := groep.bestaand.get((a.party, o.sha256))) is not None:
        if isinstance(dubbel, str):
            eerste = session.get_one(Bericht, dubbel)
            received = _duplicaat(session, eerste)
        else:  # its first copy is earlier in this group: answer as that one was answered, in its state now
            eerste = dubbel[0]
            received = replace(dubbel[1], status=eerste.status, duplicaat=True)
        if a.na is not None:  # e.g. the same bytes in a new envelope: that envelope is recorded too
            a.na(session, eerste, received)
        return received

    u = tegen_opslag(session, o, party=a.party, richting=a.richting, claims=groep.claims, cross_rules=cross_rules)
    row, errors, vreemd, verwerking, root = u.row, u.errors, u.vreemd, u.verwerking, o.root
    # The verdict and the retourbericht take every finding (each class's retourcodes); what is stored and
    # answered is capped, so one hostile message cannot write or return without bound.
    bewaard = begrens(errors)
    groep.bundel.bevindingen[row.id] = [
        {"bericht_id": row.id, "code": f.code, "retourcode": f.retourcode, "locatie": list(f.locatie),
         "melding": f.melding} for f in bewaard]
    add_row(session, row)
    details: dict[str, object] = {"bericht": row.berichttype, "sha256": o.sha256, "grootte": o.grootte}
    if row.ingekort:  # what is kept is a prefix: its own digest lets a verifier check the stored bytes
        details["bewaard"] = {"grootte": len(row.raw), "sha256": hashlib.sha256(row.raw).hexdigest()}
    if row.geclaimde_afzender:
        details["geclaimde_afzender"] = row.geclaimde_afzender
    audit.append(session, actor=a.party, action="ontvangen", bericht_id=row.id, to_state=Status.RECEIVED,
                 details=details)
    if vreemd is None and o.bericht is not None and (o.bericht.soort is catalogue.Soort.RETOUR
                                                     or o.bericht.is_soort("325")):
        bundel.schrijf_uit(session, behalve=row)  # its heenbericht may be earlier in this very group
        session.flush()
        link_answer(session, row)
    if u.claim is not None:
        groep.claims.add(u.claim)
        groep.bundel.claims.append({"afzender": u.claim[0], "berichtcode": u.claim[1], "identificatie": u.claim[2],
                                    "bericht_id": row.id})
    verdict = Status.REJECTED if u.blokkerend else Status.ACCEPTED
    if verdict is Status.ACCEPTED and o.bericht and root is not None:
        file_facts(session, row.id, o.bericht, root, geweigerd=verwerking.geweigerd if verwerking else (),
                   afwijzingen=verwerking.afwijzingen() if verwerking else None)
    oordeel: dict[str, object] = {"codes": sorted({f.code for f in errors})}
    if verwerking is not None:
        oordeel["verwerking"] = str(verwerking.soort)
    transition(session, row, verdict, actor="system", action="beoordeeld", details=oordeel)

    if verdict is Status.ACCEPTED and catalogue.nummer_van(row.berichttype) == "325" and row.antwoord_op_id:
        _beantwoordt_declaratie(session, row)

    retour_id = None
    # No retourbericht for a message another sender is named in: it would go to a party that sent nothing.
    if vreemd is None and (retour := o.retourbericht(errors)) is not None:
        # type and keys as the builder wrote them: the retourbericht is not parsed again to store it
        soort, kop = catalogue.retourbericht_voor(o.bericht.naam) if o.bericht else None, o.retour_kop(errors)
        gekend = (soort, kop) if soort is not None and kop is not None else None
        retour_id = store_outgoing(session, retour, actor="system", antwoord_op=row, gekend=gekend).id
    if verwerking is not None and root is not None and vreemd is None:
        retour_id = _declaratie(session, row, root, verwerking, antwoorden=o.voor_ons) or retour_id
    received = Received(row.id, row.status, row.berichttype, bewaard, False, retour_id)
    if a.na is not None:
        a.na(session, row, received)
    groep.bestaand[(a.party, o.sha256)] = (row, received)  # the same bytes later in this group are a duplicate
    # Webhooks and the event stream (issue 14): the event commits with the message, so it exists iff the message
    # does; duplicates returned earlier make none.
    gebeurtenissen.na_vastlegging(session, row, (f.code for f in errors), afgekeurd=u.blokkerend)
    return received


def _declaratie(session: Session, row: Bericht, root: etree._Element, verwerking: Verwerking, *,
                antwoorden: bool) -> str | None:
    """Record how the 323 was processed; one that is not processed gets its WMO325 at once (IV087) from the
    gateway that answers for the gemeente. Returns that 325's id."""
    dv = DeclaratieVerwerking(bericht_id=row.id, declaratienummer=declaratienummer(root), aanbieder=row.afzender,
                              gemeente=row.ontvanger, verwerking=str(verwerking.soort),
                              technisch=verwerking.technisch_json(), totaal_ingediend=verwerking.totaal_ingediend)
    session.add(dv)
    if verwerking.verwerkt or not antwoorden:
        return None
    antwoord = store_outgoing(session, antwoord_niet_verwerkt(root, verwerking), actor="system", antwoord_op=row)
    dv.antwoord_id, dv.totaal_toegekend, dv.beantwoord_at = antwoord.id, 0, utcnow()
    return antwoord.id


def _beantwoordt_declaratie(session: Session, antwoord: Bericht) -> None:
    """A WMO325 that a back-office wrote itself answers its 323 as well: no second answer can be built."""
    dv = session.get(DeclaratieVerwerking, antwoord.antwoord_op_id)
    if dv is not None and dv.antwoord_id is None:
        dv.antwoord_id, dv.beantwoord_at = antwoord.id, utcnow()


def leg_vast(session: Session, aanleveringen: list[Aanlevering], *,
             cross_rules: CrossRules | None = None) -> list[Received]:
    """Write a group of judged messages in the caller's transaction, which the caller commits.

    The chain's head is read once (under its lock) and carried in memory, the cross-message rules read the
    facts of earlier members of the group from memory, and the whole group is flushed at the end: a handful of
    statements per table instead of a round of flushes per message. Any error fails the whole transaction;
    the writer then writes the group's messages one by one, so one bad message only fails itself."""
    with audit.ketting(session), bundel.bundel(session) as rijen, session.no_autoflush:
        history_van(session)  # one history for the group: later members see what earlier ones filed
        try:
            groep = _Groep(rijen, {**bestaand_van(session, aanleveringen)},
                           claims_van(session, [a.oordeel for a in aanleveringen]))
            uitkomsten = [_een(session, a, groep, cross_rules) for a in aanleveringen]
            bundel.schrijf_uit(session)
            session.flush()
            schrijf_feiten_weg(session)
        finally:
            vergeet_history(session)
    return uitkomsten
