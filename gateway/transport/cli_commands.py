"""`iwmo-gateway worker`: the outbox and pull-inbox process."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading


def cmd_worker(args: argparse.Namespace) -> int:
    from gateway.logboek import configure_logging
    from gateway.settings import get_settings
    from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
    from gateway.store.history import cross_rules_for
    from gateway.store.wekker import wekker_voor
    from gateway.transport.routing import RouteringFout, laad
    from gateway.transport.worker import Worker

    settings = get_settings()
    configure_logging(settings.log_level)
    # httpx logs every request at INFO; a worker polls every few seconds, so only its problems are news.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic reports every step of the start-up migration at INFO (plug-ins, "Context impl", each revision):
    # noise on every `worker --once` from cron; a failing migration still raises.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        routes = laad(settings.routes_file, eis_geheimen=True)
    except RouteringFout as exc:
        print(f"iwmo-gateway worker: {exc.een_regel()}", file=sys.stderr)
        return 2
    if args.concurrency > 1 and settings.database_url.startswith("sqlite"):
        print("iwmo-gateway worker: SQLite kent één schrijver tegelijk; gebruik --concurrency 1 of PostgreSQL",
              file=sys.stderr)
        return 2
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    worker = Worker(sessions, routes, settings=settings, cross_rules=cross_rules_for(settings))
    try:
        if args.once:
            r = worker.ronde()
            print(f"verzonden {r.verzonden}, opgehaald {r.opgehaald}, bevestigd {r.bevestigd}, fouten {r.fouten}")
            return 0
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        # Only the first thread pulls: pulling twice is harmless (envelope ids) but wasteful.
        wekkers = [wekker_voor(engine) for _ in range(args.concurrency)]
        threads = [threading.Thread(target=worker.draai, args=(stop,),
                                    kwargs={"interval": settings.worker_interval_s, "ophalen": i == 0,
                                            "wekker": wekkers[i]},
                                    name=f"worker-{i}", daemon=True)
                   for i in range(args.concurrency)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.5)
        for w in wekkers:
            w.close()
        return 0
    finally:
        worker.close()
        engine.dispose()


def _positief(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"geen getal: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("minstens 1")
    return n


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="verstuur de outbox en haal binnenkomende berichten op (routes: IWMO_ROUTES_FILE)")
    p.add_argument("--once", action="store_true", help="één ronde en stoppen (voor cron of tests)")
    p.add_argument("--concurrency", type=_positief, default=1, help="aantal parallelle verzenders (PostgreSQL)")
    p.set_defaults(func=cmd_worker)
    _register_hub(sub)
    from gateway.transport.demo import register as register_demo

    register_demo(sub)


def _register_hub(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`iwmo-gateway hub` lives with the transport; cli.py calls only this module's register."""
    if "hub" in sub.choices:
        return
    try:
        from gateway.hub.cli_commands import register as register_hub
    except ModuleNotFoundError:
        return
    register_hub(sub)
