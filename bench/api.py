"""Accepted messages per second through the running service, on SQLite and PostgreSQL, over real HTTP.

Starts `iwmo-gateway serve` as its own uvicorn process on a fresh database, creates a gemeente and an
aanbieder key with the CLI, and lets N concurrent httpx clients submit distinct valid heenberichten (the demo
examples with a fresh BerichtIdentificatie each) for a fixed time. Half the clients act as the aanbieder
(WMO315 and WMO317 in turn), half as the gemeente (WMO301); every request runs the whole receive path:
safe parse, XSD, rules, cross-message rules, storage, audit events and the retourbericht.

    python bench/api.py [--clients 8] [--duration 20] [--postgres URL]

PostgreSQL runs when --postgres or IWMO_TEST_POSTGRES_URL names a server (`scripts/pg-test-server start`
prints one); the bench creates a database of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (  # noqa: E402
    AANBIEDER,
    GEMEENTE,
    IDENTIFICATIE,
    Server,
    enig,
    laad_voorbeeld,
    percentile,
    postgres_database,
    running_gateway,
    xml_bytes,
)

# Which party sends which example: each is accepted on an empty store however often it is repeated.
ZENDINGEN = {AANBIEDER: ("WMO315", "WMO317"), GEMEENTE: ("WMO301",)}


# -- messages -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sjabloon:
    """A parsed example whose Header/BerichtIdentificatie/Identificatie the bench rewrites per request."""

    tree: etree._ElementTree
    identificatie: etree._Element

    @classmethod
    def laad(cls, naam: str) -> Sjabloon:
        tree = laad_voorbeeld(naam)
        return cls(tree, enig(tree, IDENTIFICATIE))

    def met_identificatie(self, identificatie: str) -> bytes:
        # The tree is shared by one client thread only, so rewriting it in place is safe and cheap.
        self.identificatie.text = identificatie
        return xml_bytes(self.tree)


# -- load -----------------------------------------------------------------------------------------------

@dataclass
class Uitslag:
    backend: str
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of accepted submissions only
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def accepted(self) -> int:
        return self.outcomes["accepted"]

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


def drive(server: Server, backend: str, clients: int, duration: float, warmup: float) -> Uitslag:
    run = uuid.uuid4().hex[:2].upper()  # keeps identifications distinct if a database is ever reused
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    uitslag = Uitslag(backend, duration)
    measure_from = measure_until = 0.0

    def client(nummer: int, party: str, sjablonen: list[Sjabloon]) -> None:
        headers = {"Authorization": f"Bearer {server.keys[party]}", "Content-Type": "application/xml"}
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        with httpx.Client(base_url=server.base, headers=headers, timeout=60, trust_env=False) as http:
            start_gate.wait()
            volgnummer = 0
            while True:
                now = time.perf_counter()
                if now >= measure_until:
                    break
                data = sjablonen[volgnummer % len(sjablonen)].met_identificatie(f"{run}{nummer:02d}{volgnummer:07d}")
                volgnummer += 1
                try:
                    r = http.post("/api/v1/berichten", content=data)
                except httpx.TransportError as exc:
                    outcomes[f"{type(exc).__name__}"] += 1
                    continue
                done = time.perf_counter()
                if now < measure_from or done > measure_until:
                    continue  # warming up (connections, caches), or finished after the window closed
                if r.status_code == 201:
                    outcome = r.json()["status"]
                    if outcome == "accepted":
                        latencies.append(done - now)
                    elif outcomes[outcome] == 0:
                        print(f"  {backend}: a {outcome} message: {r.json()['errors'][:2]}", file=sys.stderr)
                else:
                    outcome = f"HTTP {r.status_code}"
                outcomes[outcome] += 1
        with lock:
            uitslag.latencies.extend(latencies)
            uitslag.outcomes.update(outcomes)

    # Each client parses its own templates (they are rewritten in place) before the clock starts.
    parties = [AANBIEDER if i % 2 == 0 else GEMEENTE for i in range(clients)]
    threads = [threading.Thread(target=client, args=(i, p, [Sjabloon.laad(n) for n in ZENDINGEN[p]]), daemon=True)
               for i, p in enumerate(parties)]
    for t in threads:
        t.start()
    measure_from = time.perf_counter() + warmup
    measure_until = measure_from + duration
    start_gate.wait()
    for t in threads:
        t.join()
    return uitslag


def report(u: Uitslag, clients: int) -> None:
    others = {k: v for k, v in u.outcomes.items() if k != "accepted"}
    if not u.latencies:
        print(f"{u.backend:<11} no message accepted in {u.seconds:.0f} s: {dict(others)}")
        return
    print(f"{u.backend:<11} {u.per_second:7.1f} accepted/s  p50 {u.percentile(50) * 1000:7.1f} ms  "
          f"p99 {u.percentile(99) * 1000:7.1f} ms  ({u.accepted} in {u.seconds:.0f} s, {clients} clients"
          + (f"; not accepted: {dict(others)}" if others else "") + ")")


# -- backends -------------------------------------------------------------------------------------------

def bench(backend: str, database_url: str, workdir: Path, args: argparse.Namespace) -> Uitslag:
    with running_gateway(database_url, workdir, parties=tuple(ZENDINGEN)) as server:
        uitslag = drive(server, backend, args.clients, args.duration, args.warmup)
    report(uitslag, args.clients)
    return uitslag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per backend (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before that (default 2)")
    parser.add_argument("--postgres", default=os.environ.get("IWMO_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (default: $IWMO_TEST_POSTGRES_URL)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 99:
        parser.error("--clients must be between 1 and 99 (it is part of each BerichtIdentificatie)")

    print(f"POST /api/v1/berichten, one uvicorn process on 127.0.0.1, {args.clients} clients, "
          f"{args.duration:.0f} s per backend, {os.cpu_count()} CPUs shared by clients, server and database")
    with tempfile.TemporaryDirectory(prefix="iwmo-bench-api-") as tmp:
        workdir = Path(tmp)
        sqlite = bench("sqlite", f"sqlite:///{workdir / 'bench.db'}", workdir, args)
        if not args.postgres:
            print("postgresql  skipped: pass --postgres URL or set IWMO_TEST_POSTGRES_URL "
                  "(scripts/pg-test-server start prints one)")
            return 0
        with postgres_database(args.postgres, "bench_api") as url:
            postgres = bench("postgresql", url, workdir, args)
    if sqlite.accepted and postgres.accepted:
        print(f"ratio PostgreSQL/SQLite: throughput {postgres.per_second / sqlite.per_second:.2f}x, "
              f"p50 {postgres.percentile(50) / sqlite.percentile(50):.2f}x, "
              f"p99 {postgres.percentile(99) / sqlite.percentile(99):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
