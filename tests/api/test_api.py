"""The REST API end to end over HTTP (httpx against the app): submit, read, retour, audit, inbox, authz."""

from __future__ import annotations

import pytest

from gateway.messages.json_xml import to_json
from gateway.messages.modellen import JSON_BERICHTEN
from tests.api.conftest import XML, auth
from tests.msgedit import Msg
from tests.reference import OUR_EXAMPLES, our_example

PROBLEM = "application/problem+json"


def _submit(client, key: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/berichten", content=data, headers={**auth(key), **XML})


def test_aanbieder_submits_xml_and_gets_id_status_and_links(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = _submit(client, keys.aanbieder, our_example("WMO315"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bericht"] == "WMO315" and body["status"] == "accepted" and body["errors"] == []
    assert body["links"]["retour"] == f"/api/v1/berichten/{body['id']}/retour"
    again = _submit(client, keys.aanbieder, our_example("WMO315"))
    assert again.status_code == 200 and again.json()["duplicaat"] and again.json()["id"] == body["id"]


def test_rejected_message_lists_rule_code_retourcode_locatie_and_melding(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    data = Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes()
    r = _submit(client, keys.aanbieder, data)
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "rejected"
    tr380 = next(e for e in body["errors"] if e["code"] == "TR380")
    assert tr380["retourcode"] == "0001"
    assert tr380["locatie"][-1].endswith("NieuwProduct[1]/GewensteIngangsdatum")
    assert "TR380" in tr380["melding"]
    retour = client.get(body["links"]["retour"], headers=auth(keys.aanbieder))
    assert retour.status_code == 200 and b"<" in retour.content
    found = client.get("/api/v1/berichten", params={"regel": "TR380"}, headers=auth(keys.aanbieder)).json()
    assert [i["id"] for i in found["items"]] == [body["id"]]


def test_read_detail_xml_retour_and_audit(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    data = our_example("WMO315")
    ident = _submit(client, keys.aanbieder, data).json()["id"]
    detail = client.get(f"/api/v1/berichten/{ident}", headers=auth(keys.gemeente)).json()
    assert detail["inhoud"]["Header"]["Ontvanger"] == "0599"
    assert client.get(f"/api/v1/berichten/{ident}/xml", headers=auth(keys.gemeente)).content == data
    retour = client.get(f"/api/v1/berichten/{ident}/retour", headers=auth(keys.aanbieder))
    assert retour.headers["content-type"].startswith("application/xml")
    events = client.get(f"/api/v1/berichten/{ident}/audit", headers=auth(keys.admin)).json()
    assert [(e["from_state"], e["to_state"]) for e in events] == [(None, "received"), ("received", "accepted")]


def test_inbox_shows_unread_incoming_until_acknowledged(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    ident = _submit(client, keys.aanbieder, our_example("WMO315")).json()["id"]
    inbox = client.get("/api/v1/inbox", headers=auth(keys.gemeente)).json()
    assert [i["id"] for i in inbox["items"]] == [ident]
    # The aanbieder's inbox holds the WMO316 retourbericht the gateway made.
    assert [i["bericht"] for i in client.get("/api/v1/inbox", headers=auth(keys.aanbieder)).json()["items"]] == ["WMO316"]
    assert client.post(f"/api/v1/inbox/{ident}/ack", headers=auth(keys.aanbieder)).status_code == 404
    assert client.post(f"/api/v1/inbox/{ident}/ack", headers=auth(keys.gemeente)).status_code == 204
    assert client.get("/api/v1/inbox", headers=auth(keys.gemeente)).json()["items"] == []


def test_validate_is_a_dry_run(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/validate", content=b"<kapot", headers={**auth(keys.aanbieder), **XML})
    assert r.status_code == 200 and r.json()["errors"][0]["code"] == "XML"
    assert client.get("/api/v1/berichten", headers=auth(keys.admin)).json()["items"] == []


@pytest.mark.parametrize("naam", JSON_BERICHTEN)
def test_submit_json_for_every_heenbericht_type(api, naam: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    path = OUR_EXAMPLES / f"{naam}.xml"
    if not path.exists():
        pytest.skip(f"no example {naam} shipped yet")
    document = {"bericht": naam, **to_json(naam, path.read_bytes())}
    key = keys.gemeente if naam in ("WMO301", "WMO319", "WMO325") else keys.aanbieder
    r = client.post("/api/v1/berichten", json=document, headers=auth(key))
    assert r.status_code == 201, r.text
    assert r.json()["bericht"] == naam
    stored = client.get(f"/api/v1/berichten/{r.json()['id']}", headers=auth(key)).json()
    assert stored["inhoud"] == to_json(naam, path.read_bytes())


def test_invalid_json_is_refused_with_the_xsd_error_list_and_nothing_stored(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    document = {"bericht": "WMO315", **to_json("WMO315", our_example("WMO315"))}
    document["Client"]["Bsn"] = "12"
    r = client.post("/api/v1/berichten", json=document, headers=auth(keys.aanbieder))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["code"] == "XSD"
    assert r.json()["errors"][0]["locatie"] == ["/Bericht/Client/Bsn"]
    assert client.get("/api/v1/berichten", headers=auth(keys.admin)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [(b"{", "application/json", 400), (b"[]", "application/json", 400), (b"x", "text/plain", 415),
     (b'{"bericht": "WMO999"}', "application/json", 422)],
)
def test_bad_requests_get_problem_json(api, body: bytes, content_type: str, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/berichten", content=body, headers={**auth(keys.aanbieder), "Content-Type": content_type})
    assert r.status_code == status and r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == status and "Traceback" not in r.text


def test_oversized_request_is_refused_with_413(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    client.app.state.service.max_request_bytes = 1000
    r = _submit(client, keys.aanbieder, b"<a>" + b" " * 2000 + b"</a>")
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM


def test_operations_endpoints(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    assert client.get("/health").json()["status"] == "gereed"
    assert client.get("/ready").json()["status"] == "gereed"
    _submit(client, keys.aanbieder, our_example("WMO315"))
    metrics = client.get("/metrics").text
    assert 'iwmo_berichten_total{bericht="WMO315",uitkomst="accepted"} 1.0' in metrics
    assert "iwmo_http_request_duration_seconds_bucket" in metrics
    assert client.get("/openapi.json").json()["components"]["schemas"]["JsonBericht"]


def test_bytes_removed_after_the_retention_term_answer_410_and_the_metadata_stays(api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from gateway.store.db import make_engine, make_session_factory
    from gateway.store.retentie import opschonen

    client, keys = api
    made = client.post("/api/v1/berichten", content=our_example("WMO315"), headers={**XML, **auth(keys.aanbieder)})
    assert made.status_code == 201, made.text
    bericht_id = made.json()["id"]
    engine = make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    assert opschonen(make_session_factory(engine), inhoud_dagen=30, feiten_dagen=None, nu=later).inhoud == 2
    engine.dispose()
    for pad in ("xml", "retour"):
        gone = client.get(f"/api/v1/berichten/{bericht_id}/{pad}", headers=auth(keys.aanbieder))
        assert gone.status_code == 410 and gone.headers["content-type"].startswith("application/problem+json")
        assert "bewaartermijn" in gone.json()["detail"]
    detail = client.get(f"/api/v1/berichten/{bericht_id}", headers=auth(keys.aanbieder))
    assert detail.status_code == 200
    assert (detail.json()["bericht"], detail.json()["inhoud"]) == ("WMO315", None)
    audit = client.get(f"/api/v1/berichten/{bericht_id}/audit", headers=auth(keys.aanbieder)).json()
    assert audit[-1]["action"] == "inhoud_verwijderd"
