"""Waking a relay when the database changed, instead of polling on a timer.

A worker that sends the outbox sleeps until something new may be queued. On PostgreSQL the writers send
`NOTIFY iwmo_wijziging` inside the transaction that queued it (delivered at commit, to every process that
listens); on SQLite a reader sees `PRAGMA data_version` change when another connection committed, which costs
a few microseconds to ask. Either way the interval stays as a fallback: a change made without a notify (an
administrator's requeue on PostgreSQL) is picked up at the latest then.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger("gateway.store.wekker")

KANAAL = "iwmo_wijziging"
SQLITE_POLL_S = 0.005


class Wekker(Protocol):
    def wacht(self, stop: threading.Event, timeout: float) -> None:
        """Return when the database may have changed, `stop` is set, or `timeout` seconds passed."""
        ...

    def close(self) -> None: ...


def meld_wijziging(session: Session) -> None:
    """Inside a writing transaction: wake the listeners once it commits (PostgreSQL; SQLite needs nothing)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {KANAAL}"))


class _Klok:
    def wacht(self, stop: threading.Event, timeout: float) -> None:
        stop.wait(timeout)

    def close(self) -> None:
        pass


class _SqliteWekker:
    def __init__(self, pad: str):
        # A connection of its own: data_version only moves for commits made by *other* connections.
        self._conn = sqlite3.connect(pad, check_same_thread=False, isolation_level=None)
        self._slot = threading.Lock()
        self._versie = self._lees()

    def _lees(self) -> int:
        with self._slot:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def wacht(self, stop: threading.Event, timeout: float) -> None:
        einde = time.monotonic() + timeout
        while not stop.is_set():
            versie = self._lees()
            if versie != self._versie:
                self._versie = versie
                return
            rest = einde - time.monotonic()
            if rest <= 0:
                return
            stop.wait(min(SQLITE_POLL_S, rest))

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


class _PgWekker:
    def __init__(self, url: str):
        import psycopg

        self._conn = psycopg.connect(url, autocommit=True)
        self._conn.execute(f"LISTEN {KANAAL}")

    def wacht(self, stop: threading.Event, timeout: float) -> None:
        einde = time.monotonic() + timeout
        while not stop.is_set():
            rest = einde - time.monotonic()
            if rest <= 0:
                return
            # Short slices so a stop request is honoured quickly. Drain only after the loop: the generator holds
            # the connection's (non-reentrant) lock while it is open, so a second notifies() inside it would
            # wait for itself forever.
            gewekt = False
            for _ in self._conn.notifies(timeout=min(0.25, rest), stop_after=1):
                gewekt = True
            if gewekt:
                self._leeg()
                return

    def _leeg(self) -> None:
        # Many commits in a row send many notifies; one wake-up serves them all.
        for _ in self._conn.notifies(timeout=0):
            pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()


def wekker_voor(engine: Engine) -> Wekker:
    try:
        if engine.dialect.name == "sqlite" and engine.url.database and engine.url.database != ":memory:":
            return _SqliteWekker(engine.url.database)
        if engine.dialect.name == "postgresql":
            return _PgWekker(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    except Exception as exc:  # noqa: BLE001 - without a wake-up the relay still works on its interval
        log.warning("geen wekker voor de database (%s); de worker kijkt op zijn interval", type(exc).__name__)
    return _Klok()
