"""Every endpoint × role × foreign party: who may do what, and no leak of another party's messages."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from gateway.standard import catalogue
from tests.api.conftest import AANBIEDER, GEMEENTE, VREEMDE, XML, auth
from tests.msgedit import Msg
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


def test_a_key_in_use_is_refused_at_once_when_revoked_here_and_within_the_cache_term_when_revoked_elsewhere(
        api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Checked keys are remembered for `CACHE_S`: a revocation by this process empties that memory, one made by
    another process (the CLI, a second instance; here a plain UPDATE) counts once the term has passed."""
    from sqlalchemy import update

    from gateway.store import apikeys
    from gateway.store.db import make_session_factory
    from gateway.store.models import ApiKey, utcnow

    client, keys = api
    sessions = make_session_factory(client.app.state.engine)
    klok = [1000.0]
    monkeypatch.setattr(apikeys.time, "monotonic", lambda: klok[0])
    assert client.get("/api/v1/inbox", headers=auth(keys.vreemde)).status_code == 200  # now remembered
    with sessions() as session, session.begin():
        session.execute(update(ApiKey).where(ApiKey.party == "87654321").values(revoked_at=utcnow()))
    assert client.get("/api/v1/inbox", headers=auth(keys.vreemde)).status_code == 200  # within the term
    klok[0] += apikeys.CACHE_S + 0.01
    assert client.get("/api/v1/inbox", headers=auth(keys.vreemde)).status_code == 401

    assert client.get("/api/v1/inbox", headers=auth(keys.aanbieder)).status_code == 200  # remembered
    with sessions() as session, session.begin():
        key_id = next(k.id for k in apikeys.list_keys(session) if k.party == "12345678")
        apikeys.revoke(session, key_id)
    assert client.get("/api/v1/inbox", headers=auth(keys.aanbieder)).status_code == 401


# -- an unrecognised message belongs to its submitter only ---------------------------------------------------

ONBEKEND_NS = b"http://www.istandaarden.nl/iwmo/3_2/wmo399/schema"


def _onbekend_bericht() -> bytes:
    heen = Msg(our_example("WMO315"))
    assert (heen.text("Header/Afzender"), heen.text("Header/Ontvanger")) == (AANBIEDER, GEMEENTE)
    return heen.bytes().replace(catalogue.get("WMO315").namespace.encode(), ONBEKEND_NS)


def _zoals_voor_migratie_0005(client, data: bytes) -> str:  # type: ignore[no-untyped-def]
    """The row the store wrote for such a message before migration 0005: the header's Afzender and Ontvanger
    in `afzender`/`ontvanger`, no verzender or adressaat (nothing recognised the message to derive them)."""
    from gateway.store.db import make_session_factory
    from gateway.store.models import Bericht, Bevinding

    row = Bericht(id=str(uuid.uuid4()), berichttype=None, berichtcode="444", afzender=AANBIEDER,
                  ontvanger=GEMEENTE, verzender=None, adressaat=None, richting="in", status="rejected", raw=data,
                  sha256=hashlib.sha256(data).hexdigest(), size=len(data), submitted_by=VREEMDE)
    row.bevindingen = [Bevinding(code="ONBEKEND_BERICHT", locatie=[], melding="geen iWmo 3.2-bericht")]
    with make_session_factory(client.app.state.engine)() as session, session.begin():
        session.add(row)
    return row.id


@pytest.fixture(params=["ingediend", "opgeslagen_voor_0005"])
def onbekend(api, request):  # type: ignore[no-untyped-def]
    """A message in no iWmo namespace whose header names the aanbieder as Afzender and the gemeente as
    Ontvanger, handed in by the foreign party: rejected (ONBEKEND_BERICHT), its header vouched for by nothing.
    Once submitted through the API today, once as a row an earlier version of the store left behind."""
    client, keys = api
    data = _onbekend_bericht()
    if request.param == "opgeslagen_voor_0005":
        return client, keys, _zoals_voor_migratie_0005(client, data)
    r = client.post("/api/v1/berichten", content=data, headers={**auth(keys.vreemde), **XML})
    assert r.status_code == 201, r.text
    assert (r.json()["status"], [e["code"] for e in r.json()["errors"]]) == ("rejected", ["ONBEKEND_BERICHT"])
    return client, keys, r.json()["id"]


@pytest.mark.parametrize("path", ["/api/v1/berichten/{id}", "/api/v1/berichten/{id}/xml",
                                  "/api/v1/berichten/{id}/audit"])
@pytest.mark.parametrize(("who", "status"), [("aanbieder", 404), ("gemeente", 404), ("vreemde", 200),
                                             ("admin", 200)])
def test_parties_named_in_an_unrecognised_messages_header_cannot_read_it(onbekend, path: str, who: str,
                                                                         status: int) -> None:  # type: ignore[no-untyped-def]
    # Nothing vouches for the header of a message the gateway could not recognise: anyone can write any
    # Afzender/Ontvanger there, so naming a party must not hand that party the submitter's bytes.
    client, keys, ident = onbekend
    r = client.get(path.format(id=ident), headers=auth(getattr(keys, who)))
    assert r.status_code == status, r.text
    if status == 404:
        missing = client.get(path.format(id="00000000-0000-0000-0000-000000000000"), headers=auth(getattr(keys, who)))
        assert r.json()["detail"] == missing.json()["detail"]


@pytest.mark.parametrize(("who", "zichtbaar"), [("aanbieder", False), ("gemeente", False), ("vreemde", True),
                                                ("admin", True)])
def test_an_unrecognised_message_is_listed_only_for_its_submitter(onbekend, who: str, zichtbaar: bool) -> None:  # type: ignore[no-untyped-def]
    client, keys, ident = onbekend
    lijst = client.get("/api/v1/berichten", headers=auth(getattr(keys, who))).json()["items"]
    inbox = client.get("/api/v1/inbox", headers=auth(getattr(keys, who)))
    assert (ident in {b["id"] for b in lijst}) is zichtbaar
    assert inbox.status_code == 403 or ident not in {b["id"] for b in inbox.json()["items"]}


def test_sender_and_addressee_of_a_recognised_message_both_read_it_next_to_an_unrecognised_one(
        onbekend) -> None:  # type: ignore[no-untyped-def]
    client, keys, ident = onbekend
    r = client.post("/api/v1/berichten", content=our_example("WMO315"), headers={**auth(keys.aanbieder), **XML})
    herkend = r.json()["id"]
    for who in ("aanbieder", "gemeente"):
        assert client.get(f"/api/v1/berichten/{herkend}/xml", headers=auth(getattr(keys, who))).status_code == 200
        assert client.get(f"/api/v1/berichten/{ident}/xml", headers=auth(getattr(keys, who))).status_code == 404
    assert client.get(f"/api/v1/berichten/{herkend}", headers=auth(keys.vreemde)).status_code == 404
