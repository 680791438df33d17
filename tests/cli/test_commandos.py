"""The printing commands as a shell user meets them: a reader that stops early, a trial run with the default
settings, the anchor pasted back as printed, and a worker round without Alembic's start-up chatter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import SIGPIPE_CODE
from tests.reference import our_example


def _cli(*args: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    schoon = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=schoon | (env or {}), text=True,
                          timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("args", [("regels",), ("regels", "--markdown"), ("validate", "--json", "gateway/demo/berichten")])
def test_a_reader_that_goes_away_ends_the_command_without_a_traceback(args: tuple[str, ...]) -> None:
    # `iwmo-gateway regels | head`, made certain: the pipe's reading end is closed before anything is written.
    lees, schrijf = os.pipe()
    os.close(lees)
    try:
        r = _cli(*args, stdout=schrijf, stderr=subprocess.PIPE)
    finally:
        os.close(schrijf)
    assert r.stderr == ""
    assert r.returncode == SIGPIPE_CODE


def test_regels_piped_into_head_prints_the_first_lines_and_nothing_else() -> None:
    r = subprocess.run(f"{sys.executable} -m gateway.cli regels | head -n 2", shell=True, capture_output=True,
                       text=True, timeout=120, check=False)
    assert len(r.stdout.splitlines()) == 2 and r.stderr == ""


def test_a_trial_cleanup_with_the_default_settings_says_nothing_is_configured_and_succeeds(migrated_url: str) -> None:
    r = _cli("db", "opschonen", "--proef", env={"IWMO_DATABASE_URL": migrated_url}, capture_output=True)
    assert r.returncode == 0, r.stderr
    assert "geen bewaartermijn ingesteld" in r.stdout and "zou niets worden verwijderd" in r.stdout


def test_audit_verify_takes_the_anchor_as_it_printed_it(migrated_url: str) -> None:
    env = {"IWMO_DATABASE_URL": migrated_url}
    assert _cli("keys", "create", "--party", "0599", "--label", "anker", env=env, capture_output=True).returncode == 0
    eerste = _cli("audit", "verify", env=env, capture_output=True)
    assert eerste.returncode == 0, eerste.stderr
    regel = eerste.stdout.strip().splitlines()[-1]
    anker = regel.rsplit(" ", 1)[-1]
    for geplakt in (anker, regel, f" '{anker.upper()}' "):
        r = _cli("audit", "verify", "--anker", geplakt, env=env, capture_output=True)
        assert r.returncode == 0, (geplakt, r.stderr)
    seq = anker.partition(":")[0]
    vals = _cli("audit", "verify", "--anker", f"{seq}:{'0' * 64}", env=env, capture_output=True)
    assert vals.returncode == 1  # a normalised anchor is still checked
    assert _cli("audit", "verify", "--anker", "onzin", env=env, capture_output=True).returncode == 2


def test_worker_once_prints_its_round_and_no_alembic_chatter(tmp_path: Path) -> None:
    map_ = tmp_path / "uitwisseling"
    (map_ / "in").mkdir(parents=True)
    (map_ / "in" / "verzoek.xml").write_bytes(our_example("WMO315"))
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\nnaar = ["*"]\nadapter = "filesystem"\nendpoint = "{map_}"\nophalen = true\n')
    env = {"IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "IWMO_ROUTES_FILE": str(routes),
           "IWMO_IDENTITEIT": '["0599"]'}
    r = _cli("worker", "--once", env=env, capture_output=True)  # a new database: every migration runs
    assert r.returncode == 0, r.stderr
    assert "opgehaald 1" in r.stdout
    assert "alembic" not in r.stderr, r.stderr
