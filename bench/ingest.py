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
                           [--postgres URL] [--timeout 1800] [--quick]

PostgreSQL runs when --postgres or IWMO_TEST_POSTGRES_URL names a local server (`scripts/pg-test-server start`
prints one); each run creates a database of its own there and drops it afterwards.

The client is `c` threads, each with its own httpx.Client (one keep-alive connection), taking messages from
one shared stream. It shares the 2-core machine with both servers, so it should cost as little as possible;
against the minimal app this cost less CPU per request than one asyncio loop at c=1 and c=8 (about 1.6 ms
against 2.2-2.7 ms on the loaded machine) and the same at c=32, while one shared httpx.AsyncClient, whose
pool does work per request for every connection, cost 4 ms at c=32. The messages are built before the
clock starts. The client's CPU time per request is printed under the table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

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

PAD = "/api/v1/berichten"
REQUEST_TIMEOUT_S = 60.0
BACKENDS = ("sqlite", "postgresql")
QUICK = {"n": 20, "warmup": 4, "concurrency": "1,4"}
NORMAAL = {"n": 1000, "warmup": 100, "concurrency": "1,8,32"}


# -- messages -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Zending:
    partij: str
    data: bytes
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

    def paar(self) -> Zending:
        eerste = next(self._toewijzingnummers)
        for identificatie, nummers in self._velden:
            identificatie.text = f"{self._tag}{next(self._volgnummers):08d}"
            for el, nummer in zip(nummers, (eerste, eerste + 1), strict=True):
                el.text = str(nummer)
        start = Zending(AANBIEDER, xml_bytes(self.start))
        return Zending(GEMEENTE, xml_bytes(self.toewijzing), start=start)


class Stroom:
    """What to send next, up to `aantal`: a WMO305 when one is ready (its WMO301 was accepted) and fewer starts
    than toewijzingen went out, else a WMO301. One at a time that alternates 301, 305, 301, …; under
    concurrency the first `c` are toewijzingen and then the mix settles at half and half."""

    def __init__(self, berichten: Berichten, aantal: int):
        # Built before the clock starts: while measuring, the client does no XML work.
        self._toewijzingen = deque(berichten.paar() for _ in range(aantal))
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


def _uitkomst(r: httpx.Response) -> str:
    if r.status_code == 200:
        return "duplicaat"  # the gateway had these bytes already: the bench meant to send new ones
    if r.status_code != 201:
        return f"HTTP {r.status_code}"
    try:
        return str(r.json()["status"])
    except (ValueError, KeyError, TypeError):
        return "201 without a status"


def _waarom(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    fouten = body.get("errors") if isinstance(body, dict) else None
    if fouten:
        return "; ".join(f"{f.get('code')} {f.get('retourcode')} {f.get('locatie')}" for f in fouten[:3])
    return f"HTTP {r.status_code}: {str(body)[:200]}"


def _stuur(http: httpx.Client, headers: dict[str, dict[str, str]], stroom: Stroom, meting: Meting,
           slot: threading.Lock, stop: threading.Event, deadline: float) -> None:
    """One client thread's loop: take the next message from the shared stream, post it, count the answer."""
    while not stop.is_set():
        if time.monotonic() > deadline:
            raise TimeoutError
        with slot:
            zending = stroom.volgende()
            if zending is None:
                return
            meting.verstuurd += 1
        begin = time.perf_counter()
        try:
            r = http.post(PAD, content=zending.data, headers=headers[zending.partij])
        except httpx.TransportError as exc:
            with slot:
                meting.uitkomsten[type(exc).__name__] += 1
            continue
        duur = time.perf_counter() - begin
        uitkomst = _uitkomst(r)
        waarom = None if uitkomst == "accepted" else _waarom(r)
        with slot:
            meting.latenties.append(duur)
            meting.uitkomsten[uitkomst] += 1
            if waarom is None:
                stroom.geaccepteerd(zending)
            elif len(meting.voorbeelden) < 3:
                meting.voorbeelden.append(waarom)


def meet(server: Server, berichten: Berichten, c: int, args: argparse.Namespace, deadline: float) -> Meting:
    """`c` threads, each with its own httpx.Client and so its own keep-alive connection, first send the warm-up
    stream (not counted) and then, together, the measured one."""
    headers = {party: {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
               for party, key in server.keys.items()}
    warm, stroom = Stroom(berichten, args.warmup), Stroom(berichten, args.n)
    meting, slot, stop = Meting(), threading.Lock(), threading.Event()
    klok: dict[str, float] = {}
    fouten: list[BaseException] = []

    def start_klok() -> None:  # run once, when every thread has finished its warm-up
        klok["cpu"], klok["begin"] = time.process_time(), time.perf_counter()

    samen = threading.Barrier(c, action=start_klok)

    def client() -> None:
        try:
            # trust_env=False: no proxy from the environment; this traffic stays on 127.0.0.1.
            with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT_S, trust_env=False) as http:
                _stuur(http, headers, warm, Meting(), slot, stop, deadline)  # connections, caches, lazy imports
                samen.wait()
                _stuur(http, headers, stroom, meting, slot, stop, deadline)
        except threading.BrokenBarrierError:
            pass  # another thread failed or the bench is stopping
        except BaseException as exc:
            fouten.append(exc)
            stop.set()
            samen.abort()

    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True) for i in range(c)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        # Ctrl-C lands in this thread: the clients stop after their current request.
        stop.set()
        samen.abort()
    if fouten:
        if isinstance(fouten[0], TimeoutError):
            raise SystemExit(f"--timeout {args.timeout:g} s reached at {server.base}, concurrency {c}; "
                             f"server log:\n{staart(server.log, 2000)}")
        raise fouten[0]
    meting.seconden = time.perf_counter() - klok["begin"]
    meting.client_cpu = time.process_time() - klok["cpu"]
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
          f"after {args.warmup} warm-up; one uvicorn process per server; code {_versie()}; "
          f"{os.cpu_count()} CPUs shared by client, servers and database; Python {platform.python_version()}; "
          f"load average {_belasting()}", flush=True)
    print("| " + " | ".join(KOLOMMEN) + " |")
    print("|" + "---|" * len(KOLOMMEN), flush=True)
    cpu: list[tuple[float, int]] = []
    onvolledig = False
    with tempfile.TemporaryDirectory(prefix="iwmo-bench-ingest-") as tmp:
        workdir = Path(tmp)
        berichten = Berichten()
        with running_minimal_app(workdir) as minimaal:
            for backend in backends:
                with database(backend, workdir, args.postgres) as url, running_gateway(url, workdir) as gateway:
                    for c in args.concurrencies:
                        m = meet(minimaal, berichten, c, args, deadline)
                        g = meet(gateway, berichten, c, args, deadline)
                        print(rij(backend, c, g, m), flush=True)
                        cpu += [(m.client_cpu, m.verstuurd), (g.client_cpu, g.verstuurd)]
                        if g.geaccepteerd != g.verstuurd:
                            onvolledig = True
                            anders = {k: v for k, v in g.uitkomsten.items() if k != "accepted"}
                            print(f"  {backend} c={c}: not accepted {dict(anders)}; e.g. "
                                  + " | ".join(g.voorbeelden), file=sys.stderr, flush=True)
    if cpu:
        per_verzoek = sum(s for s, _ in cpu) / max(1, sum(n for _, n in cpu))
        print(f"client: a thread with its own httpx.Client per connection, {per_verzoek * 1000:.2f} ms CPU per request "
              f"(about {per_verzoek * 1000 * 100:.0f} % of a core per 1 000 requests/s); "
              f"load average afterwards {_belasting()}")
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
