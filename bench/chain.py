"""End to end through the hub: messages per second and latency from submit to retourbericht at the sender.

Starts the real chain (`gateway.transport.keten`: gemeente gateway, hub, aanbieder gateway, each gateway
with its worker; the same processes `iwmo-gateway demo` runs) and lets C concurrent submitters put N distinct
heenberichten into it over the REST API: half WMO301 from the gemeente (GGk side in, VECOZO pull out), half
WMO315 from the aanbieder (VECOZO push in, GGk delivery out). A message is done when its retourbericht from
the other gateway is stored at its sender; latency is submit → that moment, taken from the sender's store.

    python bench/chain.py [--messages 500] [--concurrency 4] [--postgres URL] [--workers 4]

With --postgres (or IWMO_TEST_POSTGRES_URL) the run is repeated with both gateways on their own new
database of that server (the hub keeps SQLite), and the databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import aliased

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import postgres_database  # noqa: E402
from gateway.store.db import make_engine, make_session_factory  # noqa: E402
from gateway.store.models import Bericht  # noqa: E402
from gateway.transport.keten import Gateway, Keten, Tempo, opzetten  # noqa: E402

BERICHTEN = ROOT / "gateway" / "demo" / "berichten"
NS_BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"


def _met_identificatie(naam: str, identificatie: str) -> bytes:
    root = etree.fromstring((BERICHTEN / f"{naam}.xml").read_bytes())
    el = root.find(f"./{{*}}Header/{{*}}BerichtIdentificatie/{{{NS_BASIS}}}Identificatie")
    assert el is not None
    el.text = identificatie
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass
class Uitslag:
    backend: str
    n: int
    c: int
    seconden: float
    latenties: list[float]
    per_kant: dict[str, list[float]]

    def regel(self) -> str:
        lat = sorted(self.latenties)

        def p(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

        kanten = ", ".join(f"{k} p50 {statistics.median(v) * 1000:.0f} ms" for k, v in sorted(self.per_kant.items()))
        return (f"{self.backend:<19} {self.n} berichten, {self.c} gelijktijdig: {self.n / self.seconden:6.1f} msg/s  "
                f"latentie p50 {p(0.50):6.0f} ms  p95 {p(0.95):6.0f} ms  p99 {p(0.99):6.0f} ms  max {lat[-1] * 1000:6.0f} ms"
                f"  ({kanten})")


def _indienen(keten: Keten, n: int, c: int, *, wacht_op_antwoord: bool = False) -> dict[str, tuple[str, float]]:
    """Submit n messages from c threads; bericht id -> (side, submit moment as epoch seconds). With
    `wacht_op_antwoord` each submitter waits for its answer before the next (latency without a queue)."""
    teller = itertools.count()
    slot = threading.Lock()
    verstuurd: dict[str, tuple[str, float]] = {}
    fouten: list[str] = []
    run = uuid.uuid4().hex[:4].upper()

    def submitter() -> None:
        with httpx.Client(timeout=60) as client:
            while True:
                with slot:
                    i = next(teller)
                if i >= n:
                    return
                gw, naam = (keten.gemeente, "WMO301") if i % 2 == 0 else (keten.aanbieder, "WMO315")
                data = _met_identificatie(naam, f"B{run}{i:06d}")
                begin = time.time()
                r = gw.post(data, client=client)
                if r.status_code != 201 or r.json()["status"] != "accepted":
                    fouten.append(f"{naam} {i}: HTTP {r.status_code} {r.text[:200]}")
                    continue
                bericht_id = r.json()["id"]
                with slot:
                    verstuurd[bericht_id] = (gw.naam, begin)
                while wacht_op_antwoord and gw.get(f"/api/v1/berichten/{bericht_id}",
                                                   client=client).json()["status"] != "answered":
                    time.sleep(0.01)

    threads = [threading.Thread(target=submitter) for _ in range(c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if fouten:
        raise SystemExit(f"{len(fouten)} inzendingen mislukt, bijvoorbeeld: {fouten[0]}")
    return verstuurd


def _antwoorden(gw: Gateway, ids: set[str]) -> dict[str, float]:
    """When the partner's retourbericht of each of our heenberichten was stored here (epoch seconds)."""
    engine = make_engine(gw.database_url)
    try:
        with make_session_factory(engine)() as session:
            antwoord = aliased(Bericht)
            rijen = session.execute(select(antwoord.antwoord_op_id, antwoord.created_at)
                                    .where(antwoord.richting == "in", antwoord.antwoord_op_id.is_not(None)))
            uit: dict[str, float] = {}
            for heen_id, moment in rijen:
                if heen_id in ids:
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
                    uit[heen_id] = moment.timestamp()
            return uit
    finally:
        engine.dispose()


def meet(keten: Keten, backend: str, n: int, c: int, tijdslimiet: float, *, per_stuk: bool = False) -> Uitslag:
    begin = time.time()
    verstuurd = _indienen(keten, n, c, wacht_op_antwoord=per_stuk)
    per_gateway = {gw.naam: {i for i, (kant, _) in verstuurd.items() if kant == gw.naam} for gw in keten.gateways}
    klaar: dict[str, float] = {}
    einde = time.monotonic() + tijdslimiet
    while len(klaar) < len(verstuurd):
        if time.monotonic() > einde:
            raise SystemExit(f"na {tijdslimiet:g} s pas {len(klaar)} van {len(verstuurd)} beantwoord; "
                             f"logs in {keten.map}")
        time.sleep(0.5)
        for gw in keten.gateways:
            klaar |= _antwoorden(gw, per_gateway[gw.naam] - klaar.keys())
    latenties = {i: klaar[i] - t for i, (_, t) in verstuurd.items()}
    per_kant: dict[str, list[float]] = {}
    for i, (kant, _) in verstuurd.items():
        per_kant.setdefault(f"van {kant}", []).append(latenties[i])
    return Uitslag(f"{backend} {'per stuk' if per_stuk else 'in bulk'}", n, c, max(klaar.values()) - begin,
                   list(latenties.values()), per_kant)


@contextmanager
def _pg_databases(base: str, namen: list[str]) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {naam: stack.enter_context(postgres_database(base, f"bench_keten_{naam}")) for naam in namen}


def draai(map: Path, backend: str, args: argparse.Namespace, urls: dict[str, str] | None = None,
          workers: int = 1) -> list[Uitslag]:
    """Two measurements on one chain: all N submitted as fast as the API takes them (throughput; latency
    then includes the queue), and N/5 with each submitter waiting for its answer (latency of one message)."""
    tempo = Tempo(worker_interval_s=0.05, retry_basis_s=0.5, retry_max_s=2, lease_s=30, hub_interval_s=0.05)
    keten = opzetten(map, tempo=tempo, database_urls=urls, log_level="WARNING", worker_concurrency=workers)
    try:
        keten.start()
        meet(keten, backend, max(args.concurrency * 2, 20), args.concurrency, args.tijdslimiet)  # warm up
        return [meet(keten, backend, args.messages, args.concurrency, args.tijdslimiet),
                meet(keten, backend, max(args.messages // 5, 10), args.concurrency, args.tijdslimiet, per_stuk=True)]
    finally:
        keten.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", "-n", type=int, default=500)
    parser.add_argument("--concurrency", "-c", type=int, default=4)
    parser.add_argument("--postgres", default=os.environ.get("IWMO_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (default: $IWMO_TEST_POSTGRES_URL)")
    parser.add_argument("--workers", type=int, default=4, help="worker threads per gateway on PostgreSQL")
    parser.add_argument("--tijdslimiet", type=float, default=600, help="seconds to wait for every answer")
    args = parser.parse_args()
    print(f"keten: gemeente-gateway -> hub -> aanbieder-gateway en terug; {args.messages} berichten "
          "(afwisselend WMO301 en WMO315), latentie = indienen tot retourbericht opgeslagen bij de afzender", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-keten-") as tmp:
        for u in draai(Path(tmp) / "sqlite", "sqlite", args):
            print(u.regel(), flush=True)
        if args.postgres:
            with _pg_databases(args.postgres, ["gemeente", "aanbieder"]) as urls:
                for u in draai(Path(tmp) / "pg", "postgresql", args, urls, workers=args.workers):
                    print(u.regel(), flush=True)
        else:
            print("postgresql overgeslagen: geef --postgres URL of zet IWMO_TEST_POSTGRES_URL "
                  "(scripts/pg-test-server start)")


if __name__ == "__main__":
    main()
