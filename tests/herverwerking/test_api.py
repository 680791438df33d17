"""/api/v1/herverwerkingen: administrators only, a dry run that writes nothing, a batch that answers 202 with its
id, progress with counts per outcome, pause and resume, and Dutch refusals of bad filters."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.herverwerking.uitvoering import Herverwerker
from gateway.store.models import AuditEvent
from tests.admin.omgeving import Omgeving

VERZOEK = {"filter": {"status": "dead_letter"}, "actie": "opnieuw_in_wachtrij"}
OPERATIES = [("post", "/api/v1/herverwerkingen/proef"), ("post", "/api/v1/herverwerkingen"),
             ("get", "/api/v1/herverwerkingen/1"), ("post", "/api/v1/herverwerkingen/1/pauze"),
             ("post", "/api/v1/herverwerkingen/1/hervat")]


def _kop(sleutel: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sleutel}"}


def test_only_an_administrator_key_may_replay(client: TestClient, omgeving: Omgeving) -> None:
    for methode, pad in OPERATIES:
        kwargs = {"json": VERZOEK} if methode == "post" else {}
        assert getattr(client, methode)(pad, **kwargs).status_code == 401, pad
        for sleutel in (omgeving.sleutels.operator, omgeving.sleutels.viewer, omgeving.sleutels.partij):
            antwoord = getattr(client, methode)(pad, headers=_kop(sleutel), **kwargs)
            assert antwoord.status_code == 403, (pad, antwoord.text)
            assert "beheerder" in antwoord.json()["detail"]


def _audit_telling(omgeving: Omgeving) -> int:
    with omgeving.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_dry_run_then_batch_with_progress_pause_and_resume(client: TestClient, omgeving: Omgeving) -> None:
    admin = _kop(omgeving.sleutels.admin)
    voor = _audit_telling(omgeving)
    proef = client.post("/api/v1/herverwerkingen/proef", json=VERZOEK, headers=admin)
    assert proef.status_code == 200, proef.text
    body = proef.json()
    assert (body["totaal"], body["getoond"], body["per_uitkomst"]) == (1, 1, {"in_wachtrij": 1})
    [stap] = body["stappen"]
    assert (stap["bericht_id"], stap["envelop"], stap["identificatie"]) == (omgeving.dead_letter, "zelfde", "zelfde")
    assert _audit_telling(omgeving) == voor  # a dry run writes nothing

    gestart = client.post("/api/v1/herverwerkingen", json=VERZOEK, headers=admin)
    assert gestart.status_code == 202, gestart.text
    batch = gestart.json()["id"]
    assert gestart.headers["location"] == f"/api/v1/herverwerkingen/{batch}"
    assert client.get(f"/api/v1/herverwerkingen/{batch}", headers=admin).json()["per_uitkomst"] == {"open": 1}
    pauze = client.post(f"/api/v1/herverwerkingen/{batch}/pauze", headers=admin)
    assert pauze.status_code == 200 and pauze.json()["status"] == "gepauzeerd"
    assert client.post(f"/api/v1/herverwerkingen/{batch}/pauze", headers=admin).status_code == 409
    assert Herverwerker(omgeving.sessions).werk() == 0
    assert client.post(f"/api/v1/herverwerkingen/{batch}/hervat", headers=admin).json()["status"] == "lopend"
    Herverwerker(omgeving.sessions).alles()
    stand = client.get(f"/api/v1/herverwerkingen/{batch}", headers=admin).json()
    assert (stand["status"], stand["verwerkt"], stand["per_uitkomst"]) == ("klaar", 1, {"in_wachtrij": 1})
    assert stand["gestart_door"] == "admin:beheer"
    assert client.post(f"/api/v1/herverwerkingen/{batch}/hervat", headers=admin).status_code == 409
    assert client.get("/api/v1/herverwerkingen/999", headers=admin).status_code == 404


FOUTE_FILTERS = [({"regel": "TR999"}, "regel"), ({"retourcode": "1234"}, "retourcode"), ({"partner": "12"}, "partner"),
                 ({"berichttype": "WMO999"}, "berichttype"), ({"vanaf": "2026-05-02", "tot": "2026-05-01"}, "tot")]


def test_a_bad_filter_value_is_a_dutch_422_naming_the_field(client: TestClient, omgeving: Omgeving) -> None:
    for filter_, veld in FOUTE_FILTERS:
        for pad in ("/api/v1/herverwerkingen/proef", "/api/v1/herverwerkingen"):
            antwoord = client.post(pad, json={"filter": filter_, "actie": "herbeoordelen"},
                                   headers=_kop(omgeving.sleutels.admin))
            assert antwoord.status_code == 422, antwoord.text
            [fout] = antwoord.json()["errors"]
            assert (fout["code"], fout["locatie"]) == ("FILTER", [f"/filter/{veld}"])
            assert fout["melding"].startswith(f"{veld}: ")


def test_unknown_action_status_and_a_new_send_with_rejudging_are_refused(client: TestClient, omgeving: Omgeving) -> None:
    admin = _kop(omgeving.sleutels.admin)
    assert client.post("/api/v1/herverwerkingen/proef", json={"actie": "wissen"}, headers=admin).status_code == 422
    assert client.post("/api/v1/herverwerkingen/proef", json={"filter": {"status": "weg"}, "actie": "herbeoordelen"},
                       headers=admin).status_code == 422
    antwoord = client.post("/api/v1/herverwerkingen", headers=admin,
                           json={"actie": "herbeoordelen", "nieuwe_verzending": True})
    assert antwoord.status_code == 422 and "verstuurt niets" in antwoord.json()["detail"]
    leeg = client.post("/api/v1/herverwerkingen", headers=admin,
                       json={"filter": {"regel": "TR380"}, "actie": "herbeoordelen"})
    assert leeg.status_code == 422 and "geen berichten" in leeg.json()["detail"]


def test_filters_select_by_rule_retourcode_partner_type_and_period(client: TestClient, omgeving: Omgeving) -> None:
    admin = _kop(omgeving.sleutels.admin)

    def ids(filter_: dict[str, str]) -> set[str]:
        body = client.post("/api/v1/herverwerkingen/proef", json={"filter": filter_, "actie": "herbeoordelen"},
                           headers=admin, params={"limit": 1000}).json()
        assert body["totaal"] == len(body["stappen"])
        return {s["bericht_id"] for s in body["stappen"]}

    assert ids({"regel": "TR019"}) == {omgeving.tr019}
    assert ids({"retourcode": "9019"}) == {omgeving.tr019}
    assert ids({"status": "dead_letter", "partner": "12345678"}) == {omgeving.dead_letter}
    assert ids({"status": "dead_letter", "partner": "87654321"}) == set()
    alle = ids({})
    assert ids({"berichttype": "WMO323"}) == {omgeving.declaratie} and omgeving.declaratie in alle
    assert ids({"vanaf": "2000-01-01", "tot": "2000-12-31"}) == set()
    assert ids({"vanaf": "2000-01-01"}) == alle
