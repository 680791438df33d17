"""`iwmo-gateway serve`: migrate, optionally seed demo parties, and run the API under uvicorn."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.settings import get_settings

DEMO_GEMEENTE = "0599"
DEMO_AANBIEDER = "12345678"


def seed_demo(url: str) -> dict[str, str]:
    """Fresh API keys for the demo gemeente, aanbieder and an administrator."""
    from gateway.store import apikeys
    from gateway.store.db import make_engine, make_session_factory

    sessions = make_session_factory(make_engine(url))
    with sessions() as session, session.begin():
        return {
            "gemeente": apikeys.create(session, label="demo gemeente", party=DEMO_GEMEENTE, actor="demo").key,
            "aanbieder": apikeys.create(session, label="demo aanbieder", party=DEMO_AANBIEDER, actor="demo").key,
            "beheerder": apikeys.create(session, label="demo beheerder", role="admin", actor="demo").key,
        }


def _configuratiefouten() -> tuple[type[Exception], ...]:
    """The start-up refusals that name their file and fix (`een_regel`); none when the transport is absent."""
    try:
        from gateway.transport.routing import RouteringFout
    except ModuleNotFoundError:
        return ()
    return (RouteringFout,)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.api.app import create_app
    from gateway.api.observability import configure_logging
    from gateway.store.db import upgrade_to_head

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    # Build the app before migrating or seeding: a broken routes.toml must stop us with one clear line, not
    # a traceback, and before anything is written.
    try:
        app = create_app(settings)
    except _configuratiefouten() as exc:
        print(f"iwmo-gateway serve: {exc.een_regel()}", file=sys.stderr)
        return 2
    upgrade_to_head(settings.database_url)
    if args.demo:
        from gateway.demo.seed import seed_conversatie

        keys = seed_demo(settings.database_url)
        berichten = seed_conversatie(settings)
        example = Path(__file__).resolve().parent / "demo" / "berichten" / "WMO315.xml"
        print(f"""
iwmo-gateway draait op http://{host}:{port}  (database: {settings.database_url})

Demo-partijen en hun API-sleutels (nieuw bij elke start):
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
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="start de REST API (uvicorn); migreert de database eerst")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--demo", action="store_true", help="maak API-sleutels voor een demo-gemeente en -aanbieder")
    p.set_defaults(func=cmd_serve)
