"""API keys are made on purpose, for a real party, and demo restarts do not pile them up (issue #10, item 7).

`iwmo-gateway keys create` needs exactly one of `--party` (a gemeentecode in the CBS list or an 8-digit AGB
code) or `--role admin|operator|viewer`; anything else is a one-line usage error (exit 2) and makes no key.
`serve --demo` revokes its earlier demo keys before it prints new ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.cli import main
from gateway.serve import seed_demo_sleutels
from gateway.settings import get_settings
from gateway.store import apikeys
from gateway.store.models import ApiKey
from tests.serveproces import gateway_proces


@pytest.fixture
def keys_cli(migrated_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`iwmo-gateway keys …` against the test database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("IWMO_DATABASE_URL", migrated_url)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(["keys", *argv])
        except SystemExit as exc:  # argparse's own usage errors
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def _sleutels(sessions) -> list[ApiKey]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def test_keys_create_with_only_a_label_is_a_usage_error_and_makes_no_key(sessions, keys_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = keys_cli("create", "--label", "x")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "precies één van --party" in err and "--role" in err
    assert _sleutels(sessions) == []


def test_keys_create_with_both_party_and_role_is_a_usage_error(sessions, keys_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = keys_cli("create", "--party", "0599", "--role", "admin", "--label", "x")
    assert code == 2 and err.count("\n") == 1
    assert _sleutels(sessions) == []


@pytest.mark.parametrize("party", ["59", "9999", "0000", "1234567", "123456789", "abcd", "٠٥٩٩", "0599 "])
def test_keys_create_refuses_a_party_that_is_no_gemeentecode_or_agb_code(sessions, keys_cli, party) -> None:  # type: ignore[no-untyped-def]
    code, out, err = keys_cli("create", "--party", party, "--label", "x")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and repr(party) in err
    assert _sleutels(sessions) == []


def test_the_store_refuses_a_party_key_for_an_unknown_party(sessions) -> None:  # type: ignore[no-untyped-def]
    # Every caller of the store, not only the command, gets the rule.
    with sessions() as session, session.begin(), pytest.raises(ValueError, match="CBS-lijst"):
        apikeys.create(session, label="x", party="9999")


@pytest.mark.parametrize(("argv", "rol", "partij"), [
    (("--party", "0599"), "party", "0599"),
    (("--party", "12345678"), "party", "12345678"),
    (("--role", "viewer"), "viewer", None),
    (("--role", "admin"), "admin", None),
])
def test_keys_create_makes_exactly_the_key_asked_for(sessions, keys_cli, argv, rol, partij) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = keys_cli("create", *argv, "--label", "x")
    assert code == 0 and "iwmo_" in out
    assert [(k.role, k.party) for k in _sleutels(sessions)] == [(rol, partij)]


def _actief(sessions) -> list[ApiKey]:  # type: ignore[no-untyped-def]
    return [k for k in _sleutels(sessions) if k.revoked_at is None]


def test_repeated_demo_seeding_keeps_three_active_keys_and_the_newest_work(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    eerste = seed_demo_sleutels(migrated_url)
    tweede = seed_demo_sleutels(migrated_url)
    assert (eerste.ingetrokken, tweede.ingetrokken) == (0, 3)
    assert sorted((k.role, k.party) for k in _actief(sessions)) == [
        ("admin", None), ("party", "0599"), ("party", "12345678")]
    with sessions() as session:
        assert all(apikeys.authenticate(session, k) is not None for k in tweede.sleutels.values())
        assert all(apikeys.authenticate(session, k) is None for k in eerste.sleutels.values())


def _start_demo(migrated_url: str, map_: Path) -> str:
    """Start `iwmo-gateway serve --demo`, wait until it answers, stop it; what it printed."""
    with gateway_proces(["serve", "--demo"], map_=map_, settings={"IWMO_DATABASE_URL": migrated_url},
                        seconden=120) as server:
        pass
    uitvoer = server.uitvoer()
    assert "Beheerconsole" in uitvoer, "serve --demo printte geen banner:\n" + uitvoer
    return uitvoer


def _beheerderssleutel(banner: str) -> str:
    return next(r.split()[-1] for r in banner.splitlines() if r.strip().startswith("beheerder"))


def test_serve_demo_restarts_revoke_their_earlier_keys_and_print_working_ones(  # type: ignore[no-untyped-def]
    sessions, migrated_url, tmp_path: Path,
) -> None:
    eerste = _start_demo(migrated_url, tmp_path)
    tweede = _start_demo(migrated_url, tmp_path)
    assert "ingetrokken" not in eerste.split("Demo-partijen", 1)[1].splitlines()[0]
    assert "de 3 demo-sleutels van een eerdere start zijn ingetrokken" in tweede
    assert len(_actief(sessions)) == 3
    with sessions() as session:
        assert apikeys.authenticate(session, _beheerderssleutel(tweede)) is not None
        assert apikeys.authenticate(session, _beheerderssleutel(eerste)) is None
