"""The README documents what the code does: its rule table is the registry's."""

import re
from pathlib import Path

import pytest

from gateway.validation.rules.catalogus import markdown_table, update_readme
from gateway.validation.rules.registry import all_rules

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_rule_table_matches_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    assert update_readme(text) == text, "run: iwmo-gateway regels --update-readme README.md"


def test_every_registered_rule_code_is_in_the_table() -> None:
    table = markdown_table()
    for r in all_rules():
        assert f"| {r.code} | {r.retourcode} |" in table


def test_every_cross_rule_code_is_in_the_table() -> None:
    from gateway.validation.cross.registry import all_cross_rules

    table = markdown_table()
    for r in all_cross_rules():
        assert f"| {r.code} | {r.retourcode} |" in table


def test_readme_states_how_many_tests_the_suite_runs(request: pytest.FixtureRequest) -> None:
    from tests.conftest import AANTAL_TESTS

    aantal = request.config.stash.get(AANTAL_TESTS, None)
    if aantal is None:
        pytest.skip("alleen bij een volledige run (./scripts/test zonder paden, -k of -m): dan is het aantal bekend")
    genoemd = re.search(r"`\./scripts/test` runs ([\d ]+) tests", README.read_text(encoding="utf-8"))
    assert genoemd, "README: zet in de inleiding '`./scripts/test` runs N tests'"
    assert int(genoemd.group(1).replace(" ", "")) == aantal, f"README noemt {genoemd.group(1)}; de suite heeft {aantal}"
