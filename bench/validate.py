"""Validation speed and memory: parse+XSD beside full validation (XSD + all in-message rules).

Prints messages/s, median µs per message and peak memory for each example message type, and for
generated WMO323 declaraties of 100, 1 000 and 10 000 prestaties. Ratios are measured in one run, so
they hold on a noisy shared machine where absolute figures do not.

    python bench/validate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from gateway.demo.generate import declaratie
from gateway.validation.validator import validate

REPO = Path(__file__).resolve().parents[1]

EXAMPLES = REPO / "gateway" / "demo" / "berichten"
OFFICIAL = REPO.parent / "shared" / "reference" / "iwmo-3.2" / "examples"


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm: schemas compiled, XPaths compiled
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
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
