"""The declaratie cycle over HTTP: the gemeente's decision on a WMO323 and the reconciliation for both parties.

`POST /api/v1/berichten/{id}/declaratie-antwoord` (the 323's addressee) turns a decision into the one WMO325
(gateway/ingest/beslissing.py); `GET /api/v1/declaraties` and `GET /api/v1/declaraties/{DeclaratieNummer}`
show submitted, granted and refused amounts, per declaratie and per prestatie, and the open ones with their
OP090x4 deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from gateway.api import invoer
from gateway.api.deps import principal, service
from gateway.api.problems import ProblemError, problem_responses, veld_fout
from gateway.api.service import GatewayService
from gateway.identiteit import Principal
from gateway.ingest import beslissing
from gateway.messages.declaratie_antwoord import Status as PrestatieStatus

router = APIRouter(prefix="/api/v1", tags=["declaraties"], responses=problem_responses(401, 500, 503))

Caller = Annotated[Principal, Depends(principal)]
Service = Annotated[GatewayService, Depends(service)]
MAX_BESLISSING_BYTES = 8 * 1024 * 1024  # 10 000 refusals with a handful of codes each fit many times over


class Afwijzing(BaseModel):
    ReferentieNummer: str = Field(min_length=1, max_length=64)  # noqa: N815 - the standard's element name
    retourcodes: list[str] = Field(min_length=1, max_length=10)


class Beslissing(BaseModel):
    afgewezen: list[Afwijzing] = Field(default_factory=list, description="geweigerde prestaties; leeg: alles wat "
                                       "de gateway niet al technisch weigerde wordt toegekend")


class PrestatieStand(BaseModel):
    ReferentieNummer: str  # noqa: N815
    status: str = Field(description="toegekend, afgewezen, niet_beoordeeld (0233), niet_verwerkt, of open "
                                    "(wacht op de beslissing van de gemeente)")
    bedrag: int = Field(description="IngediendBedrag in eurocent; credit negatief")
    retourcodes: list[str]


class DeclaratieStand(BaseModel):
    id: str
    DeclaratieNummer: str | None  # noqa: N815
    aanbieder: str | None
    gemeente: str | None
    ontvangen_op: dt.datetime
    status: str
    verwerking: str = Field(description="volledig, gedeeltelijk (IV087: een deel van de prestaties is technisch "
                                        "geweigerd) of niet_verwerkt (geldt als niet verzonden)")
    totaal_ingediend: int | None = Field(description="eurocent")
    totaal_toegekend: int | None = Field(description="eurocent; leeg zolang er geen WMO325 is")
    antwoord: str | None = Field(description="id van het WMO325")
    uiterlijk: dt.date | None = Field(description="OP090x4: het WMO325 moet er uiterlijk dan zijn")
    prestaties: list[PrestatieStand] = Field(default_factory=list)


class Antwoord(BaseModel):
    id: str = Field(description="id van het opgestelde WMO325")
    declaratie: str
    totaal_ingediend: int
    totaal_toegekend: int
    links: dict[str, str]


def _stand(s: beslissing.Declaratiestand) -> DeclaratieStand:
    prestaties = [
        PrestatieStand(ReferentieNummer=ref, bedrag=u.bedrag, retourcodes=list(u.codes),
                       status="open" if s.open and u.status is PrestatieStatus.TOEGEKEND else str(u.status))
        for ref, u in s.prestaties.items()
    ]
    return DeclaratieStand(id=s.id, DeclaratieNummer=s.declaratienummer, aanbieder=s.aanbieder, gemeente=s.gemeente,
                           ontvangen_op=s.ontvangen_op, status=s.status, verwerking=s.verwerking,
                           totaal_ingediend=s.totaal_ingediend, totaal_toegekend=s.totaal_toegekend,
                           antwoord=s.antwoord_id, uiterlijk=s.uiterlijk, prestaties=prestaties)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its $defs written in place: a request body documented without components."""
    defs = schema.pop("$defs", {})

    def vervang(deel: Any) -> Any:
        if isinstance(deel, dict):
            ref = deel.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return vervang(defs[ref.removeprefix("#/$defs/")])
            return {k: vervang(v) for k, v in deel.items()}
        return [vervang(v) for v in deel] if isinstance(deel, list) else deel

    return vervang(schema)


_BESLISSING = {"requestBody": {"required": True, "description": "De beslissing van de gemeente", "content": {
    "application/json": {"schema": _inline(Beslissing.model_json_schema()),
                         "example": {"afgewezen": [{"ReferentieNummer": "DECL-2026-0007-2", "retourcodes": ["9340"]}]}}}}}


@router.post("/berichten/{bericht_id}/declaratie-antwoord", status_code=201, response_model=Antwoord,
             summary="Beantwoord een declaratie (WMO323): de gateway stelt het WMO325 op en verstuurt het",
             description=(
                 "De beslissing van de gemeente op een WMO323 die aan haar gericht is: de afgewezen prestaties met "
                 "hun retourcodes; wat niet genoemd wordt en niet al technisch geweigerd was, wordt toegekend. De "
                 "gateway stelt het ene WMO325 op, controleert, slaat op en verstuurt het (201). Een tweede "
                 "antwoord is een 409; een onbekend ReferentieNummer of een code die geen WMO323 kan beantwoorden "
                 "een 422, en dan wordt niets opgeslagen."),
             openapi_extra=_BESLISSING,
             responses=problem_responses(400, 403, 404, 409, 413, 415, 422))
async def declaratie_antwoord(request: Request, caller: Caller, svc: Service,
                              bericht_id: Annotated[str, Path(max_length=64, description=(
                                  "id van de WMO323, zoals de inbox of de lijst het geeft"))]) -> JSONResponse:
    if caller.party is None:
        raise ProblemError(403, "Een declaratie wordt beantwoord door de gemeente; gebruik de sleutel van de gemeente.")
    if invoer.media_soort(request) != "json":
        raise ProblemError(415, "Stuur de beslissing als application/json: {\"afgewezen\": [...]}.")
    body = await invoer.lees(request, max_request_bytes=MAX_BESLISSING_BYTES)
    assert isinstance(body, bytes)
    try:
        besluit = Beslissing.model_validate(invoer.json_document(body))
    except ValidationError as exc:
        raise ProblemError(422, "De beslissing heeft niet de vorm {\"afgewezen\": [{\"ReferentieNummer\": …, "
                                "\"retourcodes\": […]}]}; er is niets opgeslagen.",
                           errors=[veld_fout(e, e["loc"]) for e in exc.errors()[:100]]) from None
    afgewezen: dict[str, list[str]] = {}
    for a in besluit.afgewezen:
        afgewezen.setdefault(a.ReferentieNummer, []).extend(a.retourcodes)
    try:
        uit = await run_in_threadpool(beslissing.beantwoord, svc.sessions, bericht_id, partij=caller.party,
                                      actor=caller.actor, afgewezen=afgewezen, na=svc.na_uitgaand)
    except beslissing.NietGevonden:
        raise ProblemError(404, "Geen declaratie (WMO323) met dit id die aan uw organisatie is gericht.") from None
    except beslissing.AlBeantwoord as exc:
        raise ProblemError(409, str(exc) + (f" Het WMO325 is /api/v1/berichten/{exc.antwoord_id}."
                                            if exc.antwoord_id else "")) from None
    except beslissing.AntwoordOngeldig as exc:
        raise ProblemError(422, "Met deze beslissing is geen geldig WMO325 te maken; er is niets opgeslagen.",
                           errors=exc.fouten) from None
    basis = f"/api/v1/berichten/{uit.antwoord_id}"
    return JSONResponse(Antwoord(id=uit.antwoord_id, declaratie=uit.declaratie_id,
                                 totaal_ingediend=uit.totaal_ingediend, totaal_toegekend=uit.totaal_toegekend,
                                 links={"self": basis, "xml": f"{basis}/xml",
                                        "declaratie": f"/api/v1/berichten/{uit.declaratie_id}"}
                                 ).model_dump(mode="json"), status_code=201)


@router.get("/declaraties", response_model=list[DeclaratieStand],
            summary="Declaraties van de aanroeper (beheerder: alle), nieuwste eerst, met bedragen en termijn",
            description="Afstemming voor beide partijen: per WMO323 het ingediende en toegekende bedrag, hoe hij is "
                        "verwerkt (volledig, gedeeltelijk, niet_verwerkt), per prestatie de uitkomst, en van de open "
                        "declaraties de uiterste datum voor het WMO325 (OP090x4).",
            responses=problem_responses(422))
def lijst(caller: Caller, svc: Service,
          open: Annotated[bool, Query(description="true: alleen declaraties waarop nog geen WMO325 is")] = False,
          limit: Annotated[int, Query(ge=1, le=500, description="Hoeveel declaraties: 1 tot en met 500")] = 100
          ) -> list[DeclaratieStand]:
    partij = None if caller.admin else caller.party
    return [_stand(s) for s in beslissing.declaraties(svc.sessions, partij=partij, open_alleen=open, limit=limit)]


@router.get("/declaraties/{declaratienummer}", response_model=list[DeclaratieStand],
            responses=problem_responses(404, 422),
            summary="Eén DeclaratieNummer: per WMO323 de bedragen en de uitkomst per prestatie",
            description="Alle WMO323's met dit DeclaratieNummer die u mag zien (een correctie deelt het nummer), "
                        "met de bedragen en de uitkomst per prestatie. 404 als er geen is.")
def een(caller: Caller, svc: Service,
        declaratienummer: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00]+$", description=(
            "Het DeclaratieNummer uit de WMO323 (1 tot 64 tekens)"))]
        ) -> list[DeclaratieStand]:
    partij = None if caller.admin else caller.party
    standen = beslissing.declaratie(svc.sessions, declaratienummer, partij=partij)
    if not standen:
        raise ProblemError(404, "Geen declaratie met dit DeclaratieNummer die u mag zien.")
    return [_stand(s) for s in standen]
