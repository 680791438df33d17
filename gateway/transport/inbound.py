"""The transport's HTTP side in the API app: the GGk hub's deliveries (`POST /ggk`), the overdue answers'
Prometheus gauge, and queueing of accepted API submissions (the overdue list itself: gateway/api/achterstallig.py).

`POST /ggk` is closed unless the caller authenticates (gateway/transport/toegang.py: the hub's token, a
partner's token or client certificate); an unauthenticated delivery, or one for a zender the caller may not
deliver for, is refused with IB002 and nothing is stored. It answers only after the envelope is committed:
200 with an empty SOAP body when it is ours and stored, a Fo01 in a SOAP Fault when we refuse it (StUF055 for
a payload that fails its XSD: stored, but no retourbericht, IV028). The same envelope twice is stored once
and gets the same answer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.vastlegging import Received
from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store.lifecycle import Status, transition
from gateway.store.models import Bericht
from gateway.transport import envelope, toegang
from gateway.transport.adapter import Ontvangen
from gateway.transport.ontvangst import Aankomst, Inbox, verzender_van
from gateway.transport.outbox import plan_als_nodig
from gateway.transport.routing import Routeringstabel, laad, leeg
from gateway.transport.signalen import SignalenCollector
from gateway.transport.watchdog import AchterstalligCollector
from gateway.transport.webhooks import WebhookCollector
from gateway.validation.findings import TRANSPORT_CODES

log = logging.getLogger("gateway.transport.inbound")

SOAP_XML = "text/xml; charset=utf-8"
STUF055 = "StUF055"  # the payload does not conform to its schema (the gemeente side's Fo01 code)
IB005 = "IB005"  # gemeentecode unknown here
IB010 = "IB010"  # aanbieder not connected here


def routes_uit(settings: Settings) -> Routeringstabel:
    """The routing table if there is one; a gateway without transport simply has no routes. A table that
    exists but is wrong stops start-up (RouteringFout names every fault)."""
    pad = Path(settings.routes_file)
    if not pad.exists():
        log.info("geen routeringstabel op %s: berichten blijven in de API", pad)
        return leeg()
    return laad(pad)


# -- SOAP answers ------------------------------------------------------------------------------------------

def _lege_soap() -> bytes:
    env = etree.Element(f"{{{envelope.SOAP_NS}}}Envelope", nsmap={"soap": envelope.SOAP_NS})
    etree.SubElement(env, f"{{{envelope.SOAP_NS}}}Body")
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _soap_fault(code: str, tekst: str) -> bytes:
    """A bare SOAP 1.1 fault, for an envelope so broken that no Fo01 can refer to it."""
    ns = envelope.SOAP_NS
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    fault = etree.SubElement(etree.SubElement(env, f"{{{ns}}}Body"), f"{{{ns}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client"
    etree.SubElement(fault, "faultstring").text = f"{code}: {tekst}"[:1000]
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _fo01(e: envelope.Envelop, code: str, omschrijving: str, details: str | None = None,
          status: int = 500) -> Response:
    data, _ = envelope.fout(zender=e.ontvanger, ontvanger=e.zender, cross_refnummer=e.referentienummer, code=code,
                            plek="client", omschrijving=omschrijving[:200], details=(details or None) and details[:1000],
                            functie=e.functie if details is None else None, als_fault=True)
    return Response(data, status_code=status, media_type=SOAP_XML)  # SOAP 1.1 carries faults with HTTP 500


def _geweigerd(w: toegang.Weigering) -> Response:
    """A refused caller: a bare SOAP fault (no Fo01: we do not answer envelopes of strangers)."""
    headers = {"WWW-Authenticate": 'Bearer realm="ggk"'} if w.status == 401 else None
    return Response(_soap_fault(w.code, w.reden), status_code=w.status, media_type=SOAP_XML, headers=headers)


def _xsd_fout(e: envelope.Envelop, aankomst: Aankomst) -> Response:
    eerste = next(f for f in aankomst.fouten if f.code in TRANSPORT_CODES)
    plek = ", ".join(eerste.locatie)
    details = f"{eerste.code} {plek}: {eerste.melding}" if plek else f"{eerste.code}: {eerste.melding}"
    return _fo01(e, STUF055, f"Berichtbody van {e.functie} is niet conform het iWmo-schema; er volgt geen "
                             "retourbericht. Herstel het bericht en verstuur het opnieuw.", details)


# -- the receiving use cases -------------------------------------------------------------------------------

class TransportIngang:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], inbox: Inbox, routes: Routeringstabel):
        self.settings = settings
        self.sessions = sessions
        self.inbox = inbox
        self.routes = routes
        self.eigen = frozenset(settings.identiteit)
        self.toegang = toegang.regels_uit(settings)

    def ggk(self, data: bytes, wie: toegang.Identiteit) -> Response:
        try:
            e = envelope.lees(data, max_bytes=envelope.MAX_ENVELOP_BYTES)
        except envelope.EnvelopFout as exc:
            return Response(_soap_fault(exc.code, exc.omschrijving), status_code=500, media_type=SOAP_XML)
        # Before anything is stored: a partner delivers only its own envelopes (the hub vouches for everyone).
        verzender = None if wie.hub or not e.payload else verzender_van(e.payload)
        if (nee := toegang.mag_leveren(wie, e.zender, verzender)) is not None:
            log.warning("GGk-envelop %s van %s geweigerd: %s", e.referentienummer, wie, nee.reden)
            return _fo01(e, nee.code, nee.reden, status=nee.status)
        if self.eigen and e.ontvanger not in self.eigen:
            code = IB005 if len(e.ontvanger) == 4 else IB010
            return _fo01(e, code, f"Organisatie {e.ontvanger} wordt niet door deze gateway bediend; controleer de "
                                  "ontvanger in de envelop of de routering van de GGk.")
        if e.soort == envelope.FO01:
            assert e.fout is not None and e.cross_refnummer is not None
            ons = self.inbox.fout_ontvangen(e.cross_refnummer, code=e.fout.code, omschrijving=e.fout.omschrijving,
                                            zender=e.zender)
            if not ons:
                log.warning("Fo01 %s van %s verwijst naar onbekende envelop %s", e.fout.code, e.zender,
                            e.cross_refnummer)
            return Response(_lege_soap(), media_type=SOAP_XML)
        o = Ontvangen(id=e.referentienummer, envelop_id=e.referentienummer, payload=e.payload or b"",
                      zender=e.zender, ontvanger=e.ontvanger, functie=e.functie,
                      conversatie_id=e.cross_refnummer or e.referentienummer, antwoord_op=e.cross_refnummer)
        aankomst = self.inbox.ontvang(o, adapter="ggk")
        log.info("GGk-envelop %s (%s) ontvangen: %s%s", e.referentienummer, e.functie, aankomst.status,
                 " (duplicaat)" if aankomst.duplicaat else "", extra={"bericht_id": aankomst.bericht_id})
        if aankomst.schema_afgekeurd:
            return _xsd_fout(e, aankomst)
        return Response(_lege_soap(), media_type=SOAP_XML)

    def na_acceptatie(self, session: Session, row: Bericht, ontvangen: Received) -> None:
        """In the submission's own transaction: an accepted message for another organisation goes into the
        outbox; a WMO325 also closes its WMO323 (the back-office answered it)."""
        if ontvangen.duplicaat or row.status != Status.ACCEPTED:
            return
        aflevering = plan_als_nodig(session, row, self.routes, actor=row.submitted_by, eigen_partijen=self.eigen)
        if aflevering is not None and catalogue.nummer_van(row.berichttype) == "325" and row.antwoord_op_id:
            declaratie = session.get(Bericht, row.antwoord_op_id)
            if declaratie is not None and declaratie.status == Status.ACCEPTED:
                transition(session, declaratie, Status.ANSWERED, actor=row.submitted_by,
                           action="declaratie_beantwoord", details={"antwoord": row.id})

    def na_uitgaand(self, session: Session, row: Bericht) -> None:
        """A message the gateway built on a party's behalf (a WMO325 from the gemeente's decision) is queued
        for its addressee in the same transaction."""
        plan_als_nodig(session, row, self.routes, actor=row.submitted_by, eigen_partijen=self.eigen)


# -- HTTP --------------------------------------------------------------------------------------------------

def _ingang(request: Request) -> TransportIngang:
    return request.app.state.transport


router = APIRouter()


@router.post("/ggk", tags=["transport"], summary="Aflevering door de GGk (StUF-GGk Di01/Du01/Fo01, SOAP 1.1)",
             response_class=Response,
             responses={200: {"content": {SOAP_XML: {}}, "description": "opgeslagen (lege SOAP Body)"},
                        401: {"content": {SOAP_XML: {}}, "description": "niet geauthenticeerd: SOAP Fault IB002; "
                              "zonder geconfigureerde toegang is het endpoint dicht"},
                        403: {"content": {SOAP_XML: {}}, "description": "geen toegang: deze identiteit levert niet "
                              "voor deze zender (Fo01 in een SOAP Fault)"},
                        408: {"content": {SOAP_XML: {}}, "description": "de body kwam te traag binnen"},
                        413: {"content": {SOAP_XML: {}}, "description": "envelop te groot"},
                        500: {"content": {SOAP_XML: {}}, "description": "geweigerd: Fo01 in een SOAP Fault"},
                        503: {"content": {SOAP_XML: {}}, "description": "opslag tijdelijk niet beschikbaar"}})
async def ggk(request: Request) -> Response:
    ingang = _ingang(request)
    wie = toegang.herken(_feiten(request, ingang.toegang), ingang.toegang)
    if isinstance(wie, toegang.Weigering):
        client = request.scope.get("client")
        log.warning("aflevering op /ggk geweigerd (%s, van %s): %s", wie.status, client[0] if client else "?",
                    wie.reden)
        return _geweigerd(wie)
    grens = envelope.MAX_ENVELOP_BYTES + 64 * 1024
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > grens:
            return Response(_soap_fault(envelope.IB003_TE_GROOT, f"envelop groter dan {envelope.MAX_ENVELOP_BYTES} "
                                                                 "bytes; splits het bericht"),
                            status_code=500, media_type=SOAP_XML)
        chunks.append(chunk)
    return await run_in_threadpool(ingang.ggk, b"".join(chunks), wie)


def _feiten(request: Request, regels: toegang.Toegangsregels) -> toegang.Verzoekfeiten:
    """The request's facts for toegang.herken. The subject comes from the ASGI TLS extension (`iwmo-gateway
    serve` adds it); the peer is the TCP peer, as serve runs uvicorn without its X-Forwarded-For rewriting."""
    tls = (request.scope.get("extensions") or {}).get("tls") or {}
    client = request.scope.get("client")
    return toegang.Verzoekfeiten(
        autorisatie=request.headers.get("authorization", ""),
        peer=client[0] if client else None,
        certificaat=tls.get("client_cert_name") or None,
        tls_zonder_onderwerp=not tls and request.scope.get("scheme") == "https",
        proxy_kop=request.headers.get(regels.proxy_kop) if regels.proxy_kop else None,
    )


def install(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    service = app.state.service
    routes = routes_uit(settings)
    inbox = Inbox(service.sessions, routes, eigen_partijen=frozenset(settings.identiteit),
                  ontvanger=service.ontvanger)
    ingang = TransportIngang(settings, service.sessions, inbox, routes)
    app.state.transport = ingang
    service.na_acceptatie = ingang.na_acceptatie
    service.na_uitgaand = ingang.na_uitgaand
    app.state.metrics.registry.register(AchterstalligCollector(service.sessions))
    app.state.metrics.registry.register(SignalenCollector(service.sessions))
    app.state.metrics.registry.register(WebhookCollector(service.sessions))
    app.include_router(router)
