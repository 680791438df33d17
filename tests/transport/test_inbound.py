"""The receiving side in the API app: the GGk hub's deliveries on POST /ggk, the automatic retourbericht back
through the route, idempotency per envelope, XSD refusals as Fo01, late Fo01s, API submissions that are queued,
the WMO325 path, and the overdue list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import Aflevering, AuditEvent, Bericht, Ontvangst
from gateway.transport import envelope, memory
from gateway.transport.outbox import Outbox, requeue, resend
from tests.msgedit import Msg
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant

# The GGk knooppunt's token: POST /ggk is closed without one (tests/security/test_transport_toegang.py).
HUB_TOKEN = "hub-token-voor-de-inbound-tests"
SOAP = {"Content-Type": "text/xml; charset=utf-8", "Authorization": f"Bearer {HUB_TOKEN}"}


@dataclass
class Gemeente:
    client: TestClient
    sessions: object
    key: str
    kanaal: memory.MemoryTransport


@pytest.fixture
def gemeente(tmp_path: Path) -> Iterator[Gemeente]:
    """The gateway of gemeente 0599: everything it sends goes out through a memory channel."""
    url = f"sqlite:///{tmp_path / 'gemeente.db'}"
    upgrade_to_head(url)
    naam = f"ggk-{uuid.uuid4().hex[:8]}"
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\nnaar = ["*"]\nadapter = "memory"\nendpoint = "{naam}"\n', encoding="utf-8")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        key = apikeys.create(session, label="g", party=GEMEENTE).key
    app = create_app(Settings(database_url=url, routes_file=str(routes), identiteit=[GEMEENTE],
                              ggk_inbound_token=HUB_TOKEN))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gemeente(client, sessions, key, memory.kanaal(naam))
    engine.dispose()


def _di01(naam: str, identificatie: str, payload: bytes | None = None) -> tuple[bytes, envelope.Envelop]:
    return envelope.heenbericht(payload or variant(naam, identificatie), zender=AANBIEDER, ontvanger=GEMEENTE,
                                functie=naam)


def _tel(sessions, model, *where) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_delivered_heenbericht_is_stored_and_its_retour_queued_in_a_du01_envelope(gemeente: Gemeente) -> None:
    data, e = _di01("WMO315", "IN0001")
    r = gemeente.client.post("/ggk", content=data, headers=SOAP)
    assert r.status_code == 200 and b"Fault" not in r.content and b"Body" in r.content
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        heen = session.scalars(select(Bericht).where(Bericht.berichttype == "WMO315")).one()
        assert (heen.richting, heen.status, heen.submitted_by) == ("in", "answered", AANBIEDER)
        [a] = session.scalars(select(Aflevering)).all()
        retour = session.get(Bericht, a.bericht_id)
        assert (retour.berichttype, retour.antwoord_op_id, retour.status) == ("WMO316", heen.id, "queued")
        assert (a.functie, a.zender, a.ontvanger) == ("WMO316", GEMEENTE, AANBIEDER)
        assert a.antwoord_op == e.referentienummer == a.conversatie_id  # the Du01's crossRefnummer
    Outbox(gemeente.sessions).werk(lambda _: gemeente.kanaal)  # type: ignore[arg-type]
    [z] = gemeente.kanaal.verzonden
    assert z.retour and z.antwoord_op == e.referentienummer and z.functie == "WMO316"


def test_the_same_envelope_twice_is_stored_once_and_answered_alike(gemeente: Gemeente) -> None:
    data, _ = _di01("WMO315", "IN0002")
    eerste = gemeente.client.post("/ggk", content=data, headers=SOAP)
    tweede = gemeente.client.post("/ggk", content=data, headers=SOAP)
    assert eerste.status_code == tweede.status_code == 200
    assert _tel(gemeente.sessions, Bericht, Bericht.berichttype == "WMO315") == 1
    assert _tel(gemeente.sessions, Bericht, Bericht.berichttype == "WMO316") == 1
    assert _tel(gemeente.sessions, Aflevering) == 1 and _tel(gemeente.sessions, Ontvangst) == 1


def test_a_payload_that_fails_its_xsd_gets_fo01_stuf055_and_no_retourbericht(gemeente: Gemeente) -> None:
    kapot = Msg(variant("WMO315", "IN0003")).remove("Client/Bsn").bytes()
    data, e = _di01("WMO315", "IN0003", kapot)
    r = gemeente.client.post("/ggk", content=data, headers=SOAP)
    assert r.status_code == 500
    fout = envelope.lees(r.content)
    assert (fout.soort, fout.cross_refnummer, fout.zender, fout.ontvanger) == ("Fo01", e.referentienummer, GEMEENTE,
                                                                               AANBIEDER)
    assert fout.fout is not None and fout.fout.code == "StUF055" and fout.fout.details.startswith("XSD")
    assert _tel(gemeente.sessions, Bericht, Bericht.status == "rejected") == 1
    assert _tel(gemeente.sessions, Bericht, Bericht.berichttype == "WMO316") == 0
    again = gemeente.client.post("/ggk", content=data, headers=SOAP)
    assert again.status_code == 500 and envelope.lees(again.content).fout.code == "StUF055"  # type: ignore[union-attr]


def test_an_envelope_for_an_organisation_we_do_not_serve_is_refused(gemeente: Gemeente) -> None:
    data, e = envelope.heenbericht(variant("WMO315", "IN0004"), zender=AANBIEDER, ontvanger="0363",
                                   functie="WMO315")
    r = gemeente.client.post("/ggk", content=data, headers=SOAP)
    assert r.status_code == 500 and envelope.lees(r.content).fout.code == "IB005"  # type: ignore[union-attr]
    assert _tel(gemeente.sessions, Bericht) == 0


def test_an_unreadable_envelope_is_a_soap_fault_naming_the_code(gemeente: Gemeente) -> None:
    r = gemeente.client.post("/ggk", content=b"<geen-envelop/>", headers=SOAP)
    assert r.status_code == 500 and b"IB001" in r.content


def test_an_api_submission_for_the_aanbieder_is_queued_and_a_late_fo01_dead_letters_it(gemeente: Gemeente) -> None:
    r = gemeente.client.post("/api/v1/berichten", content=variant("WMO301", "API0001"),
                             headers={"Authorization": f"Bearer {gemeente.key}", "Content-Type": "application/xml"})
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        a = session.scalars(select(Aflevering)).one()
        assert (a.functie, a.ontvanger, session.get(Bericht, a.bericht_id).status) == ("WMO301", AANBIEDER, "queued")
    Outbox(gemeente.sessions).werk(lambda _: gemeente.kanaal)  # type: ignore[arg-type]
    fo01, _ = envelope.fout(zender="VECOZO", ontvanger=GEMEENTE, cross_refnummer=a.envelop_id, code="BRS04",
                            plek="client", omschrijving="Geadresseerde niet aangesloten")
    assert gemeente.client.post("/ggk", content=fo01, headers=SOAP).status_code == 200
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        a = session.get(Aflevering, a.id)
        assert a.status == "dead_letter" and a.laatste_fout.startswith("BRS04")
        events = session.scalars(select(AuditEvent).where(AuditEvent.bericht_id == a.bericht_id)
                                 .order_by(AuditEvent.seq)).all()
        # The hub had accepted it (delivered); the late Fo01 makes it a dead letter for a person to handle.
        assert [(e.action, e.from_state, e.to_state) for e in events[-2:]] == [
            ("afgeleverd", "queued", "delivered"), ("fout_ontvangen", "delivered", "dead_letter")]
        assert session.get(Bericht, a.bericht_id).status == "dead_letter"
    with gemeente.sessions() as session, session.begin():  # type: ignore[attr-defined]
        requeue(session, a.bericht_id, actor="beheerder")
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(Bericht, a.bericht_id).status == "queued"


def test_a_late_fo01_on_an_envelope_that_was_resent_does_not_undo_the_newer_one(gemeente: Gemeente) -> None:
    r = gemeente.client.post("/api/v1/berichten", content=variant("WMO301", "API0002"),
                             headers={"Authorization": f"Bearer {gemeente.key}", "Content-Type": "application/xml"})
    bericht_id = r.json()["id"]
    Outbox(gemeente.sessions).werk(lambda _: gemeente.kanaal)  # type: ignore[arg-type]
    with gemeente.sessions() as session, session.begin():  # type: ignore[attr-defined]
        oud = session.scalars(select(Aflevering.envelop_id)).one()
        resend(session, bericht_id, actor="beheerder")
    Outbox(gemeente.sessions).werk(lambda _: gemeente.kanaal)  # type: ignore[arg-type]
    fo01, _ = envelope.fout(zender="VECOZO", ontvanger=GEMEENTE, cross_refnummer=oud, code="BRS04",
                            plek="client", omschrijving="Geadresseerde niet aangesloten")
    assert gemeente.client.post("/ggk", content=fo01, headers=SOAP).status_code == 200
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(Bericht, bericht_id).status == "delivered"
        acties = session.scalars(select(AuditEvent.action).where(AuditEvent.bericht_id == bericht_id)).all()
        assert acties[-1] == "fout_ontvangen"


def test_a_wmo325_from_the_back_office_answers_the_323_that_came_in(gemeente: Gemeente) -> None:
    from tests.reference import our_example

    data, e = envelope.heenbericht(our_example("WMO323"), zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO323")
    assert gemeente.client.post("/ggk", content=data, headers=SOAP).status_code == 200
    r = gemeente.client.post("/api/v1/berichten", content=our_example("WMO325"),
                             headers={"Authorization": f"Bearer {gemeente.key}", "Content-Type": "application/xml"})
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.json()
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        declaratie = session.scalars(select(Bericht).where(Bericht.berichttype == "WMO323")).one()
        a = session.scalars(select(Aflevering)).one()
        assert declaratie.status == "answered"
        assert (a.functie, a.antwoord_op, a.conversatie_id) == ("WMO325", e.referentienummer, e.referentienummer)


def test_overdue_answers_are_listed_for_the_sender_and_counted_in_metrics(gemeente: Gemeente) -> None:
    auth = {"Authorization": f"Bearer {gemeente.key}"}
    gemeente.client.post("/api/v1/berichten", content=variant("WMO301", "LAAT01"),
                         headers={**auth, "Content-Type": "application/xml"})
    assert gemeente.client.get("/api/v1/achterstallig", headers=auth).json() == []
    with gemeente.sessions() as session, session.begin():  # type: ignore[attr-defined]
        a = session.scalars(select(Aflevering)).one()
        a.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
    [item] = gemeente.client.get("/api/v1/achterstallig", headers=auth).json()
    assert (item["bericht"], item["verwacht"], item["regel"], item["identificatie"]) == ("WMO301", "WMO302", "OP090",
                                                                                         "LAAT01")
    assert item["werkdagen_te_laat"] >= 5
    assert 'iwmo_achterstallige_antwoorden{regel="OP090"} 1.0' in gemeente.client.get("/metrics").text
    assert gemeente.client.get("/api/v1/achterstallig").status_code == 401


def test_the_sender_keeps_one_retour_per_heenbericht_the_partners(gemeente: Gemeente) -> None:
    """IV028: the addressee answers. Our own check of an outgoing message is in the submit answer's findings,
    not a second WMO302 in the sender's store and inbox beside the aanbieder's real one."""
    from gateway.messages.retour import validate_and_build

    heen = variant("WMO301", "EENRETOUR1")
    r = gemeente.client.post("/api/v1/berichten", content=heen,
                             headers={"Authorization": f"Bearer {gemeente.key}", "Content-Type": "application/xml"})
    assert r.status_code == 201 and r.json()["status"] == "accepted" and r.json()["links"]["retour"] is None
    heen_id = r.json()["id"]
    assert _tel(gemeente.sessions, Bericht, Bericht.berichttype == "WMO302") == 0
    Outbox(gemeente.sessions).werk(lambda _: gemeente.kanaal)  # type: ignore[arg-type]
    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        di01_id = session.scalars(select(Aflevering.envelop_id)).one()

    partner_retour = validate_and_build(heen)
    du01, _ = envelope.retourbericht(partner_retour, zender=AANBIEDER, ontvanger=GEMEENTE, functie="WMO302",
                                     cross_refnummer=di01_id)
    assert gemeente.client.post("/ggk", content=du01, headers=SOAP).status_code == 200

    with gemeente.sessions() as session:  # type: ignore[attr-defined]
        [retour] = session.scalars(select(Bericht).where(Bericht.antwoord_op_id == heen_id)).all()
        assert (retour.berichttype, retour.richting, retour.raw) == ("WMO302", "in", partner_retour)
        assert session.get(Bericht, heen_id).status == "answered"
    auth = {"Authorization": f"Bearer {gemeente.key}"}
    assert gemeente.client.get(f"/api/v1/berichten/{heen_id}/retour", headers=auth).content == partner_retour
    inbox = gemeente.client.get("/api/v1/inbox", headers=auth).json()["items"]
    assert [b["id"] for b in inbox if b["bericht"] == "WMO302"] == [retour.id]


def test_a_gateway_serving_both_parties_still_answers_itself(tmp_path: Path) -> None:
    """Without IWMO_IDENTITEIT the gateway is the meeting point of both parties and builds the retour."""
    url = f"sqlite:///{tmp_path / 'samen.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        key = apikeys.create(session, label="g", party=GEMEENTE).key
    app = create_app(Settings(database_url=url, routes_file=str(tmp_path / "geen.toml")))
    with TestClient(app) as client:
        r = client.post("/api/v1/berichten", content=variant("WMO301", "SAMEN1"),
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
        assert r.json()["links"]["retour"] is not None
    engine.dispose()
