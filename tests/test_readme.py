"""The README documents what the code does: its rule table is the registry's."""

from pathlib import Path

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
