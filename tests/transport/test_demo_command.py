"""`iwmo-gateway demo` as a newcomer runs it: a subprocess that starts the three processes, walks the ten
steps of the example conversations (seven iWmo, three iJw), prints each with its answer, and leaves nothing running; `--keep` runs
until Ctrl-C and then stops everything too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.messages.declaratie_antwoord import bouw_declaratie_antwoord
from gateway.messages.retour import validate_and_build
from gateway.standard.codelijsten import WJ001
from gateway.transport.demo import DEMO_BESLISSING, STAPPEN, retourcodes
from tests.reference import our_example

pytestmark = pytest.mark.slow(seconden=65)  # two demos: five processes each

STAP = re.compile(r"^\[(\d+)/10\] ((?:WMO|JW)\d{3}) (gemeente|aanbieder) (\d+) -> (gemeente|aanbieder) (\d+): (\w+); "
                  r"((?:WMO|JW)\d{3}) ontvangen \(retourcodes: ([^)]*)\) in ([\d.]+) s$", re.MULTILINE)
URL = re.compile(r"http://127\.0\.0\.1:\d+")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}


def _verwacht(heen: str, antwoord: str) -> str:
    """The answer each step must report, worked out here without the chain: the retourbericht our own
    builder makes for the example heenbericht, or for a declaratie the codes in the example WMO325 and in the JW325
    the builder makes from the demo's decision."""
    if antwoord == "WMO325":
        xml = our_example("WMO325")
    elif antwoord == "JW325":
        besluit = {a["ReferentieNummer"]: a["retourcodes"] for a in DEMO_BESLISSING[heen]["afgewezen"]}
        xml = bouw_declaratie_antwoord(our_example(heen), afgewezen=besluit).xml
    else:
        xml = validate_and_build(our_example(heen))
    return " ".join(retourcodes(xml)) or "geen, niets afgekeurd"


def _dood(urls: list[str]) -> bool:
    for url in urls:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return False
        except httpx.TransportError:
            pass
    return True


def test_demo_runs_the_ten_steps_and_reports_each_answer(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "gateway.cli", "demo", "--map", str(tmp_path)], env=_env(),
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    stappen = STAP.findall(r.stdout)
    assert len(stappen) == len(STAPPEN) == 10, r.stdout
    assert [s[1] for s in stappen][-3:] == ["JW301", "JW305", "JW323"], r.stdout
    for (n, heen, zender, _, ontvanger, _, status, antwoord, codes, _), stap in zip(stappen, STAPPEN, strict=True):
        assert (heen, zender, antwoord, status) == (stap.heen, stap.zender, stap.antwoord, "answered"), n
        assert ontvanger != zender
        assert codes == _verwacht(heen, antwoord), (heen, codes)
    # each retourcode with its meaning from codelist WJ001, on the lines below its step
    gezien = re.findall(r"^      (\d{4}): (.+)$", r.stdout, re.MULTILINE)
    genoemd = [c for (*_, codes, _) in stappen for c in codes.split() if c.isdigit()]
    assert [code for code, _ in gezien] == genoemd and "9308" in genoemd, r.stdout
    assert all(betekenis == WJ001[code] for code, betekenis in gezien), r.stdout
    assert "Alle 10 stappen afgerond" in r.stdout
    # where to look: the stores stay, with their URLs and keys named
    for naam in ("gemeente.db", "aanbieder.db", "hub.db"):
        assert (tmp_path / naam).is_file() and str(tmp_path / naam) in r.stdout
    assert r.stdout.count("API-sleutel iwmo_") == 2 and r.stdout.count("beheerder   iwmo_") == 2
    assert _dood(sorted(set(URL.findall(r.stdout))))  # nothing left running


def _kinderen(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _leeft(pid: int) -> bool:
    try:
        toestand = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return toestand != "Z"


def _zonder_sigint() -> None:
    # As a shell without job control starts a background job (`sh -c 'iwmo-gateway demo --keep &'`, a CI
    # runner): SIGINT ignored, which Python leaves ignored unless the demo sets its own handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children from /proc (Linux)")
def test_demo_keep_runs_until_ctrl_c_and_then_stops_every_process(tmp_path: Path) -> None:
    # Only the iJw conversation (three steps): what is tested here is the keeping and the stopping.
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "demo", "--keep", "--standaard", "ijw",
                             "--map", str(tmp_path)],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_zonder_sigint)
    uit: list[str] = []
    try:
        assert proc.stdout is not None
        einde = time.monotonic() + 240
        for regel in proc.stdout:
            uit.append(regel)
            if "Kijk rond" in regel or time.monotonic() > einde:
                break
        tekst = "".join(uit)
        assert "Kijk rond" in tekst, tekst
        assert "[1/3] JW301" in tekst and "[3/3] JW323" in tekst and "WMO" not in tekst.split("Kijk rond")[0], tekst
        urls = sorted(set(URL.findall(tekst)))
        assert len(urls) == 3
        for url in urls:  # still there, for a newcomer to poke at
            assert httpx.get(f"{url}/health", timeout=5).status_code == 200
        kinderen = _kinderen(proc.pid)
        assert len(kinderen) == 5 and all(_leeft(k) for k in kinderen)  # hub, and serve + worker per gateway
        begin = time.monotonic()
        proc.send_signal(signal.SIGINT)  # to the demo alone, not its process group as a terminal's Ctrl-C would
        rest, _ = proc.communicate(timeout=30)
        duur = time.monotonic() - begin
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, tekst + rest
    assert "de keten stopt" in rest
    assert not [k for k in kinderen if _leeft(k)]
    assert duur < 15, f"de keten stopte pas na {duur:.1f} s"
    assert _dood(urls)


def test_demo_refuses_a_folder_that_holds_an_earlier_demo(tmp_path: Path) -> None:
    (tmp_path / "gemeente.db").write_bytes(b"")
    r = subprocess.run([sys.executable, "-m", "gateway.cli", "demo", "--map", str(tmp_path)], env=_env(),
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2 and str(tmp_path) in r.stderr and "lege map" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gemeente.db"]  # nothing started, nothing written
