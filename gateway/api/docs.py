"""The API's documentation served by the gateway itself, and the NL GOV API Design Rules (ADR) it follows.

- /docs (Swagger UI) and /redoc take their scripts and stylesheet from this process (the `fastapi-offline`
  package ships them), so the documentation renders on a machine without internet, as FastAPI's CDN pages do not.
- /api/v1/openapi.json is the API's own document as the ADR ask for it (/core/publish-openapi): the versioned
  REST API relative to its server `/api/v1`, public, CORS open. /openapi.json stays the whole gateway's document
  with absolute paths (beheer and the GGk transport included); /docs and /redoc show that one.
- Every answer carries `API-Version` (/core/version-header) and the security headers of
  /core/transport/security-headers; every operation documents them, and a 400 where it takes input.
"""

from __future__ import annotations

import copy
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.problems import problem_responses

# The version of the API contract (semver, /core/semver); its major is the one in the URI (/core/uri-version).
# It is not the package's version: the contract changes only when a client must notice.
API_VERSIE = "1.0.0"
API_ROOT = f"/api/v{API_VERSIE.split('.')[0]}"
API_OPENAPI = f"{API_ROOT}/openapi.json"
VERSIE_KOP = "API-Version"
ASSETS = "/docs/assets"

# /core/transport/security-headers. Cache-Control: no-store on /api/ is NoStore's (guards.py). A part with a
# stricter policy of its own (the console's CSP) keeps it: these are only set where a response has none.
BEVEILIGINGSKOPPEN = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# The documentation pages load nothing from another host, not even ReDoc's built-in logo from its CDN: a visit to
# /docs leaves no trace elsewhere. FastAPI's pages start Swagger UI from an inline script; both UIs style inline.
DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
])
_INVOER_METHODEN = {"post", "put", "patch"}
_OPERATIE_METHODEN = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class ApiKoppen:
    """`API-Version` and the security headers on every answer, errors and the console's pages included.

    Plain ASGI, like the guards, so streamed answers pass through untouched."""

    def __init__(self, app: ASGIApp, *, versie: str = API_VERSIE):
        self.app = app
        self.versie = versie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def met_koppen(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[VERSIE_KOP] = self.versie
                for naam, waarde in BEVEILIGINGSKOPPEN.items():
                    if naam not in headers:
                        headers[naam] = waarde
            await send(message)

        await self.app(scope, receive, met_koppen)


def met_adr_afspraken(schema: dict[str, Any]) -> dict[str, Any]:
    """The generated document completed as the ADR ask: the `API-Version` header on every response, and a
    documented 400 on every operation that takes input (/core/problem-details). `info.contact` comes from the
    settings (IWMO_API_CONTACT_*) through FastAPI."""
    components = schema.setdefault("components", {})
    components.setdefault("headers", {})[VERSIE_KOP] = {
        "description": "De volledige versie van het API-contract (semver); de major staat in het pad.",
        "required": True,
        "schema": {"type": "string", "example": API_VERSIE},
    }
    kop = {"$ref": f"#/components/headers/{VERSIE_KOP}"}
    for operaties in schema.get("paths", {}).values():
        for methode, operatie in operaties.items():
            if methode not in _OPERATIE_METHODEN:
                continue
            if methode in _INVOER_METHODEN or operatie.get("parameters"):
                operatie.setdefault("responses", {}).setdefault("400", problem_responses(400)[400])
            for antwoord in operatie.get("responses", {}).values():
                antwoord.setdefault("headers", {}).setdefault(VERSIE_KOP, kop)
    return schema


def api_document(schema: dict[str, Any]) -> dict[str, Any]:
    """The versioned REST API alone, relative to its server (the document published at API_OPENAPI).

    The beheer endpoints and the GGk's SOAP endpoint are not part of the versioned API: their answers follow
    Kubernetes, Prometheus and SOAP, not the ADR. They stay in the whole gateway's document."""
    document = copy.deepcopy(schema)
    document["servers"] = [{"url": API_ROOT, "description": "deze gateway"}]
    document["paths"] = {pad.removeprefix(API_ROOT): operaties
                         for pad, operaties in schema.get("paths", {}).items() if pad.startswith(API_ROOT + "/")}
    return document


def install(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets, and the API's document; wrap the app in ApiKoppen.

    The app must be made with docs_url=None and redoc_url=None, or FastAPI's CDN pages answer first."""
    statisch = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(statisch)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    titel = app.title

    def met_csp(pagina: HTMLResponse) -> HTMLResponse:
        pagina.headers["Content-Security-Policy"] = DOCS_CSP
        return pagina

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return met_csp(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{titel} — API-documentatie",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png", oauth2_redirect_url="/docs/oauth2-redirect",
        ))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return met_csp(get_redoc_html(openapi_url=openapi_url, title=f"{titel} — API-documentatie",
                                      redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                                      redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False))

    @app.get(API_OPENAPI, include_in_schema=False)
    def openapi_document(request: Request) -> JSONResponse:
        # Public and readable from any origin (/core/publish-openapi): it holds no data, only the contract.
        return JSONResponse(api_document(app.openapi()), headers={"Access-Control-Allow-Origin": "*"})

    app.add_middleware(ApiKoppen)
