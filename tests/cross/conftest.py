"""Fixtures for the cross-message rule tests; the scenario building blocks live in keten.py."""

from __future__ import annotations

import pytest

from gateway.settings import Mode


@pytest.fixture(params=[Mode.STRICT, Mode.LENIENT], ids=["strict", "lenient"])
def modus(request: pytest.FixtureRequest) -> Mode:
    """For rules that must behave the same in both modes (they fire only on positive evidence)."""
    return request.param  # type: ignore[no-any-return]
