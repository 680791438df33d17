"""bench/ingest.py keeps working: a tiny run starts both servers, sends messages the gateway accepts and prints
its table. No timing is asserted here; the figures belong to the bench itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
N = 20

pytestmark = pytest.mark.slow  # two servers and the gateway's CLI start as processes: about 20-40 s


def _tabel(uitvoer: str) -> list[dict[str, str]]:
    regels = [r for r in uitvoer.splitlines() if r.startswith("| ")]
    kop = [k.strip() for k in regels[0].strip("|").split("|")]
    return [dict(zip(kop, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in regels[1:]]


def test_quick_run_prints_a_row_per_concurrency_with_every_message_accepted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IWMO_TEST_POSTGRES_URL"}
    cmd = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--quick", "--n", str(N), "--concurrency", "1,4",
           "--backend", "sqlite", "--timeout", "240"]
    with subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as bench:
        try:
            uit, fout = bench.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            bench.send_signal(signal.SIGTERM)  # lets the bench stop its servers before we give up on it
            uit, fout = bench.communicate(timeout=60)
            pytest.fail(f"bench/ingest.py --quick did not finish in 300 s:\n{uit}\n{fout}")
    assert bench.returncode == 0, f"{uit}\n{fout}"

    rijen = _tabel(uit)
    assert [(r["backend"], r["concurrency"]) for r in rijen] == [("sqlite", "1"), ("sqlite", "4")], uit
    for r in rijen:
        assert r["accepted/sent"] == f"{N}/{N}", uit
        assert float(r["gateway msg/s"]) > 0 and float(r["minimal app rps"]) > 0, uit
        assert r["ratio"].endswith("%"), uit
