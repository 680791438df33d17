"""The drop-in for the Zorginstituut's Decentrale Validatieservice: POST /validatie and GET /status answer in the
DVS's shapes and status codes (200 valid, 406 invalid, 400 unknown X-Version-Override), behind the API's keys
unless the loopback-only switch opens them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gateway import cli
from gateway.api import dvs
from gateway.api.app import create_app
from gateway.settings import Settings, get_settings
from gateway.standard import catalogue, profielen
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from tests.api.conftest import auth
from tests.msgedit import Msg
from tests.reference import official_example, our_example, reference_dir

# What the DVS's manual asks every caller to send, and what `curl --data-binary` sends by default.
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _post(client: TestClient, key: str | None, body: bytes, **headers: str) -> Any:
    return client.post("/validatie", content=body, headers={**FORM, **(auth(key) if key else {}), **headers})


def _fouten(r: Any) -> list[dict[str, Any]]:
    return r.json()["rapport"]["fouten"]["fout"]


def _assert_valid(r: Any, bericht: str) -> None:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["statusCode"]["code"] == 200
    assert body["rapport"]["fouten"] == {"fout": []}
    b = catalogue.get(bericht)
    assert body["rapport"]["header"] == {"bericht": b.naam, "berichtcode": b.berichtcode,
                                         "profiel": b.profiel.sleutel, "versie": f"{b.profiel.versie}.0"}


def _assert_invalid(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 406, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["statusCode"]["code"] == 406
    fouten = _fouten(r)
    assert fouten and all(set(f) == {"code", "locatie", "details", "retourcode"} for f in fouten)
    return fouten


# -- valid messages -------------------------------------------------------------------------------------------

def test_our_demo_message_is_valid_in_the_dvs_report(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = _post(client, keys.aanbieder, our_example("WMO315"))
    _assert_valid(r, "WMO315")
    assert r.headers["cache-control"] == "no-store"


def test_an_official_iwmo_example_is_valid(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    _assert_valid(_post(client, keys.gemeente, official_example("WMO301")), "WMO301")


def test_an_official_ijw_example_is_valid_by_its_namespace(api) -> None:  # type: ignore[no-untyped-def]
    voorbeeld = reference_dir() / "ijw-3.2" / "examples" / "JW301.xml"
    if not voorbeeld.is_file():
        pytest.skip(f"{voorbeeld} is absent")
    client, keys = api
    _assert_valid(_post(client, keys.gemeente, voorbeeld.read_bytes()), "JW301")


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "application/octet-stream"])
def test_any_content_type_carries_the_raw_xml(api, content_type: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    _assert_valid(_post(client, keys.aanbieder, our_example("WMO315"), **{"Content-Type": content_type}), "WMO315")


# -- invalid messages: 406 with the fouten ---------------------------------------------------------------------

def test_an_xsd_fault_is_406_with_the_fout_at_its_element(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    fouten = _assert_invalid(_post(client, keys.aanbieder, Msg(our_example("WMO315")).set("Client/Geslacht", "7")
                                   .bytes()))
    assert [(f["code"], f["locatie"], f["retourcode"]) for f in fouten] == [("XSD", ["/Bericht/Client/Geslacht"], None)]
    assert "Geslacht" in fouten[0]["details"]


def test_a_rule_fault_is_406_with_its_code_locations_and_retourcode(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    product = "Client/AangevraagdeProducten/AangevraagdProduct[1]"
    r = _post(client, keys.aanbieder, Msg(our_example("WMO315")).set(f"{product}/ToewijzingEinddatum", "2026-01-01")
              .bytes())
    fouten = _assert_invalid(r)
    assert [f["code"] for f in fouten] == ["CS003"]
    assert fouten[0]["locatie"] == [f"/Bericht/{product}/ToewijzingIngangsdatum", f"/Bericht/{product}/ToewijzingEinddatum"]
    assert fouten[0]["retourcode"] == "0001" and fouten[0]["details"].startswith("CS003")
    assert r.json()["rapport"]["header"]["bericht"] == "WMO315"  # the message was recognised, then judged


@pytest.mark.parametrize(("body", "code"), [
    (b"<Bericht><Header>", "XML"),
    (b"", "XML"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]><a>&y;</a>', "XML"),
    (b"<a>" * 200 + b"</a>" * 200, "XML"),
    (b'<Bericht xmlns="urn:iets-anders"/>', "ONBEKEND_BERICHT"),
    (b'<Bericht xmlns="http://www.istandaarden.nl/iwmo/3_9/wmo301/schema"/>', "PROFIEL"),
])
def test_unreadable_hostile_or_unknown_input_is_406_never_a_5xx(api, body: bytes, code: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    assert [f["code"] for f in _assert_invalid(_post(client, keys.aanbieder, body))] == [code]


@contextmanager
def _gateway(tmp_path: Path, client: tuple[str, int] = ("testclient", 50000), **instellingen: Any
             ) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path / 'dvs.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        key = apikeys.create(session, label="backoffice", party="12345678").key
    engine.dispose()
    app = create_app(Settings(database_url=url, **instellingen))
    with TestClient(app, raise_server_exceptions=False, client=client) as c:
        yield c, key
    app.state.engine.dispose()


def test_a_message_over_the_size_limit_is_406_te_groot_and_far_over_it_413(tmp_path: Path) -> None:
    with _gateway(tmp_path, max_bericht_bytes=4096) as (client, key):
        groot = our_example("WMO315").replace(b"</Bericht>", b"<!--" + b"x" * 4096 + b"--></Bericht>")
        assert [f["code"] for f in _assert_invalid(_post(client, key, groot))] == ["TE_GROOT"]
        r = _post(client, key, b"x" * (4096 + 1024 * 1024 + 1))
        assert r.status_code == 413 and r.json()["statusCode"]["code"] == 413 and r.json()["rapport"] is None


# -- X-Version-Override -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("versie", ["3.2", "3.2.0", " 3.2.0 "])
def test_an_installed_version_pins_the_profile(api, versie: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    _assert_valid(_post(client, keys.aanbieder, our_example("WMO315"), **{"X-Version-Override": versie}), "WMO315")


@pytest.mark.parametrize("versie", ["3.0.3", "3.3", "", "iwmo-3.2"])
def test_an_unknown_version_is_400_in_the_dvs_shape(api, versie: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = _post(client, keys.aanbieder, our_example("WMO315"), **{"X-Version-Override": versie})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert r.json()["statusCode"]["code"] == 400 and r.json()["rapport"] is None
    assert "3.2, 3.2.0" in r.json()["statusCode"]["reason"]  # it says what the gateway has


def test_a_message_of_another_release_than_the_pinned_one_is_invalid_with_a_versie_fout(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    andere_release = our_example("WMO315").replace(b"/iwmo/3_2/", b"/iwmo/3_1/")
    fouten = _assert_invalid(_post(client, keys.aanbieder, andere_release, **{"X-Version-Override": "3.2.0"}))
    assert [(f["code"], f["locatie"]) for f in fouten] == [("VERSIE", ["/Bericht"])]
    assert "iwmo 3.1" in fouten[0]["details"] and "X-Version-Override" in fouten[0]["details"]


def test_the_pin_chooses_among_installed_releases() -> None:
    # With a second release installed beside 3.2, the header picks one, and a 3.2 message under a 3.3 pin is
    # refused before the validator runs.
    iwmo_33 = dataclasses.replace(profielen.IWMO_32, sleutel="iwmo-3.3", release="3.3", bericht_subversie="3")
    geinstalleerd = (profielen.IWMO_32, iwmo_33)
    assert dvs.gepind("3.3.0", geinstalleerd) == (iwmo_33,)
    assert dvs.gepind("3.2", geinstalleerd) == (profielen.IWMO_32,)
    assert dvs.gepind(None, geinstalleerd) is None
    assert dvs.buiten_pin(our_example("WMO315"), (profielen.IWMO_32,)) is None
    fout = dvs.buiten_pin(our_example("WMO315"), (iwmo_33,))
    assert fout is not None and fout.code == dvs.VERSIE and "iwmo 3.2" in fout.melding


# -- GET /status -------------------------------------------------------------------------------------------------

def test_status_answers_health_checks_without_a_key(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    r = client.get("/status")
    assert r.status_code == 200
    assert r.json()["statusCode"]["code"] == 200
    assert r.json()["profielen"] == [p.sleutel for p in profielen.PROFIELEN]
    assert "3.2.0" in r.json()["versies"]


def test_status_is_503_when_a_profile_misses_its_schemas(api, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(tmp_path))  # an empty folder for iWmo's schemas
    r = client.get("/status")
    assert r.status_code == 503 and r.json()["statusCode"]["code"] == 503
    assert "IWMO_SCHEMA_DIR" in r.json()["statusCode"]["reason"]


# -- authentication and the loopback-only switch ------------------------------------------------------------------

def test_validatie_needs_a_key_like_the_rest_of_the_api(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    for r in (_post(client, None, our_example("WMO315")), _post(client, "geen-sleutel", our_example("WMO315"))):
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    _assert_valid(_post(client, keys.admin, our_example("WMO315")), "WMO315")  # any key, a role's too


def test_the_switch_opens_validatie_to_loopback_callers_only(tmp_path: Path) -> None:
    with _gateway(tmp_path, client=("127.0.0.1", 50000), dvs_zonder_sleutel=True) as (client, _):
        _assert_valid(_post(client, None, our_example("WMO315")), "WMO315")
        assert _post(client, "verkeerde-sleutel", our_example("WMO315")).status_code == 401  # a key given is checked
    with _gateway(tmp_path, client=("192.0.2.7", 50000), dvs_zonder_sleutel=True) as (client, _):
        assert _post(client, None, our_example("WMO315")).status_code == 401
    with _gateway(tmp_path, client=("127.0.0.1", 50000)) as (client, _):  # the switch off: loopback needs a key
        assert _post(client, None, our_example("WMO315")).status_code == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::", "gateway.example.org"])
def test_the_switch_is_refused_on_a_gateway_not_bound_to_loopback(host: str) -> None:
    with pytest.raises(ValidationError, match="IWMO_DVS_ZONDER_SLEUTEL"):
        Settings(dvs_zonder_sleutel=True, host=host)
    for loopback in ("127.0.0.1", "::1", "localhost"):
        assert Settings(dvs_zonder_sleutel=True, host=loopback).dvs_zonder_sleutel


def test_an_empty_setting_never_opens_validatie(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IWMO_DVS_ZONDER_SLEUTEL", "")
    assert Settings().dvs_zonder_sleutel is False


def test_serve_refuses_the_switch_with_a_host_outside_loopback(monkeypatch, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IWMO_DVS_ZONDER_SLEUTEL", "true")
    monkeypatch.setenv("IWMO_DATABASE_URL", f"sqlite:///{tmp_path / 'gw.db'}")
    # Were the check missing, serve would start listening on 0.0.0.0: fail instead of blocking.
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("serve started on 0.0.0.0 without a key"))
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    finally:
        get_settings.cache_clear()
    assert "IWMO_DVS_ZONDER_SLEUTEL" in capsys.readouterr().err
    assert not (tmp_path / "gw.db").exists()  # refused before anything was migrated


# -- documentation ------------------------------------------------------------------------------------------------

def test_the_drop_in_is_documented_but_not_part_of_the_versioned_api(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    heel = client.get("/openapi.json").json()
    validatie = heel["paths"]["/validatie"]["post"]
    assert {"200", "400", "401", "406", "413"} <= set(validatie["responses"])
    assert validatie["responses"]["406"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DvsAntwoord"}
    assert "/status" in heel["paths"]
    api_document = client.get("/api/v1/openapi.json").json()
    assert "/validatie" not in api_document["paths"] and "/status" not in api_document["paths"]
