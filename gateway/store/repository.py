"""Receiving and storing messages: validate, store verbatim, decide, answer — committed before acknowledged.

`receive` is what the API and the transport inbox call for every message that arrives. It never loses a
message: unreadable and rejected ones are stored too. Identical bytes from the same party return the
stored message instead of a second copy. An accepted message claims its (afzender, berichtcode,
identificatie) in `identificatie_claim`, so of two concurrent submissions only one can win (TR056).

Bytes that are no iWmo message (oversize, unreadable, another kind of XML) are kept only as proof: their
SHA-256 and size, and a bounded prefix for a person to look at (`Bericht.ingekort`). A row belongs to the
authenticated party that handed it in; a header that names another sender keeps that claim only in
`Bericht.geclaimde_afzender`, and such a message is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
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
from gateway.validation.findings import TE_GROOT, Finding, begrens
from gateway.validation.validator import Uitslag, validate

TR056_MELDING = (
    "TR056: De BerichtIdentificatie is al eerder gebruikt voor dit berichttype door deze afzender. "
    "Geef elk bericht een nieuwe, unieke Identificatie en verstuur het opnieuw."
)

# What is kept of a body that is no iWmo message: enough for a person to see what arrived, never 20 MB a time.
INGEKORT_PREFIX_BYTES = 64 * 1024
AFZENDER = "AFZENDER"  # finding: the header names another sender than the party that handed the message in
_PARTIJ = re.compile(r"\d{4}(\d{4})?")  # a gemeentecode or AGB code: an identity the sender can be checked against


@dataclass(frozen=True)
class Ingekort:
    """A body over the size limit that was not kept whole: its digest and size, and its first bytes."""

    prefix: bytes
    sha256: str
    size: int


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


def _new_row(data: bytes, uitslag: Uitslag, *, party: str, richting: str, digest: str,
             size: int | None = None) -> Bericht:
    size = len(data) if size is None else size
    row = Bericht(
        id=str(uuid.uuid4()), richting=richting, status=Status.RECEIVED, raw=data, sha256=digest, size=size,
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


def uitslag_te_groot(body: Ingekort, max_bytes: int | None) -> Uitslag:
    """The verdict on a body too large to keep: TE_GROOT, as the safe parser would have said."""
    grens = f"de grens is {max_bytes} bytes" if max_bytes is not None else "dat is boven de grens"
    return Uitslag(bericht=None, errors=[Finding(
        code=TE_GROOT, melding=f"Het bericht is {body.size} bytes; {grens}. Splits het bericht (bijvoorbeeld een "
                               "declaratie per periode) of verhoog IWMO_MAX_BERICHT_BYTES.")])


def receive(
    sessions: sessionmaker[Session],
    data: bytes | Ingekort,
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
    gateway answers for every party (one gateway serving both sides).

    `data` is an `Ingekort` when the caller refused to hold an oversize body whole: it is stored as TE_GROOT."""
    ingekort = data if isinstance(data, Ingekort) else None
    if ingekort is not None:
        data, digest, size = ingekort.prefix, ingekort.sha256, ingekort.size
    else:
        assert isinstance(data, bytes)
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    with sessions() as session, session.begin():
        existing = session.scalars(
            select(Bericht).where(Bericht.submitted_by == party, Bericht.sha256 == digest).order_by(Bericht.created_at)
        ).first()
        if existing is not None:
            retour = session.scalars(
                select(Bericht.id).where(Bericht.antwoord_op_id == existing.id, Bericht.richting == "uit")
            ).first()
            return Received(existing.id, existing.status, existing.berichttype, _findings_of(existing), True, retour)

        uitslag = uitslag_te_groot(ingekort, max_bytes) if ingekort is not None else validate(data, max_bytes=max_bytes)
        errors = list(uitslag.errors)
        if uitslag.xsd_valid and uitslag.bericht and cross_rules is not None and uitslag.tree is not None:
            errors += cross_rules(uitslag.bericht, uitslag.tree.getroot(), session)

        row = _new_row(data, uitslag, party=party, richting=richting, digest=digest, size=size)
        vreemd = eigen_en_begrensd(row, uitslag.bericht, party)
        if vreemd is not None:
            errors.append(vreemd)
        session.add(row)
        session.flush()
        details: dict[str, object] = {"bericht": row.berichttype, "sha256": digest, "grootte": size}
        if row.ingekort:  # what is kept is a prefix: its own digest lets a verifier check the stored bytes
            details["bewaard"] = {"grootte": len(row.raw), "sha256": hashlib.sha256(row.raw).hexdigest()}
        if row.geclaimde_afzender:
            details["geclaimde_afzender"] = row.geclaimde_afzender
        audit.append(session, actor=party, action="ontvangen", bericht_id=row.id, to_state=Status.RECEIVED,
                     details=details)
        if vreemd is None:  # a message that is not the party's own answers nothing
            _link_answer(session, row)

        if not errors and uitslag.bericht and row.afzender and row.berichtcode and row.identificatie:
            try:
                with session.begin_nested():
                    session.add(IdentificatieClaim(afzender=row.afzender, berichtcode=row.berichtcode,
                                                   identificatie=row.identificatie, bericht_id=row.id))
            except IntegrityError:
                errors.append(_tr056(None))
        bewaard = begrens(errors)  # stored and returned: at most 100 + "en nog M"; verdict and retour use all
        row.bevindingen = [Bevinding(code=f.code, retourcode=f.retourcode, locatie=list(f.locatie), melding=f.melding)
                           for f in bewaard]
        verdict = Status.REJECTED if errors else Status.ACCEPTED
        if verdict is Status.ACCEPTED and uitslag.bericht and uitslag.tree is not None:
            file_facts(session, row.id, uitslag.bericht, uitslag.tree.getroot())
        transition(session, row, verdict, actor="system", action="beoordeeld",
                   details={"codes": sorted({f.code for f in errors})})

        retour_id = None
        # No retourbericht for a message another sender is named in: it would go to a party that sent nothing.
        if (uitslag.xsd_valid and uitslag.bericht and catalogue.retourbericht_voor(uitslag.bericht.naam)
                and vreemd is None and (not namens or row.adressaat in namens)):
            retour_id = _store_retour(session, row, uitslag, errors, retour_dagtekening)
        return Received(row.id, row.status, row.berichttype, bewaard, False, retour_id)


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
                 details={"bericht": row.berichttype, "antwoord_op": row.antwoord_op_id, "sha256": row.sha256})
    transition(session, row, Status.ACCEPTED, actor=actor, action="beoordeeld")
    return row
