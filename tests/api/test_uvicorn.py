"""Once against a real uvicorn process: the CLI creates a key, the server accepts a message over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.msgedit import Msg
from tests.reference import our_example


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_real_server_with_cli_made_keys(tmp_path: Path) -> None:
    env = {**os.environ, "IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"}
    assert _cli(env, "db", "upgrade").returncode == 0
    made = _cli(env, "keys", "create", "--party", "12345678", "--label", "aanbieder")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().rsplit(" ", 1)[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        r = httpx.post(f"{base}/api/v1/berichten", content=our_example("WMO315"), timeout=30,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml",
                                "X-Request-Id": "test-req-1"})
        assert r.status_code == 201, r.text
        assert r.headers["x-request-id"] == "test-req-1"
        assert httpx.get(f"{base}/api/v1/inbox", timeout=10, headers={"X-API-Key": key}).json()["items"][0]["bericht"] == "WMO316"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    log = err.decode()
    assert '"request_id": "test-req-1"' in log
    bsn = Msg(our_example("WMO315")).text("Client/Bsn")
    assert bsn and bsn not in log  # never log a BSN
    assert _cli(env, "audit", "verify").returncode == 0
