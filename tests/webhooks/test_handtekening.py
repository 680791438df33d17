"""Deliveries are signed as Standard Webhooks says: an independent implementation of the spec verifies them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.store.models import Gebeurtenis
from gateway.transport.webhooks import body, headers, nieuw_geheim


def _verifieer(geheim: str, kop: dict[str, str], data: bytes) -> bool:
    """The spec, written out: HMAC-SHA256 over "{id}.{timestamp}.{body}" with the base64-decoded secret."""
    sleutel = base64.b64decode(geheim.removeprefix("whsec_"))
    inhoud = f"{kop['webhook-id']}.{kop['webhook-timestamp']}.".encode() + data
    verwacht = base64.b64encode(hmac.new(sleutel, inhoud, hashlib.sha256).digest()).decode()
    return any(s == f"v1,{verwacht}" for s in kop["webhook-signature"].split(" "))


def _gebeurtenis() -> Gebeurtenis:
    return Gebeurtenis(id=7, type="bericht.ontvangen", partij="0599", berichttype="WMO315",
                       created_at=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
                       payload={"bericht": {"id": "b1"}, "links": {"bericht": "/api/v1/berichten/b1"}})


def test_secret_is_whsec_and_32_random_bytes() -> None:
    geheim = nieuw_geheim()
    assert geheim.startswith("whsec_") and len(base64.b64decode(geheim[6:])) == 32
    assert nieuw_geheim() != geheim


def test_signature_verifies_with_an_independent_implementation_and_the_reference_library() -> None:
    geheim, data, nu = nieuw_geheim(), body(_gebeurtenis()), dt.datetime.now(dt.UTC)
    kop = headers(geheim, "evt_7", nu, data)
    assert kop["webhook-id"] == "evt_7" and kop["webhook-timestamp"] == str(int(nu.timestamp()))
    assert _verifieer(geheim, kop, data)
    assert Webhook(geheim).verify(data, kop)["data"]["id"] == 7


def test_a_changed_body_or_another_secret_does_not_verify() -> None:
    geheim, data = nieuw_geheim(), body(_gebeurtenis())
    kop = headers(geheim, "evt_7", dt.datetime.now(dt.UTC), data)
    assert not _verifieer(geheim, kop, data.replace(b"b1", b"b2"))
    assert not _verifieer(nieuw_geheim(), kop, data)
    with pytest.raises(WebhookVerificationError):
        Webhook(nieuw_geheim()).verify(data, kop)


def test_body_has_the_standard_webhooks_shape() -> None:
    import json

    document = json.loads(body(_gebeurtenis()))
    assert document == {"type": "bericht.ontvangen", "timestamp": "2026-12-02T09:00:00Z",
                        "data": {"id": 7, "bericht": {"id": "b1"}, "links": {"bericht": "/api/v1/berichten/b1"}}}
