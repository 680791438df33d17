"""Without ../shared/reference the oracle tests skip; pytest then ends with one line that says how many and why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reference import REPO

# Two tests that need the reference, one that skips for another reason, one that passes.
VOORBEELD = '''
import pytest
from tests.reference import official_example, reference_dir

def test_needs_the_reference():
    reference_dir()

def test_needs_an_official_example():
    official_example("WMO301")

def test_skips_for_another_reason():
    pytest.skip("not today")

def test_passes():
    pass
'''


def _pytest(tmp_path: Path, reference: Path) -> str:
    test = tmp_path / "test_oracle.py"
    test.write_text(VOORBEELD, encoding="utf-8")
    env = {**os.environ, "IWMO_SHARED_REFERENCE": str(reference), "PYTHONPATH": str(REPO)}
    # -p loads the project's conftest as a plug-in, as it is for every test under tests/.
    uitvoer = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                              "--rootdir", str(tmp_path), str(test)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert uitvoer.returncode == 0, uitvoer.stdout + uitvoer.stderr
    return uitvoer.stdout


def test_absent_reference_is_summed_up_in_one_line_with_its_count_and_reason(tmp_path: Path) -> None:
    afwezig = tmp_path / "nergens"
    regels = [r for r in _pytest(tmp_path, afwezig).splitlines() if "../shared/reference is absent" in r]
    assert len(regels) == 1, regels
    assert regels[0].startswith("2 skipped: ../shared/reference is absent")
    assert str(afwezig) in regels[0] and "IWMO_SHARED_REFERENCE" in regels[0]


def test_no_line_when_the_reference_is_there(tmp_path: Path) -> None:
    aanwezig = tmp_path / "reference"
    (aanwezig / "iwmo-3.2" / "examples").mkdir(parents=True)
    (aanwezig / "iwmo-3.2" / "examples" / "WMO301.xml").write_bytes(b"<x/>")
    assert "../shared/reference is absent" not in _pytest(tmp_path, aanwezig)
