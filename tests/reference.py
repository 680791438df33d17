"""Where the read-only reference material (../shared/reference) is, for tests that use it as an oracle.

Tests that need it call `reference_dir()`, which skips the test with a message when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUR_EXAMPLES = REPO / "gateway" / "demo" / "berichten"


# Every skip for want of the reference starts with this; tests/conftest.py counts them in one summary line.
AFWEZIG = "../shared/reference not present"


def reference_path() -> Path:
    override = os.environ.get("IWMO_SHARED_REFERENCE")
    return Path(override) if override else REPO.parent / "shared" / "reference"


def reference_dir() -> Path:
    path = reference_path()
    if not (path / "iwmo-3.2").is_dir():
        pytest.skip(f"{AFWEZIG} at {path}: official XSDs/examples unavailable")
    return path


def official_example(naam: str) -> bytes:
    return (reference_dir() / "iwmo-3.2" / "examples" / f"{naam.upper()}.xml").read_bytes()


def official_xsd_dir() -> Path:
    return reference_dir() / "iwmo-3.2" / "xsd"


def our_example(naam: str) -> bytes:
    """One of the example messages the project ships (written by us), e.g. our_example('WMO301')."""
    return (OUR_EXAMPLES / f"{naam.upper()}.xml").read_bytes()
