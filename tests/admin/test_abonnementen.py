"""Webhook subscriptions in the console (issue 14): every delivery attempt visible, pause, resume and resend."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.admin import partners
from gateway.gebeurtenissen.vastleggen import Type, registreer
from gateway.settings import Settings
from gateway.store.models import Abonnement, AuditEvent, WebhookAflevering, utcnow
from gateway.transport import webhooks
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving

AANBIEDER = "12345678"
URL = "https://ontvanger.example/hook"


def _werker(omgeving: Omgeving, status: int) -> webhooks.Webhooks:
    # One failure pauses (max_pogingen 1), and the receiver's host is not looked up (a mock answers).
    settings = Settings(database_url=omgeving.url, webhook_prive_toegestaan=True, webhook_max_pogingen=1)
    return webhooks.Webhooks(omgeving.sessions, settings,
                             transport=httpx.MockTransport(lambda _: httpx.Response(status, text="stuk")))


@pytest.fixture
def abonnement(omgeving: Omgeving) -> tuple[int, str]:
    """An aanbieder's subscription whose receiver failed once and was paused for it; (id, secret)."""
    geheim = webhooks.nieuw_geheim()
    with omgeving.sessions() as s, s.begin():
        partners.benoem(s, AANBIEDER, "Zorg Thuis B.V.", actor="test")
        a = Abonnement(partij=AANBIEDER, url=URL, gebeurtenissen=[Type.BERICHT_ONTVANGEN], berichttypen=["WMO301"],
                       geheim=geheim, gepauzeerd=False, fouten_op_rij=0, aangemaakt_door="12345678",
                       created_at=utcnow())
        s.add(a)
        s.flush()
        registreer(s, Type.BERICHT_ONTVANGEN, partij=AANBIEDER, berichttype="WMO301", payload={"bericht_id": "x"})
        abonnement_id = a.id
    assert _werker(omgeving, 503).werk() == 1
    return abonnement_id, geheim


def _rij(omgeving: Omgeving, abonnement_id: int) -> tuple[Abonnement, list[WebhookAflevering]]:
    with omgeving.sessions() as s:
        a = s.get_one(Abonnement, abonnement_id)
        rijen = list(s.scalars(select(WebhookAflevering).where(WebhookAflevering.abonnement_id == abonnement_id)))
        s.expunge_all()
        return a, rijen


def _audit(omgeving: Omgeving) -> list[AuditEvent]:
    with omgeving.sessions() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _aantal_audit(omgeving: Omgeving) -> int:
    with omgeving.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_the_list_names_the_party_and_shows_url_events_pause_reason_and_failures_but_never_the_secret(
        client: TestClient, omgeving: Omgeving, abonnement: tuple[int, str]) -> None:
    abonnement_id, geheim = abonnement
    with omgeving.sessions() as s, s.begin():
        s.add(Abonnement(partij=None, url="https://beheer.example/alles", gebeurtenissen=[Type.AFLEVERING_MISLUKT],
                         berichttypen=[], geheim=webhooks.nieuw_geheim(), gepauzeerd=False, fouten_op_rij=0,
                         aangemaakt_door="admin:beheer", created_at=utcnow()))
    inloggen(client, omgeving.sleutels.viewer)
    assert 'href="/admin/abonnementen"' in client.get("/admin").text  # in the console's menu
    html = client.get("/admin/abonnementen").text
    rij = re.search(rf'<tr data-abonnement="{abonnement_id}">(.*?)</tr>', html, re.S)
    assert rij is not None
    assert "Zorg Thuis B.V. (12345678)" in rij.group(1) and URL in rij.group(1)
    assert "bericht.ontvangen" in rij.group(1) and "WMO301" in rij.group(1)
    assert "gepauzeerd" in rij.group(1) and "na 1 mislukte afleveringen op rij" in rij.group(1)
    assert "<td>1</td>" in rij.group(1)  # consecutive failures
    assert "alle partijen" in html and "https://beheer.example/alles" in html
    for pagina in (html, client.get(f"/admin/abonnementen/{abonnement_id}").text):
        assert geheim not in pagina and "whsec_" not in pagina


def test_the_detail_shows_each_delivery_with_status_attempts_last_error_and_next_attempt(
        client: TestClient, omgeving: Omgeving, abonnement: tuple[int, str]) -> None:
    abonnement_id, _ = abonnement
    _, (aflevering,) = _rij(omgeving, abonnement_id)
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/abonnementen/{abonnement_id}").text
    rij = re.search(rf'<tr data-aflevering="{aflevering.id}">(.*?)</tr>', html, re.S)
    assert rij is not None
    assert "mislukt, volgt opnieuw" in rij.group(1) and "<td>1</td>" in rij.group(1)
    assert "HTTP 503" in rij.group(1) and "stuk" in rij.group(1)
    assert aflevering.volgende_poging_at.strftime("%d-%m-%Y %H:%M:%S") in rij.group(1)
    assert f"evt_{aflevering.gebeurtenis_id}" in rij.group(1)
    # A viewer sees no buttons, and is told why.
    assert "/hervatten" not in html and "/opnieuw" not in html and "acties zijn voor operators" in html
    assert client.get("/admin/abonnementen/999999").status_code == 404


def test_an_operator_resumes_resends_and_pauses_and_each_is_audited(
        client: TestClient, omgeving: Omgeving, abonnement: tuple[int, str]) -> None:
    abonnement_id, _ = abonnement
    csrf = inloggen(client, omgeving.sleutels.operator)
    r = client.post(f"/admin/abonnementen/{abonnement_id}/hervatten", data={"csrf": csrf})
    assert r.status_code == 303
    assert "hervat" in client.get(r.headers["location"]).text
    a, (aflevering,) = _rij(omgeving, abonnement_id)
    assert (a.gepauzeerd, a.reden, a.fouten_op_rij) == (False, None, 0)
    laatste = _audit(omgeving)[-1]
    assert (laatste.actor, laatste.action) == ("admin:olga", "webhook_hervat")
    assert laatste.details["abonnement"] == abonnement_id and "mislukte afleveringen" in laatste.details["reden"]
    assert _werker(omgeving, 200).werk() == 1  # what waited goes at once

    r = client.post(f"/admin/abonnementen/{abonnement_id}/afleveringen/{aflevering.id}/opnieuw", data={"csrf": csrf})
    assert r.status_code == 303
    _, (opnieuw,) = _rij(omgeving, abonnement_id)
    assert opnieuw.status == "pending" and opnieuw.pogingen == 2
    laatste = _audit(omgeving)[-1]
    assert (laatste.actor, laatste.action, laatste.details["was"]) == ("admin:olga", "webhook_opnieuw", "delivered")
    assert laatste.details["webhook_id"] == f"evt_{opnieuw.gebeurtenis_id}"

    r = client.post(f"/admin/abonnementen/{abonnement_id}/pauzeren", data={"csrf": csrf})
    assert r.status_code == 303
    a, _ = _rij(omgeving, abonnement_id)
    assert a.gepauzeerd and a.reden and a.reden.startswith("gepauzeerd door admin:olga")
    assert _werker(omgeving, 200).werk() == 0  # the worker holds a paused subscription's deliveries
    assert (_audit(omgeving)[-1].actor, _audit(omgeving)[-1].action) == ("admin:olga", "webhook_gepauzeerd")
    nogmaals = client.post(f"/admin/abonnementen/{abonnement_id}/pauzeren", data={"csrf": csrf})
    assert nogmaals.status_code == 409 and "is al gepauzeerd" in nogmaals.text


def test_a_delivery_in_flight_or_of_another_subscription_is_not_resent(
        client: TestClient, omgeving: Omgeving, abonnement: tuple[int, str]) -> None:
    abonnement_id, _ = abonnement
    _, (aflevering,) = _rij(omgeving, abonnement_id)
    with omgeving.sessions() as s, s.begin():
        s.get_one(WebhookAflevering, aflevering.id).status = "sending"
    csrf = inloggen(client, omgeving.sleutels.operator)
    voor = _aantal_audit(omgeving)
    r = client.post(f"/admin/abonnementen/{abonnement_id}/afleveringen/{aflevering.id}/opnieuw", data={"csrf": csrf})
    assert r.status_code == 409 and "wordt op dit moment verstuurd" in r.text
    r = client.post(f"/admin/abonnementen/{abonnement_id + 1}/afleveringen/{aflevering.id}/opnieuw",
                    data={"csrf": csrf})
    assert r.status_code == 404 and f"Abonnement {abonnement_id + 1} bestaat niet" in r.text
    assert _aantal_audit(omgeving) == voor


@pytest.mark.parametrize("actie", ["hervatten", "afleveringen/{aflevering}/opnieuw"])
def test_a_viewer_may_not_act_and_no_action_goes_without_the_csrf_token(
        client: TestClient, omgeving: Omgeving, abonnement: tuple[int, str], actie: str) -> None:
    abonnement_id, _ = abonnement
    _, (aflevering,) = _rij(omgeving, abonnement_id)
    pad = f"/admin/abonnementen/{abonnement_id}/" + actie.format(aflevering=aflevering.id)
    voor = _aantal_audit(omgeving)
    csrf = inloggen(client, omgeving.sleutels.viewer)
    r = client.post(pad, data={"csrf": csrf})
    assert r.status_code == 403 and "rol is viewer" in r.text
    inloggen(client, omgeving.sleutels.operator)
    assert client.post(pad, data={}).status_code == 403
    assert client.post(pad, data={"csrf": csrf}).status_code == 403  # the viewer's token is not this session's
    a, (na,) = _rij(omgeving, abonnement_id)
    assert a.gepauzeerd and (na.status, na.volgende_poging_at) == (aflevering.status, aflevering.volgende_poging_at)
    assert _aantal_audit(omgeving) == voor + 2  # the two sign-ins, nothing else


def test_pause_by_hand_names_who_paused_and_when() -> None:
    a = Abonnement(gepauzeerd=False)
    webhooks.pauzeer(a, actor="12345678", nu=dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC))
    assert (a.gepauzeerd, a.reden) == (True, "gepauzeerd door 12345678 op 2026-05-04 09:30 UTC")
