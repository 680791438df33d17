"""Messages stored per second, with their audit events, on SQLite and (if IWMO_TEST_POSTGRES_URL is set) PostgreSQL.

Each message goes through the full receive path: validation (XSD + rules + cross-message rules), storage
of the bytes, keys, findings and facts, two audit events, and the retourbericht with its own events.

    python bench/store.py [--messages N] [--threads T]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import postgres_database  # noqa: E402
from gateway.ingest.ontvang import receive  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head  # noqa: E402
from gateway.store.history import cross_rules_for  # noqa: E402

EXAMPLE = (Path(__file__).resolve().parents[1] / "gateway" / "demo" / "berichten" / "WMO315.xml").read_bytes()


def _variant(i: int) -> bytes:
    data = EXAMPLE.replace(b">VOT260302A<", f">B{i:010d}<".encode())
    assert data != EXAMPLE, "the example's Identificatie changed; update the bench"
    return data


def run(url: str, n: int, threads: int) -> None:
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    rules = cross_rules_for(Settings(database_url=url))
    messages = [_variant(i) for i in range(n)]
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(chunk: list[bytes]) -> None:
        for data in chunk:
            start = time.perf_counter()
            r = receive(sessions, data, party="12345678", cross_rules=rules)
            assert r.status == "accepted" and not r.duplicaat, r.errors
            with lock:
                latencies.append(time.perf_counter() - start)

    chunks = [messages[i::threads] for i in range(threads)]
    start = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    backend = url.split(":", 1)[0]
    print(f"{backend:<22} {n} messages, {threads} thread(s): {n / elapsed:7.1f} msg/s  "
          f"p50 {statistics.median(latencies) * 1000:6.1f} ms  p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:6.1f} ms"
          "  (each: heen + retour, 4 audit events)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.messages, args.threads)
    base = os.environ.get("IWMO_TEST_POSTGRES_URL")
    if base:
        with postgres_database(base, "bench_store") as url:
            run(url, args.messages, args.threads)
    else:
        print("postgresql: skipped (set IWMO_TEST_POSTGRES_URL, e.g. from scripts/pg-test-server start)")


if __name__ == "__main__":
    main()
