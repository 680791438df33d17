"""Persistence of messages: rows built from judged bytes, a message the gateway sends itself, answer links.

Deciding what happens to a received message (judging, cross-message rules, TR056, the retourbericht) is the
receive use case in `gateway.ingest`; this module only turns its outcome into rows.

Bytes that are no iWmo message (oversize, unreadable, another kind of XML) are kept only as proof: their
SHA-256 and size, and a bounded prefix for a person to look at (`Bericht.ingekort`). A row belongs to the
authenticated party that handed it in; a header that names another sender keeps that claim only in
`Bericht.geclaimde_afzender`, and such a message is refused.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from lxml import etree
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gateway.standard import catalogue
from gateway.store import audit, bundel
from gateway.store.keys import Kop, extract, partijen
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Bericht, utcnow
from gateway.validation.findings import Finding

# What is kept of a body that is no iWmo message: enough for a person to see what arrived, never 20 MB a time.
INGEKORT_PREFIX_BYTES = 64 * 1024
AFZENDER = "AFZENDER"  # finding: the header names another sender than the party that handed the message in
_PARTIJ = re.compile(r"\d{4}(\d{4})?")  # a gemeentecode or AGB code: an identity the sender can be checked against


def findings_of(row: Bericht) -> list[Finding]:
    return [Finding(code=b.code, retourcode=b.retourcode, locatie=tuple(b.locatie or ()), melding=b.melding)
            for b in row.bevindingen]


def new_row(data: bytes, *, digest: str, size: int, bericht: catalogue.Berichttype | None, kop: Kop | None,
            party: str, richting: str) -> Bericht:
    """A message row in state received: the bytes, their digest and size (of the whole body as it arrived),
    and the header fields and business keys for correlation and search."""
    # Every column a value, defaults included: a writer inserts the row with Core (store.bundel), not the ORM.
    row = Bericht(id=str(uuid.uuid4()), richting=richting, status=Status.RECEIVED, raw=data, sha256=digest, size=size,
                  submitted_by=party, berichttype=bericht.naam if bericht else None, created_at=utcnow(),
                  ingekort=False)
    if kop is not None:
        row.berichtcode = kop.berichtcode
        row.afzender, row.ontvanger = kop.afzender, kop.ontvanger
        row.dagtekening = kop.dagtekening
        row.identificatie = kop.identificatie_retour or kop.identificatie
        if (beide := partijen(bericht, kop)) is not None:
            row.verzender, row.adressaat = beide
        sleutels = set(kop.sleutels)
        if kop.identificatie_retour and kop.identificatie:
            sleutels.add(("HeenIdentificatie", kop.identificatie))  # a retour names its heenbericht (IV028)
        row.nieuwe_sleutels = sorted(sleutels)
    row.conversatie_id = row.id
    return row


# A message's keys are written with Core after the flush that writes the message: five ORM objects a message
# cost more than judging it. `add_row` queues them; whatever flush writes the row writes its keys.
_TE_SCHRIJVEN = "iwmo_sleutels_te_schrijven"


def add_row(session: Session, row: Bericht) -> None:
    """Add a row made by `new_row` to the session, with its keys (to the writer's bundle, when one is open)."""
    if bundel.voeg_toe(session, row):
        return
    session.add(row)
    if sleutels := bundel.sleutelrijen(row):
        session.info.setdefault(_TE_SCHRIJVEN, []).extend(sleutels)


def sleutel(row: Bericht, kind: str) -> str | None:
    """One business key of a row, whether it was just made (keys not yet written) or read from the store."""
    paren = getattr(row, "nieuwe_sleutels", None)
    if paren is None:
        paren = [(s.kind, s.value) for s in row.sleutels]
    return next((v for k, v in paren if k == kind), None)


@event.listens_for(Session, "after_flush")
def _schrijf_sleutels(session: Session, _context: object) -> None:
    rijen = session.info.pop(_TE_SCHRIJVEN, None)
    if rijen:
        bundel.schrijf_sleutels(session, rijen)


@event.listens_for(Session, "after_soft_rollback")
def _vergeet_sleutels(session: Session, _previous: object) -> None:
    session.info.pop(_TE_SCHRIJVEN, None)


def eigen_afzender(row: Bericht, bericht: catalogue.Berichttype | None, party: str) -> Finding | None:
    """Make a received row the authenticated party's. When its header names another sender, keep that claim
    apart and return the finding that refuses the message (a party sends only its own messages)."""
    if not _PARTIJ.fullmatch(party):
        return None  # no identity to hold the header against (e.g. the transport could not tell the sender)
    retour = bericht is not None and bericht.soort is catalogue.Soort.RETOUR
    # A retourbericht keeps its heenbericht's header (IV028): its sender is the header's Ontvanger.
    geclaimd = row.verzender or (None if retour else row.afzender)
    row.verzender = party
    if geclaimd is None or geclaimd == party:
        if row.afzender is None and not retour:
            row.afzender = party  # unreadable or headless: nothing claimed, the row is simply the caller's
        return None
    row.geclaimde_afzender = geclaimd[:64]
    if retour:
        row.ontvanger = party
    else:
        row.afzender = party
    return Finding(code=AFZENDER, locatie=("/Bericht/Header/Ontvanger" if retour else "/Bericht/Header/Afzender",),
                   melding=f"Dit bericht noemt {geclaimd} als afzender, maar is aangeleverd door {party}. Een partij "
                           "levert alleen eigen berichten aan; verstuur het bericht vanuit de organisatie die het "
                           "verzendt.")


def eigen_en_begrensd(row: Bericht, bericht: catalogue.Berichttype | None, party: str) -> Finding | None:
    """What a received row needs before it is stored, whichever door it came in by: bytes that are no iWmo
    message kept only as proof and a prefix, the row made the authenticated party's (the finding that refuses
    a message naming another sender, if it does), and no header value too long to be a key.
    `row.sha256` and `row.size` must already describe the whole body as it arrived."""
    if bericht is None:
        row.raw, row.ingekort = row.raw[:INGEKORT_PREFIX_BYTES], row.size > INGEKORT_PREFIX_BYTES
    vreemd = eigen_afzender(row, bericht, party) if row.richting == "in" else None
    _zonder_te_lange_sleutels(row)
    return vreemd


def _zonder_te_lange_sleutels(row: Bericht) -> None:
    """An XSD-invalid header may carry an Afzender of forty digits or an Identificatie of a hundred characters;
    such a value is no key to search or route on, and PostgreSQL would refuse the row. The raw bytes keep it."""
    for kolom in ("berichtcode", "afzender", "ontvanger", "verzender", "adressaat", "identificatie"):
        waarde = getattr(row, kolom)
        lengte = getattr(Bericht.__table__.c[kolom].type, "length", None)
        if isinstance(waarde, str) and lengte is not None and len(waarde) > lengte:
            setattr(row, kolom, None)


def link_answer(session: Session, row: Bericht) -> None:
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
    elif b.is_soort("325"):
        heen = declaratie_van(session, aanbieder=row.ontvanger, identificatie=sleutel(row, "DeclaratieIdentificatie"),
                              declaratie=catalogue.get("323", b.profiel).naam)
    else:
        return
    if heen is not None:
        row.antwoord_op_id = heen.id
        row.conversatie_id = heen.conversatie_id


def declaratie_van(session: Session, *, aanbieder: str | None, identificatie: str | None,
                   declaratie: str = "WMO323") -> Bericht | None:
    """The WMO323 a WMO325 answers: its DeclaratieIdentificatie is the 323's Identificatie from that aanbieder
    (the 325's Ontvanger); the first one stored, as a later one with the same Identificatie is a TR056 case."""
    return session.scalars(
        select(Bericht).where(Bericht.berichttype == declaratie, Bericht.afzender == aanbieder,
                              Bericht.identificatie == identificatie).order_by(Bericht.created_at)
    ).first()


def _heen_identificatie(row: Bericht) -> str | None:
    return sleutel(row, "HeenIdentificatie")


def store_outgoing(session: Session, data: bytes, *, actor: str, antwoord_op: Bericht | None = None,
                   gekend: tuple[catalogue.Berichttype, Kop] | None = None) -> Bericht:
    """Store a message the gateway itself built (a retourbericht, a WMO325), in the caller's transaction.

    It is accepted at once and not validated again: our builders copy schema-valid input into the answer's
    schema, and their tests prove the output valid (tests/test_retour.py, tests/test_declaratie_antwoord.py).
    It is parsed only for its type and keys, unless the caller knows them (`gekend`, from the builder)."""
    if gekend is not None:
        bericht, kop = gekend
    else:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        qname = etree.QName(root)
        bericht = catalogue.by_namespace(qname.namespace) if qname.localname == "Bericht" else None
        kop = extract(root)
    row = new_row(data, digest=hashlib.sha256(data).hexdigest(), size=len(data), bericht=bericht,
                  kop=kop, party=actor, richting="uit")
    if antwoord_op is not None:
        row.antwoord_op_id = antwoord_op.id
        row.conversatie_id = antwoord_op.conversatie_id
    add_row(session, row)
    audit.append(session, actor=actor, action="aangemaakt", bericht_id=row.id, to_state=Status.RECEIVED,
                 details={"bericht": row.berichttype, "antwoord_op": row.antwoord_op_id, "sha256": row.sha256})
    transition(session, row, Status.ACCEPTED, actor=actor, action="beoordeeld")
    return row
