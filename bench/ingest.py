"""HTTP ingest: the gateway next to a minimal FastAPI app, at several concurrencies, on SQLite and PostgreSQL.

In one run this starts `iwmo-gateway serve` (one uvicorn process, a fresh database, a gemeente and an aanbieder
key made with `iwmo-gateway keys create --party`) and, side by side, bench/minimal_app.py served the same way,
and sends both the same stream of unique valid heenberichten over keep-alive HTTP on 127.0.0.1:

- WMO301 from gemeente 0599 with a fresh Identificatie and fresh ToewijzingNummers, and
- WMO305 from aanbieder 12345678 starting the products of a WMO301 that was already accepted (so TR019, TR074
  and TR326 pass: each start refers to a toewijzing that exists and has not been started).

Per backend and concurrency: W warm-up requests (not counted), then N measured ones, on the minimal app first
and then on the gateway. The table gives accepted messages per second, p50 and p99 latency (send to answer
read, over all answered requests), the minimal app's requests per second and the ratio of the two. A run in
which the gateway accepts fewer than it was sent exits 1: it measured the wrong thing.

    python bench/ingest.py [--n 1000] [--warmup 100] [--concurrency 1,8,32] [--backend sqlite,postgresql]
                           [--postgres URL] [--processen 1] [--timeout 1800] [--quick]

PostgreSQL runs when --postgres or IWMO_TEST_POSTGRES_URL names a local server (`scripts/pg-test-server start`
prints one); each run creates a database of its own there and drops it afterwards.

The client (bench/loadgen.py) is one thread with `c` keep-alive connections over raw sockets in a poll loop, one
request in flight per connection; the next message is taken from the shared stream when a connection is free. The
request bytes (message, headers and all) are built before the clock starts. It shares the 2-core machine with
both servers, so it should cost as little as possible: measured in one run against the minimal app (n 600, load
average 6-10) it cost 0.11-0.15 ms CPU per request and the app answered 761 / 830 rps at c=1 / 8, where the
client before it (a thread with an httpx.Client per connection) cost 1.3-1.4 ms and left the app 316 / 398 rps.
Against the gateway it costs 0.24-0.30 ms per request: a slow answer means a sleep and a wake-up with cold caches
for each one (about 1.5 % of a core at 50 msg/s). Its CPU time per request is printed under the table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (  # noqa: E402
    AANBIEDER,
    GEMEENTE,
    HOST,
    IDENTIFICATIE,
    ROOT,
    Server,
    elementen,
    enig,
    free_port,
    laad_voorbeeld,
    loopback_only,
    on_signal_raise,
    percentile,
    postgres_database,
    proces,
    running_gateway,
    staart,
    wait_ready,
    xml_bytes,
)
from bench.loadgen import Client, Done, NextRequest, Response, TransportError, post_request  # noqa: E402

PAD = "/api/v1/berichten"
REQUEST_TIMEOUT_S = 60.0
BACKENDS = ("sqlite", "postgresql")
QUICK = {"n": 20, "warmup": 4, "concurrency": "1,4"}
NORMAAL = {"n": 1000, "warmup": 100, "concurrency": "1,8,32"}


# -- messages -------------------------------------------------------------------------------------------

Verzoek = Callable[[str, bytes], bytes]  # (partij, bericht) -> the whole HTTP request to one server


@dataclass(frozen=True)
class Zending:
    verzoek: bytes  # the whole HTTP request, built before the clock starts
    start: Zending | None = None  # for a WMO301: the WMO305 that may follow once it is accepted


class Berichten:
    """Unique valid heenberichten made from the demo examples by editing only identifiers: a WMO301 with a fresh
    Identificatie and two fresh ToewijzingNummers, and the WMO305 that starts exactly those two products."""

    def __init__(self) -> None:
        # Four characters per bench run, eight per message: the 12 an LDT_IdentificatieBericht allows.
        self._tag = uuid.uuid4().hex[:4].upper()
        self._volgnummers = itertools.count()
        self._toewijzingnummers = itertools.count(100_000_000, 2)
        self.toewijzing = laad_voorbeeld("WMO301")
        self.start = laad_voorbeeld("WMO305")
        self._velden = [
            (enig(self.toewijzing, IDENTIFICATIE),
             elementen(self.toewijzing, "Client/ToegewezenProducten/ToegewezenProduct/ToewijzingNummer", 2)),
            (enig(self.start, IDENTIFICATIE),
             elementen(self.start, "Client/StartProducten/StartProduct/ToewijzingNummer", 2)),
        ]

    def paar(self, verzoek: Verzoek) -> Zending:
        eerste = next(self._toewijzingnummers)
        for identificatie, nummers in self._velden:
            identificatie.text = f"{self._tag}{next(self._volgnummers):08d}"
            for el, nummer in zip(nummers, (eerste, eerste + 1), strict=True):
                el.text = str(nummer)
        start = Zending(verzoek(AANBIEDER, xml_bytes(self.start)))
        return Zending(verzoek(GEMEENTE, xml_bytes(self.toewijzing)), start=start)


class Stroom:
    """What to send next, up to `aantal`: a WMO305 when one is ready (its WMO301 was accepted) and fewer starts
    than toewijzingen went out, else a WMO301. One at a time that alternates 301, 305, 301, …; under
    concurrency the first `c` are toewijzingen and then the mix settles at half and half."""

    def __init__(self, berichten: Berichten, aantal: int, verzoek: Verzoek):
        # Built before the clock starts, down to the request bytes: while measuring, the client does no XML work
        # and formats no HTTP.
        self._toewijzingen = deque(berichten.paar(verzoek) for _ in range(aantal))
        self._klaar: deque[Zending] = deque()
        self._over = aantal
        self._starts = 0
        self._toewijzingen_weg = 0

    def volgende(self) -> Zending | None:
        if self._over == 0:
            return None
        self._over -= 1
        if self._klaar and self._starts < self._toewijzingen_weg:
            self._starts += 1
            return self._klaar.popleft()
        self._toewijzingen_weg += 1
        return self._toewijzingen.popleft()

    def geaccepteerd(self, zending: Zending) -> None:
        if zending.start is not None:
            self._klaar.append(zending.start)


# -- measuring ------------------------------------------------------------------------------------------

@dataclass
class Meting:
    verstuurd: int = 0
    uitkomsten: Counter[str] = field(default_factory=Counter)
    latenties: list[float] = field(default_factory=list)
    seconden: float = 0.0
    client_cpu: float = 0.0
    voorbeelden: list[str] = field(default_factory=list)  # a few refusals, to say why

    @property
    def geaccepteerd(self) -> int:
        return self.uitkomsten["accepted"]

    @property
    def per_seconde(self) -> float:
        return self.geaccepteerd / self.seconden if self.seconden else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latenties, q)


def _uitkomst(r: Response) -> str:
    if r.status == 200:
        return "duplicaat"  # the gateway had these bytes already: the bench meant to send new ones
    if r.status != 201:
        return f"HTTP {r.status}"
    try:
        return str(r.json()["status"])
    except (ValueError, KeyError, TypeError):
        return "201 without a status"


def _waarom(r: Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status}: {r.text[:200]}"
    fouten = body.get("errors") if isinstance(body, dict) else None
    if fouten:
        return "; ".join(f"{f.get('code')} {f.get('retourcode')} {f.get('locatie')}" for f in fouten[:3])
    return f"HTTP {r.status}: {str(body)[:200]}"


def verkeer(stroom: Stroom, meting: Meting) -> tuple[NextRequest[Zending], Done[Zending]]:
    """What the client asks when a connection is free (the stream's next message) and what it does with each answer:
    count it, and on an accepted WMO301 let its WMO305 into the stream. A transport error (reset, closed early,
    timed out) counts under its kind and has no latency."""

    def volgende() -> tuple[bytes, Zending] | None:
        zending = stroom.volgende()
        if zending is None:
            return None
        meting.verstuurd += 1
        return zending.verzoek, zending

    def klaar(zending: Zending, antwoord: Response | TransportError, seconden: float) -> None:
        if isinstance(antwoord, TransportError):
            meting.uitkomsten[antwoord.kind] += 1
            return
        meting.latenties.append(seconden)
        uitkomst = _uitkomst(antwoord)
        meting.uitkomsten[uitkomst] += 1
        if uitkomst == "accepted":
            stroom.geaccepteerd(zending)
        elif len(meting.voorbeelden) < 3:
            meting.voorbeelden.append(_waarom(antwoord))

    return volgende, klaar


def meet(server: Server, berichten: Berichten, c: int, args: argparse.Namespace, deadline: float) -> Meting:
    """`c` keep-alive connections first carry the warm-up stream (not counted) and then, together, the measured
    one."""
    adres = urlsplit(server.base)
    host, port = adres.hostname or HOST, adres.port or 80
    koppen = {party: {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
              for party, key in server.keys.items()}

    def verzoek(partij: str, bericht: bytes) -> bytes:
        return post_request(adres.netloc, PAD, bericht, koppen[partij])

    warm, stroom = Stroom(berichten, args.warmup, verzoek), Stroom(berichten, args.n, verzoek)
    meting = Meting()
    try:
        with Client[Zending](host, port, c, REQUEST_TIMEOUT_S) as client:
            client.run(*verkeer(warm, Meting()), deadline=deadline)  # connections, caches, lazy imports
            cpu, begin = time.process_time(), time.perf_counter()
            client.run(*verkeer(stroom, meting), deadline=deadline)
            meting.seconden = time.perf_counter() - begin
            meting.client_cpu = time.process_time() - cpu
    except TimeoutError:
        raise SystemExit(f"--timeout {args.timeout:g} s reached at {server.base}, concurrency {c}; "
                         f"server log:\n{staart(server.log, 2000)}") from None
    return meting


# -- the servers ----------------------------------------------------------------------------------------

@contextmanager
def running_minimal_app(workdir: Path) -> Iterator[Server]:
    port = free_port()
    log = workdir / f"minimal-{port}.log"
    cmd = [sys.executable, str(ROOT / "bench" / "minimal_app.py"), "--host", HOST, "--port", str(port)]
    with proces(cmd, os.environ.copy(), log) as p:
        base = f"http://{HOST}:{port}"
        wait_ready(base, p, log)
        # It checks no key; the bench sends the same headers to both anyway.
        yield Server(base, {GEMEENTE: "-", AANBIEDER: "-"}, log, p)


@contextmanager
def database(backend: str, workdir: Path, postgres: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'ingest-{uuid.uuid4().hex[:6]}.db'}"
        return
    assert postgres is not None
    with postgres_database(postgres, "bench_ingest") as url:
        yield url


# -- the table ------------------------------------------------------------------------------------------

KOLOMMEN = ("backend", "concurrency", "accepted/sent", "gateway msg/s", "p50", "p99", "minimal app rps", "ratio")


def _tijd(s: float) -> str:
    if s != s:  # NaN: nothing answered
        return "-"
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.1f} ms" if s < 0.1 else f"{s * 1000:.0f} ms"


def _tempo(x: float) -> str:
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def rij(backend: str, c: int, gw: Meting, minimaal: Meting) -> str:
    ratio = f"{gw.per_seconde / minimaal.per_seconde * 100:.1f} %" if minimaal.per_seconde else "-"
    cellen = (backend, str(c), f"{gw.geaccepteerd}/{gw.verstuurd}", _tempo(gw.per_seconde), _tijd(gw.p(50)),
              _tijd(gw.p(99)), _tempo(minimaal.per_seconde), ratio)
    return "| " + " | ".join(cellen) + " |"


def _versie() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        vuil = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" with uncommitted changes" if vuil else "")


def _belasting() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _client_cpu(metingen: dict[str, list[Meting]]) -> str:
    """The client's CPU per request, against each server and in all: a server that answers slowly makes the client
    sleep and wake for every answer, which costs it more per request (but then there are few requests)."""
    def per_verzoek(ms: list[Meting]) -> float:
        return sum(m.client_cpu for m in ms) / max(1, sum(m.verstuurd for m in ms)) * 1000

    def aandeel(ms: list[Meting]) -> float:  # of one core, while measuring
        return sum(m.client_cpu for m in ms) / max(1e-9, sum(m.seconden for m in ms)) * 100

    delen = [f"{per_verzoek(ms):.2f} ms against {naam} ({aandeel(ms):.0f} % of a core)" for naam, ms in metingen.items()]
    alles = per_verzoek([m for ms in metingen.values() for m in ms])
    return f"CPU per request {', '.join(delen)}; {alles:.2f} ms in all"


# -- main -----------------------------------------------------------------------------------------------

def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, help=f"measured messages per backend and concurrency "
                                               f"(default {NORMAAL['n']}; --quick {QUICK['n']})")
    parser.add_argument("--warmup", type=int, help=f"unmeasured requests before them (default {NORMAAL['warmup']}; "
                                                    f"--quick {QUICK['warmup']})")
    parser.add_argument("--concurrency", help=f"comma-separated client counts (default {NORMAAL['concurrency']}; "
                                              f"--quick {QUICK['concurrency']})")
    parser.add_argument("--backend", default=",".join(BACKENDS),
                        help="comma-separated: sqlite, postgresql (default both; postgresql needs a server)")
    parser.add_argument("--postgres", default=os.environ.get("IWMO_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL on this machine (default: $IWMO_TEST_POSTGRES_URL)")
    parser.add_argument("--processen", type=int, default=1,
                        help="serve processes of the gateway on its one port (`serve --processen`; default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="give up after this many seconds in all (default 1800)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few messages, concurrency 1 and 4")
    args = parser.parse_args(argv)
    for naam, waarde in (QUICK if args.quick else NORMAAL).items():
        if getattr(args, naam) is None:
            setattr(args, naam, waarde)
    try:
        args.concurrencies = [int(c) for c in str(args.concurrency).split(",")]
    except ValueError:
        parser.error(f"--concurrency {args.concurrency}: give whole numbers separated by commas, e.g. 1,8,32")
    if args.n < 1 or args.warmup < 0 or any(c < 1 for c in args.concurrencies):
        parser.error("--n and each --concurrency must be at least 1, --warmup at least 0")
    args.backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if unknown := set(args.backends) - set(BACKENDS):
        parser.error(f"--backend {','.join(sorted(unknown))}: choose from {', '.join(BACKENDS)}")
    if args.postgres:
        args.postgres = loopback_only(args.postgres)
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    on_signal_raise()
    deadline = time.monotonic() + args.timeout
    backends = list(args.backends)
    if "postgresql" in backends and not args.postgres:
        backends.remove("postgresql")
        print("postgresql skipped: pass --postgres URL or set IWMO_TEST_POSTGRES_URL "
              "(scripts/pg-test-server start prints one)", file=sys.stderr)

    print(f"POST {PAD} over keep-alive HTTP on {HOST}: {args.n} unique messages (WMO301 / WMO305) per row "
          f"after {args.warmup} warm-up; {args.processen} gateway process(es), one minimal app process; code {_versie()}; "
          f"{os.cpu_count()} CPUs shared by client, servers and database; Python {platform.python_version()}; "
          f"load average {_belasting()}", flush=True)
    print("| " + " | ".join(KOLOMMEN) + " |")
    print("|" + "---|" * len(KOLOMMEN), flush=True)
    metingen: dict[str, list[Meting]] = {"the minimal app": [], "the gateway": []}
    onvolledig = False
    with tempfile.TemporaryDirectory(prefix="iwmo-bench-ingest-") as tmp:
        workdir = Path(tmp)
        berichten = Berichten()
        with running_minimal_app(workdir) as minimaal:
            for backend in backends:
                with database(backend, workdir, args.postgres) as url, running_gateway(url, workdir, processen=args.processen) as gateway:
                    for c in args.concurrencies:
                        m = meet(minimaal, berichten, c, args, deadline)
                        g = meet(gateway, berichten, c, args, deadline)
                        print(rij(backend, c, g, m), flush=True)
                        metingen["the minimal app"].append(m)
                        metingen["the gateway"].append(g)
                        if g.geaccepteerd != g.verstuurd:
                            onvolledig = True
                            anders = {k: v for k, v in g.uitkomsten.items() if k != "accepted"}
                            print(f"  {backend} c={c}: not accepted {dict(anders)}; e.g. "
                                  + " | ".join(g.voorbeelden), file=sys.stderr, flush=True)
    if metingen["the gateway"]:
        print(f"client: one thread, a raw keep-alive socket per connection (bench/loadgen.py); "
              f"{_client_cpu(metingen)}; load average afterwards {_belasting()}")
    if onvolledig:
        print("the gateway did not accept every message: these figures do not measure ingest", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: every server this bench started has been stopped", file=sys.stderr)
        sys.exit(130)
