"""The receive path's statements, compiled once per dialect and run on the driver's own cursor.

Through SQLAlchemy a prepared SELECT of one indexed row costs 60-90 µs of Python per execution (a cache key,
an execution context, result processing); SQLite answers it in 4 µs. A received WMO305 asks four or five of
them. These statements take plain string parameters and return plain columns, so nothing of what SQLAlchemy
adds is needed; JSON columns come back as text from SQLite and decoded from psycopg, and `json` evens that out.

A writer's group inserts its rows the same way (`Invoegen`): one `executemany` per table, the values passed
through the column types' own bind processors (JSON, dates) and the columns' Python defaults filled in, so a
row is stored exactly as SQLAlchemy's `insert` would store it, for a third of the Python per row.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

_DRIVER = "iwmo_driver"


def _driver(bron: Session | Connection) -> tuple[Dialect, Any]:
    """The dialect and the driver's connection of `bron`'s transaction. A session's is remembered for the rest of
    its transaction: `Session.connection()` costs ~30 µs of Python and a writer's group asks it some fifteen
    times."""
    if not isinstance(bron, Session):
        return bron.dialect, bron.connection.driver_connection
    transactie = bron.get_transaction()
    bekend = bron.info.get(_DRIVER)
    if transactie is not None and bekend is not None and bekend[0] is transactie:
        return bekend[1], bekend[2]
    conn = bron.connection()
    gevonden = (bron.get_transaction(), conn.dialect, conn.connection.driver_connection)
    bron.info[_DRIVER] = gevonden
    return gevonden[1], gevonden[2]


@contextlib.contextmanager
def _als_sqlalchemy(dialect: Dialect, sql: str, parameters: Any) -> Iterator[None]:
    """A driver's error as SQLAlchemy would have raised it (IntegrityError, OperationalError, …): callers and the
    API's 503 for a full disk or a locked store know those, not sqlite3's or psycopg's own classes."""
    try:
        yield
    except dialect.loaded_dbapi.Error as fout:
        raise DBAPIError.instance(sql, parameters, fout, dialect.loaded_dbapi.Error, dialect=dialect,
                                  hide_parameters=True) from fout  # its text never carries a message's values


class _Plaats:
    """Where a placeholder's value comes from: a parameter (an item of it, for an expanding IN list) or the
    statement itself (a LIMIT)."""

    __slots__ = ("naam", "index", "vast")

    def __init__(self, naam: str | None, index: int | None, vast: Any = None):
        self.naam, self.index, self.vast = naam, index, vast

    def waarde(self, params: Mapping[str, Any]) -> Any:
        if self.naam is None:
            return self.vast
        v = params[self.naam]
        return v if self.index is None else v[self.index]


class Voorbereid:
    """A SELECT with plain parameters; one that is a list fills an expanding IN (compiled once per length)."""

    def __init__(self, stmt: Select[Any]):
        self.stmt = stmt
        self._sql: dict[tuple[str, tuple[tuple[str, int], ...]], tuple[str, tuple[str, ...] | None, tuple[_Plaats, ...]]] = {}

    def _voor(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, tuple[str, ...] | None, tuple[_Plaats, ...]]:
        """The SQL, the placeholder names (None: positional) and where each placeholder's value comes from."""
        vorm = tuple((k, len(v)) for k, v in params.items() if isinstance(v, list | tuple))
        sleutel = (dialect.name, vorm)
        sql = self._sql.get(sleutel)
        if sql is None:
            compiled = self.stmt.compile(dialect=dialect)
            # Expand once with stand-ins that say where each placeholder's value comes from.
            standin = {k: [_Plaats(k, i) for i in range(len(v))] if isinstance(v, list | tuple) else _Plaats(k, None)
                       for k, v in params.items()}
            expanded = compiled.construct_expanded_state(standin)
            plaatsen = {n: v if isinstance(v, _Plaats) else _Plaats(None, None, v)
                        for n, v in expanded.parameters.items()}
            namen = tuple(expanded.positiontup or ()) if compiled.positional else tuple(plaatsen)
            sql = self._sql[sleutel] = (expanded.statement, None if compiled.positional else namen,
                                        tuple(plaatsen[n] for n in namen))
        return sql

    def rijen(self, bron: Session | Connection, **params: Any) -> list[tuple[Any, ...]]:
        dialect, driver = _driver(bron)
        sql, namen, plaatsen = self._voor(dialect, params)
        waarden = [p.waarde(params) for p in plaatsen]
        parameters = tuple(waarden) if namen is None else dict(zip(namen, waarden, strict=True))
        with _als_sqlalchemy(dialect, sql, parameters):
            cursor = driver.cursor()
            try:
                cursor.execute(sql, parameters)
                return list(cursor.fetchall())
            finally:
                cursor.close()


_Verwerker = Callable[[Any], Any] | None


def _standaard(kolom: Column[Any]) -> Callable[[], Any]:
    d = kolom.default
    if d.is_callable:  # type: ignore[union-attr]
        return lambda: d.arg(None)  # type: ignore[union-attr, operator]
    return lambda: d.arg  # type: ignore[union-attr]


class _Insert:
    """One compiled INSERT: its SQL and, per placeholder, its name, the column default that fills it when rows
    leave the column out (None: the row's value) and the bind processor that turns it into what the driver
    takes."""

    def __init__(self, table: Table, kolommen: tuple[str, ...], dialect: Dialect):
        # columns a row leaves out but that have a Python-side default (created_at, an empty JSON object)
        standaard = {c.key: _standaard(c) for c in table.columns
                     if c.key not in kolommen and c.default is not None and c.default.is_callable | c.default.is_scalar}
        sleutels = (*kolommen, *standaard)
        compiled = insert(table).compile(dialect=dialect, column_keys=list(sleutels), for_executemany=True)
        self.sql = compiled.string
        self.positioneel = compiled.positional
        self.namen = tuple(compiled.positiontup or ()) if compiled.positional else sleutels
        self.plaatsen: tuple[tuple[str, Callable[[], Any] | None, _Verwerker], ...] = tuple(
            (k, standaard.get(k), table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in self.namen)

    def parameters(self, rij: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        waarden = []
        for naam, standaard, verwerker in self.plaatsen:  # a plain loop: this runs for every value of a group
            v = rij[naam] if standaard is None else standaard()
            waarden.append(v if verwerker is None else verwerker(v))
        return tuple(waarden) if self.positioneel else dict(zip(self.namen, waarden, strict=True))


class Invoegen:
    """`executemany` of plain rows (dicts with the same keys) into one table, on the driver's cursor."""

    def __init__(self, table: Table):
        self.table = table
        self._sql: dict[tuple[str, tuple[str, ...]], _Insert] = {}

    def _voor(self, dialect: Dialect, kolommen: tuple[str, ...]) -> _Insert:
        sleutel = (dialect.name, kolommen)
        gecompileerd = self._sql.get(sleutel)
        if gecompileerd is None:
            gecompileerd = self._sql[sleutel] = _Insert(self.table, kolommen, dialect)
        return gecompileerd

    def voer_uit(self, bron: Session | Connection, rijen: Sequence[Mapping[str, Any]]) -> None:
        if not rijen:
            return
        dialect, driver = _driver(bron)
        ins = self._voor(dialect, tuple(rijen[0]))
        parameters = [ins.parameters(r) for r in rijen]
        with _als_sqlalchemy(dialect, ins.sql, parameters):
            cursor = driver.cursor()
            try:
                cursor.executemany(ins.sql, parameters)
            finally:
                cursor.close()


def json_waarde(waarde: Any) -> Any:
    """A JSON column's value as Python data, whichever driver read it."""
    return json.loads(waarde) if isinstance(waarde, str | bytes) else waarde
