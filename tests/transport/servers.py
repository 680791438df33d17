"""Real HTTP servers on loopback for adapter tests: uvicorn in a thread, and a small scriptable hub.

The hub double speaks the two wire formats the adapters use (SOAP for the GGk side, REST push/pull for the
VECOZO side); each test scripts what it answers, so every branch of the adapters meets a real socket.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request, Response

# The real three-process chain (two gateways and the hub) is started by the package, so that the demo, the
# benchmark and test_chain.py start it in one way: gateway.transport.keten. Ports come from there too.
from gateway.transport.keten import vrije_poort

__all__ = ["HubDubbel", "draai", "vrije_poort"]


@contextlib.contextmanager
def draai(app: FastAPI) -> Iterator[str]:
    """Serve the app on 127.0.0.1 in a thread; yields the base URL."""
    poort = vrije_poort()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=poort, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{poort}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class HubDubbel:
    """What the double received, and what it will answer next (a queue of (status, body) per side)."""

    ggk: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    push: list[tuple[dict[str, object], bytes, str]] = field(default_factory=list)
    ggk_antwoorden: list[tuple[int, bytes]] = field(default_factory=list)
    push_antwoorden: list[tuple[int, bytes]] = field(default_factory=list)
    wachtrij: dict[str, tuple[dict[str, object], bytes]] = field(default_factory=dict)  # traceerId -> item
    verwijderd: list[str] = field(default_factory=list)
    token: str | None = None
    vervals_checksum: set[str] = field(default_factory=set)

    def app(self) -> FastAPI:
        app = FastAPI()

        def _auth(request: Request) -> bool:
            return self.token is None or request.headers.get("authorization") == f"Bearer {self.token}"

        @app.post("/ggk")
        async def ggk(request: Request) -> Response:
            self.ggk.append((dict(request.headers), await request.body()))
            status, body = self.ggk_antwoorden.pop(0) if self.ggk_antwoorden else (200, b"")
            return Response(body, status_code=status, media_type="text/xml")

        @app.post("/berichten")
        async def push(request: Request) -> Response:
            if not _auth(request):
                return Response(status_code=401)
            form = await request.form()
            meta = json.loads(await form["metadata"].read())  # type: ignore[union-attr]
            bericht = await form["bericht"].read()  # type: ignore[union-attr]
            self.push.append((meta, bericht, request.headers.get("authorization", "")))
            status, body = self.push_antwoorden.pop(0) if self.push_antwoorden else (204, b"")
            return Response(body or None, status_code=status, media_type="application/json" if body else None)

        @app.get("/berichten")
        def lijst(request: Request, limit: int = 250) -> Response:
            if not _auth(request):
                return Response(status_code=401)
            items = []
            for traceer_id, (meta, payload) in list(self.wachtrij.items())[:limit]:
                digest = hashlib.sha256(payload).hexdigest()
                if traceer_id in self.vervals_checksum:
                    digest = "0" * 64
                items.append({**meta, "traceerId": traceer_id, "payloadUrl": f"/berichten/{traceer_id}/payload",
                              "grootte": len(payload), "sha256": digest})
            return Response(json.dumps(items), media_type="application/json")

        @app.get("/berichten/{traceer_id}/payload")
        def payload(traceer_id: str) -> Response:
            if traceer_id not in self.wachtrij:
                return Response(status_code=404)
            return Response(self.wachtrij[traceer_id][1], media_type="application/xml")

        @app.delete("/berichten/{traceer_id}")
        def bevestig(traceer_id: str) -> Response:
            if self.wachtrij.pop(traceer_id, None) is None:
                return Response(status_code=404)
            self.verwijderd.append(traceer_id)
            return Response(status_code=204)

        return app
