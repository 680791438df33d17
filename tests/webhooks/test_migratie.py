"""Migration 0009 creates exactly what the models describe, on each backend, and goes down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gateway.store.db import downgrade, make_engine
from gateway.store.models import Base

TABELLEN = {"abonnement", "gebeurtenis", "webhook_aflevering"}


def test_0009_matches_the_models_and_downgrades(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        verschillen = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    # Other tables' differences are other migrations' business.
    assert [d for d in verschillen if any(t in repr(d) for t in TABELLEN)] == []
    assert set(inspect(engine).get_table_names()) >= TABELLEN
    downgrade(migrated_url, "0008")
    assert not TABELLEN & set(inspect(engine).get_table_names())
    engine.dispose()
