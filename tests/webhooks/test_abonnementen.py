"""/api/v1/abonnementen: a party manages its own subscriptions, an administrator all; the secret is shown once;
only http(s) URLs that do not resolve to loopback, link-local or private addresses (unless allowed)."""

from __future__ import annotations

import pytest

from gateway.transport.webhooks import url_probleem
from tests.webhooks.conftest import AANBIEDER, Omgeving

NIEUW = {"url": "http://127.0.0.1:9/hook", "gebeurtenissen": ["bericht.ontvangen"]}


def test_create_returns_the_secret_once_and_never_again(env: Omgeving) -> None:
    r = env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["aanbieder"])
    assert r.status_code == 201, r.text
    gemaakt = r.json()
    assert gemaakt["geheim"].startswith("whsec_") and gemaakt["partij"] == AANBIEDER
    lijst = env.client.get("/api/v1/abonnementen", headers=env.sleutels["aanbieder"])
    een = env.client.get(f"/api/v1/abonnementen/{gemaakt['id']}", headers=env.sleutels["aanbieder"])
    assert "geheim" not in lijst.json()[0] and "geheim" not in een.json()
    assert gemaakt["geheim"] not in lijst.text + een.text


def test_a_party_sees_only_its_own_and_an_administrator_sees_all(env: Omgeving) -> None:
    eigen = env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["aanbieder"]).json()
    env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["gemeente"])
    alles = env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["admin"]).json()
    assert alles["partij"] is None  # an administrator's subscription covers every party
    assert [a["id"] for a in env.client.get("/api/v1/abonnementen", headers=env.sleutels["aanbieder"]).json()] \
        == [eigen["id"]]
    assert len(env.client.get("/api/v1/abonnementen", headers=env.sleutels["admin"]).json()) == 3
    for pad in (f"/api/v1/abonnementen/{eigen['id']}", f"/api/v1/abonnementen/{eigen['id']}/afleveringen"):
        assert env.client.get(pad, headers=env.sleutels["vreemde"]).status_code == 404
    assert env.client.delete(f"/api/v1/abonnementen/{eigen['id']}", headers=env.sleutels["vreemde"]).status_code == 404
    assert env.client.delete(f"/api/v1/abonnementen/{eigen['id']}", headers=env.sleutels["aanbieder"]).status_code == 204
    assert env.client.get(f"/api/v1/abonnementen/{eigen['id']}", headers=env.sleutels["admin"]).status_code == 404


def test_a_party_cannot_subscribe_to_another_partys_events_and_a_viewer_cannot_subscribe(env: Omgeving) -> None:
    r = env.client.post("/api/v1/abonnementen", json={**NIEUW, "partij": "0599"}, headers=env.sleutels["aanbieder"])
    assert r.status_code == 403 and "eigen partij" in r.json()["detail"]
    assert env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["viewer"]).status_code == 403


def test_pause_and_resume(env: Omgeving) -> None:
    a = env.client.post("/api/v1/abonnementen", json=NIEUW, headers=env.sleutels["gemeente"]).json()
    p = env.client.post(f"/api/v1/abonnementen/{a['id']}/pauze", headers=env.sleutels["gemeente"]).json()
    assert p["gepauzeerd"] and "gepauzeerd door 0599" in p["reden"]
    h = env.client.post(f"/api/v1/abonnementen/{a['id']}/hervat", headers=env.sleutels["gemeente"]).json()
    assert not h["gepauzeerd"] and h["reden"] is None


@pytest.mark.parametrize("body", [
    {"url": "http://127.0.0.1/hook"},  # no events
    {**NIEUW, "gebeurtenissen": ["bericht.verzonnen"]},
    {**NIEUW, "berichttypen": ["XYZ"]},
    {"gebeurtenissen": ["bericht.ontvangen"]},
])
def test_bad_input_is_422(env: Omgeving, body: dict) -> None:  # type: ignore[type-arg]
    r = env.client.post("/api/v1/abonnementen", json=body, headers=env.sleutels["aanbieder"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("url", ["ftp://voorbeeld.nl/hook", "file:///etc/passwd", "https:///zonderhost",
                                 "https://gebruiker:wachtwoord@voorbeeld.nl/hook"])
def test_only_http_and_https_urls_with_a_host_and_no_credentials(env: Omgeving, url: str) -> None:
    r = env.client.post("/api/v1/abonnementen", json={**NIEUW, "url": url}, headers=env.sleutels["aanbieder"])
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
                                 "http://169.254.169.254/latest/meta-data", "https://10.1.2.3/hook",
                                 "http://192.168.0.10/hook", "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/"])
def test_urls_resolving_to_loopback_link_local_or_private_ranges_are_refused_by_default(
        streng: Omgeving, url: str) -> None:
    r = streng.client.post("/api/v1/abonnementen", json={**NIEUW, "url": url}, headers=streng.sleutels["aanbieder"])
    assert r.status_code == 422, r.text
    assert "SSRF" in r.json()["detail"] and "IWMO_WEBHOOK_PRIVE_TOEGESTAAN" in r.json()["detail"]


def test_a_public_address_is_allowed_and_an_administrator_may_allow_private_ones() -> None:
    assert url_probleem("https://93.184.215.14/hook", prive_toegestaan=False) is None
    assert url_probleem("http://127.0.0.1/hook", prive_toegestaan=True) is None
    assert url_probleem("http://127.0.0.1/hook", prive_toegestaan=False) is not None


@pytest.mark.parametrize("pad", ["/api/v1/abonnementen/13332241883137572864",
                                 "/api/v1/abonnementen/1/afleveringen/13332241883137572864/opnieuw",
                                 "/api/v1/abonnementen/0"])
def test_an_id_no_row_can_have_is_422_not_a_database_error(env: Omgeving, pad: str) -> None:
    methode = "POST" if pad.endswith("opnieuw") else "GET"
    assert env.client.request(methode, pad, headers=env.sleutels["aanbieder"]).status_code == 422
