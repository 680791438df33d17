"""Waiting for the chain's processes costs the waiter next to nothing: one HTTP client for all polls and calls,
not a new one per poll. Making an httpx client loads the CA bundle (about 90 ms of CPU), so a wait that polled
every 0.1 s with a fresh client kept a core half busy while the processes it waited for were starting, and a
test that posted a hundred messages paid it a hundred times."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.transport import keten
from tests import serveproces


@pytest.fixture
def nieuwe_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Client]]:
    """Every httpx client made while the test runs (the chain's shared one starts afresh)."""
    gemaakt: list[httpx.Client] = []
    init = httpx.Client.__init__

    def tel(self: httpx.Client, *args: object, **kwargs: object) -> None:
        gemaakt.append(self)
        init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Client, "__init__", tel)
    monkeypatch.setattr(keten, "_client", None, raising=False)
    yield gemaakt
    for client in gemaakt:
        client.close()


def test_polling_and_calling_the_chain_makes_one_http_client(nieuwe_clients: list[httpx.Client]) -> None:
    dicht = f"http://127.0.0.1:{keten.vrije_poort()}"  # nobody listens: every poll is refused
    assert not any(keten.bereikbaar(f"{dicht}/ready") for _ in range(5))
    gw = keten.Gateway("gemeente", keten.GEMEENTE, {}, dicht, Path("."))
    for _ in range(3):
        with pytest.raises(httpx.ConnectError):
            gw.post(b"<Bericht/>")
        with pytest.raises(httpx.ConnectError):
            gw.get("/api/v1/inbox")
    draden = [threading.Thread(target=keten.bereikbaar, args=(f"{dicht}/health",)) for _ in range(4)]
    for d in draden:
        d.start()
    for d in draden:
        d.join()
    assert len(nieuwe_clients) == 1


def test_waiting_for_a_server_process_uses_one_client_for_all_its_polls(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gateway_proces` polls until the server answers; here a stand-in that listens only after a second (the
    real `serve` takes seconds), so the wait polls several times."""
    traag = textwrap.dedent("""
        import http.server, sys, time
        time.sleep(1.0)
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers()
            def log_message(self, *a):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), H).serve_forever()
    """)
    popen = subprocess.Popen

    def stand_in(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        return popen([sys.executable, "-c", traag, *args[3:]], **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(serveproces.subprocess, "Popen", stand_in)
    gemaakt: list[httpx.Client] = []

    def client() -> httpx.Client:
        gemaakt.append(httpx.Client(timeout=2))
        return gemaakt[-1]

    with serveproces.gateway_proces(["serve"], map_=tmp_path, client=client) as server, httpx.Client() as http:
        assert http.get(f"{server.base}/health").status_code == 200
    assert len(gemaakt) == 1
