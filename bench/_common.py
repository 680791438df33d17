"""What the HTTP benches share: starting a real `iwmo-gateway serve` (or another uvicorn app) on 127.0.0.1,
API keys made with the CLI, a throwaway PostgreSQL database, the demo examples with a fresh identificatie,
and percentiles.

Every process started here runs in a session of its own and is stopped (SIGTERM, then SIGKILL) when its
`with` block ends, also on an error or Ctrl-C; on Linux it also gets SIGTERM if the bench itself dies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
BERICHTEN = ROOT / "gateway" / "demo" / "berichten"
AANBIEDER = "12345678"
GEMEENTE = "0599"
HOST = "127.0.0.1"  # benches talk to nothing else
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}  # "" is a Unix socket
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


# -- messages -------------------------------------------------------------------------------------------

def laad_voorbeeld(naam: str) -> etree._ElementTree:
    """One of gateway/demo/berichten, parsed the safe way, for a bench to edit and serialise."""
    return etree.parse(str(BERICHTEN / f"{naam}.xml"), etree.XMLParser(resolve_entities=False, no_network=True))


def elementen(tree: etree._ElementTree, pad: str, aantal: int = 1) -> list[etree._Element]:
    """The elements at a local-name path below the root such as "Header/BerichtIdentificatie/Identificatie".
    An example that no longer has `aantal` of them stops the bench, so it never measures a message it did not mean."""
    xpath = "/*/" + "/".join(f"*[local-name()='{stap}']" for stap in pad.split("/"))
    found = tree.xpath(xpath)
    if len(found) != aantal:
        raise SystemExit(f"{Path(tree.docinfo.URL or '?').name}: expected {aantal} {pad}, found {len(found)}")
    return list(found)


def enig(tree: etree._ElementTree, pad: str) -> etree._Element:
    return elementen(tree, pad)[0]


IDENTIFICATIE = "Header/BerichtIdentificatie/Identificatie"


def xml_bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


# -- processes ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def gateway_env(database_url: str, workdir: Path, **settings: str) -> dict[str, str]:
    """The environment for a gateway process: our database and no transport routes, and none of the caller's own
    IWMO_* settings or config file, so every bench run measures the same configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    env["IWMO_DATABASE_URL"] = database_url
    env["IWMO_HOST"] = HOST
    # A routes.toml in the checkout would make the gateway queue deliveries; a bench measures ingest only.
    env["IWMO_ROUTES_FILE"] = str(workdir / "geen-routes.toml")
    env.update({f"IWMO_{k.upper()}": v for k, v in settings.items()})
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"iwmo-gateway {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def partij_sleutel(env: dict[str, str], party: str) -> str:
    # `keys create` prints the key as the last word; it is shown once and stored only hashed.
    return cli(env, "keys", "create", "--party", party, "--label", f"bench {party}").strip().rsplit(" ", 1)[-1]


def _sterf_met_ouder() -> None:
    # PR_SET_PDEATHSIG: if the bench is killed outright (SIGKILL, a test timeout), its servers go too.
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


@contextmanager
def proces(cmd: Sequence[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run cmd with its output in `log` (a pipe nobody reads would fill up and stall it mid-run) and stop it, and
    anything it started, when the block ends."""
    with log.open("wb") as sink:
        p = subprocess.Popen(list(cmd), env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                             start_new_session=True,
                             preexec_fn=_sterf_met_ouder if sys.platform == "linux" else None)
        try:
            yield p
        finally:
            stop(p)


def stop(p: subprocess.Popen[bytes]) -> None:
    for sig, wacht in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        if p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)  # its own session: the group is this process and its children only
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wacht)
        except subprocess.TimeoutExpired:
            continue


def wait_ready(base: str, p: subprocess.Popen[bytes], log: Path, path: str = "/ready") -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(trust_env=False, timeout=2) as http:  # no proxy from the environment: loopback only
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise SystemExit(f"{base}: the server stopped with {p.returncode}; its log:\n{staart(log)}")
            try:
                if http.get(f"{base}{path}").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"{base} was not ready within {READY_TIMEOUT_S:.0f} s; its log:\n{staart(log)}")


def staart(log: Path, tekens: int = 3000) -> str:
    return log.read_text(errors="replace")[-tekens:] if log.exists() else "(no log)"


@dataclass
class Server:
    base: str
    keys: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]


@contextmanager
def running_gateway(database_url: str, workdir: Path, parties: Sequence[str] = (GEMEENTE, AANBIEDER),
                    processen: int = 1, **settings: str) -> Iterator[Server]:
    """`iwmo-gateway serve` (`processen` uvicorn processes on one port) on a fresh port, with a party key for each
    of `parties`."""
    env = gateway_env(database_url, workdir, **settings)
    cli(env, "db", "upgrade")
    keys = {party: partij_sleutel(env, party) for party in parties}
    port = free_port()
    log = workdir / f"gateway-{port}.log"
    cmd = [sys.executable, "-m", "gateway.cli", "serve", "--host", HOST, "--port", str(port), "--processen", str(processen)]
    with proces(cmd, env, log) as p:
        base = f"http://{HOST}:{port}"
        wait_ready(base, p, log)
        yield Server(base, keys, log, p)


# -- PostgreSQL -----------------------------------------------------------------------------------------

def loopback_only(server_url: str) -> str:
    from sqlalchemy.engine import make_url

    host = make_url(server_url).host or ""
    if host not in LOOPBACK:
        raise SystemExit(f"PostgreSQL at {host}: the benches measure one machine and talk only to {HOST}; "
                         "run the server locally (scripts/pg-test-server start prints a URL)")
    return server_url


@contextmanager
def postgres_database(server_url: str, prefix: str = "bench") -> Iterator[str]:
    """A new, empty database on the server of `server_url` (which must let us CREATE DATABASE); its URL with the
    psycopg driver. Dropped afterwards, connections and all."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- figures --------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def on_signal_raise(signals: Sequence[int] = (signal.SIGTERM, signal.SIGHUP),
                    exc: Callable[[int], BaseException] = lambda s: SystemExit(128 + s)) -> None:
    """Turn a polite kill into an exception, so the `with` blocks above stop their servers on the way out."""
    def handler(signum: int, _frame: object) -> None:
        raise exc(signum)

    for s in signals:
        signal.signal(s, handler)
