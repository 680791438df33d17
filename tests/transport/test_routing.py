"""The routing table: checked as a whole at start-up with messages that name the place and the fix; lookup
by addressee and message type with a catch-all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.transport.routing import RouteringFout, laad, uit_data

REPO = Path(__file__).resolve().parents[2]


def _tabel(*routes: dict[str, object], **kw: bool):  # type: ignore[no-untyped-def]
    return uit_data({"route": list(routes)}, **kw)


def test_the_example_routing_table_is_valid() -> None:
    tabel = laad(REPO / "config" / "routes.example.toml")
    route = tabel.voor("12345678", "WMO301")
    assert route is not None and route.adapter == "ggk" and route.credentials == "IWMO_GGK_TOKEN"


def test_lookup_prefers_the_addressee_and_type_then_the_addressee_then_the_catch_all() -> None:
    tabel = _tabel(
        {"naar": ["*"], "adapter": "vecozo", "endpoint": "http://hub", "ophalen": True},
        {"naar": ["0599"], "adapter": "ggk", "endpoint": "http://ggk/ggk"},
        {"naar": ["0599"], "adapter": "filesystem", "endpoint": "/tmp/decl", "berichten": ["WMO323"]},
    )
    assert tabel.voor("0599", "WMO323").adapter == "filesystem"  # type: ignore[union-attr]
    assert tabel.voor("0599", "WMO305").adapter == "ggk"  # type: ignore[union-attr]
    assert tabel.voor("87654321", "WMO302").adapter == "vecozo"  # type: ignore[union-attr]
    assert [v.adapter for v in tabel.verbindingen_om_op_te_halen()] == ["vecozo"]


def test_without_a_catch_all_an_unknown_addressee_has_no_route() -> None:
    assert _tabel({"naar": ["0599"], "adapter": "ggk", "endpoint": "http://ggk"}).voor("0363") is None


def _fouten(*routes: dict[str, object], **kw: bool) -> list[str]:
    with pytest.raises(RouteringFout) as exc:
        _tabel(*routes, **kw)
    return exc.value.problemen


def test_an_unknown_adapter_is_named_with_the_available_ones() -> None:
    [fout] = _fouten({"naar": ["*"], "adapter": "smtp", "endpoint": "x"})
    assert "[[route]] nr. 1" in fout and "'smtp'" in fout and "ggk" in fout and "iwmo_gateway.transport" in fout


def test_malformed_codes_and_gemeentecodes_outside_the_cbs_list_are_refused() -> None:
    fouten = _fouten({"naar": ["123", "0599", "9999", "12345678", "AGB1234X"], "adapter": "ggk", "endpoint": "x"})
    assert len(fouten) == 3
    assert "naar[1]" in fouten[0] and "'123'" in fouten[0]
    assert "naar[3]" in fouten[1] and "9999" in fouten[1] and "CBS" in fouten[1]
    assert "naar[5]" in fouten[2]


def test_every_fault_in_the_table_is_reported_at_once() -> None:
    fouten = _fouten(
        {"naar": ["*"], "adapter": "ggk"},
        {"naar": ["*"], "adapter": "ggk", "endpoint": "x", "credentials": "Bearer abc.def", "berichten": ["WMO999"]},
        {"naar": ["0599"], "adapter": "ggk", "endpoint": "y", "poort": 8},
    )
    tekst = "\n".join(fouten)
    assert "nr. 1: 'endpoint' ontbreekt" in tekst
    assert "nr. 2: 'credentials' is de naam van een omgevingsvariabele" in tekst
    assert "WMO999" in tekst and "staat al in [[route]] nr. 1" in tekst and "onbekende sleutel(s) poort" in tekst


def test_a_missing_secret_stops_the_worker_but_not_a_plain_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IWMO_TEST_ONBEKEND", raising=False)
    route = {"naar": ["*"], "adapter": "vecozo", "endpoint": "http://hub", "credentials": "IWMO_TEST_ONBEKEND"}
    assert _tabel(route).voor("0599") is not None
    [fout] = _fouten(route, eis_geheimen=True)
    assert "IWMO_TEST_ONBEKEND is niet gezet" in fout


def test_a_missing_or_broken_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RouteringFout, match="routes.example.toml"):
        laad(tmp_path / "routes.toml")
    kapot = tmp_path / "kapot.toml"
    kapot.write_text("[[route]\n", encoding="utf-8")
    with pytest.raises(RouteringFout, match="geen geldige TOML"):
        laad(kapot)


KAPOTTE_TABELLEN = {  # what is wrong -> (the file, what the one line must say)
    "syntax": ('[[route]]\nnaar = ["*"]\nadapter = "ggk"\nendpoint = http://hub/ggk\n',
               ["geen geldige TOML", "line 4", "herstel de syntaxis"]),
    "adapter": ('# gemeente\n\n[[route]]\nnaar = ["*"]\nadapter = "smtp"\nendpoint = "http://hub"\n',
                ["[[route]] nr. 1 (regel 3)", "'smtp'", "ggk"]),
    "code": ('[[route]]\nnaar = ["0599"]\nadapter = "ggk"\nendpoint = "http://hub/ggk"\n\n'
             '[[route]]\nnaar = ["9999"]\nadapter = "ggk"\nendpoint = "http://hub/ggk"\n',
             ["[[route]] nr. 2 (regel 6) naar[1]", "9999", "CBS"]),
}


@pytest.mark.parametrize("commando", ["serve", "worker"])
@pytest.mark.parametrize("fout", sorted(KAPOTTE_TABELLEN))
def test_a_broken_routing_table_stops_serve_and_worker_with_one_line_and_exit_code_2(
        tmp_path: Path, commando: str, fout: str) -> None:
    inhoud, moet = KAPOTTE_TABELLEN[fout]
    routes = tmp_path / "routes.toml"
    routes.write_text(inhoud, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    env |= {"IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "IWMO_ROUTES_FILE": str(routes),
            "IWMO_PORT": "1"}  # were it to start, port 1 would fail loudly
    r = subprocess.run([sys.executable, "-m", "gateway.cli", commando], env=env, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    [regel] = r.stderr.strip().splitlines()
    assert regel.startswith(f"iwmo-gateway {commando}: {routes}: ")
    for stuk in moet:
        assert stuk in regel, regel
    assert not (tmp_path / "g.db").exists()  # refused before anything was written


def test_a_pulling_vecozo_route_may_ask_for_held_pulls() -> None:
    tabel = _tabel({"naar": ["*"], "adapter": "vecozo", "endpoint": "http://hub", "ophalen": True, "wacht_ms": 1000},
                   {"naar": ["0599"], "adapter": "ggk", "endpoint": "http://ggk/ggk"})
    [verbinding] = tabel.verbindingen_om_op_te_halen()
    assert tabel.voor("12345678").wacht_ms == 1000  # type: ignore[union-attr]
    assert tabel.wachttijd_s(verbinding) == 1.0
    zonder = _tabel({"naar": ["*"], "adapter": "vecozo", "endpoint": "http://hub", "ophalen": True})
    assert zonder.wachttijd_s(zonder.verbindingen_om_op_te_halen()[0]) == 0  # off unless asked: VECOZO has none


@pytest.mark.parametrize(("blok", "verwacht"), [
    ({"wacht_ms": "1000"}, "geheel aantal milliseconden van 0 tot en met 30000"),
    ({"wacht_ms": -1}, "niet -1"),
    ({"wacht_ms": 30_001}, "niet 30001"),
    ({"wacht_ms": True}, "niet True"),
    ({"wacht_ms": 1.5}, "niet 1.5"),
    ({"wacht_ms": 1000, "ophalen": False}, "alleen bij ophalen = true"),
    ({"wacht_ms": 1000, "adapter": "filesystem", "endpoint": "/tmp/x"}, "alleen met adapter vecozo"),
])
def test_a_wrong_wait_is_refused_naming_the_option_and_the_fix(blok: dict[str, object], verwacht: str) -> None:
    route = {"naar": ["*"], "adapter": "vecozo", "endpoint": "http://hub", "ophalen": True} | blok
    [fout] = _fouten(route)
    assert fout.startswith("[[route]] nr. 1") and "'wacht_ms'" in fout and verwacht in fout
