"""Strict and lenient mode for every cross-message rule, the catalogue, and the registry against the rule texts.

The table in registry.py's docstring (and `catalogus.regels()`) promises: only the rules that need an earlier
message the gateway may not have seen differ between the modes; the others fire on positive evidence only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from gateway.settings import Mode
from gateway.validation.cross import registry
from gateway.validation.cross.catalogus import hangt_af_van_modus, markdown_table, modus_gedrag, regels
from gateway.validation.cross.registry import all_cross_rules
from tests.cross.keten import (
    ANDERE_BSN,
    PRESTATIE,
    STOP,
    Keten,
    crediteer,
    declaratie,
    gestart,
    hernummer,
    start,
    stop,
    toegewezen,
    voorbeeld,
)
from tests.msgedit import Msg
from tests.reference import reference_dir

VOORBEELDEN = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]


def _credit() -> Msg:
    return crediteer(hernummer(declaratie(), "R-0001", "R-0002"), 1, "P2026-04-0001")


# (rule, what the gateway already knows, the message, what makes lenient fire anyway)
ONBEKEND: dict[str, tuple[Callable[[Mode], Keten], Callable[[], Msg], Callable[[Mode], Keten], Callable[[], Msg]]] = {
    # unknown history → strict fires, lenient not; with evidence (last two) → both fire
    "TR019": (Keten, lambda: voorbeeld("WMO305"),
              toegewezen, lambda: voorbeeld("WMO305").set("Client/StartProducten/StartProduct[1]/ToewijzingNummer",
                                                         "260999")),
    "TR338": (Keten, lambda: voorbeeld("WMO323"),
              toegewezen, lambda: voorbeeld("WMO323").set(f"{PRESTATIE}[1]/ToewijzingNummer", "260999")),
    "TR063": (Keten, lambda: start(1, status="3"),
              toegewezen, lambda: start(1, status="3")),
    "TR382": (toegewezen, stop,
              gestart, lambda: stop().set(f"{STOP}/Begindatum", "2026-04-01")),
    "TR304": (Keten, lambda: voorbeeld("WMO317"),
              toegewezen, lambda: voorbeeld("WMO317").set("Client/Bsn", ANDERE_BSN)),
    "TR323": (toegewezen, _credit,
              lambda mode: toegewezen(mode).accepteer(voorbeeld("WMO323")),
              lambda: _credit().set(f"{PRESTATIE}[1]/ProductReferentie/VorigReferentieNummer", "P-ONBEKEND")),
}


def test_every_mode_dependent_rule_has_a_scenario() -> None:
    assert set(ONBEKEND) == {r.code for r in all_cross_rules() if hangt_af_van_modus(r.code)}


@pytest.mark.parametrize("code", sorted(ONBEKEND))
def test_unknown_history_strict_fires_lenient_does_not(code: str) -> None:
    historie, bericht, _, _ = ONBEKEND[code]
    assert code in historie(Mode.STRICT).codes(bericht())
    assert code not in historie(Mode.LENIENT).codes(bericht())


@pytest.mark.parametrize("code", sorted(ONBEKEND))
def test_lenient_fires_when_the_history_shows_the_gap(code: str, modus: Mode) -> None:
    _, _, historie, bericht = ONBEKEND[code]
    assert code in historie(modus).codes(bericht())


@pytest.mark.parametrize("naam", VOORBEELDEN)
def test_empty_history_lenient_accepts_every_example(naam: str) -> None:
    # A freshly installed gateway in lenient mode: nothing is known, so nothing can be contradicted.
    assert Keten(Mode.LENIENT).oordeel(voorbeeld(naam)) == []


@pytest.mark.parametrize("naam", VOORBEELDEN)
def test_empty_history_strict_fires_only_mode_dependent_rules(naam: str) -> None:
    codes = Keten(Mode.STRICT).codes(voorbeeld(naam))
    assert all(hangt_af_van_modus(c) for c in codes), codes


def test_the_start_chain_fires_in_strict_mode_on_an_empty_history() -> None:
    assert Keten(Mode.STRICT).codes(voorbeeld("WMO305")) == {"TR019"}
    assert Keten(Mode.STRICT).codes(voorbeeld("WMO323")) == {"TR304", "TR338"}


# -- the catalogue ---------------------------------------------------------------------------------------------

def test_catalogus_lists_every_rule_as_registered() -> None:
    rows = regels()
    assert [r.code for r in rows] == [r.code for r in all_cross_rules()]
    assert len(rows) == 32
    for row, rule in zip(rows, all_cross_rules(), strict=True):
        assert (row.retourcode, set(row.berichten), row.omschrijving) == (rule.retourcode, rule.berichten,
                                                                          rule.omschrijving)
        assert row.modus == modus_gedrag(row.code) and row.modus


def test_markdown_table_has_a_row_per_rule() -> None:
    rows = markdown_table().splitlines()[2:]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [r.code for r in regels()]
    assert "| TR382 | 9069 | 307 |" in markdown_table()


def test_registry_docstring_table_names_every_rule() -> None:
    doc = registry.__doc__ or ""
    table = [line for line in doc.splitlines() if line.startswith("| TR")]
    in_table = {code for line in table for code in re.findall(r"TR\d{3}", line.split("|")[1])}
    assert in_table == {r.code for r in all_cross_rules()}
    for line in table:
        codes = re.findall(r"TR\d{3}", line.split("|")[1])
        strict, lenient = (c.strip() for c in line.split("|")[3:5])
        verschilt = lenient not in ("same", strict)
        assert all(hangt_af_van_modus(c) == verschilt for c in codes), line


# -- the registry against the standard's rule texts ---------------------------------------------------------------

def _rule_texts() -> dict[str, tuple[str, set[str]]]:
    text = (reference_dir() / "iwmo-3.2" / "docs" / "regels" / "technische-regels.md").read_text(encoding="utf-8")
    out: dict[str, tuple[str, set[str]]] = {}
    for section in re.split(r"\n(?=## TR\d{3})", text):
        head = re.match(r"## (TR\d{3})", section)
        retourcode = re.search(r"\| Retourcode \| (\S+) \|", section)
        if not head or not retourcode:
            continue
        gebruik = section.split("### Gebruik in berichten", 1)[-1]
        # TR019 lists "W<P307", a typo for WMO307 (reference README, known problems).
        berichten = {f"WMO{n}" for n in re.findall(r"^- W\S*?(\d{3})\s*$", gebruik, flags=re.M)}
        out[head.group(1)] = (retourcode.group(1), berichten)
    return out


@pytest.mark.parametrize("rule", all_cross_rules(), ids=lambda r: r.code)
def test_retourcode_and_berichten_follow_the_rule_text(rule: registry.CrossRule) -> None:
    retourcode, berichten = _rule_texts()[rule.code]
    assert (rule.retourcode, rule.berichten) == (retourcode, berichten)
