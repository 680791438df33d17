"""The whole chain on one machine: a gemeente gateway, the hub and an aanbieder gateway as real processes.

`iwmo-gateway demo`, the end-to-end tests and `bench/chain.py` all start the chain through this module, so
one place knows which settings make two gateways and a hub find each other. Every process is an ordinary
`iwmo-gateway` command (`serve`, `worker`, `hub`) on loopback with its own log file; the stores live in one
directory. Children are started so that they die with the process that started them (Linux), and `stop`
ends them by their own ids, so an interrupted run leaves no orphans.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

GEMEENTE = "0599"
AANBIEDER = "12345678"

# The hub's bearer tokens per party and the one it presents at the gemeente's POST /ggk (its
# IWMO_GGK_INBOUND_TOKEN: the gateway's inbound endpoint is closed without it). Drawn fresh per process, so
# another user on the machine cannot deliver into a running demo with a token read from the source; a real
# hub gets its own from config/hub.toml. The aanbieder gateway pulls, so its POST /ggk stays closed.
TOKEN_GEMEENTE = secrets.token_urlsafe(24)
TOKEN_AANBIEDER = secrets.token_urlsafe(24)
TOKEN_HUB_NAAR_GEMEENTE = secrets.token_urlsafe(24)


class KetenFout(RuntimeError):
    """A process of the chain did not come up or a wait ran out; the message ends with the logs' tails."""


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sterf_met_ouder() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM when the starting process dies, so even a SIGKILL'd demo leaves no orphans."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_proces(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`iwmo-gateway ARGS` as a child process writing to its own log file."""
    with log.open("ab") as uit:
        return subprocess.Popen([sys.executable, "-m", "gateway.cli", *args], env=env, stdout=uit,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_sterf_met_ouder if sys.platform.startswith("linux") else None)


def stop_proces(proc: subprocess.Popen[bytes] | None, *, timeout: float = 20) -> None:
    """SIGTERM, and SIGKILL when it does not end in time; only this one process, by its id."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


_client: httpx.Client | None = None
_client_slot = threading.Lock()


def lokaal() -> httpx.Client:
    """One HTTP client, shared by every thread, for all calls to the chain's processes. Making an httpx client
    loads the CA bundle, about 90 ms of CPU: a wait that polls every 0.1 s with a new client each time kept a
    core half busy while the processes it waited for were starting."""
    global _client
    with _client_slot:
        if _client is None:
            _client = httpx.Client(timeout=30)
        return _client


def bereikbaar(url: str) -> bool:
    try:
        return lokaal().get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Gateway:
    """One gateway of the chain: its API (`serve`) and its worker, each a process of its own."""

    naam: str
    partij: str
    env: dict[str, str]
    base: str
    logs: Path
    key: str = ""
    worker_concurrency: int = 1  # more than one only on PostgreSQL (SQLite has one writer)
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def database_url(self) -> str:
        return self.env["IWMO_DATABASE_URL"]

    def start_serve(self) -> None:
        self.serve = start_proces(["serve"], self.env, self.logs / f"{self.naam}-serve.log")

    def start_worker(self) -> None:
        self.starts += 1
        self.worker = start_proces(["worker", "--concurrency", str(self.worker_concurrency)], self.env,
                                   self.logs / f"{self.naam}-worker-{self.starts}.log")

    def kloon(self, naam: str) -> Gateway:
        """Another instance of this gateway: the same database, settings and API key on a port of its own, with
        its own logs and no processes yet. Several `serve`s and `worker`s on one PostgreSQL database is how the
        gateway scales out; `Keten.kloon` also keeps it in the chain's watch and stop."""
        poort = vrije_poort()
        return replace(self, naam=naam, env=self.env | {"IWMO_PORT": str(poort)}, base=f"http://127.0.0.1:{poort}",
                       serve=None, worker=None, starts=0)

    def kill_worker(self) -> None:
        """SIGKILL, as a crash would: no chance to finish what it was doing."""
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait(timeout=10)

    def stop(self) -> None:
        stop_proces(self.worker)
        stop_proces(self.serve)
        self.serve = self.worker = None

    def post(self, data: bytes, *, client: httpx.Client | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/xml"}
        return (client or lokaal()).post(f"{self.base}/api/v1/berichten", content=data, headers=headers)

    def get(self, pad: str, *, client: httpx.Client | None = None, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return (client or lokaal()).get(f"{self.base}{pad}", headers=headers, params=params)


@dataclass(frozen=True)
class Tempo:
    """How eagerly workers poll and retry. The demo and tests want seconds, not the production minutes."""

    worker_interval_s: float = 0.2
    retry_basis_s: float = 0.5
    retry_max_s: float = 2
    lease_s: float = 5
    hub_interval_s: float = 0.2


@dataclass
class Keten:
    map: Path
    gemeente: Gateway
    aanbieder: Gateway
    hub_url: str
    hub_args: list[str]
    hub_database_url: str
    env: dict[str, str]
    beheerder_keys: dict[str, str] = field(default_factory=dict)
    hub: subprocess.Popen[bytes] | None = None
    klonen: list[Gateway] = field(default_factory=list)  # extra instances of a gateway (`kloon`)

    @property
    def gateways(self) -> tuple[Gateway, Gateway]:
        return self.gemeente, self.aanbieder

    def logstaarten(self, tekens: int = 2500) -> str:
        return "".join(f"\n== {p.name}\n{p.read_text(errors='replace')[-tekens:]}"
                       for p in sorted(self.map.glob("*.log")))

    def wacht(self, beschrijving: str, conditie: Callable[[], bool], seconden: float = 60,
              stap: float = 0.1) -> None:
        einde = time.monotonic() + seconden
        while not conditie():
            if time.monotonic() > einde:
                raise KetenFout(f"na {seconden:g} s nog niet: {beschrijving}{self.logstaarten()}")
            self._controleer_levend()
            time.sleep(stap)

    def _controleer_levend(self) -> None:
        for naam, proc in (("hub", self.hub), *((f"{g.naam} serve", g.serve) for g in self._allemaal())):
            if proc is not None and proc.poll() is not None:
                raise KetenFout(f"{naam} is gestopt met code {proc.returncode}{self.logstaarten()}")

    def _allemaal(self) -> tuple[Gateway, ...]:
        return (*self.gateways, *self.klonen)

    def kloon(self, gw: Gateway, naam: str) -> Gateway:
        """A second instance of `gw` (same store, own port), watched by `wacht` and stopped by `stop`; start its
        processes with `start_serve` / `start_worker`. Only on PostgreSQL do several instances make sense."""
        kloon = gw.kloon(naam)
        self.klonen.append(kloon)
        return kloon

    def sleutels(self, gw: Gateway) -> None:
        """Migrate `gw`'s store and make its party key and an administrator key (`start` does this for both
        gateways; a test of one gateway alone calls it before `start_gateway`)."""
        keys = _sleutels(gw.database_url, gw.partij, gw.naam)
        gw.key = keys["partij"]
        self.beheerder_keys[gw.naam] = keys["beheerder"]

    def start_hub(self) -> None:
        self.hub = start_proces(self.hub_args, self.env, self.map / "hub.log")
        self.wacht("hub bereikbaar", lambda: bereikbaar(f"{self.hub_url}/health"), seconden=60)

    def stop_hub(self) -> None:
        stop_proces(self.hub)
        self.hub = None

    def start_gateway(self, gw: Gateway) -> None:
        gw.start_serve()
        gw.start_worker()
        self.wacht(f"{gw.naam} bereikbaar", lambda: bereikbaar(f"{gw.base}/ready"), seconden=60)

    def start(self) -> None:
        """Migrate both stores and make API keys, then start the hub and both gateways (each with a worker)
        at once and wait until all three answer; a worker that polls the hub before it is up just retries."""
        self.hub = start_proces(self.hub_args, self.env, self.map / "hub.log")  # it starts while we migrate
        for gw in self.gateways:
            self.sleutels(gw)
        for gw in self.gateways:
            gw.start_serve()
            gw.start_worker()
        urls = [f"{self.hub_url}/health", *(f"{gw.base}/ready" for gw in self.gateways)]
        self.wacht("hub en beide gateways bereikbaar", lambda: all(bereikbaar(u) for u in urls), seconden=60)

    def stop(self) -> None:
        """Stop every process of the chain; safe to call twice and after a partial start. All are asked at
        once, so they shut down side by side."""
        procs = [self.hub, *(p for gw in self._allemaal() for p in (gw.worker, gw.serve))]
        for proc in procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in procs:
            stop_proces(proc)
        for gw in self._allemaal():
            gw.serve = gw.worker = None
        self.hub = None

    def hub_wachtrij(self, token: str = TOKEN_AANBIEDER) -> list[dict[str, object]]:
        r = lokaal().get(f"{self.hub_url}/berichten", params={"limit": 250}, timeout=10,
                         headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return list(r.json()["berichten"])


def _sleutels(url: str, partij: str, naam: str) -> dict[str, str]:
    """Migrate the store and make the party's API key and an administrator key in it."""
    from gateway.store import apikeys
    from gateway.store.db import make_engine, make_session_factory, upgrade_to_head

    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            return {"partij": apikeys.create(session, label=f"keten {naam}", party=partij, actor="keten").key,
                    "beheerder": apikeys.create(session, label=f"keten beheer {naam}", role="admin",
                                                actor="keten").key}
    finally:
        engine.dispose()


def _schrijf_config(map: Path, hub: str, g_poort: int, tempo: Tempo) -> None:
    (map / "hub.toml").write_text(f"""# the hub of a local chain (iwmo-gateway demo / tests)
[[gemeente]]
code = "{GEMEENTE}"
token = "{TOKEN_GEMEENTE}"
endpoint = "http://127.0.0.1:{g_poort}/ggk"
aflever_token = "{TOKEN_HUB_NAAR_GEMEENTE}"

[[aanbieder]]
code = "{AANBIEDER}"
token = "{TOKEN_AANBIEDER}"

[bezorging]
interval_s = {tempo.hub_interval_s}
basis_s = {tempo.retry_basis_s}
max_s = {tempo.retry_max_s}
""", encoding="utf-8")
    (map / "gemeente-routes.toml").write_text(
        f'[[route]]\nnaar = ["*"]\nadapter = "ggk"\nendpoint = "{hub}/ggk"\ncredentials = "IWMO_GGK_TOKEN"\n',
        encoding="utf-8")
    (map / "aanbieder-routes.toml").write_text(
        f'[[route]]\nnaar = ["*"]\nadapter = "vecozo"\nendpoint = "{hub}"\ncredentials = "IWMO_VECOZO_TOKEN"\n'
        "ophalen = true\nwacht_ms = 1000\n", encoding="utf-8")


def opzetten(map: Path, *, tempo: Tempo = Tempo(), database_urls: dict[str, str] | None = None,
             log_level: str = "INFO", extra_env: dict[str, str] | None = None,
             worker_concurrency: int = 1) -> Keten:
    """Write the configuration of a chain in `map` and describe its processes; `Keten.start` starts them.

    `database_urls` may name the stores per side ("gemeente", "aanbieder", "hub"); the default is SQLite
    files in `map`.
    """
    map.mkdir(parents=True, exist_ok=True)
    urls = {naam: f"sqlite:///{map / f'{naam}.db'}" for naam in ("gemeente", "aanbieder", "hub")}
    urls |= database_urls or {}
    hub_poort, g_poort, a_poort = vrije_poort(), vrije_poort(), vrije_poort()
    hub = f"http://127.0.0.1:{hub_poort}"
    _schrijf_config(map, hub, g_poort, tempo)
    # The parent's IWMO_* settings (a developer's own gateway) must not leak into the chain's processes.
    basis = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    basis |= {"IWMO_WORKER_INTERVAL_S": str(tempo.worker_interval_s),
              "IWMO_TRANSPORT_RETRY_BASIS_S": str(tempo.retry_basis_s),
              "IWMO_TRANSPORT_RETRY_MAX_S": str(tempo.retry_max_s), "IWMO_TRANSPORT_LEASE_S": str(tempo.lease_s),
              "IWMO_LOG_LEVEL": log_level, "PYTHONUNBUFFERED": "1"} | (extra_env or {})
    gemeente = Gateway("gemeente", GEMEENTE, basis | {
        "IWMO_DATABASE_URL": urls["gemeente"], "IWMO_IDENTITEIT": f'["{GEMEENTE}"]',
        "IWMO_ROUTES_FILE": str(map / "gemeente-routes.toml"), "IWMO_GGK_TOKEN": TOKEN_GEMEENTE,
        "IWMO_GGK_INBOUND_TOKEN": TOKEN_HUB_NAAR_GEMEENTE, "IWMO_PORT": str(g_poort)},
        f"http://127.0.0.1:{g_poort}", map)
    aanbieder = Gateway("aanbieder", AANBIEDER, basis | {
        "IWMO_DATABASE_URL": urls["aanbieder"], "IWMO_IDENTITEIT": f'["{AANBIEDER}"]',
        "IWMO_ROUTES_FILE": str(map / "aanbieder-routes.toml"), "IWMO_VECOZO_TOKEN": TOKEN_AANBIEDER,
        "IWMO_PORT": str(a_poort)}, f"http://127.0.0.1:{a_poort}", map)
    gemeente.worker_concurrency = aanbieder.worker_concurrency = worker_concurrency
    hub_args = ["hub", "--port", str(hub_poort), "--config", str(map / "hub.toml"), "--database-url", urls["hub"],
                "--log-level", "warning"]
    return Keten(map, gemeente, aanbieder, hub, hub_args, urls["hub"], basis)
