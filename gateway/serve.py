"""`iwmo-gateway serve`: migrate, optionally seed demo parties, and run the API under uvicorn."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what `serve` runs imports more: adding the command to the parser (every command but validate, regels and
# retour builds it) should not load pydantic-settings or asyncio.
if TYPE_CHECKING:
    import asyncio

    from gateway.demo.seed import DemoSleutels
    from gateway.settings import Settings


def seed_demo_sleutels(url: str) -> DemoSleutels:
    """Fresh API keys for the demo gemeente, aanbieder and an administrator; an earlier start's are revoked."""
    from gateway.demo.seed import demo_sleutels
    from gateway.store.db import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        return demo_sleutels(make_session_factory(engine))
    finally:
        engine.dispose()


def seed_demo(url: str) -> dict[str, str]:
    return seed_demo_sleutels(url).sleutels


def _configuratiefouten() -> tuple[type[Exception], ...]:
    """The start-up refusals that name their file and fix (`een_regel`); none when the transport is absent."""
    try:
        from gateway.transport.routing import RouteringFout
        from gateway.transport.toegang import ToegangFout
    except ModuleNotFoundError:
        return ()
    return (RouteringFout, ToegangFout)


def _meld_toegang(settings: Settings) -> None:
    """Say at start whether POST /ggk is open and to whom; a closed endpoint is a warning naming the settings."""
    import logging

    try:
        from gateway.transport import toegang
    except ModuleNotFoundError:
        return
    regels = toegang.regels_uit(settings)
    log = logging.getLogger("gateway.serve")
    if (melding := toegang.sluitingsmelding(regels)) is not None:
        log.warning(melding)
    else:
        log.info("POST /ggk neemt afleveringen aan van: %s", regels.beschrijving())


def _uvicorn_opties(settings: Settings) -> dict[str, Any]:
    """TLS with client certificates when IWMO_INBOUND_TLS_* say so. uvicorn does not rewrite the client address
    from X-Forwarded-For: which proxy to believe is IWMO_INBOUND_PROXY_VERTROUWD's decision alone, or any local
    process could pose as the proxy."""
    opties: dict[str, Any] = {"proxy_headers": False}
    if settings.inbound_tls_cert:
        import ssl

        opties |= {"ssl_certfile": settings.inbound_tls_cert, "ssl_keyfile": settings.inbound_tls_key,
                   "ssl_ca_certs": settings.inbound_tls_ca, "http": _met_tls_feiten(),
                   "ssl_cert_reqs": ssl.CERT_REQUIRED if settings.inbound_tls_client_cert_verplicht
                   else ssl.CERT_OPTIONAL}
    return opties


def _met_tls_feiten() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, adding the ASGI TLS extension (`client_cert_name`, `client_cert_chain`) to each
    request's scope, so the app sees whose verified client certificate opened the connection."""
    import ssl

    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    from gateway.transport.toegang import onderwerp

    class MetTlsFeiten(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is None:
                return
            cert = ssl_object.getpeercert() or {}
            der = ssl_object.getpeercert(binary_form=True)
            feiten = {"server_cert": None, "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
                      "client_cert_name": onderwerp(cert["subject"]) if cert.get("subject") else None,
                      "client_cert_error": None, "tls_version": None, "cipher_suite": None}
            app = self.app

            async def met_tls(scope: dict[str, Any], receive: Any, send: Any) -> None:
                if scope["type"] in ("http", "websocket"):
                    scope = scope | {"extensions": (scope.get("extensions") or {}) | {"tls": feiten}}
                await app(scope, receive, send)

            self.app = met_tls

    return MetTlsFeiten


def cmd_serve(args: argparse.Namespace) -> int:
    # Start-up builds some hundred thousand objects that live as long as the process (modules, models, routes,
    # schemas): a collector running meanwhile walks them again and again, for nothing (about 0.15 s of a start).
    # _bevries_opstart collects once and switches it back on before serving; the finally covers every other way out.
    gc.disable()
    try:
        return _serve(args)
    finally:
        gc.enable()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.api.app import create_app
    from gateway.logboek import configure_logging
    from gateway.settings import dvs_niet_loopback, get_settings, is_loopback
    from gateway.store.db import upgrade_to_head

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    if settings.dvs_zonder_sleutel and not is_loopback(host):  # --host may widen what the setting allowed
        print(f"iwmo-gateway serve: {dvs_niet_loopback(host)}", file=sys.stderr)
        return 2
    # Build the app before migrating or seeding: a broken routes.toml must stop us with one clear line, not
    # a traceback, and before anything is written.
    try:
        app = create_app(settings)
    except _configuratiefouten() as exc:
        print(f"iwmo-gateway serve: {exc.een_regel()}", file=sys.stderr)
        return 2
    upgrade_to_head(settings.database_url)
    if args.demo:
        from gateway.demo.seed import DEMO_AANBIEDER, DEMO_GEMEENTE, seed_conversatie

        demo = seed_demo_sleutels(settings.database_url)
        keys = demo.sleutels
        berichten = seed_conversatie(settings)
        # A stored key is only a hash, so an earlier start's keys cannot be shown again: they are revoked instead.
        ingetrokken = (f"; de {demo.ingetrokken} demo-sleutels van een eerdere start zijn ingetrokken"
                       if demo.ingetrokken else "")
        example = Path(__file__).resolve().parent / "demo" / "berichten" / "WMO315.xml"
        print(f"""
iwmo-gateway draait op http://{host}:{port}  (database: {settings.database_url})

Demo-partijen en hun API-sleutels (nieuw bij elke start{ingetrokken}):
  gemeente  {DEMO_GEMEENTE}      {keys['gemeente']}
  aanbieder {DEMO_AANBIEDER}  {keys['aanbieder']}
  beheerder           {keys['beheerder']}

Dien als aanbieder een verzoek om toewijzing (WMO315) in (het voorbeeld is al geladen, dus het antwoord
wijst met "duplicaat": true naar het opgeslagen bericht; wijzig de Identificatie voor een nieuw bericht):
  curl -s -H 'Authorization: Bearer {keys['aanbieder']}' -H 'Content-Type: application/xml' \\
       --data-binary @{example} http://{host}:{port}/api/v1/berichten
Lees daarna als gemeente de inbox:
  curl -s -H 'Authorization: Bearer {keys['gemeente']}' http://{host}:{port}/api/v1/inbox
API-documentatie: http://{host}:{port}/docs
Beheerconsole:    http://{host}:{port}/admin  (aanmelden met de beheerderssleutel)

Voorbeeldgesprek geladen (315 -> 317 -> 301 -> 319 -> 305 -> 307 -> 323 -> 325, plus een afgewezen start):
""" + "\n".join(f"  {naam}  {status:<9} {' '.join(codes)}" for naam, status, codes in berichten), flush=True)
    configure_logging(settings.log_level)
    _meld_toegang(settings)
    processen = args.processen or settings.serve_processen
    if processen > 1:
        if settings.inbound_tls_cert:
            print("iwmo-gateway serve: --processen > 1 gaat niet samen met IWMO_INBOUND_TLS_CERT (uvicorn geeft de "
                  "TLS-gegevens van de client niet door aan zijn werkprocessen); zet een TLS-proxy voor de gateway "
                  "(IWMO_INBOUND_PROXY_VERTROUWD) of draai één proces.", file=sys.stderr)
            return 2
        del app  # each process builds its own (its own engine and writer)
        _bevries_opstart()
        uvicorn.run("gateway.serve:app_per_proces", factory=True, workers=processen, host=host, port=port,
                    log_config=None, access_log=False, **_uvicorn_opties(settings), http="gateway.tcp:ZonderNagle")
        return 0
    _bevries_opstart()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, **_uvicorn_opties(settings))
    return 0


def _bevries_opstart() -> None:
    """What start-up built (schemas, rules, the app) lives as long as the process: keep it out of every
    garbage collection from here on, which otherwise walks it again and again under load. Switches the collector
    back on (start-up runs without it)."""
    gc.collect()
    gc.freeze()
    gc.enable()


def app_per_proces() -> Any:
    """The app of one of several `serve` processes (uvicorn starts them fresh: logging is set up again)."""
    gc.disable()  # as in cmd_serve; _bevries_opstart switches it back on
    from gateway.api.app import create_app
    from gateway.logboek import configure_logging
    from gateway.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    _bevries_opstart()
    return app


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="start de REST API (uvicorn); migreert de database eerst")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--demo", action="store_true", help="maak API-sleutels voor een demo-gemeente en -aanbieder")
    p.add_argument("--processen", type=int, choices=range(1, 65), metavar="N",
                   help="aantal serve-processen op dezelfde poort (standaard IWMO_SERVE_PROCESSEN, 1); "
                        "elk met een eigen schrijver")
    p.set_defaults(func=cmd_serve)
