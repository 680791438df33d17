"""The Dockerfile and .dockerignore, read statically (Docker itself is not on every machine that runs the suite):
a non-root user, a health check, the tested versions, and a build context without history, state or caches that
still holds everything the Dockerfile copies. tests/newcomer/test_scripts.py runs the health check itself."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import PurePosixPath

import pytest

from tests.reference import REPO


def _instructies() -> list[tuple[str, str]]:
    tekst = (REPO / "Dockerfile").read_text(encoding="utf-8")
    regels = [r for r in tekst.splitlines() if not r.lstrip().startswith("#")]
    samen = re.sub(r"\\\n\s*", " ", "\n".join(regels))
    return [(r.split(None, 1)[0].upper(), r.split(None, 1)[1]) for r in samen.splitlines() if r.strip()]


def _patronen() -> list[str]:
    regels = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [r.strip().rstrip("/") for r in regels if r.strip() and not r.startswith("#")]


def _genegeerd(pad: str) -> bool:
    """Docker's rule, for the patterns we use: a path is left out when it or a folder above it matches."""
    delen = PurePosixPath(pad).parts
    kandidaten = ["/".join(delen[:i]) for i in range(1, len(delen) + 1)]
    for patroon in _patronen():
        for kandidaat in kandidaten:
            if fnmatch.fnmatchcase(kandidaat, patroon):
                return True
            if patroon.startswith("**/") and any(fnmatch.fnmatchcase("/".join(kandidaat.split("/")[i:]), patroon[3:])
                                                 for i in range(len(kandidaat.split("/")))):
                return True
    return False


def test_the_gateway_runs_as_a_non_root_user() -> None:
    instructies = _instructies()
    users = [i for i, (naam, _) in enumerate(instructies) if naam == "USER"]
    assert users, "no USER: the gateway would run as root"
    gebruiker = instructies[users[-1]][1].split(":")[0].strip()
    assert gebruiker not in ("root", "0")
    cmd = next(i for i, (naam, _) in enumerate(instructies) if naam == "CMD")
    assert users[-1] < cmd
    assert any(naam == "RUN" and ("useradd" in arg and (gebruiker in arg)) for naam, arg in instructies), \
        "the USER is never created"


def test_the_health_check_asks_health_with_python_not_curl() -> None:
    checks = [arg for naam, arg in _instructies() if naam == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/health" in checks[0] and "curl" not in checks[0] and "python" in checks[0]


def test_the_image_installs_the_versions_the_suite_passed_with() -> None:
    installs = [arg for naam, arg in _instructies() if naam == "RUN" and "pip install" in arg]
    assert installs and all("-c constraints.txt" in arg for arg in installs)


def test_everything_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    for naam, arg in _instructies():
        if naam != "COPY":
            continue
        *bronnen, _doel = shlex.split(arg)
        for bron in bronnen:
            assert (REPO / bron).exists(), f"COPY {bron}: not in the repository"
            assert not _genegeerd(bron), f"COPY {bron}: left out of the build context by .dockerignore"


@pytest.mark.parametrize("pad", [".git/HEAD", "var/iwmo-gateway.db", ".venv/bin/python", "venv/bin/python",
                                 "gateway/__pycache__/cli.cpython-311.pyc", ".pytest_cache/v/cache",
                                 ".ruff_cache/x", "iwmo_gateway.egg-info/PKG-INFO", ".ci/node_modules/x/y.js",
                                 "tests/conftest.py"])
def test_history_state_environments_and_caches_stay_out_of_the_build_context(pad: str) -> None:
    assert _genegeerd(pad)


@pytest.mark.parametrize("pad", ["gateway/api/docs.py", "schemas", "migrations", "pyproject.toml", "constraints.txt"])
def test_the_sources_stay_in_the_build_context(pad: str) -> None:
    assert not _genegeerd(pad)
