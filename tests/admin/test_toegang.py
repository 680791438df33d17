"""Sign-in, sessions, roles and CSRF: who may see and do what in the console."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.admin import sessie
from gateway.store import apikeys
from gateway.store.models import AuditEvent, Bericht
from tests.admin.conftest import inloggen
from tests.admin.omgeving import GEHEIM, Omgeving, csrf_uit


def _acties(omgeving: Omgeving, bericht_id: str | None = None) -> list[tuple[str, str]]:
    with omgeving.sessions() as s:
        stmt = select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.seq)
        if bericht_id:
            stmt = stmt.where(AuditEvent.bericht_id == bericht_id)
        return [(a, b) for a, b in s.execute(stmt)]


def _status(omgeving: Omgeving, bericht_id: str) -> str:
    with omgeving.sessions() as s:
        return s.get(Bericht, bericht_id).status  # type: ignore[union-attr]


def test_signed_out_pages_redirect_to_sign_in_and_remember_where_to_go(client: TestClient) -> None:
    r = client.get("/admin/afgekeurd?regel=TR019")
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/inloggen?volgende=%2Fadmin%2Fafgekeurd%3Fregel%3DTR019"


def test_signed_out_actions_are_refused_with_401(client: TestClient, omgeving: Omgeving) -> None:
    r = client.post(f"/admin/berichten/{omgeving.tr019}/afhandelen", data={"opmerking": "x", "csrf": "x"})
    assert r.status_code == 401
    assert "Log opnieuw in" in r.text
    assert _status(omgeving, omgeving.tr019) == "rejected"


def test_sign_in_sets_an_httponly_strict_expiring_cookie_and_is_audited(client: TestClient,
                                                                        omgeving: Omgeving) -> None:
    pagina = client.get("/admin/inloggen")
    r = client.post("/admin/inloggen", data={"sleutel": omgeving.sleutels.operator, "csrf": csrf_uit(pagina.text),
                                             "volgende": "/admin/afgekeurd"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/afgekeurd"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessie.COOKIE + "="))
    attributen = cookie.lower()
    assert "httponly" in attributen and "samesite=strict" in attributen and "max-age=28800" in attributen
    assert omgeving.sleutels.operator not in cookie  # the key itself never travels back
    assert ("admin:olga", "beheer_ingelogd") in _acties(omgeving)
    assert client.get("/admin/afgekeurd").status_code == 200


def test_sign_in_refuses_unknown_revoked_and_party_keys(client: TestClient, omgeving: Omgeving) -> None:
    def poging(sleutel: str) -> tuple[int, str]:
        pagina = client.get("/admin/inloggen")
        r = client.post("/admin/inloggen", data={"sleutel": sleutel, "csrf": csrf_uit(pagina.text)})
        return r.status_code, r.text

    assert poging("iwmo_bestaat-niet")[0] == 401
    status, tekst = poging(omgeving.sleutels.partij)
    assert status == 403 and "hoort bij partij 12345678" in tekst
    with omgeving.sessions() as s, s.begin():
        nieuw = apikeys.create(s, label="weg", role="operator")
        apikeys.revoke(s, nieuw.id)
    assert poging(nieuw.key)[0] == 401
    assert client.get("/admin").status_code == 303


def test_sign_in_form_without_its_csrf_token_is_refused(client: TestClient, omgeving: Omgeving) -> None:
    client.get("/admin/inloggen")
    r = client.post("/admin/inloggen", data={"sleutel": omgeving.sleutels.operator})
    assert r.status_code == 403
    assert client.get("/admin").status_code == 303


def test_only_own_pages_are_followed_after_sign_in(client: TestClient, omgeving: Omgeving) -> None:
    pagina = client.get("/admin/inloggen")
    r = client.post("/admin/inloggen", data={"sleutel": omgeving.sleutels.viewer, "csrf": csrf_uit(pagina.text),
                                             "volgende": "//evil.example/admin"})
    assert r.headers["location"] == "/admin"


def test_a_tampered_or_expired_cookie_is_no_session() -> None:
    geheim = b"s" * 32
    waarde, b = sessie.maak_cookie(geheim, sleutel_id=3, rol="viewer", label="v", duur_s=60, nu=1000)
    assert sessie.lees_cookie(geheim, waarde, nu=1030) == b
    assert sessie.lees_cookie(geheim, waarde, nu=1060) is None  # expired
    inhoud, handtekening = waarde.rsplit(".", 1)
    als_operator = sessie._b64(sessie._unb64(inhoud).replace(b'"viewer"', b'"operator"'))
    assert sessie.lees_cookie(geheim, f"{als_operator}.{handtekening}", nu=1030) is None
    assert sessie.lees_cookie(b"x" * 32, waarde, nu=1030) is None  # another server's secret


def test_revoking_the_key_ends_its_session(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    assert client.get("/admin").status_code == 200
    with omgeving.sessions() as s, s.begin():
        sleutel = next(k for k in apikeys.list_keys(s) if k.label == "victor")
        apikeys.revoke(s, sleutel.id)
    assert client.get("/admin").status_code == 303


def test_viewer_may_look_but_every_action_is_refused_with_403(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    assert client.get(f"/admin/berichten/{omgeving.tr019}").status_code == 200
    for pad, data in [(f"/admin/berichten/{omgeving.tr019}/afhandelen", {"opmerking": "gebeld"}),
                      (f"/admin/berichten/{omgeving.dead_letter}/opnieuw-in-wachtrij", {}),
                      (f"/admin/berichten/{omgeving.dead_letter}/opnieuw-verzenden", {})]:
        r = client.post(pad, data={**data, "csrf": csrf})
        assert r.status_code == 403, pad
        assert "rol is viewer" in r.text
    assert _status(omgeving, omgeving.tr019) == "rejected"
    assert _status(omgeving, omgeving.dead_letter) == "dead_letter"


def test_admin_key_counts_as_operator(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.admin)
    r = client.post(f"/admin/berichten/{omgeving.tr019}/afhandelen", data={"opmerking": "gebeld", "csrf": csrf})
    assert r.status_code == 303
    assert _status(omgeving, omgeving.tr019) == "handled"


def test_an_action_without_csrf_token_or_with_another_sessions_token_is_refused(
        client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.operator)
    pad = f"/admin/berichten/{omgeving.tr019}/afhandelen"
    assert client.post(pad, data={"opmerking": "gebeld"}).status_code == 403
    ander = sessie.csrf_token(GEHEIM.encode(), "een-andere-sessie")
    r = client.post(pad, data={"opmerking": "gebeld", "csrf": ander})
    assert r.status_code == 403 and "CSRF" in r.text
    assert _status(omgeving, omgeving.tr019) == "rejected"


def test_sign_out_ends_the_session(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    assert client.post("/admin/uitloggen", data={"csrf": csrf}).status_code == 303
    assert client.get("/admin").status_code == 303
    assert ("admin:victor", "beheer_uitgelogd") in _acties(omgeving)


def test_session_cookie_lifetime_follows_the_setting() -> None:
    waarde, b = sessie.maak_cookie(b"k" * 32, sleutel_id=1, rol="operator", label="x", duur_s=90)
    assert b.verloopt - time.time() <= 90
    assert sessie.lees_cookie(b"k" * 32, waarde) == b
