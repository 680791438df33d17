"""The hub's HTTP face: GGk-style SOAP for gemeenten, VECOZO-style REST push/pull for aanbieders.

Routers only translate: authentication is a dependency, the decisions live in Knooppunt, the state in
HubStore. Every party authenticates with its own bearer token from the hub configuration.

`GET /berichten?wacht_ms=N` is our extension of VECOZO's pull (a long poll, gateway/hub/wachtkamer.py): with
nothing waiting, the hub holds the request until a message for the caller is stored or N ms passed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from lxml import etree
from starlette.datastructures import UploadFile

from gateway.hub.bezorging import Bezorger
from gateway.hub.config import HubConfig, Partij
from gateway.hub.knooppunt import GgkWeigering, Knooppunt, VecozoWeigering
from gateway.hub.store import HubStore, Info
from gateway.hub.wachtkamer import Wachtkamer
from gateway.transport import envelope
from gateway.transport.vecozo import MAX_WACHT_MS, WACHT_PARAMETER

SOAP_XML = "text/xml; charset=utf-8"
PROBLEM_JSON = "application/problem+json"
MAX_LIMIT = 250
# Room for the multipart framing and the metadata around a payload of the largest allowed size.
MAX_VERZOEK_BYTES = envelope.MAX_ENVELOP_BYTES + 256 * 1024
WACHT_UITLEG = (
    f"Uitbreiding van deze hub (VECOZO kent haar niet): staat er niets klaar, dan houdt de hub het verzoek ten "
    f"hoogste zoveel milliseconden vast (0 tot en met {MAX_WACHT_MS}) en antwoordt zodra er een bericht voor u is "
    f"opgeslagen. Zonder deze parameter antwoordt de hub meteen. Per partij worden enkele verzoeken tegelijk "
    f"vastgehouden; daarboven antwoordt de hub meteen, zoals zonder {WACHT_PARAMETER}."
)


class NietGeautoriseerd(Exception):
    def __init__(self, soap: bool):
        self.soap = soap


def probleem(status: int, code: str, omschrijving: str, ib: str | None = None) -> JSONResponse:
    """RFC 9457 problem details, with the hub's foutcode also in VECOZO's meldingen shape."""
    body: dict[str, Any] = {
        "type": "about:blank", "title": omschrijving.split(". ")[0][:120], "status": status,
        "detail": omschrijving, "code": code,
        "meldingen": [{"code": code, "omschrijving": omschrijving, "toelichting": ib and f"{ib} in de BIDN-lijst"}],
    }
    if ib:
        body["ibcode"] = ib
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _soap(inhoud: etree._Element | None = None) -> bytes:
    env = etree.Element(f"{{{envelope.SOAP_NS}}}Envelope", nsmap={"soap": envelope.SOAP_NS})
    body = etree.SubElement(env, f"{{{envelope.SOAP_NS}}}Body")
    if inhoud is not None:
        body.append(inhoud)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _kale_fault(code: str, tekst: str) -> bytes:
    """A SOAP 1.1 fault without a Fo01, for an envelope so broken that no referentienummer can be named."""
    fault = etree.Element(f"{{{envelope.SOAP_NS}}}Fault", nsmap={"soap": envelope.SOAP_NS})
    etree.SubElement(fault, "faultcode").text = "soap:Client"
    etree.SubElement(fault, "faultstring").text = f"{code}: {tekst}"[:1000]
    return _soap(fault)


def _ggk_antwoord(w: GgkWeigering, partij: Partij) -> Response:
    if w.cross_refnummer is None:
        return Response(_kale_fault(w.code, w.omschrijving), status_code=w.http_status, media_type=SOAP_XML)
    data, _ = envelope.fout(
        zender="GGK", zender_applicatie="iwmo-gateway-hub", ontvanger=partij.code,
        cross_refnummer=w.cross_refnummer, code=w.code, plek="client", omschrijving=w.omschrijving,
        details=w.details, functie=w.functie if w.details is None else None, als_fault=True,
    )
    return Response(data, status_code=w.http_status, media_type=SOAP_XML)


def _bericht_json(i: Info) -> dict[str, Any]:
    meta = envelope.VecozoMetadata(
        traceer_id=i.traceer_id, conversatie_id=i.conversatie_id, als_antwoord_op=i.als_antwoord_op,
        afzender=(i.zender_rol, i.zender), geadresseerden=[(i.ontvanger_rol, i.ontvanger)], berichttype=i.functie,
    ).to_json()
    url = f"/berichten/{i.traceer_id}/payload"
    return meta | {
        "status": i.status,
        "basisgegevens": {"ontvangenOp": i.ontvangen_op.isoformat()},
        "payload": {"url": url, "grootte": i.grootte, "checksum": {"algoritme": "SHA256", "waarde": i.sha256}},
        # Flat copies for clients that do not walk the descriptor.
        "payloadUrl": url, "sha256": i.sha256,
    }


def _partij(request: Request) -> Partij:
    """The party behind the bearer token; a missing or unknown token ends the request with 401."""
    kop = request.headers.get("authorization", "")
    token = kop[7:].strip() if kop[:7].lower() == "bearer " else ""
    config: HubConfig = request.app.state.config
    partij = config.partij_voor_token(token) if token else None
    if partij is None:
        raise NietGeautoriseerd(soap=request.url.path == "/ggk")
    return partij


Aangemeld = Annotated[Partij, Depends(_partij)]


async def _tot_vertrek(request: Request) -> None:
    """Returns once the client hung up: the ASGI server then answers receive() with http.disconnect."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _lees_begrensd(request: Request) -> bytes | None:
    stukken: list[bytes] = []
    grootte = 0
    async for stuk in request.stream():
        grootte += len(stuk)
        if grootte > MAX_VERZOEK_BYTES:
            return None
        stukken.append(stuk)
    return b"".join(stukken)


def maak_app(config: HubConfig, store: HubStore, *, bezorger: Bezorger | None = None,
             bezorgen: bool = True) -> FastAPI:
    """The hub app; with bezorgen the delivery loop to gemeente endpoints runs while the app runs."""
    wachtkamer = Wachtkamer()
    knooppunt = Knooppunt(config, store, wachtkamer)
    bezorger = bezorger or Bezorger(store, config)

    @asynccontextmanager
    async def levensloop(app: FastAPI) -> AsyncIterator[None]:
        if bezorgen:
            bezorger.start()
        try:
            yield
        finally:
            wachtkamer.sluit()
            bezorger.stop()

    app = FastAPI(title="iwmo-gateway hub (lokaal knooppunt)", lifespan=levensloop,
                  description="GGk-stijl SOAP voor gemeenten, VECOZO-stijl REST voor aanbieders.")
    app.state.config = config
    app.state.knooppunt = knooppunt
    app.state.store = store
    app.state.bezorger = bezorger
    app.state.wachtkamer = wachtkamer

    async def klaarstaand(partij: str, limit: int, wacht_s: float, request: Request) -> list[Info]:
        """The party's oldest waiting messages; with a wait and none there, held until one is stored for it."""
        if wacht_s <= 0:
            return await run_in_threadpool(store.wachtrij, partij, limit)
        with wachtkamer.plek(partij) as plek:  # entered before looking, so a message stored meanwhile wakes it
            berichten = await run_in_threadpool(store.wachtrij, partij, limit)
            if berichten or plek is None:
                return berichten
            if await plek.wacht(wacht_s, lambda: _tot_vertrek(request)):
                return []  # the client went away: nobody to answer
            return await run_in_threadpool(store.wachtrij, partij, limit)

    @app.exception_handler(NietGeautoriseerd)
    async def _niet_geautoriseerd(request: Request, exc: NietGeautoriseerd) -> Response:
        tekst = "Geen of een onbekend bearer-token. Vraag de hubbeheerder het token van uw organisatie."
        if exc.soap:
            return Response(_kale_fault("IB002", tekst), status_code=401, media_type=SOAP_XML)
        resp = probleem(401, "HTTP401", tekst)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.post("/ggk", tags=["GGk"], response_class=Response,
              summary="Een gemeente levert een StUF-GGk Di01/Du01 aan (SOAP 1.1)",
              responses={200: {"content": {SOAP_XML: {}}, "description": "aangenomen (lege SOAP Body)"},
                         400: {"content": {SOAP_XML: {}}, "description": "geweigerd: Fo01 in een SOAP Fault"}})
    async def ggk(request: Request, partij: Aangemeld) -> Response:
        data = await _lees_begrensd(request)
        if data is None:
            return Response(_kale_fault(envelope.IB003_TE_GROOT, "envelop groter dan 25 MB; splits het bericht"),
                            status_code=413, media_type=SOAP_XML)
        try:
            await run_in_threadpool(knooppunt.van_gemeente, partij, data)
        except GgkWeigering as w:
            return _ggk_antwoord(w, partij)
        bezorger.wek()
        return Response(_soap(), media_type=SOAP_XML)

    @app.post("/berichten", tags=["VECOZO"], status_code=204, response_class=Response,
              summary="Een aanbieder levert een bericht aan (multipart: berichtMetadata + payload)")
    async def push(request: Request, partij: Aangemeld) -> Response:
        lengte = request.headers.get("content-length")
        if lengte and lengte.isdigit() and int(lengte) > MAX_VERZOEK_BYTES:
            return probleem(422, "BRS06", "Het verzoek is groter dan 25 MB. Splits het bericht.", "IB012")
        try:
            form = await request.form(max_files=2, max_fields=4, max_part_size=MAX_VERZOEK_BYTES)
        except Exception as exc:  # starlette raises several types for broken multipart bodies
            return probleem(400, "HTTP400", f"Geen geldig multipart-verzoek: {exc}. Stuur berichtMetadata en payload.")
        delen: dict[str, bytes] = {}
        for naam, alias in (("berichtMetadata", "metadata"), ("payload", "bericht")):
            waarde = form.get(naam, form.get(alias))
            if waarde is None:
                return probleem(400, "HTTP400", f"Het deel {naam!r} ontbreekt. Stuur berichtMetadata (JSON) en "
                                                "payload (het iWmo-bericht).")
            delen[naam] = await waarde.read() if isinstance(waarde, UploadFile) else str(waarde).encode("utf-8")
        await form.close()
        try:
            await run_in_threadpool(knooppunt.van_aanbieder, partij, delen["berichtMetadata"], delen["payload"])
        except VecozoWeigering as w:
            return probleem(w.http_status, w.code, w.omschrijving, w.ib)
        bezorger.wek()
        return Response(status_code=204)

    @app.get("/berichten", tags=["VECOZO"], summary="De oudste klaarstaande berichten (ten hoogste 250)")
    async def lijst(request: Request, partij: Aangemeld, limit: Annotated[int, Query()] = 100,
                    wacht_ms: Annotated[int | None, Query(alias=WACHT_PARAMETER, description=WACHT_UITLEG)] = None,
                    ) -> Response:
        if not 1 <= limit <= MAX_LIMIT:
            return probleem(400, "HTTP400", f"limit {limit} ligt niet tussen 1 en {MAX_LIMIT}. Haal op in delen.")
        if wacht_ms is not None and not 0 <= wacht_ms <= MAX_WACHT_MS:
            return probleem(400, "HTTP400", f"{WACHT_PARAMETER} {wacht_ms} ligt niet tussen 0 en {MAX_WACHT_MS}. "
                                            "Wacht korter en vraag daarna opnieuw.")
        berichten = await klaarstaand(partij.code, limit, (wacht_ms or 0) / 1000, request)
        return JSONResponse({"berichten": [_bericht_json(i) for i in berichten]})

    @app.get("/berichten/{traceer_id}/payload", tags=["VECOZO"], response_class=Response,
             summary="De payload van een klaarstaand bericht")
    def payload(traceer_id: str, partij: Aangemeld) -> Response:
        data = store.download(partij.code, traceer_id.lower())
        if data is None:
            return probleem(404, "HTTP404", f"Bericht {traceer_id} is onbekend of al bevestigd.")
        return Response(data, media_type="application/xml")

    @app.delete("/berichten/{traceer_id}", tags=["VECOZO"], status_code=202, response_class=Response,
                summary="Ontvangst bevestigen: pas nu verdwijnt het bericht uit de wachtrij")
    def bevestig(traceer_id: str, partij: Aangemeld) -> Response:
        if not store.bevestig(partij.code, traceer_id.lower()):
            return probleem(404, "HTTP404", f"Bericht {traceer_id} is onbekend of al bevestigd.")
        return Response(status_code=202)

    @app.get("/berichtstatussen", tags=["VECOZO"], summary="Status en historie van een bericht")
    def status(partij: Aangemeld, traceerId: Annotated[str, Query()]) -> Response:  # noqa: N803 - VECOZO's name
        gevonden = store.status(traceerId.lower(), partij.code)
        if gevonden is None:
            return probleem(404, "HTTP404", f"Geen bericht {traceerId} van of voor {partij.code}.")
        return JSONResponse(gevonden)

    @app.get("/health", tags=["beheer"], summary="Leeft de hub, hoeveel berichten staan in welke status, en "
                                                 "hoeveel ophaalverzoeken per partij wachten (wacht_ms)")
    def health() -> dict[str, object]:
        return {"status": "ok", "berichten": store.tellingen(), "wachtend_ophalen": wachtkamer.tellingen()}

    return app

