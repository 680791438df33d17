"""The store: verbatim storage, dedupe, lifecycle, audit chain tamper detection, migrations, TR056 race."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select, text

from gateway.ingest.ontvang import receive
from gateway.store import audit, queries
from gateway.store.db import at_head, downgrade, make_engine, make_session_factory, upgrade_to_head
from gateway.store.lifecycle import IllegalTransition, Status, transition
from gateway.store.models import Bericht, BerichtSleutel
from tests.msgedit import Msg
from tests.reference import our_example

AANBIEDER = "12345678"


def test_migrations_round_trip(db_url: str) -> None:
    upgrade_to_head(db_url)
    engine = make_engine(db_url)
    assert at_head(engine)
    downgrade(db_url, "base")
    assert not at_head(engine)
    upgrade_to_head(db_url)
    assert at_head(engine)
    engine.dispose()


def test_message_is_stored_verbatim_with_keys(sessions) -> None:  # type: ignore[no-untyped-def]
    data = our_example("WMO315").replace(b"\n", b"\r\n")  # bytes a re-serialiser would change
    received = receive(sessions, data, party=AANBIEDER)
    assert received.status == "accepted" and received.retour_id
    with sessions() as session:
        row = session.get(Bericht, received.id)
        assert row.raw == data
        assert row.sha256 == hashlib.sha256(data).hexdigest() and row.size == len(data)
        assert (row.berichttype, row.berichtcode, row.afzender, row.ontvanger) == ("WMO315", "444", AANBIEDER, "0599")
        assert (row.verzender, row.adressaat, row.richting) == (AANBIEDER, "0599", "in")
        kinds = {s.kind for s in row.sleutels}
        assert {"Bsn", "ReferentieAanbieder"} <= kinds
        retour = session.get(Bericht, received.retour_id)
        assert retour.berichttype == "WMO316" and retour.antwoord_op_id == row.id
        # The retour keeps the heenbericht's header (IV028) but travels back to the aanbieder.
        assert (retour.afzender, retour.adressaat) == (AANBIEDER, AANBIEDER)


def test_same_bytes_from_same_party_return_the_stored_message(sessions) -> None:  # type: ignore[no-untyped-def]
    data = our_example("WMO315")
    first = receive(sessions, data, party=AANBIEDER)
    again = receive(sessions, data, party=AANBIEDER)
    assert again.duplicaat and again.id == first.id and again.retour_id == first.retour_id
    with sessions() as session:
        assert session.scalar(select(text("count(*)")).select_from(Bericht)) == 2  # heen + retour, no copy


def test_reused_identificatie_is_rejected_with_tr056(sessions) -> None:  # type: ignore[no-untyped-def]
    receive(sessions, our_example("WMO315"), party=AANBIEDER)
    changed = Msg(our_example("WMO315")).set("Client/Commentaar", "Andere inhoud, zelfde identificatie").bytes()
    second = receive(sessions, changed, party=AANBIEDER)
    assert second.status == "rejected"
    assert [(f.code, f.retourcode) for f in second.errors] == [("TR056", "9056")]


def test_unreadable_input_is_stored_as_rejected(sessions) -> None:  # type: ignore[no-untyped-def]
    received = receive(sessions, b"<niet-af", party=AANBIEDER)
    assert received.status == "rejected" and received.bericht is None and received.retour_id is None
    with sessions() as session:
        assert session.get(Bericht, received.id).raw == b"<niet-af"


def test_rule_failure_is_rejected_and_still_answered(sessions) -> None:  # type: ignore[no-untyped-def]
    data = Msg(our_example("WMO317")).set("Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum",
                                          "2020-01-01").bytes()
    received = receive(sessions, data, party=AANBIEDER)
    assert received.status == "rejected" and "TR380" in {f.code for f in received.errors}
    assert received.retour_id is not None
    with sessions() as session:
        rows, _ = queries.list_berichten(session, queries.Filter(regel="TR380"))
        assert [r.id for r in rows] == [received.id]


def test_lifecycle_refuses_illegal_transitions(sessions) -> None:  # type: ignore[no-untyped-def]
    received = receive(sessions, our_example("WMO315"), party=AANBIEDER)
    with sessions() as session, session.begin():
        row = session.get(Bericht, received.id)
        with pytest.raises(IllegalTransition):
            transition(session, row, Status.DELIVERED, actor="test")
        transition(session, row, Status.QUEUED, actor="test")
        transition(session, row, Status.DEAD_LETTER, actor="test")
        transition(session, row, Status.QUEUED, actor="test", action="requeue")
        with pytest.raises(IllegalTransition):
            transition(session, row, Status.RECEIVED, actor="test")
    with sessions() as session:
        actions = [(e.from_state, e.to_state) for e in queries.audit_for(session, received.id)]
        assert actions[-3:] == [("accepted", "queued"), ("queued", "dead_letter"), ("dead_letter", "queued")]


def _chain(sessions, n: int = 4) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session, session.begin():
        for i in range(n):
            audit.append(session, actor="test", action=f"stap{i}", details={"i": i})


def test_intact_chain_verifies(sessions) -> None:  # type: ignore[no-untyped-def]
    _chain(sessions)
    with sessions() as session:
        assert audit.verify_chain(session) is None


SWAP_2_AND_3 = [  # via a temporary value: the primary key is checked per row
    "UPDATE audit_event SET seq = -2 WHERE seq = 2",
    "UPDATE audit_event SET seq = 2 WHERE seq = 3",
    "UPDATE audit_event SET seq = 3 WHERE seq = -2",
]


@pytest.mark.parametrize(
    ("statements", "broken_seq"),
    [
        (["UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"], 2),
        (["UPDATE audit_event SET details = '{\"i\": 9}' WHERE seq = 3"], 3),
        (["DELETE FROM audit_event WHERE seq = 2"], 2),
        (SWAP_2_AND_3, 2),
    ],
    ids=["edit-actor", "edit-details", "delete", "reorder"],
)
def test_tampering_with_audit_rows_is_detected(sessions, statements: list[str], broken_seq: int) -> None:  # type: ignore[no-untyped-def]
    _chain(sessions)
    with sessions() as session:
        assert audit.verify_chain(session) is None
    with sessions() as session, session.begin():
        for sql in statements:
            session.execute(text(sql))
    with sessions() as session:
        broken = audit.verify_chain(session)
    assert broken is not None and broken.seq == broken_seq, broken


def test_cutting_off_the_newest_events_is_caught_by_an_exported_anchor(sessions) -> None:  # type: ignore[no-untyped-def]
    _chain(sessions)
    with sessions() as session:
        anker = audit.head(session)
    assert anker is not None and anker.seq == 4 and audit.Anker.parse(str(anker)) == anker
    _chain(sessions, 2)
    with sessions() as session:
        assert audit.verify_chain(session, anker=anker) is None  # growing past the anchor is fine
    with sessions() as session, session.begin():
        session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    with sessions() as session:
        assert audit.verify_chain(session) is None  # the chain alone cannot tell
        broken = audit.verify_chain(session, anker=anker)
    assert broken is not None and broken.seq == 4 and "ingekort" in broken.reason


def test_cli_prints_an_anchor_and_checks_it(migrated_url: str) -> None:
    env = {"IWMO_DATABASE_URL": migrated_url, "PATH": "/usr/bin:/bin"}

    def verify(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gateway.cli", "audit", "verify", *extra], env=env,
                              capture_output=True, text=True, timeout=120)

    sessions = make_session_factory(make_engine(migrated_url))
    _chain(sessions)
    first = verify()
    assert first.returncode == 0, first.stderr
    anker = first.stdout.strip().rsplit(" ", 1)[-1]
    assert anker.startswith("4:")
    assert verify("--anker", anker).returncode == 0
    assert verify("--anker", "4:" + "0" * 64).returncode == 1
    assert verify("--anker", "onzin").returncode == 2


def test_client_timeline_lists_messages_by_bsn(sessions) -> None:  # type: ignore[no-untyped-def]
    received = receive(sessions, our_example("WMO315"), party=AANBIEDER)
    with sessions() as session:
        bsn = session.scalars(select(BerichtSleutel.value).where(
            BerichtSleutel.bericht_id == received.id, BerichtSleutel.kind == "Bsn")).one()
        timeline = queries.client_timeline(session, bsn)
        assert [b.berichttype for b in timeline][:1] == ["WMO315"]
        assert "WMO316" in [b.berichttype for b in timeline]


def test_search_matches_identifier_prefix(sessions) -> None:  # type: ignore[no-untyped-def]
    received = receive(sessions, our_example("WMO315"), party=AANBIEDER)
    with sessions() as session:
        ident = session.get(Bericht, received.id).identificatie
        rows, _ = queries.list_berichten(session, queries.Filter(zoek=ident[:4], richting="in"))
        assert [r.id for r in rows] == [received.id]


def test_cursor_pagination_walks_every_row_once(sessions) -> None:  # type: ignore[no-untyped-def]
    for i in range(7):
        receive(sessions, Msg(our_example("WMO315")).set("Header/BerichtIdentificatie/Identificatie", f"P{i}").bytes(),
                party=AANBIEDER)
    seen: list[str] = []
    cursor = None
    with sessions() as session:
        while True:
            rows, cursor = queries.list_berichten(session, queries.Filter(richting="in"), limit=3, cursor=cursor)
            seen += [r.id for r in rows]
            if cursor is None:
                break
    assert len(seen) == 7 == len(set(seen))


@pytest.mark.postgres
def test_concurrent_submissions_of_one_identificatie_cannot_both_win(pg_url: str) -> None:
    upgrade_to_head(pg_url)
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    variants = [Msg(our_example("WMO315")).set("Client/Commentaar", f"variant {i}").bytes() for i in range(8)]
    barrier = threading.Barrier(len(variants))
    results = []

    def submit(data: bytes) -> None:
        barrier.wait()
        results.append(receive(sessions, data, party=AANBIEDER))

    threads = [threading.Thread(target=submit, args=(v,)) for v in variants]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = [r for r in results if r.status == "accepted"]
    assert len(results) == 8 and len(accepted) == 1
    assert all([f.code for f in r.errors] == ["TR056"] for r in results if r.status != "accepted")
    with sessions() as session:
        assert audit.verify_chain(session) is None
    engine.dispose()
