"""The /api/v1 routes. Each handler translates HTTP to one call on the service and back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.api import invoer
from gateway.api.auth import Principal
from gateway.api.deps import principal, service
from gateway.api.models import AuditEvent, BerichtDetail, Inzending, Pagina, Validatie
from gateway.api.problems import problem_responses
from gateway.api.service import GatewayService

# Every call needs a key, may fail unexpectedly, or meet a store that cannot write for now (503, Retry-After);
# each route adds the problems it can give itself.
router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 500, 503))

Caller = Annotated[Principal, Depends(principal)]
Service = Annotated[GatewayService, Depends(service)]

# Filter values are spelled out as patterns so that a value no stored row can have (a NUL character, which
# PostgreSQL refuses outright) is a documented 422 at the edge, not a database error.
_REGEL = r"^[A-Za-z0-9_]{1,32}$"
_CURSOR = r"^[A-Za-z0-9_-]{1,200}={0,2}$"
_CURSOR_UITLEG = "next_cursor van de vorige pagina"

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
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/JsonBericht"}},
        },
    }
}


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


@router.post(
    "/berichten",
    status_code=201,
    response_model=Inzending,
    openapi_extra=_BODY,
    summary="Dien een iWmo-bericht in (XML of JSON)",
    responses={
        200: {"model": Inzending, "description": "Dezelfde bytes waren al ingediend: het opgeslagen bericht"},
        **problem_responses(400, 403, 408, 413, 415, 422),
    },
)
async def submit(request: Request, caller: Caller, svc: Service) -> Response:
    data = await _bericht(request, svc)
    # Validation and the database are blocking work: keep them off the event loop.
    result = await run_in_threadpool(svc.submit, data, caller)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.duplicaat else 201)


@router.post("/validate", response_model=Validatie, openapi_extra=_BODY, summary="Valideer zonder op te slaan",
             responses=problem_responses(400, 408, 413, 415, 422))
async def dry_run(request: Request, caller: Caller, svc: Service) -> Validatie:
    data = await _bericht(request, svc)
    return await run_in_threadpool(svc.dry_run, data)


@router.get("/berichten", response_model=Pagina, summary="Berichten van de aanroeper (beheerder: alle)",
            responses=problem_responses(400, 422))
def list_berichten(
    caller: Caller,
    svc: Service,
    type: Annotated[str | None, Query(description="Berichttype, bijvoorbeeld WMO301", pattern=r"^(WMO|wmo)?3\d\d$")] = None,
    status: Annotated[str | None, Query(description="accepted, rejected, …", pattern=r"^[a-z_]{1,16}$")] = None,
    richting: Annotated[str | None, Query(pattern="^(in|uit)$")] = None,
    afzender: Annotated[str | None, Query(pattern=r"^\d{4}(\d{4})?$")] = None,
    ontvanger: Annotated[str | None, Query(pattern=r"^\d{4}(\d{4})?$")] = None,
    vanaf: Annotated[dt.datetime | None, Query(description="Ontvangen vanaf (inclusief)")] = None,
    tot: Annotated[dt.datetime | None, Query(description="Ontvangen tot (exclusief)")] = None,
    regel: Annotated[str | None, Query(description="Regelcode, bijvoorbeeld TR380", pattern=_REGEL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description=_CURSOR_UITLEG, pattern=_CURSOR)] = None,
) -> Pagina:
    return svc.list(
        caller, type=type, status=status, richting=richting, afzender=afzender, ontvanger=ontvanger,
        vanaf=vanaf, tot=tot, regel=regel, limit=limit, cursor=cursor,
    )




@router.get("/berichten/{bericht_id}", response_model=BerichtDetail, summary="Metadata en inhoud als JSON",
            responses=_NIET_GEVONDEN)
def get_bericht(bericht_id: str, caller: Caller, svc: Service) -> BerichtDetail:
    return svc.detail(bericht_id, caller)


@router.get(
    "/berichten/{bericht_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "headers": _XML_HEADERS,
                     "description": "De bytes zoals ontvangen (van een te groot of onleesbaar bericht alleen het "
                                    "begin, met X-Iwmo-Ingekort: true)"},
               **_BYTES},
    summary="Het bericht precies zoals het is ontvangen",
)
def get_xml(bericht_id: str, caller: Caller, svc: Service) -> Response:
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
)
def get_retour(bericht_id: str, caller: Caller, svc: Service) -> Response:
    return Response(svc.retour(bericht_id, caller), media_type="application/xml")


@router.get("/berichten/{bericht_id}/audit", response_model=list[AuditEvent], summary="De audit trail van dit bericht",
            responses=_NIET_GEVONDEN)
def get_audit(bericht_id: str, caller: Caller, svc: Service) -> list[AuditEvent]:
    return svc.audit(bericht_id, caller)


@router.get("/inbox", response_model=Pagina, summary="Ongelezen berichten voor de aanroepende partij",
            responses=problem_responses(400, 403, 422))
def inbox(
    caller: Caller,
    svc: Service,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description=_CURSOR_UITLEG, pattern=_CURSOR)] = None,
) -> Pagina:
    return svc.inbox(caller, limit=limit, cursor=cursor)


@router.post("/inbox/{bericht_id}/ack", status_code=204, response_class=Response, summary="Markeer als gelezen",
             responses=_NIET_GEVONDEN)
def acknowledge(bericht_id: str, caller: Caller, svc: Service) -> Response:
    svc.acknowledge(bericht_id, caller)
    return Response(status_code=204)
