"""Held pulls, our extension of VECOZO's `GET /berichten`: with `wacht_ms` and nothing waiting, the hub holds the
request until a message for that party is stored (and not one for another party), or the wait ends; a few per
party at most; a client that hangs up or a hub that stops frees them at once."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from gateway.hub.wachtkamer import MAX_PER_PARTIJ, Wachtkamer
from gateway.transport.vecozo import MAX_WACHT_MS
from tests.hub.conftest import AANBIEDER, BEPERKT, Hub, auth
from tests.transport.servers import draai

LANG_MS = 20_000  # far longer than any assertion here waits: an answer before it came from a signal


@dataclass
class Vastgehouden:
    """A pull in a thread of its own: its answer and how long it took, once it is answered."""

    thread: threading.Thread
    uitslag: dict[str, Any] = field(default_factory=dict)

    def antwoord(self, seconden: float = 10.0) -> tuple[int, list[dict[str, Any]], float]:
        self.thread.join(seconden)
        assert not self.thread.is_alive(), f"de pull kreeg binnen {seconden} s geen antwoord"
        return self.uitslag["status"], self.uitslag["berichten"], self.uitslag["duur"]


def _kamer(hub: Hub) -> Wachtkamer:
    return hub.client.app.state.wachtkamer  # type: ignore[attr-defined, no-any-return]


def _wacht_tot(voorwaarde: Any, seconden: float = 10.0) -> None:
    einde = time.monotonic() + seconden
    while not voorwaarde():
        assert time.monotonic() < einde, "voorwaarde niet gehaald binnen de tijd"
        time.sleep(0.01)


def _pull(hub: Hub, partij: str = AANBIEDER, wacht_ms: int = LANG_MS) -> Vastgehouden:
    uitslag: dict[str, Any] = {}

    def vraag() -> None:
        begin = time.monotonic()
        r = hub.client.get("/berichten", params={"wacht_ms": wacht_ms}, headers=auth(partij))
        uitslag.update(status=r.status_code, berichten=r.json().get("berichten"), duur=time.monotonic() - begin)

    t = threading.Thread(target=vraag, daemon=True)
    t.start()
    return Vastgehouden(t, uitslag)


def _vastgehouden(hub: Hub, partij: str = AANBIEDER, wacht_ms: int = LANG_MS, aantal: int = 1) -> Vastgehouden:
    """A pull the hub is holding now (the next message for `partij` must wake it)."""
    v = _pull(hub, partij, wacht_ms)
    _wacht_tot(lambda: _kamer(hub).aantal(partij) >= aantal)
    return v


def test_a_held_pull_is_answered_as_soon_as_a_message_for_that_party_is_stored(hub: Hub) -> None:
    v = _vastgehouden(hub)
    time.sleep(0.2)
    assert v.thread.is_alive()  # nothing there: held, not answered
    r, e = hub.di01("WMO301")
    assert r.status_code == 200, r.text
    status, berichten, duur = v.antwoord()
    assert status == 200 and [b["traceerId"] for b in berichten] == [e.referentienummer]
    assert duur < LANG_MS / 1000 / 2
    assert _kamer(hub).aantal(AANBIEDER) == 0


def test_a_message_already_waiting_is_answered_at_once_and_without_wacht_ms_nothing_is_held(hub: Hub) -> None:
    _, e = hub.di01("WMO301")
    status, berichten, duur = _pull(hub).antwoord()
    assert (status, [b["traceerId"] for b in berichten]) == (200, [e.referentienummer]) and duur < 5
    hub.client.delete(f"/berichten/{e.referentienummer}", headers=auth(AANBIEDER))
    assert hub.lijst() == []  # without the parameter an empty queue is answered at once, as VECOZO does


def test_a_message_for_another_party_does_not_wake_it_and_the_wait_ends_empty(hub: Hub) -> None:
    v = _vastgehouden(hub, wacht_ms=1000)
    r, e = hub.di01("WMO301", ontvanger=BEPERKT)
    assert r.status_code == 200, r.text
    status, berichten, duur = v.antwoord()
    assert (status, berichten) == (200, []) and duur >= 0.95
    assert [b["traceerId"] for b in hub.lijst(BEPERKT)] == [e.referentienummer]


def test_held_pulls_per_party_are_bounded_and_one_more_is_answered_at_once(hub: Hub) -> None:
    vol = [_vastgehouden(hub, aantal=n) for n in range(1, MAX_PER_PARTIJ + 1)]
    status, berichten, duur = _pull(hub).antwoord()
    assert (status, berichten) == (200, []) and duur < LANG_MS / 1000 / 2
    assert _kamer(hub).aantal(AANBIEDER) == MAX_PER_PARTIJ
    ander = _vastgehouden(hub, partij=BEPERKT)  # another party's room is its own
    _, e = hub.di01("WMO301")  # one message wakes every pull held for its party
    for v in vol:
        assert [b["traceerId"] for b in v.antwoord()[1]] == [e.referentienummer]
    assert ander.thread.is_alive()
    _kamer(hub).sluit()
    assert ander.antwoord()[:2] == (200, [])


def test_stopping_the_hub_answers_held_pulls_and_holds_no_new_ones(hub: Hub) -> None:
    v = _vastgehouden(hub)
    _kamer(hub).sluit()
    status, berichten, duur = v.antwoord()
    assert (status, berichten) == (200, []) and duur < LANG_MS / 1000 / 2
    assert _pull(hub).antwoord()[2] < LANG_MS / 1000 / 2


def test_a_client_that_hangs_up_frees_its_place(hub: Hub) -> None:
    app = hub.client.app
    with draai(app) as base, httpx.Client(base_url=base, timeout=0.5) as http:  # type: ignore[arg-type]
        with pytest.raises(httpx.ReadTimeout):
            http.get("/berichten", params={"wacht_ms": LANG_MS}, headers=auth(AANBIEDER))
        http.close()
        _wacht_tot(lambda: _kamer(hub).aantal(AANBIEDER) == 0, seconden=5)


@pytest.mark.parametrize("wacht_ms", [-1, MAX_WACHT_MS + 1])
def test_a_wait_outside_its_bounds_is_refused_naming_the_parameter(hub: Hub, wacht_ms: int) -> None:
    r = hub.client.get("/berichten", params={"wacht_ms": wacht_ms}, headers=auth(AANBIEDER))
    assert r.status_code == 400 and "wacht_ms" in r.json()["detail"] and str(MAX_WACHT_MS) in r.json()["detail"]


def test_the_wait_is_documented_in_the_openapi_document(hub: Hub) -> None:
    operatie = hub.client.get("/openapi.json").json()["paths"]["/berichten"]["get"]
    [parameter] = [p for p in operatie["parameters"] if p["name"] == "wacht_ms"]
    assert parameter["in"] == "query" and not parameter.get("required")
    assert str(MAX_WACHT_MS) in parameter["description"] and "VECOZO" in parameter["description"]
