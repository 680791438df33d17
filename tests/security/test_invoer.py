"""Hostile input and faults (issue #10 items 9 and 10, and no-store of item 8), one test per promise.

On SQLite and PostgreSQL wherever the store is involved: bad input gets a 4xx problem and never a 5xx; JSON
that would build invalid XML is refused with nothing stored; an oversize or unreadable body is stored only as
digest, size and a bounded prefix, and rejected content has a retention term of its own; a stored row belongs
to the party that handed it in; a store that cannot write answers 503 with Retry-After and /ready says so; a
body that trickles in is cut off with 408; no answer that carries message content may be cached.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.app import create_app
from gateway.ingest.ontvang import receive
from gateway.messages.json_xml import to_json
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import is_sqlite, make_engine, make_session_factory
from gateway.store.models import Bericht
from gateway.store.repository import INGEKORT_PREFIX_BYTES
from gateway.store.retentie import opschonen
from tests.msgedit import Msg
from tests.reference import our_example

GEMEENTE, AANBIEDER = "0599", "12345678"
PROBLEM = "application/problem+json"
MAX_BERICHT = 200_000  # small, so an oversize body is cheap to send


@dataclass
class Gateway:
    client: TestClient
    app: FastAPI
    url: str
    sessions: sessionmaker[Session]
    keys: dict[str, str]

    def post(self, data: bytes, *, wie: str = "aanbieder", soort: str = "application/xml", pad: str = "berichten"):  # type: ignore[no-untyped-def]
        return self.client.post(f"/api/v1/{pad}", content=data,
                                headers={"Authorization": f"Bearer {self.keys[wie]}", "Content-Type": soort})

    def get(self, pad: str, *, wie: str = "aanbieder"):  # type: ignore[no-untyped-def]
        return self.client.get(pad, headers={"Authorization": f"Bearer {self.keys[wie]}"})

    def rijen(self) -> list[Bericht]:
        with self.sessions() as session:
            return list(session.scalars(select(Bericht).order_by(Bericht.created_at)))


def _gateway(url: str, **instellingen: Any) -> Iterator[Gateway]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        keys = {"gemeente": apikeys.create(session, label="g", party=GEMEENTE).key,
                "aanbieder": apikeys.create(session, label="a", party=AANBIEDER).key,
                "admin": apikeys.create(session, label="beheer", role="admin").key}
    app = create_app(Settings(database_url=url, max_bericht_bytes=MAX_BERICHT, **instellingen))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gateway(client, app, url, make_session_factory(engine), keys)
    engine.dispose()


@pytest.fixture
def gw(migrated_url: str) -> Iterator[Gateway]:
    yield from _gateway(migrated_url)


def _json(naam: str = "WMO315") -> dict[str, Any]:
    return {"bericht": naam, **to_json(naam, our_example(naam))}


def _als_tekst(document: dict[str, Any], vervang: dict[str, str]) -> bytes:
    tekst = json.dumps(document)
    for oud, nieuw in vervang.items():
        assert oud in tekst
        tekst = tekst.replace(oud, nieuw, 1)
    return tekst.encode()


def _geen_5xx_maar(r, status: int) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM and "Traceback" not in r.text


# -- hostile JSON --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("getal", ["Infinity", "-Infinity", "NaN", "1e999999", "-1e999999"])
@pytest.mark.parametrize("pad", ["berichten", "validate"])
def test_json_with_infinity_is_422_not_500(gw: Gateway, getal: str, pad: str) -> None:
    document = _json()
    document["Client"]["Extra"] = "GETAL"
    r = gw.post(_als_tekst(document, {'"GETAL"': getal}), soort="application/json", pad=pad)
    _geen_5xx_maar(r, 422)
    assert r.json()["errors"][0]["code"] == "JSON" and r.json()["errors"][0]["locatie"] == ["/Client/Extra"]
    assert gw.rijen() == []


def test_json_with_a_lone_surrogate_is_422_not_500(gw: Gateway) -> None:
    document = _json()
    document["Client"]["Naam"]["Geslachtsnaam"]["Achternaam"] = "LOS"
    r = gw.post(_als_tekst(document, {'"LOS"': '"\\ud800"'}), soort="application/json")
    _geen_5xx_maar(r, 422)
    assert r.json()["errors"][0]["locatie"] == ["/Client/Naam/Geslachtsnaam/Achternaam"]
    assert "surrogaat" in r.json()["errors"][0]["melding"]
    assert gw.rijen() == []


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000],
                         ids=["arrays", "objects", "balanced"])
def test_deeply_nested_json_is_refused_not_500(gw: Gateway, body: bytes) -> None:
    for pad in ("berichten", "validate"):
        r = gw.post(body, soort="application/json", pad=pad)
        _geen_5xx_maar(r, 422)
        assert "genest" in r.json()["errors"][0]["melding"]
    assert gw.rijen() == []


def test_brackets_inside_json_strings_do_not_count_as_nesting(gw: Gateway) -> None:
    document = _json()
    document["Header"]["BerichtIdentificatie"]["Identificatie"] = "[" * 70
    r = gw.post(json.dumps(document).encode(), soort="application/json", pad="validate")
    # Judged by the schema (too long an Identificatie), not refused as too deep.
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "XSD" and "genest" not in r.text


@pytest.mark.parametrize("teken", ["\\u0000", "\\u0001", "\\u001f", "\\ufffe", "\\uffff"])
def test_json_that_would_build_invalid_xml_is_refused_and_nothing_stored(gw: Gateway, teken: str) -> None:
    document = _json()
    document["Client"]["Naam"]["Geslachtsnaam"]["Achternaam"] = "TEKEN"
    r = gw.post(_als_tekst(document, {"TEKEN": f"Jan{teken}sen"}), soort="application/json")
    _geen_5xx_maar(r, 422)
    fout = r.json()["errors"][0]
    assert fout["code"] == "XML" and fout["locatie"] == ["/Bericht/Client/Naam/Geslachtsnaam/Achternaam"]
    assert "U+" in fout["melding"] and "niets opgeslagen" in r.json()["detail"]
    assert gw.rijen() == []


@pytest.mark.parametrize(("pad", "waarde"), [("Header/Ontvanger", "1" * 40),
                                             ("Header/BerichtIdentificatie/Identificatie", "X" * 100)])
def test_header_values_too_long_for_a_key_are_a_rejection_not_a_500(gw: Gateway, pad: str, waarde: str) -> None:
    r = gw.post(Msg(our_example("WMO315")).set(pad, waarde).bytes())
    assert r.status_code == 201 and r.json()["status"] == "rejected", r.text
    (rij,) = gw.rijen()
    assert rij.raw == Msg(our_example("WMO315")).set(pad, waarde).bytes()  # the bytes keep what the keys cannot


# -- what is stored of a body that is no message --------------------------------------------------------------

def test_oversize_body_is_stored_as_digest_size_and_prefix_only(gw: Gateway) -> None:
    body = our_example("WMO315") + b"<!--" + b"x" * (MAX_BERICHT + 50_000) + b"-->"
    r = gw.post(body)
    assert r.status_code == 201 and r.json()["errors"][0]["code"] == "TE_GROOT"
    (rij,) = gw.rijen()
    assert (rij.sha256, rij.size, rij.ingekort) == (hashlib.sha256(body).hexdigest(), len(body), True)
    assert rij.raw == body[:INGEKORT_PREFIX_BYTES]
    detail = gw.get(f"/api/v1/berichten/{rij.id}").json()
    assert (detail["ingekort"], detail["grootte"], detail["sha256"]) == (True, len(body), rij.sha256)
    xml = gw.get(f"/api/v1/berichten/{rij.id}/xml")
    assert xml.status_code == 200 and xml.content == body[:INGEKORT_PREFIX_BYTES]
    assert xml.headers["x-iwmo-ingekort"] == "true"
    # The same bytes again are recognised by their digest: one row, not two.
    assert gw.post(body).json()["duplicaat"] is True and len(gw.rijen()) == 1


def test_unreadable_bytes_are_stored_as_digest_size_and_prefix_only(gw: Gateway) -> None:
    body = b"<kapot>" + bytes(range(256)) * 600
    r = gw.post(body)
    assert r.status_code == 201 and r.json()["errors"][0]["code"] == "XML"
    (rij,) = gw.rijen()
    assert (rij.sha256, rij.size, rij.ingekort) == (hashlib.sha256(body).hexdigest(), len(body), True)
    assert rij.raw == body[:INGEKORT_PREFIX_BYTES]


def test_rejected_content_is_purged_after_its_own_term(gw: Gateway) -> None:
    kapot = gw.post(b"<kapot" * 10).json()["id"]
    afgekeurd = gw.post(Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes()).json()
    assert afgekeurd["status"] == "rejected"
    goed = gw.post(our_example("WMO315")).json()["id"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    # Without the afgekeurd term rejected content stays, however old (it waits for a person).
    assert opschonen(gw.sessions, inhoud_dagen=None, feiten_dagen=None, nu=later).afgekeurd == 0
    uitslag = opschonen(gw.sessions, inhoud_dagen=None, feiten_dagen=None, afgekeurd_dagen=30, nu=later)
    assert uitslag.afgekeurd == 2
    for bericht_id in (kapot, afgekeurd["id"]):
        assert gw.get(f"/api/v1/berichten/{bericht_id}/xml").status_code == 410
    assert gw.get(f"/api/v1/berichten/{goed}/xml").content == our_example("WMO315")
    with gw.sessions() as session:
        assert session.get(Bericht, afgekeurd["id"]).status == "rejected"  # the verdict stays, only content goes


# -- a row belongs to the party that handed it in -------------------------------------------------------------

def test_unreadable_message_belongs_to_the_authenticated_party(gw: Gateway) -> None:
    gw.post(b"<kapot")
    (rij,) = gw.rijen()
    assert (rij.afzender, rij.verzender, rij.geclaimde_afzender) == (AANBIEDER, AANBIEDER, None)


def test_message_naming_another_afzender_keeps_the_claim_apart_and_the_row_is_the_callers(gw: Gateway) -> None:
    # An XSD-invalid 315 (no Ontvanger) that names gemeente 0363 as its Afzender, handed in by the aanbieder.
    data = Msg(our_example("WMO315")).set("Header/Afzender", "0363").remove("Header/Ontvanger").bytes()
    r = gw.post(data)
    assert r.status_code == 201 and r.json()["status"] == "rejected"
    (rij,) = gw.rijen()
    assert (rij.afzender, rij.verzender, rij.geclaimde_afzender) == (AANBIEDER, AANBIEDER, "0363")
    assert gw.get(f"/api/v1/berichten/{rij.id}").json()["geclaimde_afzender"] == "0363"
    assert gw.get("/api/v1/berichten", wie="gemeente").json()["items"] == []


def test_a_delivered_message_of_another_sender_is_refused_and_stored_under_the_deliverer(gw: Gateway) -> None:
    # The transport hands in what a partner delivered, as that partner: a toewijzing is the gemeente's to send.
    ontvangen = receive(gw.sessions, our_example("WMO301"), party=AANBIEDER)
    assert ontvangen.status == "rejected" and ontvangen.retour_id is None
    assert [f.code for f in ontvangen.errors] == ["AFZENDER"]
    with gw.sessions() as session:
        rij = session.get(Bericht, ontvangen.id)
        assert (rij.afzender, rij.verzender, rij.geclaimde_afzender) == (AANBIEDER, AANBIEDER, GEMEENTE)
        assert session.scalar(select(func.count()).select_from(Bericht)) == 1  # no retourbericht to anyone
    assert gw.get("/api/v1/inbox", wie="aanbieder").json()["items"] == []


def test_a_readable_message_of_another_sender_is_still_403_on_the_api(gw: Gateway) -> None:
    r = gw.post(our_example("WMO301"))
    _geen_5xx_maar(r, 403)
    assert gw.rijen() == []


# -- faults answered honestly ---------------------------------------------------------------------------------

def _bij_elke_verbinding(engine: Engine, sqlite_sql: str, pg_sql: str) -> None:
    """Run a statement on every new connection of the app's engine, and drop the ones it already has."""
    sqlite = is_sqlite(str(engine.url))

    @event.listens_for(engine, "connect")
    def _zet(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        if sqlite:
            dbapi_conn.execute(sqlite_sql)
        else:
            autocommit = dbapi_conn.autocommit
            dbapi_conn.autocommit = True  # a session setting, not one a rollback undoes
            dbapi_conn.execute(pg_sql)
            dbapi_conn.autocommit = autocommit

    engine.dispose()


def _alleen_lezen(gw: Gateway) -> None:
    _bij_elke_verbinding(gw.app.state.engine, "PRAGMA query_only = ON", "SET default_transaction_read_only = on")


def _is_503_met_retry_after(r, reden: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == PROBLEM and int(r.headers["retry-after"]) > 0
    assert reden in r.json()["detail"] and "opnieuw" in r.json()["detail"]


def test_readonly_database_answers_503_with_retry_after(gw: Gateway) -> None:
    _alleen_lezen(gw)
    _is_503_met_retry_after(gw.post(our_example("WMO315")), "alleen-lezen")


def test_ready_reports_store_not_writable(gw: Gateway) -> None:
    assert gw.client.get("/ready").status_code == 200
    _alleen_lezen(gw)
    r = gw.client.get("/ready")
    assert r.status_code == 503 and r.json()["status"] == "niet gereed"
    assert "niet schrijfbaar" in r.json()["details"]["opslag"] and "alleen-lezen" in r.json()["details"]["opslag"]


def test_locked_database_answers_503_with_retry_after(gw: Gateway) -> None:
    engine = gw.app.state.engine
    _bij_elke_verbinding(engine, "PRAGMA busy_timeout = 200", "SET lock_timeout = '200ms'")
    if is_sqlite(gw.url):
        houder = sqlite3.connect(gw.url.split("///", 1)[1], isolation_level=None)
        houder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        r = gw.post(our_example("WMO315"))
        houder.execute("ROLLBACK")
        houder.close()
    else:
        pg = make_engine(gw.url)
        with pg.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE bericht IN ACCESS EXCLUSIVE MODE")
            r = gw.post(our_example("WMO315"))
            conn.rollback()
        pg.dispose()
    _is_503_met_retry_after(r, "vergrendeld")
    assert gw.post(our_example("WMO315")).status_code == 201  # and once the lock is gone, it is taken


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_full_disk_answers_503_with_retry_after(gw: Gateway) -> None:
    # SQLite's own ceiling on the file's size gives the very error a full disk does (SQLITE_FULL).
    with sqlite3.connect(gw.url.split("///", 1)[1]) as conn:
        paginas = conn.execute("PRAGMA page_count").fetchone()[0]
    _bij_elke_verbinding(gw.app.state.engine, f"PRAGMA max_page_count = {paginas}", "")
    _is_503_met_retry_after(gw.post(our_example("WMO315") + b" " * 20_000), "schijf vol")


def _asgi(app: FastAPI, headers: dict[str, str], delen: list[tuple[bytes, float]]) -> tuple[int, dict[str, str], bytes]:
    """One POST straight into the ASGI app; the body arrives as `delen` (bytes, seconds to wait before)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/berichten", "raw_path": b"/api/v1/berichten", "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 40000), "server": ("testserver", 80)}
    rest = list(delen)
    antwoord: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if not rest:
            await asyncio.sleep(3600)  # a sender that never finishes
        data, wacht = rest.pop(0)
        await asyncio.sleep(wacht)
        return {"type": "http.request", "body": data, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            antwoord["status"] = message["status"]
            antwoord["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            antwoord["body"] += message.get("body", b"")

    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=20))
    return antwoord["status"], antwoord["headers"], antwoord["body"]


@pytest.mark.parametrize("delen", [[(b"<?xml", 0.0)], [(b"<", 0.0)] + [(b" ", 0.2)] * 20],
                         ids=["stalls", "trickles"])
def test_slow_body_is_cut_off_with_408(migrated_url: str, delen: list[tuple[bytes, float]]) -> None:
    for gw in _gateway(migrated_url, body_timeout_s=1.0, body_chunk_timeout_s=0.5):
        headers = {"Authorization": f"Bearer {gw.keys['aanbieder']}", "Content-Type": "application/xml",
                   "Host": "testserver"}
        status, kop, body = _asgi(gw.app, headers, delen)
        assert status == 408 and kop["content-type"] == PROBLEM and kop["connection"] == "close"
        assert "seconden" in json.loads(body)["detail"]
        assert gw.rijen() == []


def test_message_content_responses_are_no_store(gw: Gateway) -> None:
    ident = gw.post(our_example("WMO315")).json()["id"]
    paden = ["/api/v1/berichten", f"/api/v1/berichten/{ident}", f"/api/v1/berichten/{ident}/xml",
             f"/api/v1/berichten/{ident}/retour", f"/api/v1/berichten/{ident}/audit", "/api/v1/inbox",
             "/api/v1/berichten/bestaat-niet"]
    for pad in paden:
        r = gw.get(pad, wie="gemeente")
        assert r.headers.get("cache-control") == "no-store", (pad, r.status_code)
    assert gw.post(our_example("WMO315")).headers["cache-control"] == "no-store"


# -- what the checks above rely on, pinned -----------------------------------------------------------------

def test_the_purge_of_rejected_content_is_an_audit_event(gw: Gateway) -> None:
    kapot = gw.post(b"<kapot").json()["id"]
    with gw.sessions() as session, session.begin():
        session.execute(update(Bericht).values(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    opschonen(gw.sessions, inhoud_dagen=None, feiten_dagen=None, afgekeurd_dagen=30)
    acties = [e["action"] for e in gw.get(f"/api/v1/berichten/{kapot}/audit").json()]
    assert acties[-1] == "inhoud_verwijderd"
