"""A dry run of submitting: what `POST /api/v1/berichten` would answer this caller, with nothing written.

Submitting judges a message (`gateway.ingest.oordeel`, no database), refuses one whose header names another
sender (403), and then the writer (`gateway.ingest.vastlegging`) dedupes on the bytes, runs the cross-message
rules against the store, decides how a WMO323 is processed and claims the identificatie (TR056). The dry run
takes the same judged message through the same steps in a session that only reads — the cross rules read
their history through `history_van` like the writer does — and adds nothing to it. What it cannot see is a
message that is committed between the dry run and the submission.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.api.models import LAGEN
from gateway.ingest.oordeel import Oordeel
from gateway.ingest.vastlegging import Aanlevering, CrossRules, bestaand_van, claims_van, tegen_opslag
from gateway.standard import catalogue
from gateway.store.history import vergeet_history
from gateway.store.lifecycle import Status
from gateway.store.models import Bericht
from gateway.store.repository import AFZENDER, findings_of
from gateway.validation.findings import Finding, begrens

XML, XSD, REGELS, AFZENDER_LAAG, BEROVERSTIJGEND = LAGEN


@dataclass(frozen=True)
class Proef:
    status: Status
    errors: list[Finding]
    lagen: tuple[str, ...]
    duplicaat: bool = False


def afzender_weigering(oordeel: Oordeel, party: str) -> str | None:
    """Why submitting this message with `party`'s key is refused (403), or None. Unreadable bytes are the
    caller's: there is no header to compare."""
    verzender = oordeel.verzender
    if oordeel.bericht is None or verzender is None or verzender == party:
        return None
    return (f"Deze sleutel hoort bij {party}; dit {oordeel.bericht.naam}-bericht wordt verzonden door {verzender}. "
            "Een partij dient alleen eigen berichten in.")


def _afzender_fout(oordeel: Oordeel, weigering: str) -> Finding:
    assert oordeel.bericht is not None
    retour = oordeel.bericht.soort is catalogue.Soort.RETOUR  # its sender is its header's Ontvanger (IV028)
    return Finding(code=AFZENDER, locatie=("/Bericht/Header/Ontvanger" if retour else "/Bericht/Header/Afzender",),
                   melding=f"{weigering} Indienen met deze sleutel wordt geweigerd met 403; er wordt niets opgeslagen.")


def lagen(oordeel: Oordeel, party: str | None) -> tuple[str, ...]:
    uitslag = oordeel.uitslag
    gedraaid = {XML: True, XSD: uitslag.bericht is not None, REGELS: uitslag.xsd_valid,
                AFZENDER_LAAG: party is not None, BEROVERSTIJGEND: uitslag.xsd_valid}
    return tuple(laag for laag in LAGEN if gedraaid[laag])


def _eerder_ingediend(session: Session, oordeel: Oordeel, actor: str) -> Bericht | None:
    """The stored message these exact bytes already are for this submitter: the writer's dedupe."""
    bericht_id = bestaand_van(session, [Aanlevering(oordeel, party=actor)]).get((actor, oordeel.sha256))
    return session.get(Bericht, bericht_id) if isinstance(bericht_id, str) else None


def proef(session: Session, oordeel: Oordeel, *, party: str | None, actor: str,
          cross_rules: CrossRules | None) -> Proef:
    """The verdict submitting would give. `party`: the caller's party, None for an administrator (who cannot
    submit; the verdict is then the one the message would get from its own sender, without the sender check).
    `actor`: how the store names the submitter. `session` is only read from."""
    gedraaid = lagen(oordeel, party)
    weigering = afzender_weigering(oordeel, party) if party is not None else None
    if weigering is None and party is not None and (dubbel := _eerder_ingediend(session, oordeel, actor)):
        return Proef(Status(dubbel.status), findings_of(dubbel), gedraaid, duplicaat=True)
    try:
        with session.no_autoflush:
            return _beoordeel_tegen_opslag(session, oordeel, actor=actor, weigering=weigering,
                                           cross_rules=cross_rules, lagen=gedraaid)
    finally:
        vergeet_history(session)
        session.rollback()


def _beoordeel_tegen_opslag(session: Session, o: Oordeel, *, actor: str, weigering: str | None,
                            cross_rules: CrossRules | None, lagen: tuple[str, ...]) -> Proef:
    """The writer's verdict (`vastlegging.tegen_opslag`) on a row that never joins the session."""
    if weigering is not None:  # submit refuses before writing: the cross rules still say what else is wrong
        errors = list(o.uitslag.errors)
        if o.uitslag.xsd_valid and o.bericht is not None and cross_rules is not None and o.root is not None:
            errors += cross_rules(o.bericht, o.root, session)
        errors.append(_afzender_fout(o, weigering))
        return Proef(Status.REJECTED, begrens(errors), lagen)
    u = tegen_opslag(session, o, party=actor, claims=claims_van(session, [o]), cross_rules=cross_rules)
    return Proef(Status.REJECTED if u.blokkerend else Status.ACCEPTED, begrens(u.errors), lagen)
