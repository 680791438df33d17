"""The application service behind the API: one method per use case, over the store and the validator.

The routers translate HTTP to these calls; authorisation decisions live here so every entry point (REST,
admin pages, transport inbox) applies the same ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from gateway.api import proef
from gateway.api.models import AuditEvent, Bericht, BerichtDetail, Fout, Inzending, Links, Pagina, Validatie
from gateway.api.observability import Metrics
from gateway.api.problems import ProblemError
from gateway.identiteit import Principal
from gateway.ingest import beslissing
from gateway.ingest.beslissing import NaAntwoord
from gateway.ingest.ontvang import Ontvanger
from gateway.ingest.oordeel import Ingekort, Oordeel
from gateway.ingest.vastlegging import CrossRules, Na, claims_van
from gateway.messages import json_xml
from gateway.messages.declaratie_antwoord import Herbouw, herbouw_uit_antwoord
from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store import apikeys, queries, retentie
from gateway.store import models as m
from gateway.store.lifecycle import Status
from gateway.store.repository import AFZENDER
from gateway.validation.findings import XSD, Finding

NIET_GEVONDEN = "Bericht niet gevonden."


@dataclass(frozen=True)
class Inhoud:
    """Stored bytes of a message; `ingekort` when only the start of a refused body was kept."""

    data: bytes
    ingekort: bool = False

ONGELDIGE_CURSOR = "Ongeldige cursor; begin opnieuw zonder cursor."


class GatewayService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], metrics: Metrics,
                 cross_rules: CrossRules | None = None, ontvanger: Ontvanger | None = None):
        self.settings = settings
        self.sessions = sessions
        self.metrics = metrics
        self.cross_rules = cross_rules
        # The receive use case; the app gives it the process's writer (group commit).
        self.ontvanger = ontvanger or Ontvanger(sessions, cross_rules=cross_rules,
                                                max_bytes=settings.max_bericht_bytes,
                                                namens=frozenset(settings.identiteit) or None)
        # A JSON or XML body may carry a message of up to the message limit plus envelope overhead.
        self.max_request_bytes = settings.max_bericht_bytes + 1024 * 1024
        self._sleutels = apikeys.Sleutelcache(sessions)
        # Set by the transport when it is installed, and run in the message's own transaction: queue an
        # accepted submission for its addressee; queue a message the gateway built (a WMO325).
        self.na_acceptatie: Na | None = None
        self.na_uitgaand: NaAntwoord | None = None

    # -- identity -------------------------------------------------------------------------------
    def authenticate(self, key: str) -> Principal | None:
        return self._sleutels.authenticate(key)

    def onthouden(self, key: str) -> Principal | None:
        """The caller of a key checked a moment ago, without the database (None: ask `authenticate`)."""
        return self._sleutels.onthouden(key)

    # -- submitting -----------------------------------------------------------------------------
    def xml_from_json(self, document: dict[str, Any]) -> bytes:
        from gateway.messages.modellen import JSON_BERICHTEN

        naam = str(document.get("bericht", "")).upper()
        if naam not in JSON_BERICHTEN:
            raise ProblemError(
                422, f"Veld 'bericht' moet een van {', '.join(JSON_BERICHTEN)} zijn.",
                errors=[Finding(code="JSON", locatie=("/bericht",), melding="Onbekend of ontbrekend berichttype.")],
            )
        try:
            return json_xml.from_json(naam, document)
        except json_xml.JsonGeweigerd as refused:
            raise ProblemError(422, "Het JSON-bericht levert geen geldig iWmo-bericht op; er is niets opgeslagen.",
                               errors=refused.findings) from None

    def submit(self, data: bytes | Ingekort, caller: Principal) -> Inzending:
        if caller.party is None:
            raise ProblemError(403, "Een beheerderssleutel dient geen berichten in; gebruik de sleutel van de partij.")
        oordeel = self.ontvanger.beoordeel(data)  # parse, XSD, rules and retour: before any transaction
        if (weigering := proef.afzender_weigering(oordeel, caller.party)) is not None:
            raise ProblemError(403, weigering)
        if (herbouwd := self._herbouw_declaratie_antwoord(oordeel, caller)) is not None:
            return herbouwd
        received = self.ontvanger.ontvang(oordeel, party=caller.actor, na=self.na_acceptatie)
        if not received.duplicaat:
            self.metrics.berichten.labels(received.bericht or "onbekend", received.status).inc()
            for f in received.errors:
                self.metrics.regels.labels(f.code).inc()
        return Inzending(
            id=received.id, bericht=received.bericht, status=received.status, duplicaat=received.duplicaat,
            errors=[Fout(**f.to_json()) for f in received.errors], links=_links(received.id, received.retour_id),
        )

    def _herbouwplan(self, oordeel: Oordeel, caller: Principal) -> tuple[Herbouw, str] | None:
        """A gemeente's own WMO325 on a WMO323 the gateway holds goes through the builder of
        `POST /berichten/{id}/declaratie-antwoord`: the decision is read from it and the gateway writes the 325
        again, so its totals and classes are right (TotaalToegekendBedrag, 8001, 0233, Client 0200) and the
        gateway's own technical refusals are in it; the back-office's BerichtIdentificatie stays. Returns the
        decision and the 323's id; None: judge and store it as written (not a clean 325, a 323 the gateway never
        saw or one it cannot answer so, a Header or Declaratie-class refusal, an Identificatie used before:
        TR056 says so then)."""
        root, kop = oordeel.root, oordeel.kop
        if (oordeel.bericht is None or not oordeel.bericht.is_soort("325") or not oordeel.uitslag.xsd_valid
                or root is None or kop is None or caller.party is None):
            return None
        herbouw = herbouw_uit_antwoord(root)
        if not herbouw.alleen_prestaties_en_clienten:
            return None
        declaratie_identificatie = next((v for k, v in kop.sleutels if k == "DeclaratieIdentificatie"), None)
        with self.sessions() as session:
            declaratie = beslissing.te_herbouwen(session, gemeente=caller.party, aanbieder=kop.ontvanger,
                                                 declaratie_identificatie=declaratie_identificatie,
                                                 declaratie=catalogue.get("323", oordeel.bericht.profiel).naam)
            if declaratie is None or (caller.party, kop.berichtcode, kop.identificatie) in claims_van(session, [oordeel]):
                return None
            return herbouw, declaratie.id

    def _herbouw_declaratie_antwoord(self, oordeel: Oordeel, caller: Principal) -> Inzending | None:
        if (plan := self._herbouwplan(oordeel, caller)) is None:
            return None
        herbouw, declaratie_id = plan
        assert caller.party is not None
        try:
            uit = beslissing.beantwoord(self.sessions, declaratie_id, partij=caller.party, actor=caller.actor,
                                        na=self.na_uitgaand, **herbouw.als_besluit())
        except (beslissing.AlBeantwoord, beslissing.AntwoordOngeldig) as exc:
            raise _herbouw_probleem(exc, herbouw, declaratie_id) from None
        # The verdict, as for any submission: the built 325 passed our schema and rules (it may be queued already).
        assert oordeel.bericht is not None
        self.metrics.berichten.labels(oordeel.bericht.naam, Status.ACCEPTED).inc()
        return Inzending(id=uit.antwoord_id, bericht=oordeel.bericht.naam, status=Status.ACCEPTED, duplicaat=False, errors=[],
                         opgesteld_door_gateway=True, links=_links(uit.antwoord_id, None))

    def dry_run(self, data: bytes | Ingekort, caller: Principal) -> Validatie:
        """What `submit` would answer this caller, with nothing written (gateway/api/proef.py). A WMO325 that
        submitting would have rebuilt is rebuilt and checked here too, and the answer says so."""
        oordeel = self.ontvanger.beoordeel(data)
        bericht = oordeel.bericht.naam if oordeel.bericht else None
        if (proef.afzender_weigering(oordeel, caller.party) if caller.party else None) is None and (
                plan := self._herbouwplan(oordeel, caller)) is not None:
            herbouw, declaratie_id = plan
            assert caller.party is not None
            lagen = list(proef.lagen(oordeel, caller.party))
            try:
                beslissing.proef_antwoord(self.sessions, declaratie_id, partij=caller.party, **herbouw.als_besluit())
            except (beslissing.AlBeantwoord, beslissing.AntwoordOngeldig) as exc:
                probleem = _herbouw_probleem(exc, herbouw, declaratie_id)
                fouten = probleem.errors or [Finding(code="BEANTWOORD", locatie=("/Bericht",), melding=probleem.detail)]
                return Validatie(bericht=bericht, valid=False, status=Status.REJECTED, lagen=lagen,
                                 errors=[Fout(**f.to_json()) for f in fouten], opgesteld_door_gateway=True)
            return Validatie(bericht=bericht, valid=True, status=Status.ACCEPTED, lagen=lagen, errors=[],
                             opgesteld_door_gateway=True)
        with self.sessions() as session:
            uitkomst = proef.proef(session, oordeel, party=caller.party, actor=caller.actor,
                                   cross_rules=self.cross_rules)
        return Validatie(bericht=bericht, valid=not uitkomst.errors,
                         status=uitkomst.status, duplicaat=uitkomst.duplicaat, lagen=list(uitkomst.lagen),
                         errors=[Fout(**f.to_json()) for f in uitkomst.errors])

    # -- reading --------------------------------------------------------------------------------
    def _readable(self, session: Session, bericht_id: str, caller: Principal) -> m.Bericht:
        row = _get(session, bericht_id)
        if row is None or not _may_read(caller, row):
            raise ProblemError(404, NIET_GEVONDEN)  # the same answer whether it exists or not
        return row

    def list(self, caller: Principal, *, limit: int, cursor: str | None, richting: str | None = None,
             afzender: str | None = None, ontvanger: str | None = None, **filters: Any) -> Pagina:
        kant = _kant(caller, richting=richting, afzender=afzender, ontvanger=ontvanger)
        if kant is None:
            return Pagina(items=[], next_cursor=None)  # e.g. "sent by me" and "sent by someone else"
        f = queries.Filter(party=None if caller.admin else caller.party, **kant, **filters)
        with self.sessions() as session:
            try:
                rows, nxt = queries.list_berichten(session, f, limit=limit, cursor=cursor)
            except (queries.BadCursor, DataError):
                # A cursor is opaque but decodable; one whose content the database cannot compare was forged.
                raise ProblemError(400, ONGELDIGE_CURSOR) from None
            return Pagina(items=[_summary(session, r, caller) for r in rows], next_cursor=nxt)

    def detail(self, bericht_id: str, caller: Principal) -> BerichtDetail:
        with self.sessions() as session:
            row = self._readable(session, bericht_id, caller)
            inhoud = None
            if row.berichttype:
                try:
                    inhoud = json_xml.to_json(row.berichttype, row.raw)
                except Exception:  # noqa: BLE001 - unreadable stored bytes still have metadata to show
                    inhoud = None
            return BerichtDetail(**_summary(session, row, caller).model_dump(), inhoud=inhoud)

    def raw(self, bericht_id: str, caller: Principal) -> Inhoud:
        with self.sessions() as session:
            row = self._readable(session, bericht_id, caller)
            return Inhoud(_inhoud(row), ingekort=bool(row.ingekort))

    def retour(self, bericht_id: str, caller: Principal) -> bytes:
        with self.sessions() as session:
            row = self._readable(session, bericht_id, caller)
            answer = queries.retour_for(session, row.id)
            if answer is None:
                raise ProblemError(404, geen_retour(row))
            return _inhoud(answer)

    def audit(self, bericht_id: str, caller: Principal) -> list[AuditEvent]:
        with self.sessions() as session:
            row = self._readable(session, bericht_id, caller)
            return [AuditEvent(seq=e.seq, at=_utc(e.at), actor=e.actor, action=e.action, from_state=e.from_state,
                               to_state=e.to_state, details=e.details or {})
                    for e in queries.audit_for(session, row.id)]

    def inbox(self, caller: Principal, *, limit: int, cursor: str | None) -> Pagina:
        if caller.party is None:
            raise ProblemError(403, "De inbox hoort bij een partij; gebruik de sleutel van een gemeente of aanbieder.")
        with self.sessions() as session:
            try:
                rows, nxt = queries.inbox(session, caller.party, limit=limit, cursor=cursor)
            except (queries.BadCursor, DataError):
                raise ProblemError(400, ONGELDIGE_CURSOR) from None
            return Pagina(items=[_summary(session, r, caller) for r in rows], next_cursor=nxt)

    def acknowledge(self, bericht_id: str, caller: Principal) -> None:
        from gateway.store import audit

        with self.sessions() as session, session.begin():
            row = _get(session, bericht_id)
            if row is None or caller.party is None or row.adressaat != caller.party:
                raise ProblemError(404, NIET_GEVONDEN)
            if row.gelezen_at is None:
                queries.acknowledge(session, row)
                audit.append(session, actor=caller.actor, action="gelezen", bericht_id=row.id)


def _in_antwoord(fout: Finding, plaatsen: dict[str, str]) -> Finding:
    """A builder's error about a decision read from a 325, located in that 325 instead of in the decision."""
    oud = fout.locatie[0] if fout.locatie else ""
    if (nieuw := plaatsen.get(oud)) is None:
        return fout
    return dataclasses.replace(fout, locatie=(nieuw,), melding=fout.melding.replace(f"{oud}: ", f"{nieuw}: ", 1))


def _get(session: Session, bericht_id: str) -> m.Bericht | None:
    # No stored id contains NUL, and PostgreSQL rejects the character in a query: answer "not found" up front.
    return None if "\x00" in bericht_id else queries.get(session, bericht_id)


def _may_read(caller: Principal, row: m.Bericht) -> bool:
    return caller.admin or (caller.party is not None and caller.party in (row.verzender, row.adressaat)) or (
        row.submitted_by == caller.actor
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC); without an offset the value is no RFC 3339 date-time.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _herbouw_probleem(exc: Exception, herbouw: Herbouw, declaratie_id: str) -> ProblemError:
    """What submitting a WMO325 that the builder cannot write answers: 409 when its 323 is answered, else 422."""
    if isinstance(exc, beslissing.AlBeantwoord):
        return ProblemError(409, str(exc) + (f" Het WMO325 is /api/v1/berichten/{exc.antwoord_id}; er is niets "
                                             "opgeslagen." if exc.antwoord_id else ""))
    assert isinstance(exc, beslissing.AntwoordOngeldig)
    return ProblemError(
        422, f"Dit declaratie-antwoord beantwoordt declaratie /api/v1/berichten/{declaratie_id}, maar met deze "
             "beslissing is geen geldig declaratie-antwoord te maken; er is niets opgeslagen.",
        errors=[_in_antwoord(f, herbouw.plaatsen) for f in exc.fouten])


def _links(bericht_id: str, retour_id: str | None) -> Links:
    base = f"/api/v1/berichten/{bericht_id}"
    return Links(self=base, xml=f"{base}/xml", retour=f"{base}/retour" if retour_id else None, audit=f"{base}/audit")


def _kant(caller: Principal, *, richting: str | None, afzender: str | None,
          ontvanger: str | None) -> dict[str, str | None] | None:
    """The store filters for the API's richting, afzender and ontvanger; None when they cannot all hold.

    A party sees the direction from its own side (in: addressed to it, uit: sent by it), so for a party `richting`
    is a filter on who sends or receives; an administrator sees the store's own (in: received, uit: built by the
    gateway). `afzender`/`ontvanger` are the message's own sender and addressee (the store's verzender/adressaat)."""
    if caller.party is None or richting is None:
        return {"richting": richting, "afzender": afzender, "ontvanger": ontvanger}
    kant = {"afzender": afzender, "ontvanger": ontvanger}
    veld = "ontvanger" if richting == "in" else "afzender"
    if kant[veld] not in (None, caller.party):
        return None
    kant[veld] = caller.party
    return {"richting": None, **kant}


def richting_voor(caller: Principal, row: m.Bericht) -> str:
    """in or uit as the caller sees it (see `_kant`)."""
    if caller.party is None:
        return row.richting
    return "in" if row.adressaat == caller.party else "uit"


def geen_retour(row: m.Bericht) -> str:
    """Why a message has no retourbericht: the one rule per kind of message, in the words the caller needs."""
    bericht = catalogue.BERICHTEN.get(row.berichttype or "")
    codes = {b.code for b in row.bevindingen}
    if bericht is None:
        return ("Dit bericht is geen leesbaar iWmo-bericht en krijgt daarom geen retourbericht; de bevindingen bij het "
                "bericht zeggen wat er mis is.")
    if bericht.soort is catalogue.Soort.RETOUR:
        heen = f" Het heenbericht is /api/v1/berichten/{row.antwoord_op_id}." if row.antwoord_op_id else ""
        return (f"Dit bericht is zelf een retourbericht ({bericht.naam}, {bericht.omschrijving} op een "
                f"{bericht.antwoord_op}); een retourbericht krijgt geen retourbericht.{heen}")
    if bericht.beantwoord_door is None:
        heen = f" (het antwoord op /api/v1/berichten/{row.antwoord_op_id})" if row.antwoord_op_id else ""
        return (f"Een {bericht.naam} ({bericht.omschrijving}){heen} krijgt geen retourbericht: het is zelf het "
                "antwoord op een declaratie.")
    if XSD in codes:
        return (f"Dit {bericht.naam}-bericht doorstaat de XSD niet en krijgt daarom geen retourbericht (IV028); de "
                "bevindingen bij het bericht zeggen wat er mis is. Verstuur een verbeterd bericht.")
    if AFZENDER in codes:
        return ("Dit bericht noemt een andere afzender dan de partij die het aanleverde (AFZENDER) en krijgt geen "
                "retourbericht: dat zou gaan naar een partij die niets verstuurde.")
    return (f"Er is nog geen {bericht.beantwoord_door} op dit {bericht.naam}-bericht: de ontvanger heeft het nog niet "
            "beantwoord.")


def _summary(session: Session, row: m.Bericht, caller: Principal) -> Bericht:
    has_retour = queries.retour_for(session, row.id) is not None
    bericht = catalogue.BERICHTEN.get(row.berichttype or "")
    return Bericht(
        id=row.id, bericht=row.berichttype, berichtcode=row.berichtcode, status=row.status,
        richting=richting_voor(caller, row),
        # The message's own direction: a retourbericht travels against its header (IV028).
        afzender=row.verzender, ontvanger=row.adressaat, identificatie=row.identificatie,
        dagtekening=row.dagtekening, ontvangen_op=_utc(row.created_at), sha256=row.sha256, grootte=row.size,
        ingekort=bool(row.ingekort), geclaimde_afzender=row.geclaimde_afzender,
        gelezen=row.gelezen_at is not None, antwoord_op=row.antwoord_op_id,
        errors=[Fout(code=b.code, retourcode=b.retourcode, locatie=list(b.locatie or []), melding=b.melding)
                for b in row.bevindingen],
        links=_links(row.id, "x" if has_retour and bericht else None),
    )


def _inhoud(row: m.Bericht) -> bytes:
    try:
        return retentie.inhoud(row)
    except retentie.Opgeschoond as exc:
        raise ProblemError(410, f"{exc} Vraag de afzender om een kopie als u de inhoud nodig hebt.") from None
