"""Small SELECTs on the receive path, compiled once per dialect and run on the driver's own cursor.

Through SQLAlchemy a prepared SELECT of one indexed row costs 60-90 µs of Python per execution (a cache key,
an execution context, result processing); SQLite answers it in 4 µs. A received WMO305 asks four or five of
them. These statements take plain string parameters and return plain columns, so nothing of what SQLAlchemy
adds is needed; JSON columns come back as text from SQLite and decoded from psycopg, and `json` evens that out.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select


class Voorbereid:
    def __init__(self, stmt: Select[Any]):
        self.stmt = stmt
        self._sql: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _voor(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        sql = self._sql.get(dialect.name)
        if sql is None:
            compiled = self.stmt.compile(dialect=dialect)
            namen = tuple(compiled.positiontup or ()) if compiled.positional else None
            # the statement's own values (a LIMIT), which the caller does not pass
            sql = self._sql[dialect.name] = (compiled.string, namen, dict(compiled.params))
        return sql

    def rijen(self, bron: Session | Connection, **params: str) -> list[tuple[Any, ...]]:
        conn = bron.connection() if isinstance(bron, Session) else bron
        sql, namen, vast = self._voor(conn.dialect)
        alle = {**vast, **params}
        driver = conn.connection.driver_connection
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, tuple(alle[n] for n in namen) if namen is not None else alle)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def json_waarde(waarde: Any) -> Any:
    """A JSON column's value as Python data, whichever driver read it."""
    return json.loads(waarde) if isinstance(waarde, str | bytes) else waarde
