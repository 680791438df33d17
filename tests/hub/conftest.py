"""Fixtures for the hub: a configuration with two gemeenten and two aanbieders, a real receiving gemeente
endpoint (a small ASGI app that answers like a gateway's POST /ggk), and helpers to send both ways."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from gateway.hub.app import maak_app
from gateway.hub.bezorging import Bezorger
from gateway.hub.config import HubConfig, uit_dict
from gateway.hub.store import HubStore
from gateway.transport import envelope
from tests.reference import our_example

GEMEENTE = "0599"  # delivered to by push (an endpoint)
PULL_GEMEENTE = "0363"  # no endpoint: pulls like an aanbieder
AANBIEDER = "12345678"
BEPERKT = "87654321"  # may not declareren and receives no WMO325
TOKENS = {GEMEENTE: "tok-gemeente", PULL_GEMEENTE: "tok-pull", AANBIEDER: "tok-aanbieder", BEPERKT: "tok-beperkt"}
AFLEVER_TOKEN = "tok-hub-naar-0599"
ENDPOINT = "http://gemeente.test/ggk"


def config_dict(endpoint: str = ENDPOINT, **bezorging: float) -> dict[str, Any]:
    return {
        "gemeente": [
            {"code": GEMEENTE, "token": TOKENS[GEMEENTE], "endpoint": endpoint, "aflever_token": AFLEVER_TOKEN},
            {"code": PULL_GEMEENTE, "token": TOKENS[PULL_GEMEENTE]},
        ],
        "aanbieder": [
            {"code": AANBIEDER, "token": TOKENS[AANBIEDER]},
            {"code": BEPERKT, "token": TOKENS[BEPERKT],
             "verzenden": ["WMO302", "WMO305", "WMO307", "WMO315", "WMO317", "WMO320"],
             "ontvangen": ["WMO301", "WMO306", "WMO308", "WMO316", "WMO318", "WMO319"]},
        ],
        "bezorging": {"interval_s": 0.05, "basis_s": 0.05, "max_s": 0.2, **bezorging},
    }


def auth(partij: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[partij]}"}


def payload_voor(functie: str, afzender: str | None = None, ontvanger: str | None = None) -> bytes:
    """An example message with its header's Afzender/Ontvanger set (they must fit the envelope's parties)."""
    data = our_example(functie)
    if afzender:
        data = data.replace(b"<Afzender>0599</Afzender>", f"<Afzender>{afzender}</Afzender>".encode())
        data = data.replace(b"<Afzender>12345678</Afzender>", f"<Afzender>{afzender}</Afzender>".encode())
    if ontvanger:
        data = data.replace(b"<Ontvanger>0599</Ontvanger>", f"<Ontvanger>{ontvanger}</Ontvanger>".encode())
        data = data.replace(b"<Ontvanger>12345678</Ontvanger>", f"<Ontvanger>{ontvanger}</Ontvanger>".encode())
    return data


def xsd_ongeldig(functie: str) -> bytes:
    """The example with its BerichtCode broken: well-formed, but not valid against the message's XSD."""
    data = our_example(functie)
    assert data.count(b"<BerichtCode>") == 1
    return data.replace(b"<BerichtCode>", b"<BerichtCode>9", 1)


@dataclass
class Gemeente:
    """A gemeente gateway's POST /ggk as the hub sees it: records envelopes, answers per `modus`."""

    modus: str = "ok"  # ok | 503 | fo01 | 401
    ontvangen: list[envelope.Envelop] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    soap_actions: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/ggk")
        async def ggk(request: Request) -> Response:
            self.tokens.append(request.headers.get("authorization", ""))
            self.soap_actions.append(request.headers.get("soapaction", ""))
            e = envelope.lees(await request.body())
            if self.modus == "503":
                return Response("bezet", status_code=503)
            if self.modus == "401":
                return Response("token", status_code=401)
            if self.modus == "fo01":
                data, _ = envelope.fout(zender=e.ontvanger, ontvanger=e.zender, cross_refnummer=e.referentienummer,
                                        code="StUF055", plek="client", omschrijving="schema", als_fault=True)
                return Response(data, status_code=500, media_type="text/xml")
            self.ontvangen.append(e)
            return Response(b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/>'
                            b"</soap:Envelope>", media_type="text/xml")

        return app


@dataclass
class Hub:
    config: HubConfig
    store: HubStore
    client: TestClient
    bezorger: Bezorger
    gemeente: Gemeente

    def ggk(self, data: bytes, partij: str = GEMEENTE) -> httpx.Response:
        return self.client.post("/ggk", content=data, headers=auth(partij) | {"Content-Type": "text/xml"})

    def di01(self, functie: str = "WMO301", ontvanger: str = AANBIEDER, payload: bytes | None = None,
             **kwargs: Any) -> tuple[httpx.Response, envelope.Envelop]:
        data, e = envelope.heenbericht(payload or payload_voor(functie, ontvanger=ontvanger), zender=GEMEENTE,
                                       ontvanger=ontvanger, functie=functie, **kwargs)
        return self.ggk(data), e

    def push(self, functie: str = "WMO305", *, van: str = AANBIEDER, naar: str = GEMEENTE,
             payload: bytes | None = None, traceer_id: str | None = None, als_antwoord_op: str | None = None,
             meta: dict[str, Any] | None = None, namen: tuple[str, str] = ("berichtMetadata", "payload"),
             token_van: str | None = None) -> tuple[httpx.Response, dict[str, Any]]:
        traceer = traceer_id or envelope.nieuw_referentienummer()
        metadata = meta or envelope.VecozoMetadata(
            traceer_id=traceer, conversatie_id=als_antwoord_op or traceer, als_antwoord_op=als_antwoord_op,
            afzender=(envelope.rol_voor(van), van), geadresseerden=[(envelope.rol_voor(naar), naar)],
            berichttype=functie,
        ).to_json()
        files = {
            namen[0]: ("metadata.json", json.dumps(metadata).encode(), "application/json"),
            namen[1]: (f"{functie}.xml", payload or payload_voor(functie, afzender=van, ontvanger=naar), "application/xml"),
        }
        return self.client.post("/berichten", files=files, headers=auth(token_van or van)), metadata

    def lijst(self, partij: str = AANBIEDER, limit: int | None = None) -> list[dict[str, Any]]:
        params = {"limit": limit} if limit is not None else None
        r = self.client.get("/berichten", params=params, headers=auth(partij))
        assert r.status_code == 200, r.text
        return r.json()["berichten"]

    def status(self, traceer_id: str, partij: str) -> dict[str, Any]:
        r = self.client.get("/berichtstatussen", params={"traceerId": traceer_id}, headers=auth(partij))
        assert r.status_code == 200, r.text
        return r.json()


def maak_hub(db_url: str, gemeente: Gemeente | None = None, **bezorging: float) -> Hub:
    gemeente = gemeente or Gemeente()
    config = uit_dict(config_dict(**bezorging))
    store = HubStore(db_url)
    # The hub's deliveries go to the gemeente app in-process, over a real ASGI round trip.
    bezorger = Bezorger(store, config, client=TestClient(gemeente.app(), base_url="http://gemeente.test"))
    client = TestClient(maak_app(config, store, bezorger=bezorger, bezorgen=False))
    return Hub(config, store, client, bezorger, gemeente)


@pytest.fixture
def hub(db_url: str) -> Iterator[Hub]:
    """A hub on each backend: SQLite always, PostgreSQL when the test server is there (tests/conftest.py)."""
    h = maak_hub(db_url)
    yield h
    h.client.close()
    h.store.close()
