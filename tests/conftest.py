"""Shared fixtures: a migrated database on each backend (SQLite always, PostgreSQL when available); and one
summary line that says how many tests skipped because ../shared/reference is absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from tests.reference import AFWEZIG, reference_path

PG_ENV = "IWMO_TEST_POSTGRES_URL"


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL not available: set {PG_ENV} (./scripts/test starts a throwaway server)")
    return url


def _fresh_pg_database() -> tuple[str, str]:
    import psycopg

    base = make_url(_pg_admin_url())
    name = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_ENV} not reachable: {exc}")
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(name: str) -> None:
    import psycopg

    base = make_url(_pg_admin_url())
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database URL on each backend (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    url, name = _fresh_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture
def pg_url() -> Iterator[str]:
    url, name = _fresh_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade_to_head(db_url)
    return db_url


@pytest.fixture
def sessions(migrated_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(migrated_url)
    yield make_session_factory(engine)
    engine.dispose()


def _reden(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Without ../shared/reference the oracle tests skip, and `-q` shows only `s`: say how many and why."""
    zonder = [r for r in terminalreporter.stats.get("skipped", []) if AFWEZIG in _reden(r)]
    if zonder:
        terminalreporter.write_line(
            f"{len(zonder)} skipped: ../shared/reference is absent ({reference_path()}); these tests compare the "
            "gateway with the standard's own material (official iWmo/iJw XSDs and examples, NL GOV API Design "
            "Rules lint). Set IWMO_SHARED_REFERENCE to its location to run them.")


def _zwaarte(item: pytest.Item) -> float:
    marker = item.get_closest_marker("slow")
    return 0.0 if marker is None else float(marker.kwargs.get("seconden", 30))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The heaviest test files first (`slow`, by its `seconden`), each file's tests kept together. `./scripts/test`
    spreads whole files over worker processes (xdist --dist loadfile); started first, the long real-process files
    run beside each other and the thousands of quick tests fill in around them, instead of one of them running
    alone at the end."""
    per_bestand: dict[str, float] = {}
    for item in items:
        per_bestand[item.nodeid.split("::")[0]] = max(per_bestand.get(item.nodeid.split("::")[0], 0.0), _zwaarte(item))
    items.sort(key=lambda item: -per_bestand[item.nodeid.split("::")[0]])  # stable: file order within a weight


# The README states how many tests `./scripts/test` runs; a whole run (no paths, no -k) holds that count.
AANTAL_TESTS = pytest.StashKey[int]()


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    hele_map = {config.rootpath.resolve(), (config.rootpath / "tests").resolve()}
    hele_suite = not config.option.keyword and not config.option.markexpr and (
        config.args_source is pytest.Config.ArgsSource.TESTPATHS
        or all(Path(a).resolve() in hele_map for a in config.args))
    if hele_suite:
        config.stash[AANTAL_TESTS] = len(session.items)
