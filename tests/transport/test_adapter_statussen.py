"""Every answer a hub can give, and what the outbox makes of it: ok, tijdelijk (retry) or definitief (dead letter).

The table is pinned status by status through the adapters' own `verstuur`, with an httpx.MockTransport
handler standing in for the hub, so a one-line slip in the mapping (422 retried for days, 429 dead-lettered)
fails here. The reasoning per row:

* 400, 404, 422 and other 4xx: the request itself is wrong (or, for VECOZO's push, "indiener probeert hetzelfde
  request niet opnieuw"); repeating the same bytes cannot help, so a person must look (definitief).
* 401, 403: a token or certificate being replaced; the operator fixes it and the messages must still go.
  408, 429: the hub asks us to come back later. All temporary, as is every 5xx (Digikoppeling reliable
  messaging retries on server errors).
* A StUF Fo01 is the GGk's own refusal and decides over the HTTP status: plek "client" is for good, plek
  "server" on a 5xx is temporary (a freeze, IB103), and a "seen this envelope id before" code means an
  earlier attempt arrived (ok).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from gateway.transport import envelope
from gateway.transport.adapter import Uitkomst, Verbinding, Zending
from gateway.transport.ggk import GgkTransport
from gateway.transport.vecozo import VecozoTransport
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant

ENDPOINT = "https://hub.test/ggk"
VECOZO = "https://vecozo.test/vsp"

PERMANENT = [400, 402, 404, 405, 409, 410, 413, 415, 422]
TEMPORARY = [401, 403, 408, 429, 500, 501, 502, 503, 504, 599]

Handler = Callable[[httpx.Request], httpx.Response]


def _zending() -> Zending:
    return Zending(envelop_id=str(uuid.uuid4()), functie="WMO301", zender=GEMEENTE, ontvanger=AANBIEDER,
                   payload=variant("WMO301", "STATUS1"))


def _antwoord(status: int, body: bytes = b"", **headers: str) -> tuple[Handler, list[httpx.Request]]:
    """A hub that answers every request with `status` and `body`, and remembers what it was sent."""
    gezien: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        gezien.append(request)
        return httpx.Response(status, content=body, headers=headers)

    return handler, gezien


def _ggk(handler: Handler) -> GgkTransport:
    return GgkTransport(Verbinding("ggk", ENDPOINT), client=httpx.Client(transport=httpx.MockTransport(handler)))


def _vecozo(handler: Handler) -> VecozoTransport:
    return VecozoTransport(Verbinding("vecozo", VECOZO), client=httpx.Client(transport=httpx.MockTransport(handler)))


def _fo01(code: str, plek: str, *, als_fault: bool = True) -> bytes:
    data, _ = envelope.fout(zender="IB", ontvanger=GEMEENTE, cross_refnummer=str(uuid.uuid4()), code=code,
                            plek=plek, omschrijving=f"geweigerd met {code}", details="WMO301-00010000",
                            als_fault=als_fault)
    return data


# -- GGk: plain HTTP statuses ------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_ggk_a_2xx_without_a_fo01_is_delivered(status: int) -> None:
    handler, gezien = _antwoord(status)
    r = _ggk(handler).verstuur(_zending())
    assert (r.uitkomst, r.http_status, r.code) == (Uitkomst.OK, status, None)
    [verzoek] = gezien
    assert (verzoek.method, str(verzoek.url)) == ("POST", ENDPOINT)


@pytest.mark.parametrize("status", PERMANENT)
def test_ggk_a_4xx_that_repeating_cannot_cure_is_permanent(status: int) -> None:
    r = _ggk(_antwoord(status)[0]).verstuur(_zending())
    assert (r.uitkomst, r.http_status) == (Uitkomst.DEFINITIEF, status)
    assert f"HTTP {status}" in r.detail


@pytest.mark.parametrize("status", TEMPORARY)
def test_ggk_auth_timeouts_throttling_and_5xx_are_temporary(status: int) -> None:
    r = _ggk(_antwoord(status)[0]).verstuur(_zending())
    assert (r.uitkomst, r.http_status) == (Uitkomst.TIJDELIJK, status)
    assert f"HTTP {status}" in r.detail


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_ggk_a_redirect_is_not_followed_and_is_permanent(status: int) -> None:
    # Following a redirect would post a message to an address the routing table does not name.
    handler, gezien = _antwoord(status, location="https://elders.test/ggk")
    r = _ggk(handler).verstuur(_zending())
    assert (r.uitkomst, r.http_status, len(gezien)) == (Uitkomst.DEFINITIEF, status, 1)


@pytest.mark.parametrize("fout", [httpx.ConnectError("geweigerd"), httpx.ReadTimeout("te traag"),
                                  httpx.RemoteProtocolError("verbroken")])
def test_ggk_a_network_failure_is_temporary(fout: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise fout

    r = _ggk(handler).verstuur(_zending())
    assert r.uitkomst is Uitkomst.TIJDELIJK and r.http_status is None and type(fout).__name__ in r.detail


# -- GGk: StUF Fo01 refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [200, 400, 403, 500, 503])
@pytest.mark.parametrize("code", ["IB005", "IB002", "StUF055", "IB001"])
def test_ggk_a_client_side_fo01_is_permanent_whatever_the_http_status(code: str, status: int) -> None:
    # IB002 "organisatie niet geautoriseerd" on a 403: the hub said what is wrong; no token swap will cure it.
    r = _ggk(_antwoord(status, _fo01(code, "client", als_fault=status >= 400))[0]).verstuur(_zending())
    assert (r.uitkomst, r.code, r.http_status) == (Uitkomst.DEFINITIEF, code, status)
    assert f"geweigerd met {code}" in r.detail and "WMO301-00010000" in r.detail


@pytest.mark.parametrize("status", [500, 502, 503])
def test_ggk_a_server_side_fo01_on_a_5xx_is_temporary(status: int) -> None:
    r = _ggk(_antwoord(status, _fo01("IB103", "server"))[0]).verstuur(_zending())
    assert (r.uitkomst, r.code, r.http_status) == (Uitkomst.TIJDELIJK, "IB103", status)


@pytest.mark.parametrize(("status", "plek", "als_fault"), [(200, "client", False), (500, "client", True),
                                                             (200, "server", False), (503, "server", True)])
def test_ggk_a_freeze_fo01_is_temporary_whatever_its_plek_or_status(status: int, plek: str, als_fault: bool) -> None:
    # IB103 "berichttype tijdelijk geblokkeerd" (a freeze around a release): the ISD-keten asks for the messages
    # to be resent after the freeze. Dead-lettering them would leave every message of the freeze to a person.
    r = _ggk(_antwoord(status, _fo01("IB103", plek, als_fault=als_fault))[0]).verstuur(_zending())
    assert (r.uitkomst, r.code, r.http_status) == (Uitkomst.TIJDELIJK, "IB103", status)


@pytest.mark.parametrize("code", ["IB016", "IB216", "BRS114", "CC08"])
@pytest.mark.parametrize(("status", "als_fault"), [(200, False), (500, True)])
def test_ggk_a_fo01_saying_our_envelope_id_was_seen_before_means_it_arrived(code: str, status: int,
                                                                             als_fault: bool) -> None:
    r = _ggk(_antwoord(status, _fo01(code, "client", als_fault=als_fault))[0]).verstuur(_zending())
    assert r.uitkomst is Uitkomst.OK and code in r.detail


def test_ggk_an_unreadable_error_body_falls_back_to_the_http_status() -> None:
    assert _ggk(_antwoord(422, b"<html>kapot")[0]).verstuur(_zending()).uitkomst is Uitkomst.DEFINITIEF
    assert _ggk(_antwoord(503, b"<html>onderhoud")[0]).verstuur(_zending()).uitkomst is Uitkomst.TIJDELIJK


# -- VECOZO push -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_vecozo_a_2xx_push_is_delivered(status: int) -> None:
    handler, gezien = _antwoord(status)
    r = _vecozo(handler).verstuur(_zending())
    assert (r.uitkomst, r.http_status) == (Uitkomst.OK, status)
    [verzoek] = gezien
    assert (verzoek.method, str(verzoek.url)) == ("POST", f"{VECOZO}/berichten")


@pytest.mark.parametrize("status", PERMANENT)
def test_vecozo_a_4xx_that_repeating_cannot_cure_is_permanent(status: int) -> None:
    r = _vecozo(_antwoord(status)[0]).verstuur(_zending())
    assert (r.uitkomst, r.http_status) == (Uitkomst.DEFINITIEF, status)


@pytest.mark.parametrize("status", TEMPORARY)
def test_vecozo_auth_timeouts_throttling_and_5xx_are_temporary(status: int) -> None:
    r = _vecozo(_antwoord(status)[0]).verstuur(_zending())
    assert (r.uitkomst, r.http_status) == (Uitkomst.TIJDELIJK, status)


@pytest.mark.parametrize(("body", "code", "tekst"), [
    ({"code": "BRS33", "omschrijving": "geen routeringsregel"}, "BRS33", "geen routeringsregel"),
    ({"meldingen": [{"code": "BRS04", "omschrijving": "niet aangesloten"}]}, "BRS04", "niet aangesloten"),
    ({"type": "about:blank", "title": "Unprocessable", "detail": "metadata ongeldig"}, None, "metadata ongeldig"),
])
def test_vecozo_422_is_permanent_and_keeps_the_refusing_code(body: dict[str, object], code: str | None,
                                                             tekst: str) -> None:
    r = _vecozo(_antwoord(422, json.dumps(body).encode())[0]).verstuur(_zending())
    assert (r.uitkomst, r.code, r.detail) == (Uitkomst.DEFINITIEF, code, tekst)


@pytest.mark.parametrize("status", [409, 422, 500])
@pytest.mark.parametrize("code", ["BRS114", "IB016", "CC08"])
def test_vecozo_a_refusal_saying_our_traceerid_was_seen_before_means_it_arrived(code: str, status: int) -> None:
    r = _vecozo(_antwoord(status, json.dumps({"code": code}).encode())[0]).verstuur(_zending())
    assert r.uitkomst is Uitkomst.OK and code in r.detail


def test_vecozo_a_coded_refusal_on_a_temporary_status_stays_temporary() -> None:
    # VECOZO's 503 may carry a melding; the status, not the presence of a code, says whether to try again.
    body = json.dumps({"code": "BRS99", "omschrijving": "onderhoud"}).encode()
    r = _vecozo(_antwoord(503, body)[0]).verstuur(_zending())
    assert (r.uitkomst, r.code) == (Uitkomst.TIJDELIJK, "BRS99")


def test_vecozo_a_network_failure_is_temporary() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("geen antwoord")

    r = _vecozo(handler).verstuur(_zending())
    assert r.uitkomst is Uitkomst.TIJDELIJK and "ConnectTimeout" in r.detail
