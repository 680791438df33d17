"""Events are recorded in the transaction that makes them true: a message for a party, a rejected message, an
answer, a dead letter; with links and codes only (never message bytes, never a Bsn), and a webhook delivery for
each unpaused subscription that wants it."""

from __future__ import annotations

import json

from sqlalchemy import select

from gateway.store.models import Bericht, Gebeurtenis, WebhookAflevering
from gateway.transport.adapter import Resultaat
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import Outbox, plan
from gateway.transport.routing import Route
from tests.cross.keten import declaratie, voorbeeld
from tests.msgedit import Msg
from tests.reference import our_example
from tests.transport.helpers import variant
from tests.webhooks.conftest import AANBIEDER, GEMEENTE, Omgeving

BSN = "207416035"  # the Bsn in our example messages


def _gebeurtenissen(env: Omgeving) -> list[Gebeurtenis]:
    with env.sessions() as session:
        return list(session.scalars(select(Gebeurtenis).order_by(Gebeurtenis.id)))


def _abonneer(env: Omgeving, wie: str, soorten: list[str], **extra: object) -> int:
    r = env.client.post("/api/v1/abonnementen", json={"url": "http://127.0.0.1:9/h", "gebeurtenissen": soorten,
                                                      **extra}, headers=env.sleutels[wie])
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


def _afleveringen(env: Omgeving, abonnement_id: int) -> list[WebhookAflevering]:
    with env.sessions() as session:
        return list(session.scalars(select(WebhookAflevering).where(WebhookAflevering.abonnement_id == abonnement_id)))


def test_a_message_for_a_party_is_an_event_for_that_party_with_links_and_no_bsn(env: Omgeving) -> None:
    data = variant("WMO301", "EVT001")
    assert BSN.encode() in data
    r = env.stuur(data, "gemeente")
    assert r["status"] == "accepted"
    [g] = _gebeurtenissen(env)
    assert (g.type, g.partij, g.berichttype) == ("bericht.ontvangen", AANBIEDER, "WMO301")
    assert g.payload["bericht"]["id"] == r["id"] and g.payload["links"]["bericht"] == f"/api/v1/berichten/{r['id']}"
    assert BSN not in json.dumps(g.payload) and "<" not in json.dumps(g.payload)


def test_a_duplicate_makes_no_second_event(env: Omgeving) -> None:
    data = variant("WMO301", "EVT002")
    env.stuur(data, "gemeente")
    assert env.stuur(data, "gemeente")["duplicaat"]
    assert len(_gebeurtenissen(env)) == 1


def test_a_rejected_message_is_an_event_for_its_sender_with_the_finding_codes(env: Omgeving) -> None:
    data = Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes()
    r = env.stuur(data, "aanbieder")
    assert r["status"] == "rejected"
    [g] = [g for g in _gebeurtenissen(env) if g.type == "bericht.afgekeurd"]
    assert g.partij == AANBIEDER and "TR380" in g.payload["codes"] and BSN not in json.dumps(g.payload)


def test_the_wmo325_the_gateway_builds_is_an_answer_event_for_the_aanbieder(env: Omgeving) -> None:
    assert env.stuur(voorbeeld("WMO301").bytes(), "gemeente")["status"] == "accepted"
    decl = env.stuur(declaratie().bytes(), "aanbieder")
    assert decl["status"] == "accepted", decl
    antwoord = env.client.post(f"/api/v1/berichten/{decl['id']}/declaratie-antwoord", json={"afgewezen": []},
                               headers=env.sleutels["gemeente"])
    assert antwoord.status_code == 201, antwoord.text
    [g] = [g for g in _gebeurtenissen(env) if g.type == "antwoord.ontvangen"]
    assert (g.partij, g.berichttype) == (AANBIEDER, "WMO325")
    assert g.payload["bericht"]["id"] == antwoord.json()["id"] and g.payload["antwoord_op"] == decl["id"]


def test_a_dead_letter_is_an_event_for_the_sender(env: Omgeving) -> None:
    abonnement = _abonneer(env, "gemeente", ["aflevering.mislukt"])
    r = env.stuur(variant("WMO301", "EVT003"), "gemeente")
    with env.sessions() as session, session.begin():
        plan(session, session.get_one(Bericht, r["id"]), Route(("*",), "memory", "test"), actor=GEMEENTE)
    Outbox(env.sessions).werk(lambda _: MemoryTransport(lambda _: Resultaat.definitief("geen route", 422)))
    [g] = [g for g in _gebeurtenissen(env) if g.type == "aflevering.mislukt"]
    assert g.partij == GEMEENTE and g.payload["bericht"]["id"] == r["id"]
    assert [a.gebeurtenis_id for a in _afleveringen(env, abonnement)] == [g.id]


def test_a_delivery_per_subscription_that_wants_the_event_type_and_berichttype_a_paused_one_keeps_it_waiting(env: Omgeving) -> None:
    alles = _abonneer(env, "aanbieder", ["bericht.ontvangen"])
    alleen_305 = _abonneer(env, "aanbieder", ["bericht.ontvangen"], berichttypen=["WMO305"])
    andere_soort = _abonneer(env, "aanbieder", ["bericht.afgekeurd"])
    andere_partij = _abonneer(env, "vreemde", ["bericht.ontvangen"])
    beheer = _abonneer(env, "admin", ["bericht.ontvangen"])
    gepauzeerd = _abonneer(env, "aanbieder", ["bericht.ontvangen"])
    env.client.post(f"/api/v1/abonnementen/{gepauzeerd}/pauze", headers=env.sleutels["aanbieder"])
    env.stuur(variant("WMO301", "EVT004"), "gemeente")
    aantal = {a: len(_afleveringen(env, a)) for a in (alles, alleen_305, andere_soort, andere_partij, beheer,
                                                       gepauzeerd)}
    assert aantal == {alles: 1, alleen_305: 0, andere_soort: 0, andere_partij: 0, beheer: 1, gepauzeerd: 1}
