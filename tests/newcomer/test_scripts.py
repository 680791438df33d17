"""The README's two commands and the image: scripts/run and scripts/test use a virtualenv (the active one, or the
project's own .venv/, made on first use) so they work on a Python the system manages (PEP 668); `--port`
reaches the server; the Dockerfile's health check asks that server.

The scripts are run for real by bash, with a stand-in `python3` that records what it is asked to do: making a
real virtualenv and installing every package would take minutes and need the package index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reference import REPO
from tests.serveproces import gateway_proces, vrije_poort

# Logs every call; `-c` (the "am I a venv's python?" question) answers no; `-m venv DIR` makes DIR/bin/python
# (FAKE_VENV=fail: fails the way Debian's python3 does without python3-venv, leaving a half-made folder).
SYSTEEM_PYTHON = r"""#!/bin/sh
echo "python3 $*" >> "$LOG"
case "$1" in
  -c) exit 1 ;;
  -m) if [ "$2" = venv ]; then
        mkdir -p "$3/bin"
        [ "${FAKE_VENV:-}" = fail ] && { echo "ensurepip is not available" >&2; exit 1; }
        cp "$VENV_PYTHON" "$3/bin/python"; fi ;;
esac
exit 0
"""
# The venv's python: logs, and `-m pip install` puts an iwmo-gateway next to it that logs how it was started.
VENV_PYTHON = r"""#!/bin/sh
echo "venv-python $*" >> "$LOG"
if [ "$2" = pip ]; then
  printf '#!/bin/sh\necho "venv-iwmo-gateway $*" >> "$LOG"\n' > "$(dirname "$0")/iwmo-gateway"
  chmod +x "$(dirname "$0")/iwmo-gateway"
fi
exit 0
"""
ACTIEVE_GATEWAY = '#!/bin/sh\necho "iwmo-gateway $*" >> "$LOG"\n'


def _uitvoerbaar(pad: Path, tekst: str) -> Path:
    pad.write_text(tekst, encoding="utf-8")
    pad.chmod(0o755)
    return pad


@pytest.fixture
def kloon(tmp_path: Path) -> Path:
    """A copy of the scripts in a folder like a fresh clone (no .venv/)."""
    (tmp_path / "kloon" / "scripts").mkdir(parents=True)
    for naam in ("run", "test", "python-env"):
        shutil.copy2(REPO / "scripts" / naam, tmp_path / "kloon" / "scripts" / naam)
    (tmp_path / "kloon" / "constraints.txt").write_text("", encoding="utf-8")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    _uitvoerbaar(bin_ / "python3", SYSTEEM_PYTHON)
    _uitvoerbaar(bin_ / "iwmo-gateway", ACTIEVE_GATEWAY)
    _uitvoerbaar(tmp_path / "venv-python", VENV_PYTHON)
    return tmp_path / "kloon"


def _draai(kloon: Path, script: str, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = kloon.parent / "log"
    log.unlink(missing_ok=True)
    omgeving = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "IWMO_TEST_POSTGRES_URL")}
    omgeving.update(PATH=f"{kloon.parent / 'bin'}:/usr/bin:/bin", LOG=str(log),
                    VENV_PYTHON=str(kloon.parent / "venv-python"), IWMO_TEST_POSTGRES_URL="niet-nodig", **env)
    uitvoer = subprocess.run(["bash", str(kloon / "scripts" / script), *args], env=omgeving, cwd=kloon.parent,
                             capture_output=True, text=True, timeout=60)
    regels = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return uitvoer, regels


def test_run_outside_a_virtualenv_makes_and_uses_the_projects_venv(kloon: Path) -> None:
    uitvoer, regels = _draai(kloon, "run", "--port", "8123")
    assert uitvoer.returncode == 0, uitvoer.stderr
    assert "python3 -m venv .venv" in regels
    assert "venv-python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ." in regels
    assert regels[-1] == "venv-iwmo-gateway serve --demo --port 8123"
    assert (kloon / ".venv" / "bin" / "python").exists()
    assert not any(r.startswith("python3 -m pip") for r in regels), "pip must not touch the system's Python"


def test_run_a_second_time_reuses_the_venv(kloon: Path) -> None:
    _draai(kloon, "run")
    uitvoer, regels = _draai(kloon, "run")
    assert uitvoer.returncode == 0, uitvoer.stderr
    assert not any("-m venv" in r for r in regels)
    assert regels[-1] == "venv-iwmo-gateway serve --demo"


def test_run_inside_an_active_virtualenv_installs_there(kloon: Path) -> None:
    uitvoer, regels = _draai(kloon, "run", "--port", "9000", VIRTUAL_ENV=str(kloon.parent / "eigen-venv"))
    assert uitvoer.returncode == 0, uitvoer.stderr
    assert not (kloon / ".venv").exists()
    assert "python3 -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ." in regels
    assert regels[-1] == "iwmo-gateway serve --demo --port 9000"


def test_test_script_installs_test_tools_into_the_venv_and_passes_arguments_to_pytest(kloon: Path) -> None:
    uitvoer, regels = _draai(kloon, "test", "-k", "iets")
    assert uitvoer.returncode == 0, uitvoer.stderr
    assert "python3 -m venv .venv" in regels
    assert regels[-3:] == [
        "venv-python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .[test]",
        "venv-python -m ruff check gateway tests bench",
        "venv-python -m pytest -k iets",
    ]


def test_without_python3_venv_the_script_says_what_to_install(kloon: Path) -> None:
    uitvoer, _ = _draai(kloon, "run", FAKE_VENV="fail")
    assert uitvoer.returncode != 0
    assert "apt-get install python3-venv" in uitvoer.stderr
    assert not (kloon / ".venv").exists(), "a half-made venv would be taken for a working one next time"


# -- --port reaches the server, and the image's health check asks it ------------------------------------------


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`iwmo-gateway serve --demo --port N` as scripts/run starts it, in an empty folder (its own var/)."""
    map_ = tmp_path_factory.mktemp("serve")
    with gateway_proces(["serve", "--demo"], map_=map_, seconden=90) as server:
        yield server.poort
    assert (map_ / "var" / "iwmo-gateway.db").exists()


def test_serve_demo_listens_on_the_port_asked_for(demo_server: int) -> None:
    r = httpx.get(f"http://127.0.0.1:{demo_server}/ready", timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "gereed"


def _healthcheck() -> list[str]:
    tekst = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    gevonden = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", tekst, re.MULTILINE)
    assert gevonden, "Dockerfile has no HEALTHCHECK ... CMD [...]"
    return list(json.loads(gevonden.group(1)))


def test_the_images_health_check_passes_against_a_running_gateway_and_fails_without_one(demo_server: int) -> None:
    opdracht = _healthcheck()
    assert opdracht[0] == "python"
    opdracht[0] = sys.executable
    env = {**os.environ, "IWMO_PORT": str(demo_server)}
    assert subprocess.run(opdracht, env=env, capture_output=True, timeout=30).returncode == 0
    env["IWMO_PORT"] = str(vrije_poort())
    assert subprocess.run(opdracht, env=env, capture_output=True, timeout=30).returncode != 0
