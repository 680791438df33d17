"""Validation speed and memory: the issue #11 goals first, then parse+XSD beside full validation per message.

The goals, in one run:
- `iwmo-gateway validate` on one small file: wall time of a cold process (min/median of several), beside a
  bare `python -c pass` on the same machine, which is the floor no command can go under;
- a 10 000-prestatie WMO323 fully validated in-process (min/median) and the peak RSS of a fresh process doing it;
- what the hostile-input limits cost: `safe_xml.parse` beside a plain lxml parse of the ~20 MB WMO323
  (38 000 prestaties), and which check costs what.
Then messages/s, median µs per message and peak memory for each example message type, and for generated
WMO323 declaraties of 100, 1 000 and 10 000 prestaties. Ratios are measured in one run, so they hold on a
noisy shared machine where absolute figures do not.

    python bench/validate.py [--repeat N] [--alleen-doelen] [--cli-runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

from lxml import etree

from gateway.demo.generate import declaratie
from gateway.validation import safe_xml
from gateway.validation.validator import validate

REPO = Path(__file__).resolve().parents[1]

EXAMPLES = REPO / "gateway" / "demo" / "berichten"
OFFICIAL = REPO.parent / "shared" / "reference" / "iwmo-3.2" / "examples"


def _time(fn: Callable[[], object], repeat: int, klok: Callable[[], float] = time.perf_counter) -> list[float]:
    fn()  # warm: schemas compiled, XPaths compiled
    samples = []
    for _ in range(repeat):
        start = klok()
        fn()
        samples.append(klok() - start)
    return samples


def _cpu(fn: Callable[[], object], repeat: int) -> list[float]:
    """CPU seconds of this process: on a shared machine, wall time also counts the waits for a core."""
    return _time(fn, repeat, time.process_time)


def _peak(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


_RSS_PROBE = """
import pathlib, sys
from gateway.validation.validator import validate

def peak_mb():  # VmHWM, not ru_maxrss: the latter carries over the parent's peak across fork+exec on Linux
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

validate(pathlib.Path(sys.argv[2]).read_bytes())  # schemas and XPaths compiled: count one big message only
data = pathlib.Path(sys.argv[1]).read_bytes()
before = peak_mb()
validate(data)
print(before, peak_mb())
"""


def _rss(n: int) -> tuple[float, float]:
    """Peak resident memory (MB) of a fresh process before and after validating one n-prestatie declaratie.

    tracemalloc sees only Python's own allocations; libxml2's tree and the schema run live outside it."""
    with tempfile.TemporaryDirectory() as tmp:
        groot, klein = Path(tmp) / "groot.xml", Path(tmp) / "klein.xml"
        groot.write_bytes(declaratie(n))
        klein.write_bytes(declaratie(10))
        out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(groot), str(klein)], capture_output=True,
                             text=True, check=True, cwd=REPO).stdout.split()
    return float(out[0]), float(out[1])


def _row(name: str, data: bytes, repeat: int) -> None:
    xsd = _time(lambda: validate(data, rules=False), repeat)
    full = _time(lambda: validate(data), repeat)
    med_xsd, med_full = statistics.median(xsd), statistics.median(full)
    verdict = validate(data)
    print(
        f"{name:<22} {len(data) / 1024:>9.1f} KiB  xsd {med_xsd * 1e6:>10.0f} µs  full {med_full * 1e6:>10.0f} µs"
        f"  {1 / med_full:>9.0f} msg/s  full/xsd {med_full / med_xsd:>5.1f}×"
        f"  peak {_peak(lambda: validate(data)):>7.1f} MB  findings {len(verdict.errors)}"
    )


def _ms(samples: Sequence[float]) -> str:
    return f"min {min(samples) * 1e3:6.0f} ms  median {statistics.median(samples) * 1e3:6.0f} ms"


def _wall(cmd: Sequence[str], runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, check=True)  # warm: disk cache and bytecode
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def cli_goal(runs: int) -> None:
    """Goal: `iwmo-gateway validate` on one small file in < 0.25 s wall, a cold process each time.

    The bytecode of our modules is cached in a directory of its own (as an installed package has it, whatever
    PYTHONDONTWRITEBYTECODE says here); the bare interpreter beside it shows how much is Python's own start."""
    with tempfile.TemporaryDirectory() as pycache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        bare = [sys.executable, "-X", f"pycache_prefix={pycache}", "-c", "pass"]
        validate_cmd = [sys.executable, "-X", f"pycache_prefix={pycache}", "-m", "gateway.cli", "validate",
                        str(EXAMPLES / "WMO301.xml")]
        cold, floor = [], []
        for _ in range(runs):  # interleaved, so drift in the machine's speed hits both alike
            cold += _wall(validate_cmd, 1, env)
            floor += _wall(bare, 1, env)
    print(f"CLI validate WMO301.xml, cold process ×{runs}: {_ms(cold)}   (goal < 250 ms)")
    print(f"  bare `python -c pass` ×{runs}:              {_ms(floor)}   -> the command's own share: "
          f"{(statistics.median(cold) - statistics.median(floor)) * 1e3:.0f} ms (median minus median)")


def declaratie_goal(repeat: int) -> None:
    """Goal: a 10 000-prestatie WMO323 fully validated in < 0.5 s in-process, memory linear and < 150 MB."""
    data = declaratie(10_000)
    full = _time(lambda: validate(data), repeat)
    cpu = _cpu(lambda: validate(data), repeat)
    assert validate(data).valid, "the generated declaratie must be valid, or the rules' full cost is not measured"
    before, after = _rss(10_000)
    print(f"WMO323 × 10000 prestaties ({len(data) / 2**20:.1f} MiB) fully validated ×{repeat}: {_ms(full)}"
          f"   (goal < 500 ms)")
    print(f"  CPU time of the same: {_ms(cpu)}")
    print(f"  peak RSS of a fresh process: {before:.0f} MB before, {after:.0f} MB after (goal < 150 MB)")


def _plain_parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, safe_xml._parser())


def parse_limits_cost(repeat: int) -> None:
    """What the hostile-input limits add to parsing the largest legitimate message (~20 MB WMO323)."""
    data = declaratie(38_000)
    plain, limited = [], []
    for _ in range(repeat):  # interleaved, as above; CPU time, see _cpu
        plain += _cpu(lambda: _plain_parse(data), 1)
        limited += _cpu(lambda: safe_xml.parse(data), 1)
    extra = statistics.median(limited) - statistics.median(plain)
    print(f"parse WMO323 × 38000 ({len(data) / 2**20:.1f} MiB) ×{repeat}, CPU: plain lxml {_ms(plain)}")
    print(f"  safe_xml.parse with every limit:             {_ms(limited)}   "
          f"+{extra * 1e3:.0f} ms, ×{statistics.median(limited) / statistics.median(plain):.2f}")
    root = _plain_parse(data)
    grens = safe_xml.max_elementen(safe_xml.DEFAULT_MAX_BYTES)
    delen = {
        "element count (byte bounds)": lambda: safe_xml._zeker_binnen_elementgrens(data, grens),
        "attributes (byte count)": lambda: safe_xml._misschien_veel_attributen(data),
        "text length (byte windows)": lambda: safe_xml._misschien_lange_tekst(data),
        "UTF-8 check": lambda: data.decode("utf-8"),
        "depth (XPath on the tree)": lambda: safe_xml._bewaak_vorm(root, tekst=False),
    }
    print("  of which: " + ", ".join(f"{naam} {statistics.median(_cpu(f, repeat)) * 1e3:.0f} ms"
                                     for naam, f in delen.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--cli-runs", type=int, default=10)
    parser.add_argument("--alleen-doelen", action="store_true", help="only the issue #11 goals, not the table")
    args = parser.parse_args()
    cli_goal(args.cli_runs)
    declaratie_goal(5)
    parse_limits_cost(5)
    if args.alleen_doelen:
        return
    print()
    print(f"{'message':<22} {'size':>13}  {'parse+XSD median':>16}  {'full median':>14}")
    sources = sorted(EXAMPLES.glob("WMO3*.xml")) + (sorted(OFFICIAL.glob("*.xml")) if OFFICIAL.is_dir() else [])
    for path in sources:
        label = ("official " if path.parent == OFFICIAL else "ours ") + path.stem
        _row(label, path.read_bytes(), args.repeat)
    for n, repeat in ((100, 50), (1_000, 10), (10_000, 3)):
        _row(f"WMO323 × {n} prestaties", declaratie(n), repeat)
    before, after = _rss(10_000)
    print(f"WMO323 × 10000 prestaties in a fresh process: peak RSS {before:.0f} MB before, {after:.0f} MB after "
          f"full validation (+{after - before:.0f} MB)")


if __name__ == "__main__":
    main()
