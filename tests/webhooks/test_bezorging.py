"""Webhook deliveries: signed posts, no redirects followed, retries with backoff, a subscription paused after
IWMO_WEBHOOK_MAX_POGINGEN failures in a row and resumed, every attempt listed and re-sendable, a lease that
runs out after a worker died mid-post."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from gateway.transport.webhooks import Webhooks
from tests.transport.helpers import Klok, variant
from tests.webhooks.conftest import Omgeving
from tests.webhooks.test_handtekening import _verifieer


class Ontvanger:
    """An httpx MockTransport that answers with `status` and keeps what it got."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None):
        self.status, self.headers = status, headers or {}
        self.ontvangen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.ontvangen.append(request)
        return httpx.Response(self.status, headers=self.headers, text="nee" if self.status >= 300 else "ok")


def _abonnement(env: Omgeving) -> tuple[int, str]:
    r = env.client.post("/api/v1/abonnementen", json={"url": "http://127.0.0.1:9/hook",
                                                      "gebeurtenissen": ["bericht.ontvangen"]},
                        headers=env.sleutels["aanbieder"]).json()
    return r["id"], r["geheim"]


def _webhooks(env: Omgeving, ontvanger: Ontvanger, klok: Klok) -> Webhooks:
    return Webhooks(env.sessions, env.settings, klok=klok, transport=httpx.MockTransport(ontvanger))


def _afleveringen(env: Omgeving, abonnement_id: int) -> list[dict]:  # type: ignore[type-arg]
    r = env.client.get(f"/api/v1/abonnementen/{abonnement_id}/afleveringen", headers=env.sleutels["aanbieder"])
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_an_event_is_posted_signed_and_recorded_as_delivered(env: Omgeving) -> None:
    abonnement, geheim = _abonnement(env)
    bericht = env.stuur(variant("WMO301", "BZ001"), "gemeente")
    ontvanger, klok = Ontvanger(), Klok(dt.datetime.now(dt.UTC))
    assert _webhooks(env, ontvanger, klok).werk() == 1
    [post] = ontvanger.ontvangen
    kop = dict(post.headers)
    assert _verifieer(geheim, kop, post.content)
    document = json.loads(post.content)
    assert document["type"] == "bericht.ontvangen" and document["data"]["bericht"]["id"] == bericht["id"]
    [a] = _afleveringen(env, abonnement)
    assert (a["status"], a["pogingen"], a["webhook_id"], a["laatste_http_status"]) == \
        ("delivered", 1, kop["webhook-id"], 200)
    assert _webhooks(env, ontvanger, klok).werk() == 0  # nothing twice


def test_a_redirect_is_not_followed_and_counts_as_a_failure(env: Omgeving) -> None:
    abonnement, _ = _abonnement(env)
    env.stuur(variant("WMO301", "BZ002"), "gemeente")
    ontvanger = Ontvanger(302, {"location": "http://169.254.169.254/"})
    _webhooks(env, ontvanger, Klok(dt.datetime.now(dt.UTC))).werk()
    assert len(ontvanger.ontvangen) == 1
    [a] = _afleveringen(env, abonnement)
    assert a["status"] == "failed" and "doorverwijzing niet gevolgd" in a["laatste_fout"]


def test_failures_back_off_then_pause_the_subscription_with_a_reason_and_resume_delivers(env: Omgeving) -> None:
    abonnement, _ = _abonnement(env)
    env.stuur(variant("WMO301", "BZ003"), "gemeente")
    ontvanger, klok = Ontvanger(500), Klok(dt.datetime.now(dt.UTC))
    webhooks = _webhooks(env, ontvanger, klok)
    assert webhooks.werk() == 1
    assert webhooks.werk() == 0  # not due again before its backoff
    [a] = _afleveringen(env, abonnement)
    wacht = dt.datetime.fromisoformat(a["volgende_poging_at"]).replace(tzinfo=dt.UTC) - klok.nu
    assert dt.timedelta(seconds=14) <= wacht <= dt.timedelta(seconds=30)  # half to all of the 30 s base
    for _ in range(5):
        klok.verder(hours=2)
        webhooks.werk()
    assert len(ontvanger.ontvangen) == 3  # IWMO_WEBHOOK_MAX_POGINGEN=3 in this environment, then paused
    staat = env.client.get(f"/api/v1/abonnementen/{abonnement}", headers=env.sleutels["aanbieder"]).json()
    assert staat["gepauzeerd"] and "3 mislukte afleveringen op rij" in staat["reden"] and "HTTP 500" in staat["reden"]
    assert f"/api/v1/abonnementen/{abonnement}/hervat" in staat["reden"]
    [a] = _afleveringen(env, abonnement)
    assert (a["status"], a["pogingen"], a["laatste_http_status"]) == ("failed", 3, 500)

    ontvanger.status = 200
    env.client.post(f"/api/v1/abonnementen/{abonnement}/hervat", headers=env.sleutels["aanbieder"])
    assert webhooks.werk() == 1
    assert _afleveringen(env, abonnement)[0]["status"] == "delivered" and len(ontvanger.ontvangen) == 4


def test_resend_posts_the_same_event_again_with_the_same_webhook_id(env: Omgeving) -> None:
    abonnement, _ = _abonnement(env)
    env.stuur(variant("WMO301", "BZ004"), "gemeente")
    ontvanger, klok = Ontvanger(), Klok(dt.datetime.now(dt.UTC))
    webhooks = _webhooks(env, ontvanger, klok)
    webhooks.werk()
    [a] = _afleveringen(env, abonnement)
    pad = f"/api/v1/abonnementen/{abonnement}/afleveringen/{a['id']}/opnieuw"
    assert env.client.post(pad, headers=env.sleutels["vreemde"]).status_code == 404
    assert env.client.post(f"/api/v1/abonnementen/{abonnement}/afleveringen/999/opnieuw",
                           headers=env.sleutels["aanbieder"]).status_code == 404
    assert env.client.post(pad, headers=env.sleutels["aanbieder"]).status_code == 202
    klok.verder(seconds=1)  # the API marks it due by the wall clock
    assert webhooks.werk() == 1
    eerste, tweede = ontvanger.ontvangen
    assert eerste.headers["webhook-id"] == tweede.headers["webhook-id"] and eerste.content == tweede.content
    assert _afleveringen(env, abonnement)[0]["pogingen"] == 2


def test_a_worker_that_died_mid_post_leaves_a_lease_that_another_worker_takes_over(env: Omgeving) -> None:
    abonnement, _ = _abonnement(env)
    env.stuur(variant("WMO301", "BZ005"), "gemeente")
    ontvanger, klok = Ontvanger(), Klok(dt.datetime.now(dt.UTC))
    gestorven = _webhooks(env, ontvanger, klok)
    assert len(gestorven.claim()) == 1  # claimed, then killed before posting
    opvolger = _webhooks(env, ontvanger, klok)
    assert opvolger.werk() == 0  # the lease still holds
    klok.verder(seconds=env.settings.transport_lease_s + 1)
    assert opvolger.werk() == 1
    assert _afleveringen(env, abonnement)[0]["status"] == "delivered" and len(ontvanger.ontvangen) == 1


def test_on_each_backend_two_workers_claim_disjoint_deliveries_and_deliver_each_once(sessions) -> None:  # type: ignore[no-untyped-def]
    from gateway.gebeurtenissen.vastleggen import Type, registreer
    from gateway.settings import Settings
    from gateway.store.models import Abonnement
    from gateway.transport.webhooks import nieuw_geheim

    with sessions() as session, session.begin():
        session.add(Abonnement(partij="12345678", url="http://127.0.0.1:9/h", gebeurtenissen=["bericht.ontvangen"],
                               berichttypen=[], geheim=nieuw_geheim(), aangemaakt_door="test"))
    with sessions() as session, session.begin():
        for n in range(6):
            registreer(session, Type.BERICHT_ONTVANGEN, partij="12345678", berichttype="WMO301",
                       payload={"links": {"bericht": f"/api/v1/berichten/{n}"}})
    settings = Settings(webhook_prive_toegestaan=True)
    ontvanger, klok = Ontvanger(), Klok(dt.datetime.now(dt.UTC))
    een, twee = (Webhooks(sessions, settings, klok=klok, transport=httpx.MockTransport(ontvanger)) for _ in "12")
    eerste, tweede = een.claim(4), twee.claim(4)
    assert len(eerste) == 4 and len(tweede) == 2 and not set(eerste) & set(tweede)
    klok.verder(seconds=1)
    assert een.werk() == 0  # all leased
    klok.verder(seconds=settings.transport_lease_s)  # both workers died: their leases run out
    assert een.werk(10) == 6 and twee.werk(10) == 0
    assert sorted(r.headers["webhook-id"] for r in ontvanger.ontvangen) == sorted({
        r.headers["webhook-id"] for r in ontvanger.ontvangen})
