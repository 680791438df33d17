"""The /api/v1 routes. Each handler translates HTTP to one call on the service and back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.api import invoer, voorbeelden
from gateway.api.deps import principal, service
from gateway.api.models import (
    AFZENDER_UITLEG,
    ONTVANGER_UITLEG,
    RICHTING_UITLEG,
    AuditEvent,
    BerichtDetail,
    BerichtType,
    Inzending,
    Pagina,
    Richting,
    Validatie,
)
from gateway.api.problems import problem_responses
from gateway.api.service import GatewayService
from gateway.identiteit import Principal
from gateway.store.lifecycle import Status

# Every call needs a key, may fail unexpectedly, or meet a store that cannot write for now (503, Retry-After);
# each route adds the problems it can give itself.
router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 500, 503))

Caller = Annotated[Principal, Depends(principal)]
Service = Annotated[GatewayService, Depends(service)]

# Filter values are spelled out as enums or patterns so that a value no stored row can have is a documented 422
# at the edge, naming what is allowed (problems.ongeldig_verzoek), never an empty list or a database error.
_REGEL = r"^[A-Za-z0-9_]{1,32}$"
_PARTIJ = r"^\d{4}(\d{4})?$"
_CURSOR = r"^[A-Za-z0-9_-]{1,200}={0,2}$"
_CURSOR_UITLEG = "next_cursor uit het antwoord op de vorige pagina; laat weg voor de eerste pagina"
_LIMIT_UITLEG = "Hoeveel berichten per pagina: 1 tot en met 500"
_TIJDSTIP = "tijdstip volgens RFC 3339, bijvoorbeeld 2026-04-08T00:00:00Z, of een datum (2026-04-08, middernacht UTC)"
_BERICHT_ID = "id van het bericht, zoals POST /api/v1/berichten of een lijst het teruggeeft"

BerichtId = Annotated[str, Path(description=_BERICHT_ID)]
Limit = Annotated[int, Query(ge=1, le=500, description=_LIMIT_UITLEG)]
Cursor = Annotated[str | None, Query(description=_CURSOR_UITLEG, pattern=_CURSOR)]

# Another party's message answers exactly like a missing one, so 404 is the only problem a read can add.
_NIET_GEVONDEN = problem_responses(404)
_BYTES = problem_responses(404, 410)  # bytes may be gone after the retention term (gateway/store/retentie.py)
_INGEKORT = "X-Iwmo-Ingekort"
_XML_HEADERS = {
    _INGEKORT: {"description": "Alleen bij een bericht waarvan slechts het begin is bewaard (te groot of onleesbaar): "
                               "'true'. De body is dan dat begin; sha256 en grootte in de metadata gelden voor "
                               "het hele bericht zoals het binnenkwam.", "schema": {"type": "string", "enum": ["true"]}},
}

_BODY = {
    "requestBody": {
        "required": True,
        "description": "Het bericht: de iWmo-XML precies zoals de standaard hem beschrijft (application/xml), of "
                       "het bericht als JSON met de elementnamen van de standaard en het veld 'bericht' "
                       "(application/json); de gateway maakt daar de XML van.",
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"},
                                "example": voorbeelden.WMO315_XML},
            # Its example is added with the document (met_json_voorbeeld): it is the WMO315 decoded by xmlschema,
            # which a process start should not load and compile for a document that may never be asked for.
            "application/json": {"schema": {"$ref": "#/components/schemas/JsonBericht"}},
        },
    }
}


def met_json_voorbeeld(document: dict[str, Any]) -> None:
    """Give the JSON body of every operation that takes a message (_BODY) its example: the WMO315 as JSON."""
    for route in router.routes:
        if getattr(route, "openapi_extra", None) is _BODY:
            for methode in route.methods:  # type: ignore[attr-defined]
                operatie = document["paths"][route.path][methode.lower()]  # type: ignore[attr-defined]
                operatie["requestBody"]["content"]["application/json"]["example"] = voorbeelden.wmo315_json()


async def _bericht(request: Request, svc: GatewayService) -> bytes | invoer.Ingekort:
    """The message a POST carries: XML as sent (an oversize body only as digest, size and prefix), or the XML the
    gateway builds from JSON. JSON is parsed within bounds and built only into valid XML, or refused unstored."""
    soort = invoer.media_soort(request)
    if soort == "xml":
        return await invoer.lees(request, max_request_bytes=svc.max_request_bytes,
                                 max_bericht_bytes=svc.settings.max_bericht_bytes)
    body = await invoer.lees(request, max_request_bytes=svc.max_request_bytes)
    assert isinstance(body, bytes)
    # Parsing up to 21 MB and building XML from it with the schema are blocking work: off the event loop.
    document = await run_in_threadpool(invoer.json_document, body)
    return await run_in_threadpool(svc.xml_from_json, document)


def _antwoord(model: type, voorbeeld: dict[str, Any], beschrijving: str) -> dict[str, Any]:
    """A documented JSON answer with its example (FastAPI files `model` under application/json)."""
    return {"model": model, "description": beschrijving, "content": {"application/json": {"example": voorbeeld}}}


@router.post(
    "/berichten",
    status_code=201,
    response_model=Inzending,
    openapi_extra=_BODY,
    summary="Dien een iWmo-bericht in (XML of JSON)",
    description=(
        "Neemt één bericht aan, controleert het zoals de standaard dat doet en slaat het op, ook als het wordt "
        "afgekeurd. De controles draaien in lagen: inlezen (XML), XSD, de regels binnen het bericht (TR/CS/CD), de "
        "afzender (de Afzender in de header moet de partij van de API-sleutel zijn; zo niet: 403 en er wordt niets "
        "opgeslagen) en de regels tegen eerdere berichten in de opslag (TR019, TR056, TR333, …).\n\n"
        "201: het bericht is opgeslagen met `status` accepted of rejected en de bevindingen in `errors` (regelcode, "
        "retourcode, locatie, melding); het retourbericht staat achter `links.retour`. 200 met `duplicaat: true`: "
        "dezelfde bytes waren al door deze partij ingediend; het antwoord is het opgeslagen bericht. JSON dat geen "
        "geldig bericht oplevert wordt geweigerd (422) met dezelfde lijst bevindingen, zonder iets op te slaan. "
        "Een beheerderssleutel dient niets in (403).\n\n"
        "Een eigen WMO325 (XML of JSON) op een WMO323 die de gateway voor uw gemeente ontving en die nog op uw "
        "beslissing wacht, slaat de gateway niet op zoals geschreven: hij leest er de beslissing uit (de afgewezen "
        "prestaties en cliënten met hun retourcodes) en stelt het WMO325 opnieuw op met dezelfde bouwer als "
        "POST /api/v1/berichten/{id}/declaratie-antwoord, met uw BerichtIdentificatie. Zo kloppen "
        "TotaalToegekendBedrag, 8001, 0200 en 0233 en staan de technische afwijzingen van de gateway erin. Het "
        "antwoord (201) noemt dan het opgestelde bericht, met `opgesteld_door_gateway: true`; zijn `antwoord_op` "
        "is de WMO323. Een WMO325 op een al beantwoorde declaratie is een 409; een beslissing die geen geldig WMO325 oplevert (een "
        "ReferentieNummer dat niet in de WMO323 staat, een code die geen WMO323 kan beantwoorden) een 422 met de "
        "plaats in uw bericht, en dan wordt niets opgeslagen. Een WMO325 op een WMO323 die de gateway niet kent, "
        "of met een afwijzing in de Header of de Declaratie-klasse, wordt beoordeeld en opgeslagen zoals "
        "geschreven."),
    responses={
        201: {"description": "Het bericht is opgeslagen en beoordeeld", "content": {
            "application/json": {"example": voorbeelden.INZENDING_201}}},
        200: _antwoord(Inzending, voorbeelden.INZENDING_200,
                       "Dezelfde bytes waren al door deze partij ingediend: het opgeslagen bericht"),
        **problem_responses(400, 403, 408, 409, 413, 415, 422),
    },
)
async def submit(request: Request, caller: Caller, svc: Service) -> Response:
    data = await _bericht(request, svc)
    # Validation and the database are blocking work: keep them off the event loop.
    result = await run_in_threadpool(svc.submit, data, caller)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.duplicaat else 201)


@router.post(
    "/validate", response_model=Validatie, openapi_extra=_BODY, summary="Proefdraai van indienen: niets opgeslagen",
    description=(
        "Geeft het oordeel dat POST /api/v1/berichten met dezelfde sleutel zou geven, zonder iets op te slaan: "
        "dezelfde lagen (xml, xsd, regels, afzender, berichtoverstijgend), tegen de opslag zoals die nu is. "
        "`status` is wat indienen zou geven (accepted of rejected), `lagen` noemt de controles die gedraaid hebben "
        "(na een XSD-fout draaien de regels niet).\n\n"
        "Noemt de header een andere afzender dan de partij van de sleutel, dan antwoordt validate 200 met "
        "`valid: false` en de bevinding `AFZENDER`; indienen antwoordt dan 403 en slaat niets op. Bytes die u al "
        "hebt ingediend geven `duplicaat: true` met het oordeel van het opgeslagen bericht. Met een "
        "beheerderssleutel draait alles behalve de afzendercontrole: het oordeel dat het bericht van zijn eigen "
        "afzender zou krijgen. Een bericht dat tussen de proefdraai en het indienen wordt opgeslagen (bijvoorbeeld "
        "met dezelfde Identificatie) kan het oordeel nog veranderen."),
    responses={200: {"description": "Het oordeel", "content": {
        "application/json": {"example": voorbeelden.VALIDATIE_200}}}, **problem_responses(400, 408, 413, 415, 422)})
async def dry_run(request: Request, caller: Caller, svc: Service) -> Validatie:
    data = await _bericht(request, svc)
    return await run_in_threadpool(svc.dry_run, data, caller)


@router.get(
    "/berichten", response_model=Pagina, summary="Berichten van de aanroeper (beheerder: alle)",
    description=(
        "De berichten die de aanroeper verzond of ontving (een beheerder: alle), nieuwste eerst, per pagina. "
        "Filters combineren (en). Een filterwaarde die niet bestaat (een onbekend berichttype of een onbekende "
        "status) is een 422 die noemt wat wel mag, geen lege lijst. `afzender` en `ontvanger` gaan over de richting "
        "van het bericht zelf: bij een retourbericht is de afzender de Ontvanger uit de header (IV028)."),
    responses=problem_responses(400, 422))
def list_berichten(
    caller: Caller,
    svc: Service,
    type: Annotated[BerichtType | None, Query(description="Berichttype")] = None,
    status: Annotated[Status | None, Query(description="Status in de levensloop van het bericht")] = None,
    richting: Annotated[Richting | None, Query(description=RICHTING_UITLEG)] = None,
    afzender: Annotated[str | None, Query(pattern=_PARTIJ, description=(
        "Wie het bericht verzendt: gemeentecode (4 cijfers) of AGB-code (8 cijfers). " + AFZENDER_UITLEG))] = None,
    ontvanger: Annotated[str | None, Query(pattern=_PARTIJ, description=(
        "Aan wie het bericht gericht is: gemeentecode (4 cijfers) of AGB-code (8 cijfers). " + ONTVANGER_UITLEG))
                         ] = None,
    vanaf: Annotated[dt.datetime | None, Query(description=f"Ontvangen vanaf (inclusief): {_TIJDSTIP}")] = None,
    tot: Annotated[dt.datetime | None, Query(description=f"Ontvangen tot (exclusief): {_TIJDSTIP}")] = None,
    regel: Annotated[str | None, Query(pattern=_REGEL, description=(
        "Alleen berichten met een bevinding van deze regel, bijvoorbeeld TR380 of XSD (letters, cijfers en _, "
        "hoogstens 32 tekens)"))] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Pagina:
    return svc.list(
        caller, type=type, status=status, richting=richting, afzender=afzender, ontvanger=ontvanger,
        vanaf=vanaf, tot=tot, regel=regel, limit=limit, cursor=cursor,
    )


@router.get("/berichten/{bericht_id}", response_model=BerichtDetail, summary="Metadata en inhoud als JSON",
            description="Metadata (status, richting, partijen, bevindingen, links) en de inhoud van het bericht als "
                        "JSON met de elementnamen van de standaard. Een bericht van een andere partij is een 404, "
                        "net als een bericht dat niet bestaat.",
            responses=_NIET_GEVONDEN)
def get_bericht(bericht_id: BerichtId, caller: Caller, svc: Service) -> BerichtDetail:
    return svc.detail(bericht_id, caller)


@router.get(
    "/berichten/{bericht_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "headers": _XML_HEADERS,
                     "description": "De bytes zoals ontvangen (van een te groot of onleesbaar bericht alleen het "
                                    "begin, met X-Iwmo-Ingekort: true)"},
               **_BYTES},
    summary="Het bericht precies zoals het is ontvangen",
    description="De opgeslagen bytes, onveranderd. Na de bewaartermijn voor inhoud (IWMO_BEWAARTERMIJN_INHOUD_DAGEN) "
                "zijn ze verwijderd: 410.",
)
def get_xml(bericht_id: BerichtId, caller: Caller, svc: Service) -> Response:
    inhoud = svc.raw(bericht_id, caller)
    # A refused body was kept only in part: say so, so nobody takes the prefix for the message.
    headers = {_INGEKORT: "true"} if inhoud.ingekort else None
    return Response(inhoud.data, media_type="application/xml", headers=headers)


@router.get(
    "/berichten/{bericht_id}/retour",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "Het retourbericht"},
               **_BYTES},
    summary="Het retourbericht op dit heenbericht",
    description="Het retourbericht (302, 306, 308, 316, 318, 320) op dit heenbericht, of het WMO325 op een WMO323. "
                "404 noemt waarom er geen is: een retourbericht of WMO325 krijgt er zelf geen, een bericht dat de "
                "XSD niet doorstaat of een andere afzender noemt evenmin, en anders is het er nog niet.",
)
def get_retour(bericht_id: BerichtId, caller: Caller, svc: Service) -> Response:
    return Response(svc.retour(bericht_id, caller), media_type="application/xml")


@router.get("/berichten/{bericht_id}/audit", response_model=list[AuditEvent], summary="De audit trail van dit bericht",
            description="Elke overgang in de levensloop van het bericht (ontvangen, beoordeeld, verzonden, gelezen, "
                        "…), oudste eerst, met wie hem maakte.",
            responses=_NIET_GEVONDEN)
def get_audit(bericht_id: BerichtId, caller: Caller, svc: Service) -> list[AuditEvent]:
    return svc.audit(bericht_id, caller)


@router.get("/inbox", response_model=Pagina, summary="Ongelezen berichten voor de aanroepende partij",
            description="De berichten die aan de partij van de sleutel gericht zijn (richting in) en nog niet als "
                        "gelezen gemarkeerd, oudste eerst: heenberichten van de andere partij en de retourberichten "
                        "op wat u zelf verzond. Een beheerderssleutel heeft geen inbox (403).",
            responses=problem_responses(400, 403, 422))
def inbox(caller: Caller, svc: Service, limit: Limit = 50, cursor: Cursor = None) -> Pagina:
    return svc.inbox(caller, limit=limit, cursor=cursor)


@router.post("/inbox/{bericht_id}/ack", status_code=204, response_class=Response, summary="Markeer als gelezen",
             description="Haalt het bericht uit de inbox van de geadresseerde (een audit-event 'gelezen'). Alleen de "
                         "partij aan wie het gericht is kan dat; voor ieder ander is het een 404.",
             responses=_NIET_GEVONDEN)
def acknowledge(bericht_id: BerichtId, caller: Caller, svc: Service) -> Response:
    svc.acknowledge(bericht_id, caller)
    return Response(status_code=204)
