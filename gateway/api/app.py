"""The FastAPI application: wiring of settings, database, service, routes, errors and operations."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import TypeAdapter
from sqlalchemy import Engine, text

from gateway.api import docs, problems
from gateway.api.abonnementen import router as abonnementen_router
from gateway.api.achterstallig import router as achterstallig_router
from gateway.api.declaraties import router as declaraties_router
from gateway.api.dvs import router as dvs_router
from gateway.api.guards import BodyTimeout, NoStore
from gateway.api.herverwerkingen import router as herverwerkingen_router
from gateway.api.models import Gezondheid
from gateway.api.observability import Metrics, RequestLog
from gateway.api.profielen import router as profielen_router
from gateway.api.routers import neem_op
from gateway.api.routes import met_json_voorbeeld, router
from gateway.api.service import GatewayService
from gateway.ingest.ontvang import Ontvanger
from gateway.ingest.schrijver import Schrijver
from gateway.settings import Settings, get_settings
from gateway.store.db import at_head, make_engine, make_session_factory


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    metrics = Metrics()
    sessions = make_session_factory(engine)
    cross_rules = _cross_rules(settings)
    # One writer per process: every received message is judged in its request's thread and committed by the
    # writer in groups (gateway/ingest/schrijver.py).
    schrijver = Schrijver(sessions, cross_rules=cross_rules)
    ontvanger = Ontvanger(sessions, cross_rules=cross_rules, max_bytes=settings.max_bericht_bytes,
                          namens=frozenset(settings.identiteit) or None, schrijver=schrijver)

    @contextlib.asynccontextmanager
    async def levensloop(app: FastAPI) -> AsyncIterator[None]:
        schrijver.start()
        try:
            yield
        finally:
            schrijver.stop()

    app = FastAPI(
        title="iwmo-gateway",
        version=docs.API_VERSIE,
        description="Berichtenverkeer iWmo 3.2 tussen gemeenten en zorgaanbieders: indienen, valideren, "
                    "retourberichten, inbox en audit trail.",
        lifespan=levensloop,
        contact={"name": settings.api_contact_naam, "email": settings.api_contact_email,
                 "url": settings.api_contact_url},
        # Served from this process by docs.install: FastAPI's own pages load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
        # /core/no-trailing-slash: a path with a trailing slash is a 404, not a redirect to another URI.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = metrics
    app.state.schrijver = schrijver
    app.state.service = GatewayService(settings, sessions, metrics, cross_rules=cross_rules, ontvanger=ontvanger)
    # Innermost first: the body deadline sits inside the logging middleware, whose task group would otherwise
    # wrap its 408 in an ExceptionGroup that no handler matches.
    app.add_middleware(BodyTimeout, totaal_s=settings.body_timeout_s, chunk_s=settings.body_chunk_timeout_s)
    app.add_middleware(RequestLog, metrics=metrics)
    app.add_middleware(NoStore)
    docs.install(app)
    problems.install(app)
    neem_op(app, router)  # not app.include_router: that builds every route again (see routers.neem_op)
    neem_op(app, declaraties_router)
    neem_op(app, achterstallig_router)
    neem_op(app, abonnementen_router)  # webhooks and the event stream (issue 14)
    neem_op(app, herverwerkingen_router)  # replay by filter (issue 14)
    neem_op(app, profielen_router)  # installed profiles (issue 15)
    neem_op(app, dvs_router)  # drop-in for the Zorginstituut's DVS: /validatie, /status (issue 15)

    # /health and /ready answer in one shape and one vocabulary (models.Gezondheid): a status, and per part
    # checked what was found.
    @app.get("/health", response_model=Gezondheid, tags=["beheer"], summary="Leeft het proces?")
    def health() -> Gezondheid:
        return Gezondheid(status="gereed", details={"proces": "draait"})

    @app.get("/ready", response_model=Gezondheid, tags=["beheer"],
             summary="Database bereikbaar, gemigreerd en schrijfbaar?",
             responses={503: {"model": Gezondheid, "description": "Niet gereed"}})
    def ready(response: Response) -> Gezondheid:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            migrated = at_head(engine)
        except Exception as exc:  # noqa: BLE001 - any database failure means not ready
            response.status_code = 503
            return Gezondheid(status="niet gereed", details={"database": problems.opslag_storing(exc)
                                                                        or type(exc).__name__})
        if not migrated:
            response.status_code = 503
            return Gezondheid(status="niet gereed", details={"database": "bereikbaar", "migraties": "niet bijgewerkt: "
                                                                "draai iwmo-gateway db upgrade"})
        # A gateway that can read but not write would accept connections and then refuse every message.
        probleem = _niet_schrijfbaar(engine, settings)
        if probleem:
            response.status_code = 503
            return Gezondheid(status="niet gereed", details={"database": "bereikbaar", "opslag": probleem})
        return Gezondheid(status="gereed", details={"database": "bereikbaar", "migraties": "bijgewerkt",
                                                    "opslag": "schrijfbaar"})

    @app.get("/metrics", tags=["beheer"], summary="Prometheus-metrieken", response_class=Response,
             responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "metrieken"}})
    def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    _mount_extensions(app)
    return app


# The write probe waits this long for another writer's lock: a readiness probe must answer, not queue.
_PROBE_WACHT_MS = 2000


def _niet_schrijfbaar(engine: Engine, settings: Settings) -> str | None:
    """Why the store cannot take a write now, or None. A write that changes nothing, in a transaction that is
    rolled back: it needs the write lock (SQLite) or a read-write transaction (PostgreSQL) like a real one."""
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_probe(engine)
        else:
            with engine.connect() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL statement_timeout = {_PROBE_WACHT_MS}"))
                conn.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
                conn.rollback()
    except Exception as exc:  # noqa: BLE001 - whatever stops a write makes the gateway not ready
        return f"niet schrijfbaar: {problems.opslag_storing(exc) or type(exc).__name__}"
    pad = settings.sqlite_path()
    if pad is not None:
        vrij = shutil.disk_usage(pad.resolve().parent).free
        if vrij < 2 * settings.max_bericht_bytes:  # a rolled-back write does not touch the disk; look at it
            return f"niet schrijfbaar: schijf bijna vol ({vrij} bytes vrij, minder dan twee maximale berichten)"
    return None


def _sqlite_probe(engine: Engine) -> None:
    raw = engine.raw_connection()  # the driver's own connection: BEGIN IMMEDIATE with a short busy timeout
    try:
        cur = raw.cursor()
        (eerder,) = cur.execute("PRAGMA busy_timeout").fetchone()
        cur.execute(f"PRAGMA busy_timeout={_PROBE_WACHT_MS}")
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("UPDATE alembic_version SET version_num = version_num WHERE 0")
        finally:
            if raw.driver_connection.in_transaction:  # type: ignore[union-attr]
                cur.execute("ROLLBACK")
            cur.execute(f"PRAGMA busy_timeout={int(eerder)}")
    finally:
        raw.close()


def _cross_rules(settings: Settings):  # type: ignore[no-untyped-def]
    try:
        from gateway.store.history import cross_rules_for
    except ImportError:
        return None
    return cross_rules_for(settings)


def _mount_extensions(app: FastAPI) -> None:
    """Parts that plug in when present: the admin console and the transport's inbound endpoints.

    Only a part that is absent is skipped; one that is present but broken stops start-up, rather than leaving a
    gateway that runs without its console or its inbound transport and says nothing."""
    try:
        from gateway.admin.installatie import install as install_admin
    except ModuleNotFoundError as exc:
        if exc.name not in ("gateway.admin", "gateway.admin.installatie"):
            raise
    else:
        install_admin(app)
    try:
        from gateway.transport.inbound import install as install_transport
    except ModuleNotFoundError as exc:
        if exc.name not in ("gateway.transport", "gateway.transport.inbound"):
            raise
    else:
        install_transport(app)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from gateway.messages.modellen import json_bericht

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                         contact=app.contact)
    adapter = TypeAdapter(json_bericht())
    body = adapter.json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(body.pop("$defs", {}))
    components["JsonBericht"] = body
    components.update(problems.problem_schemas())
    met_json_voorbeeld(schema)
    _validation_errors_as_problems(schema)
    docs.met_adr_afspraken(schema)
    app.openapi_schema = schema
    return schema


def _validation_errors_as_problems(schema: dict[str, Any]) -> None:
    """Document FastAPI's automatic 422 as what the gateway really answers: problem+json, not HTTPValidationError."""
    fastapi_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
    problem_422 = problems.problem_responses(422)[422]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422")
            if answer and answer.get("content", {}).get("application/json", {}).get("schema") == fastapi_422:
                operation["responses"]["422"] = problem_422
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):  # no route left that needs it
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
