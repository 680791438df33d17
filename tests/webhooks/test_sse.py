"""GET /api/v1/gebeurtenissen: the caller's events as Server-Sent Events, resumed after Last-Event-ID."""

from __future__ import annotations

import json

from tests.transport.helpers import variant
from tests.webhooks.conftest import Omgeving


def _events(env: Omgeving, wie: str, **kop: str) -> list[dict[str, str]]:
    r = env.client.get("/api/v1/gebeurtenissen", params={"stil": 0.3}, headers={**env.sleutels[wie], **kop})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events = []
    for blok in r.text.replace("\r\n", "\n").split("\n\n"):
        velden = dict(regel.split(": ", 1) for regel in blok.splitlines() if ": " in regel and not regel.startswith(":"))
        if "data" in velden:
            events.append(velden)
    return events


def test_the_stream_gives_the_callers_events_and_resumes_after_last_event_id(env: Omgeving) -> None:
    ids = [env.stuur(variant("WMO301", f"SSE00{n}"), "gemeente")["id"] for n in range(3)]
    alle = _events(env, "aanbieder")
    assert [json.loads(e["data"])["bericht"]["id"] for e in alle] == ids
    assert {e["event"] for e in alle} == {"bericht.ontvangen"}
    assert [int(e["id"]) for e in alle] == sorted(int(e["id"]) for e in alle)
    verder = _events(env, "aanbieder", **{"Last-Event-ID": alle[0]["id"]})
    assert [e["id"] for e in verder] == [e["id"] for e in alle[1:]]
    assert _events(env, "aanbieder", **{"Last-Event-ID": alle[-1]["id"]}) == []
    assert _events(env, "vreemde") == []  # another party's events are not in its stream
    assert len(_events(env, "admin")) == 3


def test_a_malformed_last_event_id_is_422(env: Omgeving) -> None:
    r = env.client.get("/api/v1/gebeurtenissen", headers={**env.sleutels["aanbieder"], "Last-Event-ID": "x;drop"})
    assert r.status_code == 422
