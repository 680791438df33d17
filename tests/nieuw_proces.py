"""Run a few lines of Python in a fresh interpreter: what a command imports or builds at start-up can only be seen
in a process that has imported nothing yet (the test process has imported everything)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reference import REPO


def laatste_regel(code: str, tmp_path: Path) -> str:
    """The last line `code` prints, run with this checkout on the path, no IWMO_* settings of the caller and a
    SQLite store of its own in `tmp_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    env |= {"PYTHONPATH": str(REPO), "IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()[-1]
