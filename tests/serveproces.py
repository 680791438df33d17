"""A real `iwmo-gateway serve` (or another gateway command) as a child process on loopback, for tests.

One place knows how such a test starts the server, waits until it answers, and stops it: with only the
IWMO_* settings the test gives (none of the developer's), the project on PYTHONPATH however it was installed,
and everything the process prints in one log file, so a test can read it while the server runs or after it
stopped (a pipe nobody reads would block a chatty server once its buffer is full).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.transport.keten import stop_proces, vrije_poort
from tests.reference import REPO

__all__ = ["Server", "gateway_proces", "vrije_poort"]


@dataclass(frozen=True)
class Server:
    base: str  # e.g. http://127.0.0.1:41234
    poort: int
    proces: subprocess.Popen[bytes]
    log: Path  # stdout and stderr together

    def uitvoer(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def schone_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any IWMO_* variable, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    return env | {"PYTHONPATH": str(REPO)} | dict(settings)


def _antwoordt(url: str, client: httpx.Client) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def gateway_proces(
    args: Sequence[str],
    *,
    map_: Path,
    settings: Mapping[str, str] | None = None,
    pad: str = "/health",
    seconden: float = 60,
    scheme: str = "http",
    client: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=2),
) -> Iterator[Server]:
    """`python -m gateway.cli ARGS --port N` run in `map_` (its log goes there too), yielded once `pad` answers
    200; stopped on leaving (SIGTERM, SIGKILL when it does not end in 30 s). Close every client of a TLS server
    before leaving: an open TLS connection holds uvicorn's shutdown for its 30 s close_notify wait."""
    poort = vrije_poort()
    fd, naam = tempfile.mkstemp(prefix=f"{args[0]}-", suffix=".log", dir=map_)  # one per start, never shared
    log = Path(naam)
    with os.fdopen(fd, "wb") as uit:
        proces = subprocess.Popen([sys.executable, "-m", "gateway.cli", *args, "--port", str(poort)], cwd=map_,
                                  env=schone_env(settings or {}), stdout=uit, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    server = Server(f"{scheme}://127.0.0.1:{poort}", poort, proces, log)
    try:
        einde = time.monotonic() + seconden
        # One client for the whole wait: making one costs ~90 ms of CPU (it loads the CA bundle), paid at every
        # poll it would keep a core half busy while the server starts. Closed before the test runs (see above).
        with client() as c:
            while not _antwoordt(server.base + pad, c):
                assert proces.poll() is None, f"{' '.join(args)} stopte (exit {proces.returncode}):\n{server.uitvoer()}"
                assert time.monotonic() < einde, f"{pad} gaf binnen {seconden:.0f} s geen 200:\n{server.uitvoer()}"
                time.sleep(0.2)
        yield server
    finally:
        stop_proces(proces, timeout=30)
