"""config/alerts.yml: valid for Prometheus and right on example series (promtool), built on metrics the gateway
really exposes, and with the thresholds the console's banner uses (gateway/transport/signalen.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.transport import signalen
from tests.admin.omgeving import maak_dead_letter, ontvang, toewijzing_met_fout
from tests.transport.helpers import GEMEENTE, variant

ROOT = Path(__file__).resolve().parents[2]
REGELS = ROOT / "config" / "alerts.yml"
EENHEIDSTESTS = Path(__file__).with_name("alerts_test.yml")
# Set in .ci/run: there a missing promtool is a failure, not a skip.
VERPLICHT = "IWMO_PROMTOOL_VERPLICHT"
# Metrics labelled per webhook subscription rather than per partner and berichttype.
PER_ABONNEMENT = {"iwmo_webhook_gepauzeerd"}


def _promtool() -> str:
    pad = shutil.which("promtool")
    if pad is None:
        reden = ("promtool ontbreekt: installeer Debian's pakket `prometheus` (apt-get install prometheus) om "
                 "config/alerts.yml te controleren")
        if os.environ.get(VERPLICHT) == "1":
            pytest.fail(f"{reden} ({VERPLICHT}=1)")
        pytest.skip(reden)
    return pad


def _draai(*args: str) -> None:
    r = subprocess.run([_promtool(), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, f"promtool {' '.join(args)}:\n{r.stdout}\n{r.stderr}"


def test_promtool_finds_the_alert_rules_valid() -> None:
    _draai("check", "rules", str(REGELS))


def test_every_alert_rule_fires_and_stays_quiet_as_its_unit_tests_expect() -> None:
    _draai("test", "rules", str(EENHEIDSTESTS))


def _regels() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(REGELS.read_text(encoding="utf-8"))["groups"] for r in g["rules"]]


def _regel(naam: str) -> dict[str, Any]:
    [r] = [r for r in _regels() if r["alert"] == naam]
    return r


def test_every_rule_has_a_severity_and_says_in_dutch_what_to_do() -> None:
    regels = _regels()
    assert len(regels) == 6
    for r in regels:
        assert r["labels"]["severity"] in ("warning", "critical"), r["alert"]
        assert r["annotations"]["summary"] and r["annotations"]["description"], r["alert"]
    getest = set(re.findall(r"alertname: (\w+)", EENHEIDSTESTS.read_text(encoding="utf-8")))
    assert getest == {r["alert"] for r in regels}  # a unit test for each rule


def test_the_rules_use_the_thresholds_of_the_console_banner() -> None:
    wachtrij = _regel("IwmoWachtrijTeOud")["expr"]
    [minuten] = re.findall(r"> (\d+) \* 60$", wachtrij.strip())
    assert int(minuten) * 60 == signalen.WACHTRIJ_TE_OUD.total_seconds()
    piek = _regel("IwmoAfkeuringenPiek")["expr"]
    assert re.findall(r">= (\d+)", piek) == [str(signalen.PIEK_MINIMUM)]
    assert re.findall(r"> (\d+) \*", piek) == [str(signalen.PIEK_FACTOR)]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    """A gemeente's gateway with something in every figure: a queued 301, a dead letter, a rejected 301."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade_to_head(url)
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\nnaar = ["*"]\nadapter = "memory"\nendpoint = "a-{uuid.uuid4().hex[:8]}"\n',
                      encoding="utf-8")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        key = apikeys.create(session, label="g", party=GEMEENTE).key
    maak_dead_letter(sessions, "ALERT-DOOD")
    ontvang(sessions, toewijzing_met_fout("ALERT-FOUT"))
    app = create_app(Settings(database_url=url, routes_file=str(routes), identiteit=[GEMEENTE]))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/berichten", content=variant("WMO301", "ALERT-WACHT"),
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
        assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
        yield client
    engine.dispose()


def test_every_metric_an_alert_uses_is_exposed_by_the_gateway(gateway: TestClient) -> None:
    tekst = gateway.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(tekst)}
    gebruikt = {naam for r in _regels() for naam in re.findall(r"\biwmo_\w+", r["expr"])}
    assert gebruikt >= PER_ABONNEMENT  # the exception is still needed by a rule
    assert gebruikt - families.keys() == set()
    # With data: each family the gateway measures has a sample, labelled by partner and berichttype.
    for naam in gebruikt - PER_ABONNEMENT:
        assert families[naam].samples, naam
        assert {"partner", "bericht"} <= families[naam].samples[0].labels.keys(), naam


def test_a_paused_webhook_subscription_shows_as_one_in_its_gauge(gateway: TestClient) -> None:
    from gateway.store.models import Abonnement

    with gateway.app.state.service.sessions() as session, session.begin():  # type: ignore[attr-defined]
        actief = Abonnement(partij=GEMEENTE, url="https://ontvanger.example/hook", gebeurtenissen=["bericht.ontvangen"],
                            geheim="whsec_x", aangemaakt_door=GEMEENTE)
        stil = Abonnement(partij=GEMEENTE, url="https://ontvanger.example/hook", gebeurtenissen=["bericht.ontvangen"],
                          geheim="whsec_y", aangemaakt_door=GEMEENTE, gepauzeerd=True, reden="10 keer mislukt")
        session.add_all([actief, stil])
        session.flush()
        ids = (str(actief.id), str(stil.id))
    families = {f.name: f for f in text_string_to_metric_families(gateway.get("/metrics").text)}
    waarden = {s.labels["abonnement"]: s.value for s in families["iwmo_webhook_gepauzeerd"].samples}
    assert (waarden[ids[0]], waarden[ids[1]]) == (0.0, 1.0)
