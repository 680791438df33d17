"""End to end: a receiver listening on loopback (a real HTTP server) subscribes, a gemeente submits a message
for the aanbieder, and one round of the worker posts the event, signed so the reference library verifies it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

from gateway.transport.routing import uit_data
from gateway.transport.worker import Worker
from tests.transport.helpers import variant
from tests.webhooks.conftest import Omgeving


@contextmanager
def ontvanger() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    ontvangen: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            data = self.rfile.read(int(self.headers["Content-Length"]))
            ontvangen.append(({k.lower(): v for k, v in self.headers.items()}, data))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    draad = threading.Thread(target=server.serve_forever, daemon=True)
    draad.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/iwmo", ontvangen
    finally:
        server.shutdown()
        server.server_close()


def test_a_subscribed_receiver_gets_a_verifiable_event_after_a_submission_and_a_worker_round(env: Omgeving) -> None:
    with ontvanger() as (url, ontvangen):
        r = env.client.post("/api/v1/abonnementen", headers=env.sleutels["aanbieder"],
                            json={"url": url, "gebeurtenissen": ["bericht.ontvangen"], "berichttypen": ["WMO301"]})
        assert r.status_code == 201, r.text
        geheim = r.json()["geheim"]
        bericht = env.stuur(variant("WMO301", "E2E001"), "gemeente")
        worker = Worker(env.sessions, uit_data({"route": [{"naar": ["99999999"], "adapter": "memory", "endpoint": "t"}]}), settings=env.settings)
        try:
            assert worker.ronde(ophalen=False).verzonden == 1
        finally:
            worker.close()
    [(kop, data)] = ontvangen
    document = Webhook(geheim).verify(data, kop)  # raises unless signed with our secret, within 5 minutes
    assert document["type"] == "bericht.ontvangen" and document["data"]["bericht"]["id"] == bericht["id"]
    assert kop["webhook-id"] == f"evt_{document['data']['id']}"
    link = env.client.get(document["data"]["links"]["bericht"], headers=env.sleutels["aanbieder"])
    assert link.status_code == 200 and link.json()["id"] == bericht["id"]
