"""Engines, sessions and migrations for the one database URL setting (SQLite default, PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "migrations"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's text never carries the statement's values (a message's bytes, a BSN in a
    # key or fact), so a logged traceback cannot either.
    if is_sqlite(url):
        synchronous = os.environ.get("IWMO_SQLITE_SYNCHRONOUS", "NORMAL").upper()
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"IWMO_SQLITE_SYNCHRONOUS={synchronous!r}: kies NORMAL of FULL")
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not the driver, open transactions, so we can make every one a writer.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # NORMAL (WAL): a commit survives a crash of the process (kill -9), not necessarily of the machine.
            # FULL also survives power loss, at one fsync per commit (~7 ms on this class of disk); group
            # commit spreads that over a whole group of received messages, but the outbox and the hub commit
            # per delivery. IWMO_SQLITE_SYNCHRONOUS chooses; PostgreSQL is the answer for power-loss safety at speed.
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # A writing transaction (an explicit `session.begin()`, see GatewaySession) starts with BEGIN
            # IMMEDIATE: it takes the write lock at once, so one that reads the audit chain's head and then
            # appends cannot interleave with another writer (no stale prev_hash). Reads begin deferred and
            # never wait for a writer (WAL).
            schrijft = conn.get_execution_options().get(SCHRIJVEN, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if schrijft else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


SCHRIJVEN = "iwmo_schrijven"


class GatewaySession(Session):
    """A session whose explicit `begin()` marks a writing transaction.

    `with sessions() as s, s.begin():` is how every writer in the code base opens its unit of work; plain
    reads autobegin. On SQLite the first takes the write lock at BEGIN, the second does not."""

    def begin(self, nested: bool = False):  # type: ignore[no-untyped-def, override]
        transactie = super().begin(nested=nested)
        if not nested and self.bind is not None and self.bind.dialect.name == "sqlite":
            self.connection(execution_options={SCHRIJVEN: True})
        return transactie


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, class_=GatewaySession)


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_to_head(url: str) -> None:
    from alembic import command

    if is_sqlite(url):
        make_engine(url).dispose()  # creates the folder of the SQLite file
    command.upgrade(_alembic_config(url), "head")


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(_alembic_config(url), revision)


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is at the newest migration (for /ready)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(str(engine.url)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) == set(script.get_heads())
