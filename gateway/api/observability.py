"""Structured JSON logs with request ids, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response

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


def request_middleware(metrics: Metrics) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if not re.fullmatch(r"[\w.-]{1,64}", request_id):
            request_id = uuid.uuid4().hex
        request.state.request_id = request_id
        start = time.perf_counter()
        response = await call_next(request)
        duration = time.perf_counter() - start
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.latency.labels(request.method, template, str(response.status_code)).observe(duration)
        response.headers["x-request-id"] = request_id
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": template,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
            },
        )
        return response

    return middleware
