"""The whole chain on loopback: a gemeente gateway, the hub and an aanbieder gateway as real processes (each
gateway with its worker), running 315→316, 301→302, 305→306, 307→308, 317→318, 319→320 and 323→325 with our
example conversation; then the faults: the hub down during delivery, the receiving gateway down, an unknown
addressee, and the worker killed with SIGKILL again and again while a thousand messages go through."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import Aflevering, Bericht, Ontvangst
from tests.msgedit import Msg
from tests.reference import OUR_EXAMPLES, our_example
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant
from tests.transport.servers import vrije_poort

pytestmark = pytest.mark.slow

STAPPEN = [  # (heenbericht, who submits it, the answer that closes it)
    ("WMO315", AANBIEDER, "WMO316"),
    ("WMO301", GEMEENTE, "WMO302"),
    ("WMO305", AANBIEDER, "WMO306"),
    ("WMO307", AANBIEDER, "WMO308"),
    ("WMO317", AANBIEDER, "WMO318"),
    ("WMO319", GEMEENTE, "WMO320"),
    ("WMO323", AANBIEDER, "WMO325"),
]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _bereikbaar(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Gateway:
    naam: str
    partij: str
    env: dict[str, str]
    base: str
    logs: Path
    key: str = ""
    sessions: sessionmaker[Session] | None = None
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start_serve(self) -> None:
        self.serve = _start(["serve"], self.env, self.logs / f"{self.naam}-serve.log")

    def start_worker(self) -> None:
        self.starts += 1
        self.worker = _start(["worker"], self.env, self.logs / f"{self.naam}-worker-{self.starts}.log")

    def stop(self) -> None:
        for p in (self.serve, self.worker):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
        self.serve = self.worker = None

    def post(self, data: bytes) -> httpx.Response:
        return httpx.post(f"{self.base}/api/v1/berichten", content=data, timeout=30,
                          headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/xml"})

    def rijen(self, **where: str) -> list[Bericht]:
        assert self.sessions is not None
        with self.sessions() as session:
            stmt = select(Bericht)
            for k, v in where.items():
                stmt = stmt.where(getattr(Bericht, k) == v)
            return list(session.scalars(stmt))

    def tel(self, *where: object) -> int:
        assert self.sessions is not None
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Bericht).where(*where)) or 0

    def afleveringen(self, bericht_id: str) -> list[Aflevering]:
        assert self.sessions is not None
        with self.sessions() as session:
            return list(session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)))


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", *args], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


@dataclass
class Keten:
    gemeente: Gateway
    aanbieder: Gateway
    hub_url: str
    hub_args: list[str]
    env: dict[str, str]
    logs: Path
    hub: subprocess.Popen[bytes] | None = None
    engines: list[object] = field(default_factory=list)

    def wacht(self, beschrijving: str, conditie: Callable[[], bool], seconden: float = 60) -> None:
        einde = time.monotonic() + seconden
        while not conditie():
            if time.monotonic() > einde:
                staarten = "".join(f"\n== {p.name}\n{p.read_text(errors='replace')[-2500:]}"
                                   for p in sorted(self.logs.glob("*.log")))
                pytest.fail(f"na {seconden} s nog niet: {beschrijving}{staarten}")
            time.sleep(0.2)

    def start_hub(self) -> None:
        self.hub = _start(self.hub_args, self.env, self.logs / "hub.log")
        self.wacht("hub bereikbaar", lambda: _bereikbaar(f"{self.hub_url}/health"))

    def stop_hub(self) -> None:
        if self.hub is not None:
            self.hub.terminate()
            self.hub.wait(timeout=30)
            self.hub = None

    def start_gateway(self, gw: Gateway) -> None:
        gw.start_serve()
        gw.start_worker()
        self.wacht(f"{gw.naam} bereikbaar", lambda: _bereikbaar(f"{gw.base}/ready"))

    def hub_wachtrij(self, token: str) -> list[dict[str, object]]:
        r = httpx.get(f"{self.hub_url}/berichten", params={"limit": 250}, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
        return list(r.json()["berichten"])


@pytest.fixture
def keten(tmp_path: Path) -> Iterator[Keten]:
    hub_poort, g_poort, a_poort = vrije_poort(), vrije_poort(), vrije_poort()
    hub = f"http://127.0.0.1:{hub_poort}"
    (tmp_path / "hub.toml").write_text(f"""
[[gemeente]]
code = "{GEMEENTE}"
token = "tok-gemeente"
endpoint = "http://127.0.0.1:{g_poort}/ggk"
aflever_token = "tok-hub-naar-gemeente"

[[aanbieder]]
code = "{AANBIEDER}"
token = "tok-aanbieder"

[bezorging]
interval_s = 0.2
basis_s = 0.5
max_s = 2
""", encoding="utf-8")
    (tmp_path / "gemeente-routes.toml").write_text(
        f'[[route]]\nnaar = ["*"]\nadapter = "ggk"\nendpoint = "{hub}/ggk"\ncredentials = "IWMO_GGK_TOKEN"\n')
    (tmp_path / "aanbieder-routes.toml").write_text(
        f'[[route]]\nnaar = ["*"]\nadapter = "vecozo"\nendpoint = "{hub}"\ncredentials = "IWMO_VECOZO_TOKEN"\n'
        "ophalen = true\n")
    basis = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    basis |= {"IWMO_WORKER_INTERVAL_S": "0.2", "IWMO_TRANSPORT_RETRY_BASIS_S": "0.5",
              "IWMO_TRANSPORT_RETRY_MAX_S": "2", "IWMO_TRANSPORT_LEASE_S": "5", "IWMO_LOG_LEVEL": "INFO"}
    gemeente = Gateway("gemeente", GEMEENTE, basis | {
        "IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'gemeente.db'}", "IWMO_IDENTITEIT": f'["{GEMEENTE}"]',
        "IWMO_ROUTES_FILE": str(tmp_path / "gemeente-routes.toml"), "IWMO_GGK_TOKEN": "tok-gemeente",
        "IWMO_GGK_INBOUND_TOKEN": "tok-hub-naar-gemeente", "IWMO_PORT": str(g_poort)},
        f"http://127.0.0.1:{g_poort}", tmp_path)
    aanbieder = Gateway("aanbieder", AANBIEDER, basis | {
        "IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'aanbieder.db'}", "IWMO_IDENTITEIT": f'["{AANBIEDER}"]',
        "IWMO_ROUTES_FILE": str(tmp_path / "aanbieder-routes.toml"), "IWMO_VECOZO_TOKEN": "tok-aanbieder",
        "IWMO_PORT": str(a_poort)}, f"http://127.0.0.1:{a_poort}", tmp_path)
    k = Keten(gemeente, aanbieder, hub, ["hub", "--port", str(hub_poort), "--config", str(tmp_path / "hub.toml"),
                                         "--database-url", f"sqlite:///{tmp_path / 'hub.db'}"], basis, tmp_path)
    try:
        k.start_hub()
        for gw in (gemeente, aanbieder):
            assert _cli(gw.env, "db", "upgrade").returncode == 0
            made = _cli(gw.env, "keys", "create", "--party", gw.partij, "--label", gw.naam)
            assert made.returncode == 0, made.stderr
            gw.key = made.stdout.strip().rsplit(" ", 1)[-1]
            engine = make_engine(gw.env["IWMO_DATABASE_URL"])
            k.engines.append(engine)
            gw.sessions = make_session_factory(engine)
            k.start_gateway(gw)
        yield k
        for gw in (gemeente, aanbieder):
            verify = _cli(gw.env, "audit", "verify")
            assert verify.returncode == 0, f"{gw.naam}: {verify.stdout}{verify.stderr}"
    finally:
        gemeente.stop()
        aanbieder.stop()
        k.stop_hub()
        for e in k.engines:
            e.dispose()  # type: ignore[attr-defined]


def _envelop(gw: Gateway, bericht_id: str) -> tuple[str | None, str | None, str | None]:
    """(outgoing envelope id, its conversation, what it answers) or, for a received message, its envelope."""
    assert gw.sessions is not None
    with gw.sessions() as session:
        a = session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)).first()
        if a is not None:
            return a.envelop_id, a.conversatie_id, a.antwoord_op
        o = session.scalars(select(Ontvangst).where(Ontvangst.bericht_id == bericht_id)).first()
        return (o.envelop_id, o.conversatie_id, None) if o else (None, None, None)


def _bsns() -> set[str]:
    return {m for p in OUR_EXAMPLES.glob("*.xml") for m in re.findall(r"<Bsn>(\d{9})</Bsn>", p.read_text())}


def test_the_full_chain_between_two_gateways_through_the_hub(keten: Keten) -> None:
    gemeente, aanbieder = keten.gemeente, keten.aanbieder
    partij = {GEMEENTE: gemeente, AANBIEDER: aanbieder}
    for heen_naam, afzender, antwoord_naam in STAPPEN:
        zender = partij[afzender]
        ontvanger = aanbieder if zender is gemeente else gemeente
        r = zender.post(our_example(heen_naam))
        assert r.status_code == 201 and r.json()["status"] == "accepted", (heen_naam, r.json())
        heen_id = r.json()["id"]
        if heen_naam == "WMO323":  # the gemeente's back-office answers with a WMO325 through the API
            keten.wacht("WMO323 bij de gemeente", lambda: bool(gemeente.rijen(berichttype="WMO323")))
            r325 = gemeente.post(our_example("WMO325"))
            assert r325.status_code == 201 and r325.json()["status"] == "accepted", r325.json()
        keten.wacht(f"{heen_naam} beantwoord bij de {zender.naam}",
                    lambda: zender.rijen(id=heen_id)[0].status == "answered")  # noqa: B023

        # At the sender: the answer arrived from outside and names the heenbericht.
        [antwoord] = zender.rijen(berichttype=antwoord_naam, richting="in")
        assert antwoord.antwoord_op_id == heen_id
        # At the receiver: the heenbericht arrived byte for byte, and its answer went out.
        [ontvangen] = ontvanger.rijen(berichttype=heen_naam)
        assert ontvangen.raw == zender.rijen(id=heen_id)[0].raw
        [verzonden_antwoord] = [b for b in ontvanger.rijen(berichttype=antwoord_naam)
                                if b.antwoord_op_id == ontvangen.id]
        assert verzonden_antwoord.raw == antwoord.raw and verzonden_antwoord.status == "delivered"
        # Envelope correlation: the answer's envelope refers to the heenbericht's envelope.
        heen_envelop, _, _ = _envelop(zender, heen_id)
        ontvangen_envelop, gesprek, _ = _envelop(ontvanger, ontvangen.id)
        assert heen_envelop == ontvangen_envelop and gesprek == heen_envelop
        _, antwoord_gesprek, antwoord_op = _envelop(ontvanger, verzonden_antwoord.id)
        assert antwoord_op == heen_envelop and antwoord_gesprek == heen_envelop
    for gw in (gemeente, aanbieder):
        assert not gw.rijen(status="dead_letter") and not gw.rijen(status="queued")
    logs = "".join(p.read_text(errors="replace") for p in keten.logs.glob("*.log"))
    assert all(bsn not in logs for bsn in _bsns())  # never a BSN in a log


def test_hub_down_during_delivery_is_retried_until_it_is_back(keten: Keten) -> None:
    keten.stop_hub()
    r = keten.gemeente.post(variant("WMO301", "HUBWEG1"))
    heen_id = r.json()["id"]
    keten.wacht("een paar mislukte pogingen", lambda: any(a.pogingen >= 2 and a.status == "failed"
                                                         for a in keten.gemeente.afleveringen(heen_id)))
    keten.start_hub()
    keten.wacht("afgeleverd en beantwoord", lambda: keten.gemeente.rijen(id=heen_id)[0].status == "answered")
    [a] = keten.gemeente.afleveringen(heen_id)
    assert a.status == "delivered" and a.pogingen >= 3


def test_messages_wait_in_the_hub_while_the_receiving_gateway_is_down(keten: Keten) -> None:
    keten.aanbieder.stop()
    r = keten.gemeente.post(variant("WMO301", "AANBWEG1"))
    heen_id = r.json()["id"]
    keten.wacht("bij de hub", lambda: keten.gemeente.rijen(id=heen_id)[0].status == "delivered")
    [wachtend] = keten.hub_wachtrij("tok-aanbieder")
    assert wachtend["berichttype"] == "WMO301"
    keten.start_gateway(keten.aanbieder)
    keten.wacht("opgehaald en beantwoord", lambda: keten.gemeente.rijen(id=heen_id)[0].status == "answered")
    assert keten.hub_wachtrij("tok-aanbieder") == []
    assert keten.aanbieder.tel(Bericht.berichttype == "WMO301") == 1


def test_an_unknown_addressee_is_refused_with_its_code_and_visible_as_dead_letter(keten: Keten) -> None:
    onbekend = Msg(variant("WMO301", "ONBEK1")).set("Header/Ontvanger", "87654321").bytes()
    r = keten.gemeente.post(onbekend)
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    heen_id = r.json()["id"]
    keten.wacht("dead letter", lambda: keten.gemeente.rijen(id=heen_id)[0].status == "dead_letter")
    [a] = keten.gemeente.afleveringen(heen_id)
    assert a.pogingen == 1 and a.laatste_fout.startswith("definitief geweigerd: IB010")  # type: ignore[union-attr]


def test_a_worker_killed_mid_delivery_loses_nothing_and_stores_nothing_twice(keten: Keten) -> None:
    aantal = int(os.environ.get("IWMO_CHAIN_BERICHTEN", "1000"))
    ids = []
    kills = 0
    for i in range(aantal):
        r = keten.gemeente.post(variant("WMO301", f"K{i:05d}"))
        assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
        ids.append(r.json()["id"])
        if i % (aantal // 10) == aantal // 20:  # ten times, spread over the run, while deliveries are under way
            for gw in (keten.gemeente, keten.aanbieder):
                assert gw.worker is not None
                gw.worker.send_signal(signal.SIGKILL)
                gw.worker.wait(timeout=10)
                gw.start_worker()
            kills += 1
    assert kills == 10
    keten.wacht(f"alle {aantal} beantwoord", lambda: keten.gemeente.tel(Bericht.id.in_(ids),
                                                                       Bericht.status == "answered") == aantal,
                seconden=600)
    assert keten.aanbieder.tel(Bericht.berichttype == "WMO301") == aantal  # none lost, none twice
    assert keten.aanbieder.tel(Bericht.berichttype == "WMO302") == aantal
    assert keten.gemeente.tel(Bericht.berichttype == "WMO302", Bericht.richting == "in") == aantal
