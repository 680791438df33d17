"""Hub configuration checks, pure routing decisions, backoff, and persistence across a restart."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from gateway.hub import routing
from gateway.hub.bezorging import beoordeel, wachttijd
from gateway.hub.config import HubConfigFout, laad, uit_dict
from gateway.hub.store import HubStore
from gateway.transport import envelope
from tests.hub.conftest import AANBIEDER, BEPERKT, GEMEENTE, Gemeente, config_dict, maak_hub

REPO = Path(__file__).resolve().parents[2]


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for naam in ("HUB_TOKEN_0599", "HUB_AFLEVER_TOKEN_0599", "HUB_TOKEN_12345678"):
        monkeypatch.setenv(naam, f"geheim-{naam}")
    config = laad(REPO / "config" / "hub.example.toml")
    assert config.partijen["0599"].endpoint == "http://127.0.0.1:8080/ggk"
    assert config.partijen["0599"].aflever_token == "geheim-HUB_AFLEVER_TOKEN_0599"
    assert config.partij_voor_token("geheim-HUB_TOKEN_12345678").code == "12345678"
    assert config.partij_voor_token("geheim-HUB_TOKEN_0599").code == "0599"
    assert config.partij_voor_token("iets anders") is None
    assert config.beleid.horizon_s == 5 * 24 * 3600


def test_config_faults_are_all_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIET_GEZET", raising=False)
    data = config_dict()
    data["gemeente"].append({"code": "9999", "token": "t9"})
    data["gemeente"].append({"code": "0363", "token_env": "NIET_GEZET"})
    data["aanbieder"].append({"code": "1234", "token": "x"})
    data["aanbieder"].append({"code": "11111111", "token": "tok-aanbieder", "endpoint": "http://x/ggk"})
    data["aanbieder"].append({"code": "22222222", "token": "t2", "verzenden": ["WMO301", "WMO399"]})
    data["bezorging"]["onbekend"] = 1
    data["extra"] = {}
    with pytest.raises(HubConfigFout) as info:
        uit_dict(data)
    tekst = str(info.value)
    for verwacht in ("9999 staat niet in de CBS-lijst", "NIET_GEZET", "'1234' is geen AGB-code",
                     "hetzelfde token als 12345678", "laat endpoint weg", "kan WMO301 niet versturen",
                     "'WMO399' is geen bericht van", "[bezorging].onbekend", "onbekende secties: extra"):
        assert verwacht in tekst, verwacht


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    pad = tmp_path / "hub.toml"
    pad.write_text("[[gemeente]\n", encoding="utf-8")
    with pytest.raises(HubConfigFout, match="hub.toml: geen geldige TOML"):
        laad(pad)
    with pytest.raises(HubConfigFout, match="niet te lezen"):
        laad(tmp_path / "ontbreekt.toml")


def test_routing_decisions_carry_both_sides_codes() -> None:
    config = uit_dict(config_dict())
    gemeente, aanbieder, beperkt = (config.partijen[c] for c in (GEMEENTE, AANBIEDER, BEPERKT))
    assert isinstance(routing.route(config, gemeente, AANBIEDER, "WMO301"), routing.Route)
    w = routing.route(config, aanbieder, "9999", "WMO305")
    assert isinstance(w, routing.Weigering) and (w.ggk, w.vecozo, w.ib) == ("IB005", "BRS04", "IB005")
    w = routing.route(config, gemeente, "99999999", "WMO301")
    assert isinstance(w, routing.Weigering) and (w.ggk, w.vecozo, w.ib) == ("IB010", "BRS04", "IB010")
    w = routing.route(config, beperkt, GEMEENTE, "WMO323")
    assert isinstance(w, routing.Weigering) and (w.ggk, w.vecozo) == ("IB102", "BRS33")
    w = routing.route(config, gemeente, BEPERKT, "WMO325")
    assert isinstance(w, routing.Weigering) and "ontvangt dit bericht niet" in w.omschrijving


def test_backoff_grows_and_is_capped_with_jitter() -> None:
    rnd = random.Random(7)
    waarden = [wachttijd(n, 2.0, 300.0, rnd) for n in range(1, 12)]
    for n, w in enumerate(waarden, start=1):
        grens = min(300.0, 2.0 * 2 ** (n - 1))
        assert grens / 2 <= w <= grens
    assert max(waarden) <= 300.0 and waarden[-1] >= 150.0


@pytest.mark.parametrize(
    ("status", "body", "gelukt", "definitief"),
    [(200, b"", True, False), (204, b"", True, False), (503, b"", False, False), (500, b"boom", False, False),
     (429, b"", False, False), (401, b"", False, False), (404, b"", False, True), (422, b"", False, True)],
)
def test_answers_of_a_gemeente_endpoint(status: int, body: bytes, gelukt: bool, definitief: bool) -> None:
    a = beoordeel(status, body)
    assert (a.gelukt, a.gelukt or a.definitief) == (gelukt, gelukt or definitief)


def test_fo01_answer_is_final_unless_the_server_says_try_later() -> None:
    cross = envelope.nieuw_referentienummer()
    client, _ = envelope.fout(zender=GEMEENTE, ontvanger="GGK", cross_refnummer=cross, code="StUF055",
                              plek="client", omschrijving="schema", als_fault=True)
    server, _ = envelope.fout(zender=GEMEENTE, ontvanger="GGK", cross_refnummer=cross, code="X1",
                              plek="server", omschrijving="later", als_fault=True)
    assert (beoordeel(500, client).definitief, beoordeel(500, client).code) == (True, "StUF055")
    assert beoordeel(500, server).definitief is False
    assert beoordeel(200, client).gelukt is False  # a Fo01 is a refusal whatever the status


def test_restart_keeps_undelivered_and_unconfirmed_messages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    gemeente = Gemeente(modus="503")
    eerste = maak_hub(url, gemeente)
    _, di01 = eerste.di01("WMO301")
    _, meta = eerste.push("WMO305")
    eerste.bezorger.ronde()  # fails: the gemeente is down
    eerste.client.close()
    eerste.store.close()

    gemeente.modus = "ok"
    tweede = maak_hub(url, gemeente)
    try:
        assert [i["traceerId"] for i in tweede.lijst(AANBIEDER)] == [di01.referentienummer]
        assert tweede.bezorger.ronde(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)) == 1
        assert [e.referentienummer for e in gemeente.ontvangen] == [meta["traceerId"]]
        # The duplicate check survives the restart too.
        r, _ = tweede.di01("WMO319", referentienummer=di01.referentienummer)
        assert b"IB016" in r.content
    finally:
        tweede.client.close()
        tweede.store.close()


def test_store_is_its_own_schema(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        assert set(inspect(store.engine).get_table_names()) == {"hub_bericht", "hub_status", "hub_weigering"}
    finally:
        store.close()
