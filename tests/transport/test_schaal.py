"""The receive path at scale, with real processes: two `serve`s and two `worker`s of one gemeente on one
PostgreSQL database relay a thousand messages through the hub with none lost or doubled and one linear audit
chain; and a `serve` killed with SIGKILL in the middle of a burst of concurrent submissions under group commit
loses nothing it acknowledged and stores nothing twice, also when everything is submitted again. Plus the
PostgreSQL wake-up the scaled-out workers rely on, on its own (it once hung a worker for good)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from gateway.store.db import make_engine
from gateway.store.models import Aflevering, Bericht
from gateway.transport.keten import Gateway, KetenFout, bereikbaar, opzetten
from tests.transport.helpers import variant

DRADEN = 8  # concurrent clients, as a handful of back-offices


@dataclass
class Inzendingen:
    """What the clients got back, per BerichtIdentificatie; filled by several threads at once."""

    bevestigd: dict[str, dict[str, object]] = field(default_factory=dict)  # 2xx: the answer's JSON
    geweigerd: dict[str, str] = field(default_factory=dict)  # another HTTP status: status and body
    mislukt: dict[str, str] = field(default_factory=dict)  # no answer at all (connection refused or cut)
    slot: threading.Lock = field(default_factory=threading.Lock)

    def aantal_bevestigd(self) -> int:
        with self.slot:
            return len(self.bevestigd)


def indienen(instanties: tuple[Gateway, ...], berichten: dict[str, bytes], uit: Inzendingen) -> None:
    """Submit every message once, DRADEN at a time over keep-alive connections, the n-th to instance n mod N;
    a message that gets no answer is recorded and not retried (the caller decides what that means)."""
    werk: queue.SimpleQueue[tuple[int, str, bytes]] = queue.SimpleQueue()
    for nummer, (identificatie, data) in enumerate(berichten.items()):
        werk.put((nummer, identificatie, data))

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                try:
                    nummer, identificatie, data = werk.get_nowait()
                except queue.Empty:
                    return
                try:
                    r = instanties[nummer % len(instanties)].post(data, client=http)
                except httpx.TransportError as exc:
                    with uit.slot:
                        uit.mislukt[identificatie] = type(exc).__name__
                    continue
                with uit.slot:
                    if r.is_success:
                        uit.bevestigd[identificatie] = r.json() | {"http_status": r.status_code}
                    else:
                        uit.geweigerd[identificatie] = f"{r.status_code} {r.text[:300]}"

    draden = [threading.Thread(target=client, name=f"client-{i}") for i in range(DRADEN)]
    for d in draden:
        d.start()
    for d in draden:
        d.join()


def wmo301s(voorvoegsel: str, aantal: int) -> dict[str, bytes]:
    """`aantal` unique WMO301s: our example with BerichtIdentificatie PREFIX00000, PREFIX00001, …"""
    return {f"{voorvoegsel}{i:05d}": variant("WMO301", f"{voorvoegsel}{i:05d}") for i in range(aantal)}


def audit_verify(gw: Gateway) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "audit", "verify"], env=gw.env, text=True,
                          capture_output=True, timeout=300)


def per_identificatie(engine: Engine, berichttype: str = "WMO301") -> dict[str, int]:
    """How often each identificatie of this type is stored."""
    with engine.connect() as conn:
        return {str(i): int(n) for i, n in conn.execute(
            select(Bericht.identificatie, func.count()).where(Bericht.berichttype == berichttype)
            .group_by(Bericht.identificatie))}


def antwoorden_per_heenbericht(engine: Engine, berichttype: str = "WMO301") -> dict[str, int]:
    """For each stored message of this type: how many messages name it as the one they answer."""
    heen = select(Bericht.id).where(Bericht.berichttype == berichttype).subquery()
    with engine.connect() as conn:
        tellingen = {str(i): int(n) for i, n in conn.execute(
            select(Bericht.antwoord_op_id, func.count()).where(Bericht.antwoord_op_id.in_(select(heen.c.id)))
            .group_by(Bericht.antwoord_op_id))}
        return {str(i): tellingen.get(str(i), 0) for i in conn.scalars(select(heen.c.id))}


def dead_letters(engine: Engine) -> int:
    with engine.connect() as conn:
        berichten = conn.scalar(select(func.count()).select_from(Bericht).where(Bericht.status == "dead_letter"))
        afleveringen = conn.scalar(select(func.count()).select_from(Aflevering)
                                   .where(Aflevering.status == "dead_letter"))
    return int(berichten or 0) + int(afleveringen or 0)


@contextmanager
def engines(*urls: str) -> Iterator[list[Engine]]:
    made = [make_engine(u) for u in urls]
    try:
        yield made
    finally:
        for e in made:
            e.dispose()


@pytest.mark.postgres
def test_a_listening_worker_wakes_on_every_notify_and_never_hangs(pg_url: str) -> None:
    """A notify that arrives while the worker waits wakes it, the next wait waits again, and a stop request
    ends a wait: the drain after a wake-up once re-entered psycopg's notifies() under its own lock."""
    import psycopg

    from gateway.store.wekker import KANAAL, wekker_voor

    with engines(pg_url) as (engine,):
        wekker = wekker_voor(engine)
        try:
            stop = threading.Event()
            for ronde in range(3):
                with psycopg.connect(engine.url.set(drivername="postgresql")
                                     .render_as_string(hide_password=False), autocommit=True) as c:
                    c.execute(f"NOTIFY {KANAAL}")
                    c.execute(f"NOTIFY {KANAAL}")
                draad = threading.Thread(target=wekker.wacht, args=(stop, 10.0), daemon=True)
                begin = time.monotonic()
                draad.start()
                draad.join(3)
                assert not draad.is_alive(), f"ronde {ronde}: de wekker hangt na een NOTIFY"
                assert time.monotonic() - begin < 1, f"ronde {ronde}: de NOTIFY wekte de worker niet"
            # The drain after a wake-up takes what has arrived; a notify still on its way may cost one spare
            # wake-up (harmless: the worker then finds nothing new). After that, a quiet wait times out.
            wekker.wacht(stop, 0.3)
            begin = time.monotonic()
            wekker.wacht(stop, 0.3)
            assert time.monotonic() - begin >= 0.25
            stop.set()
            begin = time.monotonic()
            wekker.wacht(stop, 10.0)
            assert time.monotonic() - begin < 1
        finally:
            wekker.close()


@pytest.mark.slow(seconden=230)
@pytest.mark.postgres
def test_two_serves_and_two_workers_on_one_postgresql_relay_a_thousand_messages_none_lost_or_doubled(
        tmp_path: Path, pg_url: str) -> None:
    aantal = int(os.environ.get("IWMO_SCHAAL_BERICHTEN", "1000"))
    keten = opzetten(tmp_path, database_urls={"gemeente": pg_url})  # the aanbieder and the hub: SQLite
    try:
        for gw in keten.gateways:
            keten.sleutels(gw)
        gemeenten = (keten.gemeente, keten.kloon(keten.gemeente, "gemeente-2"))
        for gw in gemeenten:  # the processes start side by side; only the hub is waited for here
            gw.start_serve()
            gw.start_worker()
        keten.start_hub()
        # The aanbieder only pulls from the hub and answers: its worker does that, its API would sit idle.
        keten.aanbieder.start_worker()
        keten.wacht("beide gemeente-instanties bereikbaar", lambda: all(bereikbaar(f"{gw.base}/ready")
                                                                        for gw in gemeenten))

        begin = time.monotonic()
        uit = Inzendingen()
        indienen(gemeenten, wmo301s("S", aantal), uit)
        assert not uit.geweigerd and not uit.mislukt, (dict(list(uit.geweigerd.items())[:5]),
                                                       dict(list(uit.mislukt.items())[:5]))
        assert all(a["http_status"] == 201 and a["status"] == "accepted" for a in uit.bevestigd.values())
        ids = [str(a["id"]) for a in uit.bevestigd.values()]
        assert len(set(ids)) == aantal
        ingediend = time.monotonic() - begin

        with engines(keten.gemeente.database_url, keten.aanbieder.database_url) as (gemeente, aanbieder):
            def beantwoord() -> int:
                with gemeente.connect() as conn:
                    return int(conn.scalar(select(func.count()).select_from(Bericht).where(
                        Bericht.berichttype == "WMO301", Bericht.status == "answered")) or 0)

            keten.wacht(f"alle {aantal} WMO301 beantwoord (WMO302 van de aanbieder opgeslagen bij de gemeente)",
                        lambda: beantwoord() == aantal, seconden=float(os.environ.get("IWMO_SCHAAL_WACHT_S", "420")),
                        stap=0.5)
            print(f"\n{aantal} WMO301 ingediend in {ingediend:.1f} s, beantwoord na {time.monotonic() - begin:.1f} s")
            for naam, engine in (("gemeente", gemeente), ("aanbieder", aanbieder)):
                opgeslagen = per_identificatie(engine)
                assert len(opgeslagen) == aantal and set(opgeslagen) == set(uit.bevestigd), naam
                assert {n for n in opgeslagen.values()} == {1}, (naam, {i: n for i, n in opgeslagen.items() if n > 1})
                # Exactly one answer each: the aanbieder's WMO302, and no second one built or received anywhere.
                antwoorden = antwoorden_per_heenbericht(engine)
                assert set(antwoorden.values()) == {1}, (naam, {i: n for i, n in antwoorden.items() if n != 1})
                assert dead_letters(engine) == 0, naam
            with gemeente.connect() as conn:
                assert conn.scalar(select(func.count()).select_from(Bericht).where(
                    Bericht.berichttype == "WMO302", Bericht.richting == "in")) == aantal
        for gw in (*gemeenten, keten.aanbieder):  # nobody fell over on the way
            assert gw.worker is not None and gw.worker.poll() is None, f"{gw.naam} worker gestopt"
        for gw in (keten.gemeente, keten.aanbieder):  # one linear chain, though four processes appended to it
            verify = audit_verify(gw)
            assert verify.returncode == 0, (gw.naam, verify.stdout, verify.stderr)
    finally:
        keten.stop()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_serve_killed_mid_burst_loses_no_acknowledged_message_and_stores_none_twice(
        tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> None:
    aantal = int(os.environ.get("IWMO_SCHAAL_BURST", "300"))
    kill_na = aantal // 6  # acknowledged ones before the kill: the burst is well under way, most still to come
    urls = {"gemeente": request.getfixturevalue("pg_url")} if backend == "postgresql" else {}
    keten = opzetten(tmp_path, database_urls=urls)
    gw = keten.gemeente  # alone: no hub, no worker; what it queues for delivery just waits
    berichten = wmo301s("B", aantal)
    try:
        keten.sleutels(gw)
        gw.start_serve()
        keten.wacht("gemeente bereikbaar", lambda: bereikbaar(f"{gw.base}/ready"))

        eerste = Inzendingen()
        burst = threading.Thread(target=indienen, args=((gw,), berichten, eerste), name="burst")
        burst.start()
        keten.wacht(f"{kill_na} bevestigd", lambda: eerste.aantal_bevestigd() >= kill_na, seconden=120, stap=0.005)
        assert gw.serve is not None
        gw.serve.send_signal(signal.SIGKILL)
        assert gw.serve.wait(timeout=10) == -signal.SIGKILL
        burst.join(timeout=300)
        if burst.is_alive():
            raise KetenFout(f"de clients kwamen na de kill niet tot een eind{keten.logstaarten()}")
        assert not eerste.geweigerd, dict(list(eerste.geweigerd.items())[:5])
        assert all(a["http_status"] == 201 and a["status"] == "accepted" for a in eerste.bevestigd.values())
        assert kill_na <= len(eerste.bevestigd) < aantal, "de kill viel niet midden in de burst"

        gw.start_serve()
        keten.wacht("gemeente herstart en bereikbaar", lambda: bereikbaar(f"{gw.base}/ready"))
        with engines(gw.database_url) as (engine,):
            # Everything acknowledged is there, once, under the id it was acknowledged with.
            opgeslagen = per_identificatie(engine)
            verloren = sorted(set(eerste.bevestigd) - set(opgeslagen))
            assert not verloren, f"{len(verloren)} bevestigde berichten verloren, o.a. {verloren[:5]}"
            assert {opgeslagen[i] for i in eerste.bevestigd} == {1}
            with engine.connect() as conn:
                ids = {str(i): b for i, b in conn.execute(select(Bericht.identificatie, Bericht.id).where(
                    Bericht.identificatie.in_(list(eerste.bevestigd))))}
            assert all(ids[i] == a["id"] for i, a in eerste.bevestigd.items())
            onbevestigd_opgeslagen = set(opgeslagen) - set(eerste.bevestigd)  # committed, answer lost in the kill

            # Everything again, the unacknowledged too, as a client that retries all it is unsure of.
            tweede = Inzendingen()
            indienen((gw,), berichten, tweede)
            assert not tweede.geweigerd and not tweede.mislukt, (dict(list(tweede.geweigerd.items())[:5]),
                                                                 dict(list(tweede.mislukt.items())[:5]))
            for identificatie, a in tweede.bevestigd.items():
                eerder = identificatie in opgeslagen
                verwacht = (200, True) if eerder else (201, False)
                assert (a["http_status"], a["duplicaat"]) == verwacht, (identificatie, a)
                # Identical bytes are a duplicate, never a TR056 refusal (a stored one may be queued by now).
                assert a["status"] in ("accepted", "queued") and not a["errors"], (identificatie, a)
                if identificatie in eerste.bevestigd:
                    assert a["id"] == eerste.bevestigd[identificatie]["id"], identificatie
            na = per_identificatie(engine)
            assert set(na) == set(berichten) and set(na.values()) == {1}, {i: n for i, n in na.items() if n != 1}
        print(f"\n{backend}: {len(eerste.bevestigd)} bevestigd voor de kill, {len(onbevestigd_opgeslagen)} "
              f"opgeslagen zonder antwoord, {len(eerste.mislukt)} zonder antwoord")
        verify = audit_verify(gw)
        assert verify.returncode == 0, (verify.stdout, verify.stderr)
    finally:
        keten.stop()
