"""Structured JSON logs without a BSN, for every process of the gateway (serve, worker, hub, CLI)."""

from __future__ import annotations

import json
import logging
import sys

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
            "pid": record.process,  # which of several `serve --processen N` processes wrote it
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
