"""An API app on a fresh SQLite database, with keys for a gemeente, an aanbieder, a foreign party and admins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head

GEMEENTE = "0599"
AANBIEDER = "12345678"
VREEMDE = "87654321"  # an aanbieder with no part in the test messages


@dataclass
class Keys:
    gemeente: str
    aanbieder: str
    vreemde: str
    admin: str


@pytest.fixture
def api(tmp_path) -> tuple[TestClient, Keys]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        keys = Keys(
            gemeente=apikeys.create(session, label="g", party=GEMEENTE).key,
            aanbieder=apikeys.create(session, label="a", party=AANBIEDER).key,
            vreemde=apikeys.create(session, label="v", party=VREEMDE).key,
            admin=apikeys.create(session, label="beheer", role="admin").key,
        )
    engine.dispose()
    app = create_app(Settings(database_url=url))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


XML = {"Content-Type": "application/xml"}
