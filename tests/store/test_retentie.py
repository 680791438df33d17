"""Retention on SQLite and PostgreSQL: finished messages lose bytes and BSN after their term, proof stays."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from gateway.ingest.ontvang import receive
from gateway.settings import Mode, Settings
from gateway.store import audit
from gateway.store.history import cross_rules_for
from gateway.store.models import AuditEvent, Bericht, BerichtSleutel, Feit
from gateway.store.retentie import Opgeschoond, inhoud, opschonen
from tests.msgedit import Msg
from tests.reference import our_example

GEMEENTE, AANBIEDER = "0599", "12345678"
NU = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.UTC)


def _ontvang(sessions, url: str, data: bytes, party: str):  # type: ignore[no-untyped-def]
    rules = cross_rules_for(Settings(database_url=url, mode=Mode.STRICT), today=dt.date(2026, 6, 1))
    return receive(sessions, data, party=party, cross_rules=rules)


def _verouder(sessions, bericht_id: str, dagen: int) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session, session.begin():
        session.execute(update(Bericht).where(Bericht.id == bericht_id)
                        .values(created_at=NU - dt.timedelta(days=dagen)))


def _acties(sessions, bericht_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.bericht_id == bericht_id)
                                    .order_by(AuditEvent.seq)))


def test_an_old_finished_message_loses_its_bytes_and_bsn_but_keeps_its_proof(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    toewijzing = _ontvang(sessions, migrated_url, our_example("WMO301"), GEMEENTE)
    assert toewijzing.status == "accepted"
    _verouder(sessions, toewijzing.id, 400)
    with sessions() as session:
        voor = session.get(Bericht, toewijzing.id)
        sha, size = voor.sha256, voor.size

    proef = opschonen(sessions, inhoud_dagen=365, feiten_dagen=None, nu=NU, proef=True)
    assert (proef.inhoud, proef.bytes) == (1, size)
    with sessions() as session:
        assert session.get(Bericht, toewijzing.id).raw  # a dry run changes nothing

    uitslag = opschonen(sessions, inhoud_dagen=365, feiten_dagen=None, nu=NU)
    assert (uitslag.inhoud, uitslag.bytes, uitslag.feiten) == (1, size, 0)
    with sessions() as session:
        rij = session.get(Bericht, toewijzing.id)
        assert rij.raw == b"" and (rij.sha256, rij.size, rij.status) == (sha, size, "accepted")
        with pytest.raises(Opgeschoond, match=sha):
            inhoud(rij)
        kinds = {s.kind for s in session.scalars(select(BerichtSleutel).where(
            BerichtSleutel.bericht_id == toewijzing.id))}
        assert "Bsn" not in kinds and "ToewijzingNummer" in kinds
        # Facts have their own, longer term: the toewijzing can still be started against.
        assert session.scalars(select(Feit).where(Feit.bericht_id == toewijzing.id)).first() is not None
        assert audit.verify_chain(session) is None
    assert _acties(sessions, toewijzing.id)[-1] == "inhoud_verwijderd"
    # Running it again finds nothing more to do.
    assert opschonen(sessions, inhoud_dagen=365, feiten_dagen=None, nu=NU).inhoud == 0


def test_the_feiten_term_ends_what_the_cross_rules_can_see(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    toewijzing = _ontvang(sessions, migrated_url, our_example("WMO301"), GEMEENTE)
    _verouder(sessions, toewijzing.id, 2000)
    uitslag = opschonen(sessions, inhoud_dagen=365, feiten_dagen=1830, nu=NU)
    assert (uitslag.inhoud, uitslag.feiten) == (1, 1)
    with sessions() as session:
        assert session.scalars(select(Feit).where(Feit.bericht_id == toewijzing.id)).first() is None
    assert _acties(sessions, toewijzing.id)[-2:] == ["inhoud_verwijderd", "feiten_verwijderd"]
    # In strict mode a start for that toewijzing is now unknown: the documented price of a short feiten term.
    start = _ontvang(sessions, migrated_url, our_example("WMO305"), AANBIEDER)
    assert "TR019" in {f.code for f in start.errors}


def test_messages_within_their_term_or_with_open_work_are_kept(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    jong = _ontvang(sessions, migrated_url, our_example("WMO315"), AANBIEDER)
    afgewezen = _ontvang(sessions, migrated_url, Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes(), AANBIEDER)
    assert afgewezen.status == "rejected"
    _verouder(sessions, jong.id, 30)
    _verouder(sessions, afgewezen.id, 4000)  # waits for a person, however old
    uitslag = opschonen(sessions, inhoud_dagen=365, feiten_dagen=365, nu=NU)
    # The retourberichten the gateway made are young too, so nothing at all is due.
    assert uitslag.inhoud == 0 and uitslag.feiten == 0
    with sessions() as session:
        assert inhoud(session.get(Bericht, afgewezen.id)) and inhoud(session.get(Bericht, jong.id))


def test_a_feiten_term_shorter_than_the_inhoud_term_is_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="feiten"):
        opschonen(sessions, inhoud_dagen=365, feiten_dagen=30, nu=NU)


def test_cli_without_a_term_says_so_and_with_one_reports_counts(migrated_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"IWMO_DATABASE_URL": migrated_url, "PATH": "/usr/bin:/bin"}
    leeg = subprocess.run([sys.executable, "-m", "gateway.cli", "db", "opschonen"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert leeg.returncode == 2 and "geen bewaartermijn" in leeg.stderr
    proef = subprocess.run([sys.executable, "-m", "gateway.cli", "db", "opschonen", "--inhoud-dagen", "30",
                            "--proef"], env=env, capture_output=True, text=True, timeout=120)
    assert proef.returncode == 0, proef.stderr
    assert "zou verwijderen: 0 berichten" in proef.stdout


def test_rejected_messages_lose_their_content_after_their_own_term(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    afgewezen = _ontvang(sessions, migrated_url, Msg(our_example("WMO317")).set(
        "Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2020-01-01").bytes(), AANBIEDER)
    kapot = _ontvang(sessions, migrated_url, b"<kapot" + b"x" * 100_000, AANBIEDER)
    goed = _ontvang(sessions, migrated_url, our_example("WMO315"), AANBIEDER)
    for r in (afgewezen, kapot, goed):
        _verouder(sessions, r.id, 100)
    with sessions() as session:
        bewaard = len(session.get(Bericht, afgewezen.id).raw) + len(session.get(Bericht, kapot.id).raw)
        assert session.get(Bericht, kapot.id).ingekort
    uitslag = opschonen(sessions, inhoud_dagen=None, feiten_dagen=None, afgekeurd_dagen=90, nu=NU, proef=True)
    assert (uitslag.afgekeurd, uitslag.inhoud, uitslag.bytes) == (2, 0, bewaard)  # counts what is stored
    assert opschonen(sessions, inhoud_dagen=None, feiten_dagen=None, afgekeurd_dagen=90, nu=NU).afgekeurd == 2
    with sessions() as session:
        for r in (afgewezen, kapot):
            rij = session.get(Bericht, r.id)
            assert rij.raw == b"" and rij.status == "rejected" and rij.bevindingen
            with pytest.raises(Opgeschoond):
                inhoud(rij)
        assert inhoud(session.get(Bericht, goed.id)) == our_example("WMO315")  # only the inhoud term ends that
        assert audit.verify_chain(session) is None
    assert _acties(sessions, afgewezen.id)[-1] == "inhoud_verwijderd"


def test_cli_reads_the_afgekeurd_term_from_the_settings(migrated_url: str) -> None:
    env = {"IWMO_DATABASE_URL": migrated_url, "PATH": "/usr/bin:/bin", "IWMO_BEWAARTERMIJN_AFGEKEURD_DAGEN": "30"}
    proef = subprocess.run([sys.executable, "-m", "gateway.cli", "db", "opschonen", "--proef"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert proef.returncode == 0, proef.stderr
    assert "afgekeurde inhoud zou verwijderen: 0 berichten" in proef.stdout
