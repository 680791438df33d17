"""API keys are made on purpose, for a real party, and demo restarts do not pile them up (issue #10, item 7).

`iwmo-gateway keys create` needs exactly one of `--party` (a gemeentecode in the CBS list or an 8-digit AGB
code) or `--role admin|operator|viewer`; anything else is a one-line usage error (exit 2) and makes no key.
`serve --demo` revokes its earlier demo keys before it prints new ones.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.cli import main
from gateway.serve import seed_demo_sleutels
from gateway.settings import get_settings
from gateway.store import apikeys
from gateway.store.models import ApiKey

REPO = Path(__file__).resolve().parents[2]


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


def _vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_demo(env: dict[str, str]) -> str:
    """Start `iwmo-gateway serve --demo`, read its banner up to the console line, stop it; the banner."""
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--demo", "--port", str(_vrije_poort())],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    regels: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            regel = proc.stdout.readline()
            if not regel:
                break
            regels.append(regel)
            if regel.startswith("Beheerconsole"):
                return "".join(regels)
        raise AssertionError("serve --demo printte geen banner:\n" + "".join(regels))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _beheerderssleutel(banner: str) -> str:
    return next(r.split()[-1] for r in banner.splitlines() if r.strip().startswith("beheerder"))


def test_serve_demo_restarts_revoke_their_earlier_keys_and_print_working_ones(sessions, migrated_url) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")} | {"IWMO_DATABASE_URL": migrated_url}
    eerste = _start_demo(env)
    tweede = _start_demo(env)
    assert "ingetrokken" not in eerste.split("Demo-partijen", 1)[1].splitlines()[0]
    assert "de 3 demo-sleutels van een eerdere start zijn ingetrokken" in tweede
    assert len(_actief(sessions)) == 3
    with sessions() as session:
        assert apikeys.authenticate(session, _beheerderssleutel(tweede)) is not None
        assert apikeys.authenticate(session, _beheerderssleutel(eerste)) is None
