"""Structured JSON logs with request ids, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.validation.findings import maskeer_cijferreeksen


def scrub(text: str) -> str:
    """Nine or more digits in a row may be a BSN (or one with a typo); logs never carry one (AVG), whatever a
    caller put in a message, a header or an exception."""
    return maskeer_cijferreeksen(text)


def _veilig(value: object) -> object:
    # Strings are scrubbed; so is a number that could be a BSN (logged as `extra={"party": 207416035}`).
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and scrub(str(value)) != str(value):
        return scrub(str(value))
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key in ("request_id", "method", "path", "status", "duration_ms", "party", "bericht_id"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = _veilig(value)
        if record.exc_info:
            out["exc"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            out["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print raw paths; our middleware logs requests instead.
    logging.getLogger("uvicorn.access").disabled = True


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
