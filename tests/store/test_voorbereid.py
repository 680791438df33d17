"""Statements run on the driver's cursor (gateway/store/voorbereid.py) store and find exactly what SQLAlchemy's
own `insert` and `select` do, on SQLite and PostgreSQL: the column types' conversions (JSON, timestamps, bytes,
booleans), the columns' Python defaults, expanding IN lists of any length and a statement's own LIMIT."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.store.models import AuditEvent, Bericht, Gebeurtenis
from gateway.store.voorbereid import Invoegen, Voorbereid

_BERICHT = {
    "berichttype": "WMO301", "berichtcode": "414", "afzender": "0599", "ontvanger": "12345678",
    "verzender": None, "adressaat": None, "identificatie": "VB1", "dagtekening": dt.date(2026, 12, 1),
    "richting": "in", "status": "accepted", "raw": b"<Bericht>\x00\xff</Bericht>", "sha256": "ab" * 32,
    "size": 22, "submitted_by": "0599", "created_at": dt.datetime(2026, 12, 2, 9, 30, 1, 123456, tzinfo=dt.UTC),
    "gelezen_at": None, "antwoord_op_id": None, "conversatie_id": None, "ingekort": True,
    "geclaimde_afzender": None,
}


def _als_dict(row: Bericht) -> dict[str, object]:
    return {c.key: getattr(row, c.key) for c in Bericht.__table__.columns if c.key != "id"}


def test_a_message_row_is_stored_as_sqlalchemys_insert_stores_it(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        session.execute(insert(Bericht.__table__), [{**_BERICHT, "id": "door-sqlalchemy"}])
        Invoegen(Bericht.__table__).voer_uit(session, [{**_BERICHT, "id": "door-de-driver"},
                                                         {**_BERICHT, "id": "tweede", "ingekort": False}])
    with sessions() as session:
        zelf = session.get_one(Bericht, "door-de-driver")
        assert _als_dict(zelf) == _als_dict(session.get_one(Bericht, "door-sqlalchemy"))
        assert zelf.raw == _BERICHT["raw"] and zelf.dagtekening == dt.date(2026, 12, 1)
        assert session.get_one(Bericht, "tweede").ingekort is False


def test_a_left_out_column_gets_its_python_default_and_a_missing_value_is_an_error(
        sessions: sessionmaker[Session]) -> None:
    voor = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    invoegen = Invoegen(Gebeurtenis.__table__)
    with sessions() as session, session.begin():
        invoegen.voer_uit(session, [{"type": "bericht.ontvangen", "partij": "0599", "berichttype": "WMO301",
                                     "payload": {"id": "x", "codes": ["TR056"], "geneste": {"a": None}}}])
        invoegen.voer_uit(session, [{"type": "bericht.ontvangen", "partij": "0599", "berichttype": "WMO305"}])
    with sessions() as session:
        rijen = session.scalars(select(Gebeurtenis).order_by(Gebeurtenis.id)).all()
    assert [r.payload for r in rijen] == [{"id": "x", "codes": ["TR056"], "geneste": {"a": None}}, {}]
    for r in rijen:
        gemaakt = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=dt.UTC)
        assert gemaakt >= voor  # utcnow(), the column's default, as SQLAlchemy would have filled it in
    # The rows of one call share the first row's columns: one that lacks a value is refused, not stored as NULL.
    with sessions() as session, session.begin(), pytest.raises(KeyError, match="berichttype"):
        invoegen.voer_uit(session, [{"type": "a", "partij": "0599", "berichttype": "WMO301"},
                                    {"type": "b", "partij": "0599"}])


def test_expanding_in_lists_of_every_length_and_a_fixed_limit(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        Invoegen(Bericht.__table__).voer_uit(session, [
            {**_BERICHT, "id": f"r{i}", "sha256": f"{i:064d}", "submitted_by": p}
            for i, p in enumerate(["0599", "0599", "12345678", "0363"])])
    c = Bericht.__table__.c
    zoek = Voorbereid(select(c.id).where(c.sha256.in_(bindparam("sha", expanding=True)),
                                         c.submitted_by.in_(bindparam("partijen", expanding=True))).order_by(c.id))
    eerste = Voorbereid(select(c.id).where(c.submitted_by == bindparam("partij")).order_by(c.id.desc()).limit(1))
    with sessions() as session:
        def ids(sha: list[str], partijen: list[str]) -> list[str]:
            return [r[0] for r in zoek.rijen(session, sha=sha, partijen=partijen)]

        assert ids([f"{0:064d}"], ["0599"]) == ["r0"]
        assert ids([f"{i:064d}" for i in range(4)], ["0599", "12345678"]) == ["r0", "r1", "r2"]
        assert ids([f"{1:064d}", f"{3:064d}"], ["0363"]) == ["r3"]
        assert ids([f"{0:064d}"], ["0599"]) == ["r0"]  # a length seen before: its statement again
        assert eerste.rijen(session, partij="0599") == [("r1",)]


def test_audit_events_keep_their_details_and_time_exactly(sessions: sessionmaker[Session]) -> None:
    at = dt.datetime(2026, 12, 2, 9, 30, 1, 654321, tzinfo=dt.UTC)
    rij = {"seq": 1, "at": at, "actor": "0599", "action": "ontvangen", "bericht_id": None, "from_state": None,
           "to_state": "received", "details": {"sha256": "ab", "grootte": 3}, "prev_hash": "0" * 64,
           "hash": "f" * 64, "mac": None}
    with sessions() as session, session.begin():
        Invoegen(AuditEvent.__table__).voer_uit(session, [rij])
    with sessions() as session:
        e = session.get_one(AuditEvent, 1)
    assert (e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC)) == at
    assert e.details == {"sha256": "ab", "grootte": 3} and e.to_state == "received"


def test_a_session_uses_each_transactions_own_connection(sessions: sessionmaker[Session]) -> None:
    """The driver's connection is remembered per transaction: after a commit or a rollback the next statement
    runs in the session's new transaction, never on the connection the old one gave back to the pool."""
    invoegen = Invoegen(Gebeurtenis.__table__)
    c = Gebeurtenis.__table__.c
    tel = Voorbereid(select(c.type).where(c.partij == bindparam("partij")).order_by(c.id))

    def rij(type_: str) -> dict[str, object]:
        return {"type": type_, "partij": "0363", "berichttype": "WMO301", "payload": {}}

    with sessions() as session:
        with session.begin():
            invoegen.voer_uit(session, [rij("bewaard")])
        with session.begin():
            invoegen.voer_uit(session, [rij("teruggedraaid")])
            assert [r[0] for r in tel.rijen(session, partij="0363")] == ["bewaard", "teruggedraaid"]
            session.rollback()
        with session.begin():
            invoegen.voer_uit(session, [rij("daarna")])
    with sessions() as anders:
        assert [r[0] for r in tel.rijen(anders, partij="0363")] == ["bewaard", "daarna"]


def test_a_drivers_error_arrives_as_sqlalchemy_raises_it(sessions: sessionmaker[Session]) -> None:
    """Callers catch SQLAlchemy's classes (a claim's primary key as the last line of TR056, the API's 503 for a
    store that cannot write), not sqlite3's or psycopg's own."""
    from sqlalchemy.exc import IntegrityError

    invoegen = Invoegen(Bericht.__table__)
    with sessions() as session, session.begin():
        invoegen.voer_uit(session, [{**_BERICHT, "id": "eenmaal"}])
    with sessions() as session, session.begin(), pytest.raises(IntegrityError) as fout:
        invoegen.voer_uit(session, [{**_BERICHT, "id": "eenmaal"}])
    assert "eenmaal" in str(fout.value.params)
    # the text (what a logged traceback shows) lists no parameters (PostgreSQL's own DETAIL names the key)
    assert _BERICHT["sha256"] not in str(fout.value) and "hidden" in str(fout.value)


def test_an_error_of_sqlalchemys_own_statements_names_no_values(sessions: sessionmaker[Session]) -> None:
    """A traceback in the log must not carry a message's bytes or a BSN from a statement's parameters."""
    from sqlalchemy.exc import IntegrityError

    with sessions() as session, session.begin():
        session.execute(insert(Bericht.__table__), [{**_BERICHT, "id": "dubbel"}])
    with sessions() as session, session.begin(), pytest.raises(IntegrityError) as fout:
        session.execute(insert(Bericht.__table__), [{**_BERICHT, "id": "dubbel"}])
    assert _BERICHT["sha256"] not in str(fout.value) and "hidden" in str(fout.value)
