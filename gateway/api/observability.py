"""Request ids in the JSON logs (gateway/logboek.py), and Prometheus metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """The gateway's metrics, in a registry of their own so several apps can live in one test process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.berichten = Counter(
            "iwmo_berichten_total", "Berichten ontvangen, naar type en uitkomst", ["bericht", "uitkomst"],
            registry=self.registry,
        )
        self.regels = Counter(
            "iwmo_regel_bevindingen_total", "Bevindingen per regelcode", ["code"], registry=self.registry
        )
        self.latency = Histogram(
            "iwmo_http_request_duration_seconds", "Duur van HTTP-verzoeken", ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.overdue = Counter(
            "iwmo_watchdog_runs_total", "Runs of the missing-retour watchdog", registry=self.registry
        )


log = logging.getLogger("gateway.http")


_REQUEST_ID = re.compile(r"[\w.-]{1,64}")
# A request id of our own is letters only: a hex id can hold nine digits in a row, which the log scrubber would
# then take for a BSN and mask.
_ALLEEN_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def nieuw_request_id() -> str:
    return uuid.uuid4().hex.translate(_ALLEEN_LETTERS)


class RequestLog:
    """Request id, latency histogram and one log line per request, as plain ASGI middleware: Starlette's
    BaseHTTPMiddleware would put every request and response through an extra task and stream."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gegeven = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
        request_id = gegeven if gegeven and _REQUEST_ID.fullmatch(gegeven) else nieuw_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def met_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, met_id)
        finally:
            duration = time.perf_counter() - start
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(scope["method"], template, str(status)).observe(duration)
            log.info("request", extra={"request_id": request_id, "method": scope["method"], "path": template,
                                       "status": status, "duration_ms": round(duration * 1000, 2)})
