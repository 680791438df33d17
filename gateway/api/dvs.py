"""A drop-in for the Zorginstituut's Decentrale Validatieservice (DVS): `POST /validatie` and `GET /status`.

A back-office that calls the DVS container today can point at the gateway instead: the same paths (outside
/api/v1 on purpose), the same report and the same status codes, judged by our profiles (XSD and in-message rules;
the cross-message rules need a store and are not part of the DVS's check either).

What the DVS does, from its manual and a real client (../shared/reference/product-landscape.md, section 4):
the body is the raw XML (its manual asks for `Content-Type: application/x-www-form-urlencoded`, what
`curl --data-binary` sends); `X-Version-Override` pins a patch level ("3.0.3") and an unsupported one is 400;
`/status` serves health checks; the answer is `statusCode{code, reason}` plus `rapport{header, fouten{fout[{code,
locatie[], details}]}}`, and a client treats 406 as "invalid". The manual says nothing about unreadable or
oversized input, so: everything wrong with the message itself is a fout in a 406 report (a client already
handles that), and only what is wrong with the request is another status.

| status | when | body |
|---|---|---|
| 200 | the message is valid | statusCode 200, rapport with an empty `fouten.fout` |
| 406 | any finding: XML (malformed, empty, DTD/entities, over the depth/element limits), TE_GROOT (over IWMO_MAX_BERICHT_BYTES), ONBEKEND_BERICHT, PROFIEL (a standard or release not installed), VERSIE (a release other than the pinned one), XSD, or a rule (TR380, CS003, …) | statusCode 406, rapport with the fouten |
| 400 | X-Version-Override names a version the gateway has not installed | statusCode 400, reason says which versions it has |
| 413 | the body is over IWMO_MAX_BERICHT_BYTES + 1 MiB (not read further) | statusCode 413 |
| 408 | the body did not arrive in time (IWMO_BODY_TIMEOUT_S) | statusCode 408 |
| 401 | no or an unknown API key (unless IWMO_DVS_ZONDER_SLEUTEL on a loopback gateway) | problem+json, as the rest of the API |

Our findings map onto `fout` one to one, in the validator's order, at most 100 plus one BEPERKT that counts the
rest: `code` = the finding's code (the rule code, or the layer: XML, XSD, …), `locatie` = its element paths
(`/Bericht/Client/Bsn`; empty when the message has no elements to point at), `details` = its Dutch melding (what
is wrong and what to do; a Bsn is never quoted), and one field the DVS does not have, `retourcode` (WJ001, the
code a retourbericht would carry; null for the layers before the rules). The rapport's `header` says what was
judged: bericht, berichtcode, profiel and versie (null when the message was not recognised).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from lxml import etree
from pydantic import BaseModel, Field

from gateway.api import invoer, voorbeelden
from gateway.api.deps import bearer_schema, principal, sleutel_header
from gateway.api.guards import BodyTeLaat
from gateway.api.problems import ProblemError, problem_responses
from gateway.identiteit import Principal
from gateway.ingest.oordeel import Ingekort, uitslag_te_groot
from gateway.settings import is_loopback
from gateway.standard import catalogue, profielen
from gateway.standard.profielen import Profiel
from gateway.validation.findings import Finding, maskeer_cijferreeksen
from gateway.validation.profieloverzicht import versies
from gateway.validation.schemas import schema_path
from gateway.validation.validator import Uitslag, validate

# The code of the fout for a message whose release is not the one X-Version-Override pinned.
VERSIE = "VERSIE"
ONGELDIG = 406  # what a DVS client reads as "invalid"


# -- the DVS's shapes ---------------------------------------------------------------------------------------

class StatusCode(BaseModel):
    code: int = Field(description="De HTTP-status ook in de body: 200 geldig, 406 ongeldig, 400 onbekende versie, …")
    reason: str = Field(description="Wat de uitslag is en, bij een fout in het verzoek, wat u eraan doet")


class DvsFout(BaseModel):
    code: str = Field(description="Regelcode (TR380, CS003) of de laag (XML, TE_GROOT, ONBEKEND_BERICHT, PROFIEL, "
                                  "VERSIE, XSD, BEPERKT)")
    locatie: list[str] = Field(description="Elementpaden in het bericht, bijvoorbeeld /Bericht/Client/Bsn")
    details: str = Field(description="Wat er mis is en wat u eraan doet")
    retourcode: str | None = Field(default=None, description="Retourcode uit WJ001 die een retourbericht zou "
                                                             "dragen (niet in de DVS zelf); null vóór de regels")


class DvsFouten(BaseModel):
    fout: list[DvsFout]


class RapportHeader(BaseModel):
    bericht: str | None = Field(description="Het herkende berichttype, bijvoorbeeld WMO301 of JW301")
    berichtcode: str | None = Field(description="BerichtCode (COD002), bijvoorbeeld 414")
    profiel: str | None = Field(description="Het profiel dat oordeelde, bijvoorbeeld iwmo-3.2")
    versie: str | None = Field(description="De versie van dat profiel als patchniveau, bijvoorbeeld 3.2.0")


class Rapport(BaseModel):
    header: RapportHeader
    fouten: DvsFouten


class DvsAntwoord(BaseModel):
    statusCode: StatusCode
    rapport: Rapport | None = Field(default=None, description="Alleen bij 200 en 406")


class DvsStatus(BaseModel):
    statusCode: StatusCode
    versies: list[str] = Field(description="Wat X-Version-Override mag noemen")
    profielen: list[str] = Field(description="De geïnstalleerde profielen")


# -- pure: the pin, the report -------------------------------------------------------------------------------

class OnbekendeVersie(Exception):
    """X-Version-Override names no installed version: the DVS's 400."""


def _versies(geinstalleerd: Sequence[Profiel]) -> list[str]:
    return list(dict.fromkeys(v for p in geinstalleerd for v in versies(p)))


def gepind(waarde: str | None, geinstalleerd: Sequence[Profiel] = profielen.PROFIELEN) -> tuple[Profiel, ...] | None:
    """The installed profiles X-Version-Override names (iWmo and iJw of one release), None without the header."""
    if waarde is None:
        return None
    gevonden = tuple(p for p in geinstalleerd if waarde.strip() in versies(p))
    if not gevonden:
        genoemd = maskeer_cijferreeksen(repr(waarde[:24]))
        raise OnbekendeVersie(
            f"X-Version-Override {genoemd} is geen versie die deze gateway heeft; geïnstalleerd: "
            f"{', '.join(_versies(geinstalleerd))} ({', '.join(p.naam for p in geinstalleerd)}). Noem een van deze "
            "versies of laat de header weg: dan kiest de namespace van het bericht het profiel.")
    return gevonden


def _root_namespace(data: bytes) -> str | None:
    """The root element's namespace, read from the first start tag only (no DTD, entities or network); None when
    there is none to read. The full, bounded parse is the validator's; this only decides whether to run it."""
    try:
        for _event, el in etree.iterparse(io.BytesIO(data), events=("start",), resolve_entities=False,
                                          no_network=True, load_dtd=False, huge_tree=False):
            return etree.QName(el).namespace
    except (etree.XMLSyntaxError, ValueError):
        return None
    return None


def buiten_pin(data: bytes, pin: Sequence[Profiel]) -> Finding | None:
    """A VERSIE finding when the message belongs to another release of an iStandaard than the pinned one."""
    namespace = _root_namespace(data)
    standaard = profielen.standaard_van(namespace)
    if standaard is None:
        return None  # not an iStandaarden namespace (or no XML at all): the validator says what it is
    naam, release = standaard[0], standaard[1].replace("_", ".")
    if any(p.release == release for p in pin):
        return None
    return Finding(code=VERSIE, locatie=("/Bericht",), melding=maskeer_cijferreeksen(
        f"Het bericht hoort bij {naam} {release[:8]} (namespace {namespace}), maar X-Version-Override vraagt om "
        f"{', '.join(p.naam for p in pin)}. Stuur het bericht in die release, of laat de header weg om het te "
        "laten beoordelen door het profiel van zijn namespace."))


def antwoord(uitslag: Uitslag) -> tuple[int, DvsAntwoord]:
    """The DVS status and report for one verdict."""
    b = uitslag.bericht
    header = RapportHeader(bericht=b.naam if b else None, berichtcode=b.berichtcode if b else None,
                           profiel=b.profiel.sleutel if b else None, versie=versies(b.profiel)[-1] if b else None)
    fouten = [DvsFout(code=f.code, locatie=list(f.locatie), details=f.melding, retourcode=f.retourcode)
              for f in uitslag.bevindingen]
    if uitslag.valid:
        reden = f"Geldig: het bericht voldoet aan {b.profiel.naam} (XSD en regels)." if b else "Geldig."
        return 200, DvsAntwoord(statusCode=StatusCode(code=200, reason=reden),
                                rapport=Rapport(header=header, fouten=DvsFouten(fout=[])))
    reden = f"Ongeldig: {len(uitslag.errors)} fout(en), zie rapport.fouten."
    return ONGELDIG, DvsAntwoord(statusCode=StatusCode(code=ONGELDIG, reason=reden),
                                 rapport=Rapport(header=header, fouten=DvsFouten(fout=fouten)))


def beoordeel(body: bytes | Ingekort, pin: Sequence[Profiel] | None, max_bytes: int) -> tuple[int, DvsAntwoord]:
    """Judge one body as the DVS would: the pin first, then the validator (with the API's limits)."""
    if isinstance(body, Ingekort):
        return antwoord(uitslag_te_groot(body, max_bytes))
    buiten = buiten_pin(body, pin) if pin else None
    if buiten is not None:
        return antwoord(Uitslag(bericht=None, errors=[buiten]))
    return antwoord(validate(body, max_bytes=max_bytes))


# -- HTTP -----------------------------------------------------------------------------------------------------

async def dvs_aanroeper(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_schema)],
    header: Annotated[str | None, Depends(sleutel_header)],
) -> Principal | None:
    """The caller, as for the rest of the API; None only when IWMO_DVS_ZONDER_SLEUTEL is on (which the settings
    allow only on a loopback gateway), no key is presented and the caller itself is on loopback. A key that is
    presented is always checked."""
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    if settings.dvs_zonder_sleutel and not (bearer or header) and is_loopback(peer):
        return None
    return await principal(request, bearer, header)


def _json(status: int, model: BaseModel, headers: dict[str, str] | None = None) -> JSONResponse:
    # A report quotes paths and values of the message: no cache may keep it (the /api/ answers get this from
    # guards.NoStore; these paths are outside /api/).
    return JSONResponse(model.model_dump(mode="json"), status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _weigering(status: int, reden: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return _json(status, DvsAntwoord(statusCode=StatusCode(code=status, reason=reden)), headers)


def _dvs(beschrijving: str) -> dict[str, object]:
    return {"model": DvsAntwoord, "description": beschrijving}


router = APIRouter(tags=["DVS-vervanger"])


@router.post(
    "/validatie",
    response_model=DvsAntwoord,
    summary="Valideer een bericht zoals de Decentrale Validatieservice (DVS)",
    description=(
        "Dezelfde aanroep als de DVS van het Zorginstituut: de body is het bericht (iWmo of iJw) zoals het is, met "
        "elk Content-Type (de DVS vraagt application/x-www-form-urlencoded, wat `curl --data-binary` stuurt). Het "
        "antwoord is het rapport van de DVS: `statusCode{code, reason}` en `rapport{header, fouten{fout[{code, "
        "locatie[], details}]}}`; `fout` draagt ook de `retourcode`. 200: geldig; 406: ongeldig, met de fouten "
        "(ook een bericht dat geen XML is, te groot is of van een niet geïnstalleerde standaard). "
        "`X-Version-Override` pint de versie (3.2 of 3.2.0, zie GET /api/v1/profielen); een onbekende is 400. "
        "Niets wordt opgeslagen; de regels tegen eerdere berichten draaien niet (die draait POST /api/v1/validate)."),
    openapi_extra={"requestBody": {"required": True, "description": "Het bericht, precies zoals het verstuurd wordt",
                                   "content": {"application/xml": {"schema": {"type": "string", "format": "binary"},
                                                                   "example": voorbeelden.WMO315_XML},
                                               "text/xml": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={
        200: {"description": "Het bericht is geldig"},
        406: _dvs("Het bericht is ongeldig: de fouten staan in rapport.fouten.fout"),
        400: _dvs("X-Version-Override noemt een versie die de gateway niet heeft"),
        408: _dvs("Het bericht kwam niet op tijd binnen"),
        413: _dvs("Het verzoek is groter dan IWMO_MAX_BERICHT_BYTES plus 1 MiB"),
        **problem_responses(401, 500, 503),
    },
)
async def validatie(
    request: Request,
    _aanroeper: Annotated[Principal | None, Depends(dvs_aanroeper)],
    versie_override: Annotated[str | None, Header(
        alias="X-Version-Override", description="De versie om tegen te valideren, bijvoorbeeld 3.2 of 3.2.0; "
                                                "zonder kiest de namespace van het bericht het profiel")] = None,
) -> JSONResponse:
    try:
        pin = gepind(versie_override)
    except OnbekendeVersie as exc:
        return _weigering(400, str(exc))
    svc = request.app.state.service
    max_bytes = request.app.state.settings.max_bericht_bytes
    try:
        body = await invoer.lees(request, max_request_bytes=svc.max_request_bytes, max_bericht_bytes=max_bytes)
    except ProblemError as exc:  # 413: over the limit plus 1 MiB, not read further
        return _weigering(exc.status, exc.detail)
    except BodyTeLaat as exc:  # the rest of the body may still be on its way: the connection cannot be reused
        return _weigering(408, str(exc), {"Connection": "close"})
    # Parsing, XSD and rules are blocking work: off the event loop.
    status, rapport = await run_in_threadpool(beoordeel, body, pin, max_bytes)
    return _json(status, rapport)


@router.get(
    "/status", response_model=DvsStatus, summary="Gezondheid van de DVS-vervanger",
    description="Zoals /status van de DVS, voor health checks; zonder API-sleutel (zoals /health). 200 als de "
                "schema's van elk geïnstalleerd profiel er zijn, anders 503.",
    responses={503: {"model": DvsStatus, "description": "Een profiel mist schema's"}},
)
def status() -> JSONResponse:
    ontbrekend = [b.naam for b in catalogue.alle() if not schema_path(b.naam).is_file()]
    geinstalleerd = profielen.PROFIELEN
    uitslag = DvsStatus(statusCode=StatusCode(code=200, reason=f"De validatieservice draait: "
                                                                 f"{profielen.beschrijving()}."),
                        versies=_versies(geinstalleerd), profielen=[p.sleutel for p in geinstalleerd])
    if ontbrekend:
        uitslag.statusCode = StatusCode(code=503, reason=(
            f"De schema's van {len(ontbrekend)} berichttype(n) ontbreken (eerste: {ontbrekend[0]}). Controleer de "
            "installatie of IWMO_SCHEMA_DIR."))
        return _json(503, uitslag)
    return _json(200, uitslag)
