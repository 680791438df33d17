"""Once against a real uvicorn process: the CLI creates a key, the server accepts a message over TCP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.msgedit import Msg
from tests.reference import our_example
from tests.serveproces import gateway_proces, schone_env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_real_server_with_cli_made_keys(tmp_path: Path) -> None:
    settings = {"IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"}
    env = schone_env(settings)
    assert _cli(env, "db", "upgrade").returncode == 0
    made = _cli(env, "keys", "create", "--party", "12345678", "--label", "aanbieder")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().rsplit(" ", 1)[-1]
    with gateway_proces(["serve"], map_=tmp_path, settings=settings, pad="/ready") as server:
        r = httpx.post(f"{server.base}/api/v1/berichten", content=our_example("WMO315"), timeout=30,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml",
                                "X-Request-Id": "test-req-1"})
        assert r.status_code == 201, r.text
        assert r.headers["x-request-id"] == "test-req-1"
        inbox = httpx.get(f"{server.base}/api/v1/inbox", timeout=10, headers={"X-API-Key": key}).json()
        assert inbox["items"][0]["bericht"] == "WMO316"
    log = server.uitvoer()
    assert '"request_id": "test-req-1"' in log
    bsn = Msg(our_example("WMO315")).text("Client/Bsn")
    assert bsn and bsn not in log  # never log a BSN
    assert _cli(env, "audit", "verify").returncode == 0


def _toewijzing(i: int) -> bytes:
    m = Msg(our_example("WMO301"))
    m.set("Header/BerichtIdentificatie/Identificatie", f"PROC{i:08d}")
    return m.bytes()


@pytest.mark.slow(seconden=40)
def test_serve_with_two_processes_on_one_port_accepts_every_message_once_with_one_audit_chain(tmp_path: Path) -> None:
    """`serve --processen 2`: uvicorn's two worker processes share the port, each with its own writer; their groups
    take SQLite's file in turn (an flock beside it). Every message is accepted once and the chain stays one line."""
    import concurrent.futures as cf
    import json

    settings = {"IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"}
    env = schone_env(settings)
    assert _cli(env, "db", "upgrade").returncode == 0
    key = _cli(env, "keys", "create", "--party", "0599", "--label", "gemeente").stdout.strip().rsplit(" ", 1)[-1]
    berichten = [_toewijzing(i) for i in range(24)]
    with gateway_proces(["serve", "--processen", "2"], map_=tmp_path, settings=settings, pad="/ready") as server:
        def stuur(data: bytes) -> tuple[int, str]:
            # a connection per message: the kernel spreads new connections over both processes
            r = httpx.post(f"{server.base}/api/v1/berichten", content=data, timeout=60,
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
            return r.status_code, r.json().get("status", r.text)

        with cf.ThreadPoolExecutor(8) as pool:
            uitkomsten = list(pool.map(stuur, berichten))
    assert uitkomsten == [(201, "accepted")] * len(berichten)
    regels = [json.loads(r) for r in server.uitvoer().splitlines() if r.startswith("{")]
    pids = {r["pid"] for r in regels if r.get("path") == "/api/v1/berichten" and r.get("status") == 201}
    assert len(pids) == 2, pids  # both processes took part
    verify = _cli(env, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
