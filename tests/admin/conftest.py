"""A console on a seeded SQLite store, driven through httpx's TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from tests.admin.omgeving import Omgeving, bouw, csrf_uit


@pytest.fixture
def omgeving(db_url: str, tmp_path) -> Omgeving:  # type: ignore[no-untyped-def]
    """On SQLite, and on PostgreSQL too when IWMO_TEST_POSTGRES_URL is set (tests/conftest.py)."""
    return bouw(tmp_path, db_url)


@pytest.fixture
def client(omgeving: Omgeving) -> Iterator[TestClient]:
    app = create_app(omgeving.settings)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


def inloggen(client: TestClient, sleutel: str) -> str:
    """Sign in as a browser would; returns the session's CSRF token."""
    pagina = client.get("/admin/inloggen")
    antwoord = client.post("/admin/inloggen", data={"sleutel": sleutel, "csrf": csrf_uit(pagina.text)})
    assert antwoord.status_code == 303, antwoord.text
    return csrf_uit(client.get("/admin").text)
