"""RFC 9457 problem details for every failure; never a stack trace to a client."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api.guards import BodyTeLaat
from gateway.validation.findings import Finding

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("gateway.api")

_TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet geauthenticeerd",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Methode niet toegestaan",
    408: "Verzoek te traag",
    409: "Conflict",
    410: "Verwijderd na de bewaartermijn",
    413: "Bericht te groot",
    415: "Mediatype niet ondersteund",
    422: "Bericht afgekeurd",
    500: "Interne fout",
    503: "Niet beschikbaar",
}


class ProblemFout(BaseModel):
    code: str = Field(description="Regelcode, bijvoorbeeld TR380, XSD of XML")
    retourcode: str | None = Field(default=None, description="Retourcode uit WJ001, waar van toepassing")
    locatie: list[str] = Field(default_factory=list, description="Elementpaden in het bericht")
    melding: str


class Problem(BaseModel):
    """RFC 9457 problem details, extended with the findings that explain the problem."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemFout] = Field(default_factory=list)


class ProblemError(Exception):
    def __init__(self, status: int, detail: str, *, errors: list[Finding] | None = None, type_: str = "about:blank",
                 headers: dict[str, str] | None = None, title: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.type = type_
        self.headers = headers
        self.title = title  # None: the status's own title


def problem_response(request: Request, status: int, detail: str | None, *, errors: list[dict[str, Any]] | None = None,
                     type_: str = "about:blank", headers: dict[str, str] | None = None,
                     title: str | None = None) -> JSONResponse:
    body = Problem(
        type=type_,
        title=title or _TITLES.get(status, "Fout"),
        status=status,
        detail=detail,
        instance=str(request.url.path),
        request_id=getattr(request.state, "request_id", None),
        errors=[ProblemFout(**e) for e in errors or []],
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=headers)


_PROBLEM_REF = "#/components/schemas/Problem"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with.

    Declared by hand because FastAPI's `model=` would file the schema under application/json, a media type
    these answers never carry; a client (and schemathesis) must find it under application/problem+json.
    """
    return {
        status: {"description": _TITLES[status], "content": {PROBLEM_JSON: {"schema": {"$ref": _PROBLEM_REF}}}}
        for status in statuses
    }


def problem_schemas() -> dict[str, Any]:
    """The components `problem_responses` refers to, for the OpenAPI document."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["Problem"] = schema
    return components


# Every problem a route of the API can give; routes that know better declare their own subset.
PROBLEM_RESPONSES = problem_responses(400, 401, 403, 404, 413, 415, 422)


# -- a request that does not fit the operation: Dutch, naming the parameter and what it takes ----------------

PARAMETER = "PARAMETER"  # finding: a query, path or header parameter with a value the operation does not take
_PLEK = {"query": "Queryparameter", "path": "Padparameter", "header": "Header", "cookie": "Cookie"}
_GEEN_DATUMTIJD = ("moet een tijdstip zijn volgens RFC 3339, bijvoorbeeld 2026-04-08T00:00:00Z, of een datum "
                   "(2026-04-08)")


_ONGELDIG = "heeft geen geldige waarde"


def _waarden(expected: object) -> str:
    """pydantic names an enum's values as "'a', 'b' or 'c'": the values alone, for a Dutch sentence."""
    return ", ".join(re.findall(r"'([^']*)'", str(expected)))


def _probleem(fout: Mapping[str, Any]) -> str:
    """What is wrong with one value, in Dutch: pydantic's own text is English and names Python types."""
    soort, ctx = str(fout.get("type", "")), fout.get("ctx") or {}
    vaste = {
        "missing": "ontbreekt, en is verplicht",
        "int_parsing": "moet een geheel getal zijn", "int_from_float": "moet een geheel getal zijn",
        "bool_parsing": "moet true of false zijn",
        "date_parsing": "moet een datum zijn (JJJJ-MM-DD)", "date_from_datetime_parsing": "moet een datum zijn (JJJJ-MM-DD)",
        "string_type": "moet een tekst zijn", "list_type": "moet een lijst zijn", "dict_type": "moet een object zijn",
        "model_type": "moet een object zijn", "extra_forbidden": "bestaat niet in dit model",
    }
    if soort in vaste:
        return vaste[soort]
    if soort.startswith("datetime"):
        return _GEEN_DATUMTIJD
    if soort in ("enum", "literal_error"):
        return f"is geen toegestane waarde; kies uit {_waarden(ctx.get('expected'))}"
    grenzen = {"greater_than_equal": ("ge", "moet minstens {} zijn"), "less_than_equal": ("le", "mag hoogstens {} zijn"),
               "greater_than": ("gt", "moet groter zijn dan {}"), "less_than": ("lt", "moet kleiner zijn dan {}"),
               "string_too_long": ("max_length", "mag hoogstens {} tekens lang zijn"),
               "string_too_short": ("min_length", "moet minstens {} teken(s) lang zijn"),
               "too_long": ("max_length", "mag hoogstens {} elementen bevatten"),
               "too_short": ("min_length", "moet minstens {} element(en) bevatten"),
               "string_pattern_mismatch": ("pattern", "heeft niet de vereiste vorm (patroon {})")}
    if soort in grenzen:
        sleutel, zin = grenzen[soort]
        return zin.format(ctx.get(sleutel))
    return _ONGELDIG


def _beschrijvingen(request: Request) -> dict[tuple[str, str], str]:
    """(plek, naam) -> the description the operation documents for that parameter: what it takes."""
    gevonden: dict[tuple[str, str], str] = {}
    stapel = [getattr(request.scope.get("route"), "dependant", None)]
    while stapel:  # the route's own parameters and those of its dependencies
        dependant = stapel.pop()
        if dependant is None:
            continue
        for plek in _PLEK:
            for veld in getattr(dependant, f"{plek}_params", ()):
                if veld.field_info.description:
                    gevonden.setdefault((plek, veld.alias), veld.field_info.description)
        stapel.extend(dependant.dependencies)
    return gevonden


def veld_fout(fout: Mapping[str, Any], pad: Sequence[str | int]) -> Finding:
    """One field of a JSON body that does not fit its model: code JSON, the field as a JSON Pointer, in Dutch."""
    pointer = "/" + "/".join(str(p) for p in pad)
    return Finding(code="JSON", locatie=(pointer,), melding=f"Veld {pointer}: {_probleem(fout)}.")


def ongeldig_verzoek(request: Request, fouten: Sequence[Mapping[str, Any]]) -> JSONResponse:
    """422 for a request the operation's own schema refuses: a bad parameter (code PARAMETER, titled as such) or
    a body that does not fit (code JSON). Each error names the parameter, what is wrong and what is allowed.
    The value itself is not repeated: a parameter may hold a Bsn."""
    beschrijving = _beschrijvingen(request)
    errors = []
    for fout in fouten:
        loc = tuple(str(p) for p in fout.get("loc", ()))
        plek, naam = (loc[0], loc[-1]) if len(loc) >= 2 else ("body", "/".join(loc))
        pointer = "/" + "/".join(loc)
        if plek in _PLEK:
            # Where the problem itself does not say what is allowed (a pattern), the parameter's description does.
            probleem = _probleem(fout)
            zegt_het = probleem != _ONGELDIG and fout.get("type") != "string_pattern_mismatch"
            uitleg = None if zegt_het else beschrijving.get((plek, naam))
            melding = f"{_PLEK[plek]} '{naam}': {probleem}." + (f" Toegestaan: {uitleg}" if uitleg else "")
            errors.append({"code": PARAMETER, "locatie": [pointer], "melding": melding})
        else:
            errors.append(veld_fout(fout, loc[1:] if loc[:1] == ("body",) else loc).to_json())
    if errors and all(e["code"] == PARAMETER for e in errors):
        parameters = sorted({e["locatie"][0].rsplit("/", 1)[-1] for e in errors})
        return problem_response(request, 422, f"Ongeldige waarde voor {', '.join(parameters)}; zie errors voor wat "
                                              "is toegestaan.", errors=errors, title="Ongeldige parameter")
    return problem_response(request, 422, "Het verzoek heeft niet de vorm die deze bewerking verwacht; zie errors.",
                            errors=errors, title="Ongeldig verzoek")


# -- the store cannot write: an honest 503, not a 500 ---------------------------------------------------------

BEZET, VOL, ALLEEN_LEZEN, ONBEREIKBAAR, OVERBELAST = (
    "vergrendeld door een andere schrijver", "schijf vol", "alleen-lezen", "niet bereikbaar", "overbelast")
# How long a client should wait: a lock clears in seconds, a full disk or a failover takes a person or a minute.
_WACHT = {BEZET: 5, VOL: 60, ALLEEN_LEZEN: 60, ONBEREIKBAAR: 30, OVERBELAST: 30}

_SQLITE = {"SQLITE_BUSY": BEZET, "SQLITE_LOCKED": BEZET, "SQLITE_FULL": VOL, "SQLITE_READONLY": ALLEEN_LEZEN,
           "SQLITE_CANTOPEN": ONBEREIKBAAR, "SQLITE_IOERR": ONBEREIKBAAR, "SQLITE_NOMEM": OVERBELAST}
_SQLITE_TEKST = {"database is locked": BEZET, "database or disk is full": VOL,
                 "attempt to write a readonly database": ALLEEN_LEZEN, "unable to open database file": ONBEREIKBAAR,
                 "disk i/o error": ONBEREIKBAAR}
# PostgreSQL SQLSTATEs (appendix A), most specific first.
_PG = (("25006", ALLEEN_LEZEN), ("53100", VOL), ("08", ONBEREIKBAAR), ("57P0", ONBEREIKBAAR), ("53", OVERBELAST),
       ("55P03", BEZET), ("57014", BEZET), ("40001", BEZET), ("40P01", BEZET))


def opslag_storing(exc: BaseException) -> str | None:
    """Why the database cannot do its work for now (full disk, read-only, locked, gone), or None when `exc` is
    no such fault but a plain error. One list for both backends, used by the handlers and by /ready."""
    if isinstance(exc, PoolTimeout):
        return OVERBELAST
    if isinstance(exc, DBAPIError):
        orig: BaseException = exc.orig
    elif type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg"):
        orig = exc  # the driver's own exception, from a raw connection
    else:
        return None
    naam = str(getattr(orig, "sqlite_errorname", "") or "")
    if naam:
        for prefix, reden in _SQLITE.items():
            if naam == prefix or naam.startswith(prefix + "_"):
                return reden
    tekst = str(orig).lower()
    for stuk, reden in _SQLITE_TEKST.items():
        if stuk in tekst:
            return reden
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    for prefix, reden in _PG:
        if sqlstate.startswith(prefix):
            return reden
    if getattr(exc, "connection_invalidated", False) or (not sqlstate and type(orig).__name__ == "OperationalError"
                                      and type(orig).__module__.startswith("psycopg")):
        return ONBEREIKBAAR  # psycopg gives no SQLSTATE when the server cannot be reached at all
    return None


def wachttijd(reden: str) -> int:
    return _WACHT.get(reden, 30)


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, errors=[f.to_json() for f in exc.errors],
                                type_=exc.type, headers=exc.headers, title=exc.title)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(request, exc.status_code, str(exc.detail) if exc.detail else None,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return ongeldig_verzoek(request, exc.errors())

    @app.exception_handler(BodyTeLaat)
    async def _te_laat(request: Request, exc: BodyTeLaat) -> JSONResponse:
        # The rest of the body may still be on its way: the connection cannot be reused.
        return problem_response(request, 408, str(exc), headers={"Connection": "close"})

    async def _opslag(request: Request, exc: Exception) -> JSONResponse:
        reden = opslag_storing(exc)
        if reden is None:
            return await _unexpected(request, exc)
        orig = getattr(exc, "orig", None)
        # Only the kind of fault: the exception's text would carry SQL parameters, and those can hold a Bsn.
        log.error("opslag niet beschikbaar: %s (%s %s)", reden, type(orig or exc).__name__,
                  getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "",
                  extra={"request_id": getattr(request.state, "request_id", None)})
        wacht = wachttijd(reden)
        return problem_response(
            request, 503, f"De opslag kan nu niet schrijven of lezen ({reden}). Wat in dit verzoek werd geschreven is "
                          f"teruggedraaid; probeer het over {wacht} seconden opnieuw. Hetzelfde bericht opnieuw "
                          "indienen is veilig: dezelfde bytes worden als duplicaat herkend.",
            headers={"Retry-After": str(wacht)})

    app.add_exception_handler(DBAPIError, _opslag)
    app.add_exception_handler(PoolTimeout, _opslag)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", None)})
        return problem_response(request, 500, "Er ging iets mis in de gateway; de fout is gelogd.")
