"""An API app on a fresh SQLite database with keys for a gemeente, an aanbieder, another aanbieder and an
administrator; loopback receivers allowed (IWMO_WEBHOOK_PRIVE_TOEGESTAAN), as a test's receiver runs there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head

GEMEENTE, AANBIEDER, VREEMDE = "0599", "12345678", "87654321"
XML = {"Content-Type": "application/xml"}


@dataclass
class Omgeving:
    client: TestClient
    sessions: sessionmaker[Session]
    settings: Settings
    sleutels: dict[str, dict[str, str]]  # gemeente | aanbieder | vreemde | admin | viewer -> auth header

    def stuur(self, data: bytes, wie: str) -> dict:  # type: ignore[type-arg]
        r = self.client.post("/api/v1/berichten", content=data, headers={**XML, **self.sleutels[wie]})
        assert r.status_code in (200, 201, 422), r.text
        return r.json()  # type: ignore[no-any-return]


def omgeving(tmp_path, **instellingen: object) -> Iterator[Omgeving]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'webhooks.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        sleutels = {naam: {"Authorization": f"Bearer {apikeys.create(session, label=naam, **kw).key}"}
                    for naam, kw in (("gemeente", {"party": GEMEENTE}), ("aanbieder", {"party": AANBIEDER}),
                                     ("vreemde", {"party": VREEMDE}), ("admin", {"role": "admin"}),
                                     ("viewer", {"role": "viewer"}))}
    settings = Settings(database_url=url, **instellingen)  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Omgeving(client, sessions, settings, sleutels)
    engine.dispose()


@pytest.fixture
def env(tmp_path) -> Iterator[Omgeving]:  # type: ignore[no-untyped-def]
    yield from omgeving(tmp_path, webhook_prive_toegestaan=True, webhook_max_pogingen=3)


@pytest.fixture
def streng(tmp_path) -> Iterator[Omgeving]:  # type: ignore[no-untyped-def]
    """The default: no loopback, link-local or private receivers."""
    yield from omgeving(tmp_path)
