"""The admin console's security promises (issue #10 items 4, 5, 8 and the CSRF part of 11), one test each."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update

from gateway import sterkte
from gateway.admin import export, inlogrem, koppen, sessie
from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.models import ApiKey, AuditEvent, Bericht
from tests.admin.omgeving import GEHEIM, Omgeving, bouw, csrf_uit, ontvang, toewijzing_met_fout

ROOT = Path(__file__).resolve().parents[2]
MAAK_EEN = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


@pytest.fixture
def omgeving(db_url: str, tmp_path: Path) -> Omgeving:
    return bouw(tmp_path, db_url)


@pytest.fixture
def app(omgeving: Omgeving):  # type: ignore[no-untyped-def]
    return create_app(omgeving.settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


def _vanaf(app, adres: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser at another client address (the sign-in brake counts per address)."""
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False, client=(adres, 40000))


def _poging(c: TestClient, sleutel: str):  # type: ignore[no-untyped-def]
    pagina = c.get("/admin/inloggen")
    return c.post("/admin/inloggen", data={"sleutel": sleutel, "csrf": csrf_uit(pagina.text)})


def _inloggen(c: TestClient, sleutel: str) -> str:
    assert _poging(c, sleutel).status_code == 303
    return csrf_uit(c.get("/admin").text)


def _aantal_events(omgeving: Omgeving) -> int:
    with omgeving.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _sleutel_id(omgeving: Omgeving, label: str) -> int:
    with omgeving.sessions() as s:
        return next(k.id for k in apikeys.list_keys(s) if k.label == label)


# -- CSV export --------------------------------------------------------------------------------------------

def test_csv_export_neutralises_every_cell_a_spreadsheet_would_run_as_a_formula(client: TestClient,
                                                                                 omgeving: Omgeving) -> None:
    formules = ["=1+1", "@SUM(1+1)", "-2+3", "+31"]
    for ident in formules:
        ontvang(omgeving.sessions, toewijzing_met_fout(ident))
    _inloggen(client, omgeving.sleutels.viewer)
    r = client.get("/admin/afgekeurd.csv?status=alle")
    assert r.status_code == 200
    rijen = list(csv.reader(io.StringIO(r.text), delimiter=";"))
    assert {rij[6] for rij in rijen} >= {"'" + f for f in formules}
    assert not [cel for rij in rijen for cel in rij if cel[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [export.neutraliseer(c) for c in ("\t=1", "\r=1", "ok", "")] == ["'\t=1", "'\r=1", "ok", ""]


# -- the admin secret --------------------------------------------------------------------------------------

def test_a_placeholder_admin_secret_is_refused_and_serve_exits_with_one_line(tmp_path: Path) -> None:
    voorbeeld = (ROOT / "config" / "postgresql.env.example").read_text(encoding="utf-8")
    geleverd = re.search(r"^IWMO_ADMIN_SECRET=(.*)$", voorbeeld, re.M)
    assert geleverd, "config/postgresql.env.example names IWMO_ADMIN_SECRET"
    for plaatshouder in (geleverd.group(1),
                         "change-me-to-64-random-characters-for-example-from-openssl-rand-hex-32",
                         "Q7vN2xK9pLmR4tW8-geheim-yZ3bC6dF1gH5jS0u", "Q7vN2xK9pLmR4tW8-changeme-yZ3bC6dF1gH5jS0u"):
        with pytest.raises(ValidationError, match="voorbeeldwaarde") as fout:
            Settings(admin_secret=plaatshouder)
        assert MAAK_EEN in str(fout.value)
    db = tmp_path / "gateway.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    env |= {"IWMO_ADMIN_SECRET": geleverd.group(1), "IWMO_DATABASE_URL": f"sqlite:///{db}"}
    r = subprocess.run([sys.executable, "-m", "gateway.cli", "serve", "--port", "1"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    regels = r.stderr.strip().splitlines()
    assert len(regels) == 1 and "IWMO_ADMIN_SECRET" in regels[0] and MAAK_EEN in regels[0], r.stderr
    assert not db.exists()  # refused before anything was written


def test_a_low_entropy_admin_secret_is_refused() -> None:
    for zwak in ("a" * 40, "ab" * 20, "0123456789abcdef" * 2, "Welkom01" * 4,
                 "abcdefghijklmnopqrstuvwxyz012345", "kort-maar-willekeurig-Q7vN2x"):
        with pytest.raises(ValidationError, match="IWMO_ADMIN_SECRET is te") as fout:
            Settings(admin_secret=zwak)
        melding = fout.value.errors()[0]["msg"]  # what `iwmo-gateway serve` prints
        assert MAAK_EEN in melding and zwak not in melding
    assert Settings(admin_secret=GEHEIM).admin_secret == GEHEIM
    for _ in range(200):  # what the message tells people to run, and openssl rand -hex 16, always pass
        assert sterkte.zwakte(secrets.token_urlsafe(48)) is None and sterkte.zwakte(secrets.token_hex(16)) is None
    assert Settings(admin_secret=None).admin_secret is None  # unset: each process draws its own


# -- sessions ----------------------------------------------------------------------------------------------

def test_sign_out_ends_the_session_so_a_kept_copy_of_the_cookie_is_refused(app, client: TestClient,  # type: ignore[no-untyped-def]
                                                                           omgeving: Omgeving) -> None:
    csrf = _inloggen(client, omgeving.sleutels.operator)
    bewaard = client.cookies.get(sessie.COOKIE)
    assert client.post("/admin/uitloggen", data={"csrf": csrf}).status_code == 303
    dief = TestClient(app, raise_server_exceptions=False, follow_redirects=False,
                      cookies={sessie.COOKIE: bewaard or ""})
    assert dief.get("/admin").status_code == 303
    r = dief.post(f"/admin/berichten/{omgeving.tr019}/afhandelen", data={"csrf": csrf, "opmerking": "x"})
    assert r.status_code == 401
    with omgeving.sessions() as s:
        assert s.get(Bericht, omgeving.tr019).status == "rejected"  # type: ignore[union-attr]


def test_revoking_the_key_ends_its_sessions(client: TestClient, omgeving: Omgeving) -> None:
    _inloggen(client, omgeving.sleutels.operator)
    with omgeving.sessions() as s, s.begin():
        apikeys.revoke(s, _sleutel_id(omgeving, "olga"))
    assert client.get("/admin").status_code == 303


def test_a_role_change_ends_the_session_for_good(client: TestClient, omgeving: Omgeving) -> None:
    _inloggen(client, omgeving.sleutels.operator)
    sleutel = _sleutel_id(omgeving, "olga")

    def rol(nieuw: str) -> None:
        with omgeving.sessions() as s, s.begin():
            s.execute(update(ApiKey).where(ApiKey.id == sleutel).values(role=nieuw))

    rol("viewer")
    assert client.get("/admin").status_code == 303
    rol("operator")  # giving the role back does not revive the session: sign in again
    assert client.get("/admin").status_code == 303


# -- the sign-in brake -------------------------------------------------------------------------------------

def test_sign_in_attempts_are_limited_per_client_address(app, client: TestClient,  # type: ignore[no-untyped-def]
                                                         omgeving: Omgeving) -> None:
    for i in range(inlogrem.PER_ADRES.pogingen):
        assert _poging(client, f"iwmo_gok{i:03d}-{'x' * 30}").status_code == 401
    r = _poging(client, omgeving.sleutels.operator)  # even the right key waits: no guess is answered
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= inlogrem.PER_ADRES.venster_s
    assert "Te veel mislukte inlogpogingen vanaf dit adres" in r.text
    assert sessie.COOKIE not in r.cookies
    assert _poging(_vanaf(app, "192.0.2.7"), omgeving.sleutels.operator).status_code == 303


def test_sign_in_attempts_are_limited_per_key_prefix(app, omgeving: Omgeving) -> None:  # type: ignore[no-untyped-def]
    doel = omgeving.sleutels.operator
    prefix = doel[:11]
    for i in range(inlogrem.PER_PREFIX.pogingen):  # one guess from each of many addresses
        assert _poging(_vanaf(app, f"198.51.100.{i + 1}"), prefix + "gok" + "y" * 30).status_code == 401
    nieuw = _vanaf(app, "203.0.113.9")
    r = _poging(nieuw, doel)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Te veel mislukte inlogpogingen met deze sleutel" in r.text
    assert _poging(nieuw, omgeving.sleutels.viewer).status_code == 303  # another key from there still works


# -- headers -----------------------------------------------------------------------------------------------

_TAG = re.compile(r"<[a-zA-Z][^>]*>")


def test_console_responses_carry_the_security_headers_and_pages_have_no_inline_code(
        client: TestClient, omgeving: Omgeving) -> None:
    aanmelden = client.get("/admin/inloggen")
    _inloggen(client, omgeving.sleutels.operator)
    antwoorden = [aanmelden, client.get("/admin"), client.get("/admin/afgekeurd?status=alle"),
                  client.get(f"/admin/berichten/{omgeving.tr019}"), client.get("/admin/achterstallig"),
                  client.get("/admin/client"), client.get("/admin/afgekeurd.csv"),
                  client.get("/admin/static/beheer.js"), client.get("/admin/bestaat-niet")]
    for r in antwoorden:
        pad = r.request.url.path
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp, pad
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, pad
        assert r.headers.get("x-frame-options") == "DENY", pad
        assert r.headers.get("x-content-type-options") == "nosniff", pad
        assert r.headers.get("referrer-policy") == "no-referrer", pad
        if r.headers.get("content-type", "").startswith("text/html"):
            for tag in _TAG.findall(r.text):
                assert not re.search(r"\s(style|on[a-z]+)\s*=", tag, re.I), (pad, tag)
                assert not (tag.lower().startswith("<script") and "src=" not in tag), (pad, tag)


# -- CSRF --------------------------------------------------------------------------------------------------

def _console_posts(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every POST route under /admin, taken from the app itself: a route added later is covered unasked."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x nests included routers
    except ImportError:
        routes: Any = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    return sorted({r.path for r in routes if "POST" in (getattr(r, "methods", None) or ())
                   and koppen.is_console(getattr(r, "path", None) or "")})


def test_every_console_post_refuses_a_missing_or_wrong_csrf_token(app, client: TestClient,  # type: ignore[no-untyped-def]
                                                                  omgeving: Omgeving) -> None:
    posts = _console_posts(app)
    assert {"/admin/berichten/{bericht_id}/bsn", "/admin/client", "/admin/berichten/{bericht_id}/afhandelen",
            "/admin/uitloggen", "/admin/inloggen"} <= set(posts)
    _inloggen(client, omgeving.sleutels.operator)
    ander = sessie.csrf_token(GEHEIM.encode(), "een-andere-sessie")
    # Enough for each route to do its work if the token were not checked (an audit event would follow).
    formulier = {"opmerking": "x", "bsn": "207416035", "toon": "1", "id": omgeving.tr019,
                 "sleutel": omgeving.sleutels.operator}
    voor = _aantal_events(omgeving)
    for pad in posts:
        url = re.sub(r"\{[^}]+\}", omgeving.tr019, pad)
        for token in (None, "", ander):
            data = formulier | ({} if token is None else {"csrf": token})
            r = client.post(url, data=data)
            assert r.status_code == 403, (pad, token, r.status_code)
    assert _aantal_events(omgeving) == voor
    with omgeving.sessions() as s:
        assert s.get(Bericht, omgeving.tr019).status == "rejected"  # type: ignore[union-attr]
    assert client.get("/admin").status_code == 200  # still signed in: uitloggen did not go through
