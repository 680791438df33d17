"""What a command imports and builds before it starts (issue #11): only the parts it needs. Behaviour, not timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from tests.nieuw_proces import laatste_regel


def test_a_store_command_does_not_import_the_transport_or_the_web_parts(tmp_path: Path) -> None:
    # Adding the transport's commands imports the demo and its HTTP client; `keys`, `db` and `audit` need neither.
    code = ("import sys\nfrom gateway.cli import main\ntry:\n    main(['keys', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('httpx', 'fastapi', 'uvicorn', 'xmlschema')"
            " or m.startswith(('gateway.transport', 'gateway.api', 'gateway.admin'))))")
    assert laatste_regel(code, tmp_path) == "[]"


def test_help_and_a_mistyped_command_still_show_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    alle = ("validate", "regels", "retour", "db", "audit", "keys", "serve", "profielen", "worker", "hub", "demo")
    with pytest.raises(SystemExit):
        main(["--help"])
    hulp = capsys.readouterr().out
    assert all(commando in hulp for commando in alle)
    with pytest.raises(SystemExit) as exit_:
        main(["bestaat-niet"])
    assert exit_.value.code == 2
    fout = capsys.readouterr().err
    assert all(repr(commando) in fout for commando in alle), fout


def test_serve_builds_without_the_garbage_collector_and_serves_with_it_after_one_collection(tmp_path: Path) -> None:
    # Start-up builds objects that live as long as the process; collecting meanwhile walked them again and again.
    code = ("import gc, sys, uvicorn\nimport gateway.api.app as app_module\nfrom gateway.cli import main\n"
            "gezien = {}\nbouw = app_module.create_app\n"
            "def create_app(*a, **k):\n    gezien['bouw'] = gc.isenabled()\n    return bouw(*a, **k)\n"
            "def run(*a, **k):\n    gezien['serve'] = gc.isenabled()\n    gezien['bevroren'] = gc.get_freeze_count() > 0\n"
            "app_module.create_app = create_app\nuvicorn.run = run\n"
            "code = main(['serve', '--port', '1'])\n"
            "print(code, gezien['bouw'], gezien['serve'], gezien['bevroren'], gc.isenabled())")
    assert laatste_regel(code, tmp_path) == "0 False True True True"


def test_serve_refused_at_start_leaves_the_garbage_collector_on(tmp_path: Path) -> None:
    code = ("import gc\nfrom gateway.cli import main\n"
            "code = main(['serve', '--host', '0.0.0.0'])\nprint(code, gc.isenabled())")
    env_code = "import os; os.environ['IWMO_DVS_ZONDER_SLEUTEL'] = 'true'\n" + code
    assert laatste_regel(env_code, tmp_path) == "2 True"
