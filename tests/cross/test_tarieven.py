"""The tarieven table an administrator loads for the contract checks (TR346, TR418): files, mistakes, setting."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.settings import Mode, get_settings
from gateway.validation.cross.registry import run_cross_rules
from gateway.validation.cross.tarieven import Tarieven, TarievenFout, laad, tarieven_uit_instellingen
from gateway.validation.validator import validate
from tests.cross.keten import PRESTATIE, VANDAAG, Keten, herbereken, voorbeeld

VOORBEELD = Path(__file__).resolve().parents[2] / "config" / "tarieven.example.toml"
APRIL = dt.date(2026, 4, 1)


@pytest.fixture
def instelling(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.delenv("IWMO_TARIEVEN_FILE", raising=False)
    get_settings.cache_clear()


def test_the_example_file_holds_the_example_conversations_contract() -> None:
    tarieven = laad(VOORBEELD)
    assert tarieven.heeft_contract("0599", "12345678")
    tarief = tarieven.voor("0599", "12345678", "02", "02A05", APRIL)
    assert tarief is not None and (tarief.eenheid, tarief.tarief) == ("04", 6150)
    assert tarieven.voor("0599", "12345678", "02", "02A05", dt.date(2027, 1, 1)) is None  # tot 2026-12-31
    keten = Keten(tarieven=tarieven).accepteer(voorbeeld("WMO301"))
    assert keten.oordeel(voorbeeld("WMO323")) == []


def test_a_csv_file_with_the_same_fields(tmp_path: Path) -> None:
    csv = tmp_path / "tarieven.csv"
    csv.write_text("gemeente,aanbieder,categorie,code,eenheid,tarief,vanaf,tot\n"
                   "0599,12345678,02,02A05,04,6150,2026-01-01,\n", encoding="utf-8")
    tarief = laad(csv).voor("0599", "12345678", "02", "02A05", APRIL)
    assert tarief is not None and (tarief.tarief, tarief.vanaf, tarief.tot) == (6150, dt.date(2026, 1, 1), None)


@pytest.mark.parametrize(("inhoud", "melding"), [
    ('[[tarief]]\ngemeente = "0599"\naanbieder = "12345678"\ncategorie = "02"\ncode = "02A05"\neenheid = "04"\n',
     "tarief 1: vul tarief in"),
    ('[[tarief]]\ngemeente = "0599"\naanbieder = "12345678"\ncategorie = "02"\ncode = "02A05"\neenheid = "04"\n'
     'tarief = "61,50"\n', "geheel aantal eurocent"),
    ('[[tarief]]\ngemeente = "0599"\naanbieder = "12345678"\ncategorie = "02"\ncode = "02A05"\neenheid = "04"\n'
     'tarief = 6150\nprijs = 1\n', "onbekend veld prijs"),
    ('[[tarief]]\ngemeente = "0599"\naanbieder = "12345678"\ncategorie = "02"\ncode = "02A05"\neenheid = "04"\n'
     'tarief = 6150\nvanaf = 2026-02-01\ntot = 2026-01-01\n', "tot (2026-01-01) ligt voor vanaf"),
    ("[[tarief]\n", "kan het tarievenbestand niet lezen"),
])
def test_a_mistake_names_the_file_and_the_entry(tmp_path: Path, inhoud: str, melding: str) -> None:
    pad = tmp_path / "tarieven.toml"
    pad.write_text(inhoud, encoding="utf-8")
    with pytest.raises(TarievenFout, match=re.escape(melding)) as fout:
        laad(pad)
    assert str(pad) in str(fout.value)


def test_without_the_setting_the_table_is_empty(instelling: pytest.MonkeyPatch) -> None:
    instelling.delenv("IWMO_TARIEVEN_FILE", raising=False)
    assert not tarieven_uit_instellingen()


def test_the_setting_feeds_the_cross_rules(instelling: pytest.MonkeyPatch) -> None:
    instelling.setenv("IWMO_TARIEVEN_FILE", str(VOORBEELD))
    hoger = herbereken(voorbeeld("WMO323").set(f"{PRESTATIE}[1]/ProductTarief", "6151")).bytes()
    uitslag = validate(hoger)
    assert uitslag.bericht is not None and uitslag.tree is not None
    history = Keten().accepteer(voorbeeld("WMO301")).history
    codes = {f.code for f in run_cross_rules(uitslag.bericht, uitslag.tree.getroot(), history, mode=Mode.STRICT,
                                             today=VANDAAG)}
    assert "TR418" in codes
    zonder = run_cross_rules(uitslag.bericht, uitslag.tree.getroot(), history, mode=Mode.STRICT, today=VANDAAG,
                             tarieven=Tarieven())
    assert "TR418" not in {f.code for f in zonder}


def test_a_missing_file_is_named(instelling: pytest.MonkeyPatch, tmp_path: Path) -> None:
    instelling.setenv("IWMO_TARIEVEN_FILE", str(tmp_path / "weg.toml"))
    with pytest.raises(TarievenFout, match="IWMO_TARIEVEN_FILE=.*weg.toml"):
        tarieven_uit_instellingen()
