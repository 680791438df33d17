"""Validation speed and memory: parse+XSD beside full validation (XSD + all in-message rules).

Prints messages/s, median µs per message and peak memory for each example message type, and for
generated WMO323 declaraties of 100, 1 000 and 10 000 prestaties. Ratios are measured in one run, so
they hold on a noisy shared machine where absolute figures do not.

    python bench/validate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
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


if __name__ == "__main__":
    main()
