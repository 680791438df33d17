"""The audit trail vouches for the stored messages, and with IWMO_AUDIT_KEY for itself (issue #10, item 6).

`iwmo-gateway audit verify` exits non-zero — naming the message and what differs — when a message's bytes,
digest or status no longer agree with its events, when a message the chain knows of is gone, when the events
are gone, and (with the key) when the chain was rewritten and hashed again. Retention's purge and a refused
body kept as a prefix are not faults. Each promise is checked through the command itself, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text, update

from gateway.cli import main
from gateway.ingest.ontvang import receive
from gateway.settings import get_settings
from gateway.store import audit
from gateway.store.models import AuditEvent, Bericht
from gateway.store.retentie import opschonen
from tests.msgedit import Msg
from tests.reference import our_example

AANBIEDER = "12345678"
SLEUTEL = secrets.token_hex(32)


@dataclass(frozen=True)
class Uitslag:
    code: int
    out: str
    err: str


@pytest.fixture
def verify(migrated_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Runs `iwmo-gateway audit verify` against the test database, with or without the audit key."""
    monkeypatch.setenv("IWMO_DATABASE_URL", migrated_url)
    monkeypatch.delenv("IWMO_AUDIT_KEY", raising=False)
    get_settings.cache_clear()

    def run(*, key: str | None = None) -> Uitslag:
        if key:
            monkeypatch.setenv("IWMO_AUDIT_KEY", key)
        else:
            monkeypatch.delenv("IWMO_AUDIT_KEY", raising=False)
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(["audit", "verify"])
        captured = capsys.readouterr()
        return Uitslag(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()


@pytest.fixture
def gesleuteld(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The gateway writes with IWMO_AUDIT_KEY set (every append reads it from the settings)."""
    monkeypatch.setenv("IWMO_AUDIT_KEY", SLEUTEL)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@dataclass(frozen=True)
class Winkel:
    geaccepteerd: str  # a WMO315, accepted, with its retourbericht
    afgewezen: str  # a WMO317 rejected on TR380, with its retourbericht


def _vul(sessions) -> Winkel:  # type: ignore[no-untyped-def]
    goed = receive(sessions, our_example("WMO315"), party=AANBIEDER)
    fout = receive(sessions, Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes(), party=AANBIEDER)
    assert (goed.status, fout.status) == ("accepted", "rejected") and goed.retour_id and fout.retour_id
    return Winkel(goed.id, fout.id)


def _sql(sessions, sql: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session, session.begin():
        session.execute(text(sql), params)


def test_an_untouched_store_verifies_and_gets_an_anchor(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)
    uitslag = verify()
    assert uitslag.code == 0, uitslag.err
    assert "4 berichten kloppen met de keten" in uitslag.out and "anker" in uitslag.out


def test_verify_fails_when_a_stored_message_raw_is_edited(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    vervalst = Msg(our_example("WMO315")).set("Client/Commentaar", "achteraf aangepast").bytes()
    _sql(sessions, "UPDATE bericht SET raw = :raw WHERE id = :id", raw=vervalst, id=winkel.geaccepteerd)
    uitslag = verify()
    assert uitslag.code == 1
    assert f"bericht {winkel.geaccepteerd}: de opgeslagen bytes zijn gewijzigd" in uitslag.err


@pytest.mark.parametrize(("welk", "event"), [("heen", "ontvangen"), ("retour", "aangemaakt")])
def test_verify_fails_when_raw_and_its_sha256_column_are_rewritten_together(sessions, verify, welk, event) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    winkel = _vul(sessions)
    with sessions() as session:
        rij = session.get(Bericht, winkel.geaccepteerd)
        if welk == "retour":
            rij = session.scalars(select(Bericht).where(Bericht.antwoord_op_id == rij.id)).one()
        bericht_id, vervalst = rij.id, rij.raw.replace(b"<", b" <", 1)
    _sql(sessions, "UPDATE bericht SET raw = :raw, sha256 = :sha, size = :size WHERE id = :id", raw=vervalst,
         sha=hashlib.sha256(vervalst).hexdigest(), size=len(vervalst), id=bericht_id)
    uitslag = verify()
    assert uitslag.code == 1
    assert f"bericht {bericht_id}: kolom sha256" in uitslag.err and f"({event}) legde" in uitslag.err


def test_verify_fails_when_a_rejected_message_is_made_accepted(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    _sql(sessions, "UPDATE bericht SET status = 'accepted' WHERE id = :id", id=winkel.afgewezen)
    uitslag = verify()
    assert uitslag.code == 1
    assert (f"bericht {winkel.afgewezen}: status is accepted, maar de laatste overgang in de audit trail"
            in uitslag.err and "is naar rejected" in uitslag.err)


def test_verify_fails_when_a_rejected_message_row_is_deleted(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    # As someone hiding a rejection would: the retourbericht that points at it goes too.
    _sql(sessions, "DELETE FROM bericht WHERE antwoord_op_id = :id", id=winkel.afgewezen)
    _sql(sessions, "DELETE FROM bericht WHERE id = :id", id=winkel.afgewezen)
    uitslag = verify()
    assert uitslag.code == 1
    assert f"bericht {winkel.afgewezen}: staat in de audit trail" in uitslag.err
    assert "niet meer opgeslagen" in uitslag.err


def test_verify_fails_when_the_event_table_is_emptied_with_messages_present(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    _sql(sessions, "DELETE FROM audit_event")
    uitslag = verify()
    assert uitslag.code == 1
    assert "audit trail leeg, maar er zijn 4 berichten opgeslagen" in uitslag.err
    assert f"bericht {winkel.afgewezen}: heeft geen audit-events" in uitslag.err


def test_verify_fails_when_a_message_loses_its_bytes_without_a_retention_event(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    _sql(sessions, "UPDATE bericht SET raw = :leeg WHERE id = :id", leeg=b"", id=winkel.afgewezen)
    uitslag = verify()
    assert uitslag.code == 1
    assert f"bericht {winkel.afgewezen}: de opgeslagen bytes ontbreken" in uitslag.err


def test_a_message_purged_by_retention_is_not_a_fault(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    winkel = _vul(sessions)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert opschonen(sessions, inhoud_dagen=365, feiten_dagen=365, nu=later).inhoud == 3  # not the rejected one
    with sessions() as session:
        assert session.get(Bericht, winkel.geaccepteerd).raw == b""
    uitslag = verify()
    assert uitslag.code == 0, uitslag.err
    assert "3 met inhoud verwijderd na de bewaartermijn" in uitslag.out


def test_a_body_kept_as_a_prefix_is_not_byte_checked_but_its_status_is(sessions, verify) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)
    geweigerd = receive(sessions, b"<niet-af" + b"x" * 100, party=AANBIEDER)
    assert geweigerd.status == "rejected"
    # What the store keeps of an oversize or unreadable body: a prefix; sha256 and size describe the whole.
    _sql(sessions, "UPDATE bericht SET raw = :prefix, ingekort = :waar WHERE id = :id", prefix=b"<niet-af",
         waar=True, id=geweigerd.id)
    uitslag = verify()
    assert uitslag.code == 0, uitslag.err
    assert "1 ingekort opgeslagen" in uitslag.out
    _sql(sessions, "UPDATE bericht SET status = 'accepted' WHERE id = :id", id=geweigerd.id)
    uitslag = verify()
    assert uitslag.code == 1 and f"bericht {geweigerd.id}: status is accepted" in uitslag.err


def _herschrijf(sessions, seq: int, *, macs: str) -> None:  # type: ignore[no-untyped-def]
    """What someone with write access but without the key does: edit one event and hash the chain again from
    there, so every hash and prev_hash holds. `macs`: "houden" leaves them, "weg" clears them."""
    with sessions() as session, session.begin():
        events = session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)).all()
        prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)) or audit.GENESIS
        events[0].actor = "mallory"
        for e in events:
            e.prev_hash = prev
            e.hash = f"{e.seq:064d}"  # free the unique hashes before the real ones are written
        session.flush()
        for e in events:
            e.prev_hash = prev
            e.hash = audit.event_hash(seq=e.seq, at=e.at, actor=e.actor, action=e.action, bericht_id=e.bericht_id,
                                      from_state=e.from_state, to_state=e.to_state, details=e.details or {},
                                      prev_hash=prev)
            if macs == "weg":
                e.mac = None
            prev = e.hash


@pytest.mark.parametrize("macs", ["houden", "weg"])
def test_a_rewritten_and_rehashed_chain_is_caught_with_the_audit_key(sessions, verify, gesleuteld, macs) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)
    assert verify(key=SLEUTEL).code == 0
    _herschrijf(sessions, 3, macs=macs)
    if macs == "houden":
        with sessions() as session:
            assert audit.verify_chain(session) is None  # without the key every hash still holds
    uitslag = verify(key=SLEUTEL)
    assert uitslag.code == 1
    assert "audit trail gebroken bij event 3" in uitslag.err
    assert ("mac klopt niet" if macs == "houden" else "geen mac, terwijl event 1 er wel een heeft") in uitslag.err


def test_every_event_gets_a_mac_when_the_audit_key_is_set(sessions, gesleuteld) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)
    with sessions() as session:
        events = session.execute(select(AuditEvent.hash, AuditEvent.mac)).all()
    assert events and all(mac == audit.event_mac(SLEUTEL, digest) for digest, mac in events)


def test_events_from_before_the_key_are_counted_not_failed(sessions, verify, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)  # written without a key
    with sessions() as session:
        voor = session.scalar(select(text("count(*)")).select_from(AuditEvent))
    monkeypatch.setenv("IWMO_AUDIT_KEY", SLEUTEL)
    get_settings.cache_clear()
    receive(sessions, Msg(our_example("WMO315")).set("Header/BerichtIdentificatie/Identificatie", "NA-SLEUTEL")
            .bytes(), party=AANBIEDER)
    uitslag = verify(key=SLEUTEL)
    assert uitslag.code == 0, uitslag.err
    assert f"{voor} events (1–{voor}) zijn van voor IWMO_AUDIT_KEY" in uitslag.out


def test_an_event_without_mac_after_a_keyed_event_is_a_fault(sessions, verify, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IWMO_AUDIT_KEY", SLEUTEL)
    get_settings.cache_clear()
    _vul(sessions)
    monkeypatch.delenv("IWMO_AUDIT_KEY")
    get_settings.cache_clear()  # a process that appends without the key
    with sessions() as session, session.begin():
        audit.append(session, actor="iemand", action="zonder_sleutel")
        kop = audit.head(session)
        assert kop is not None
        laatste = kop.seq
    uitslag = verify(key=SLEUTEL)
    assert uitslag.code == 1
    assert f"audit trail gebroken bij event {laatste}: geen mac" in uitslag.err


def test_a_wrong_audit_key_is_not_taken_for_an_intact_chain(sessions, verify, gesleuteld) -> None:  # type: ignore[no-untyped-def]
    _vul(sessions)
    uitslag = verify(key=secrets.token_hex(32))
    assert uitslag.code == 1 and "audit trail gebroken bij event 1: mac klopt niet" in uitslag.err


def test_verify_reads_messages_in_bounded_batches(sessions) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        receive(sessions, Msg(our_example("WMO315")).set("Header/BerichtIdentificatie/Identificatie", f"B{i}").bytes(),
                party=AANBIEDER)
    with sessions() as session, session.begin():
        session.execute(update(Bericht).where(Bericht.richting == "uit").values(status="handled"))
    with sessions() as session:
        uitslag = audit.verify_berichten(session, batch=2, max_getoond=3)
    # 10 messages walked two at a time; every retour's status differs from its chain; only 3 are spelled out.
    assert (uitslag.berichten, uitslag.aantal_afwijkingen, len(uitslag.afwijkingen)) == (10, 5, 3)


def test_an_event_holds_its_details_as_appended_even_if_the_caller_changes_them_before_the_group_ends(
        sessions) -> None:  # type: ignore[no-untyped-def]
    """Inside a group the event is written when the group ends; what was hashed at the append is what is stored,
    and values JSON has no type for are stored as JSON gives them back (a date as text, a tuple as a list)."""
    details = {"codes": ["TR056"], "geneste": {"lijst": [1, {"a": None}]}, "dag": dt.date(2026, 12, 2),
               "paar": (1, "x"), "getal": 1.5, "waar": True}
    with sessions() as session, session.begin(), audit.ketting(session):
        audit.append(session, actor="test", action="proef", details=details)
        details["codes"].append("TR019")
        details["geneste"]["lijst"][1]["a"] = "veranderd"
    with sessions() as session:
        assert audit.verify_chain(session) is None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "proef")).one()
    assert event.details == {"codes": ["TR056"], "geneste": {"lijst": [1, {"a": None}]}, "dag": "2026-12-02",
                             "paar": [1, "x"], "getal": 1.5, "waar": True}
