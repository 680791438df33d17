"""`iwmo-gateway hub`: run the local knooppunt under uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from types import FrameType
from typing import Any

STANDAARD_CONFIG = "config/hub.toml"
STANDAARD_DATABASE = "sqlite:///var/hub.db"
STANDAARD_POORT = 8700


def _server(app: Any, **opties: Any) -> Any:
    """uvicorn's server, which on SIGTERM/SIGINT first answers the held pulls (GET /berichten?wacht_ms): uvicorn
    lets running requests finish before it stops, and a held one would keep it waiting for its whole wait."""
    import uvicorn

    class Hubserver(uvicorn.Server):
        loop: asyncio.AbstractEventLoop | None = None

        async def serve(self, sockets: Any = None) -> None:
            self.loop = asyncio.get_running_loop()
            await super().serve(sockets)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.loop is not None:  # a signal handler: hand the work to the loop instead of taking locks here
                self.loop.call_soon_threadsafe(app.state.wachtkamer.sluit)
            super().handle_exit(sig, frame)

    return Hubserver(uvicorn.Config(app, **opties))


def cmd_hub(args: argparse.Namespace) -> int:
    from gateway.hub.app import maak_app
    from gateway.hub.config import HubConfigFout, laad
    from gateway.hub.store import HubStore

    try:
        config = laad(args.config)
    except HubConfigFout as exc:
        print(f"iwmo-gateway hub: {exc}", file=sys.stderr)
        return 2
    store = HubStore(args.database_url)
    try:
        app = maak_app(config, store)
        gemeenten = sum(1 for p in config.partijen.values() if p.soort == "gemeente")
        print(f"hub op http://{args.host}:{args.port}: {gemeenten} gemeente(n), "
              f"{len(config.partijen) - gemeenten} aanbieder(s); database {args.database_url}", flush=True)
        _server(app, host=args.host, port=args.port, log_level=args.log_level).run()
    finally:
        store.close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("hub", help="start een lokaal knooppunt (GGk-SOAP voor gemeenten, VECOZO-REST voor aanbieders)")
    p.add_argument("--host", default=os.environ.get("IWMO_HUB_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("IWMO_HUB_PORT", STANDAARD_POORT)))
    p.add_argument("--database-url", default=os.environ.get("IWMO_HUB_DATABASE_URL", STANDAARD_DATABASE),
                   help=f"eigen database van de hub (standaard {STANDAARD_DATABASE})")
    p.add_argument("--config", default=os.environ.get("IWMO_HUB_CONFIG", STANDAARD_CONFIG), metavar="FILE",
                   help=f"TOML met de aangesloten partijen (voorbeeld: config/hub.example.toml; standaard {STANDAARD_CONFIG})")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_hub)
