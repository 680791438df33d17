"""Every endpoint × role × foreign party: who may do what, and no leak of another party's messages."""

from __future__ import annotations

import pytest

from tests.api.conftest import XML, auth
from tests.reference import our_example

READS = ["/api/v1/berichten/{id}", "/api/v1/berichten/{id}/xml", "/api/v1/berichten/{id}/retour",
         "/api/v1/berichten/{id}/audit"]


@pytest.fixture
def stored(api):  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/berichten", content=our_example("WMO315"), headers={**auth(keys.aanbieder), **XML})
    assert r.status_code == 201
    return client, keys, r.json()["id"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(("who", "status"), [("aanbieder", 200), ("gemeente", 200), ("admin", 200),
                                             ("vreemde", 404), (None, 401), ("kapot", 401)])
def test_read_endpoints(stored, path: str, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys, ident = stored
    headers = {} if who is None else auth("iwmo_onzin" if who == "kapot" else getattr(keys, who))
    r = client.get(path.format(id=ident), headers=headers)
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", READS)
def test_foreign_party_cannot_tell_existing_from_missing(stored, path: str) -> None:  # type: ignore[no-untyped-def]
    client, keys, ident = stored
    existing = client.get(path.format(id=ident), headers=auth(keys.vreemde))
    missing = client.get(path.format(id="00000000-0000-0000-0000-000000000000"), headers=auth(keys.vreemde))
    assert existing.status_code == missing.status_code == 404
    assert existing.json()["detail"] == missing.json()["detail"]


@pytest.mark.parametrize(("who", "count"), [("aanbieder", 2), ("gemeente", 2), ("admin", 2), ("vreemde", 0)])
def test_list_shows_only_own_messages(stored, who: str, count: int) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = stored
    r = client.get("/api/v1/berichten", headers=auth(getattr(keys, who)))
    assert r.status_code == 200 and len(r.json()["items"]) == count


@pytest.mark.parametrize(("who", "status"), [("aanbieder", 200), ("gemeente", 403), ("vreemde", 403),
                                             ("admin", 403), (None, 401)])
def test_submit_only_as_the_messages_afzender(api, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    headers = {**XML, **({} if who is None else auth(getattr(keys, who)))}
    data = our_example("WMO315")
    if who == "aanbieder":
        client.post("/api/v1/berichten", content=data, headers=headers)  # first: 201; again: 200 (duplicate)
    r = client.post("/api/v1/berichten", content=data, headers=headers)
    assert r.status_code == status, r.text


@pytest.mark.parametrize(("who", "status"), [("gemeente", 200), ("aanbieder", 200), ("vreemde", 200),
                                             ("admin", 403), (None, 401)])
def test_inbox_is_per_party(stored, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = stored
    r = client.get("/api/v1/inbox", headers={} if who is None else auth(getattr(keys, who)))
    assert r.status_code == status
    if who == "vreemde":
        assert r.json()["items"] == []


@pytest.mark.parametrize(("who", "status"), [("gemeente", 204), ("aanbieder", 404), ("vreemde", 404),
                                             ("admin", 404), (None, 401)])
def test_acknowledge_only_by_the_addressee(stored, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys, ident = stored
    r = client.post(f"/api/v1/inbox/{ident}/ack", headers={} if who is None else auth(getattr(keys, who)))
    assert r.status_code == status


@pytest.mark.parametrize(("who", "status"), [("aanbieder", 200), ("vreemde", 200), ("admin", 200), (None, 401)])
def test_validate_needs_a_key(api, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/validate", content=our_example("WMO315"),
                    headers={**XML, **({} if who is None else auth(getattr(keys, who)))})
    assert r.status_code == status


def test_revoked_key_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    from gateway.store import apikeys
    from gateway.store.db import make_session_factory

    client, keys = api
    sessions = make_session_factory(client.app.state.engine)
    with sessions() as session, session.begin():
        key_id = next(k.id for k in apikeys.list_keys(session) if k.party == "87654321")
        apikeys.revoke(session, key_id)
    assert client.get("/api/v1/inbox", headers=auth(keys.vreemde)).status_code == 401
