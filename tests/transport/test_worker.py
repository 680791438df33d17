"""The worker: pulls from VECOZO (real HTTP) and acknowledges only what is stored and checksummed, answers
with the retourbericht in the same conversation, survives a lost acknowledgement, sends gateway to gateway over
GGk SOAP, reads a filesystem inbox, and runs from the command line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.settings import InboundPartner, Settings
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import Aflevering, Bericht, Ontvangst
from gateway.transport.adapter import TransportFout
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import plan
from gateway.transport.routing import Route, uit_data
from gateway.transport.worker import Transporten, Worker
from tests.transport.helpers import AANBIEDER, GEMEENTE, opgeslagen, variant
from tests.transport.servers import HubDubbel, draai


def _db(tmp_path: Path, naam: str):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / f'{naam}.db'}"
    upgrade_to_head(url)
    return url, make_session_factory(make_engine(url))


def _tel(sessions, *where) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Bericht).where(*where))


def test_pulled_messages_are_acknowledged_after_storing_and_answered_in_their_conversation(tmp_path: Path) -> None:
    url, sessions = _db(tmp_path, "aanbieder")
    hub = HubDubbel()
    goed, vals = str(uuid.uuid4()), str(uuid.uuid4())
    for tid, ident in ((goed, "PULL01"), (vals, "PULL02")):
        hub.wachtrij[tid] = ({"conversatieId": tid, "alsAntwoordOp": None, "berichttype": "WMO301",
                              "afzender": {"rol": "Gemeente", "code": GEMEENTE},
                              "geadresseerden": [{"rol": "Instelling", "code": AANBIEDER}]},
                             variant("WMO301", ident))
    hub.vervals_checksum.add(vals)  # the payload does not match the announced SHA-256
    with draai(hub.app()) as base:
        routes = uit_data({"route": [{"naar": ["*"], "adapter": "vecozo", "endpoint": base, "ophalen": True}]})
        settings = Settings(database_url=url, identiteit=[AANBIEDER])
        worker = Worker(sessions, routes, settings=settings)
        r = worker.ronde()
        worker.close()
    assert (r.opgehaald, r.bevestigd, r.fouten, r.verzonden) == (2, 1, 1, 1)
    assert hub.verwijderd == [goed] and vals in hub.wachtrij  # offered again next round
    assert _tel(sessions, Bericht.berichttype == "WMO301") == 1
    [(meta, payload, _)] = hub.push
    assert meta["berichttype"] == "WMO302" and meta["alsAntwoordOp"] == goed and meta["conversatieId"] == goed
    assert meta["afzender"] == {"rol": "Instelling", "code": AANBIEDER}
    with sessions() as session:
        retour = session.scalars(select(Bericht).where(Bericht.berichttype == "WMO302")).one()
        assert retour.raw == payload and retour.status == "delivered"


class _VerliestBevestiging(MemoryTransport):
    """Acknowledging fails once, as if the connection dropped after the DELETE went out."""

    def __init__(self) -> None:
        super().__init__()
        self.mislukt = False

    def bevestig(self, id: str) -> None:
        if not self.mislukt:
            self.mislukt = True
            raise TransportFout("verbinding verbroken")
        super().bevestig(id)


def test_a_message_pulled_again_after_a_lost_acknowledgement_is_stored_once(tmp_path: Path) -> None:
    url, sessions = _db(tmp_path, "aanbieder")
    kanaal = _VerliestBevestiging()
    kanaal.klaarzetten(str(uuid.uuid4()), variant("WMO301", "TWEE01"), zender=GEMEENTE, functie="WMO301")
    routes = uit_data({"route": [{"naar": ["*"], "adapter": "memory", "endpoint": "x", "ophalen": True}]})
    worker = Worker(sessions, routes, settings=Settings(database_url=url), transporten=Transporten(lambda _: kanaal))
    eerste = worker.ronde()
    tweede = worker.ronde()
    assert (eerste.bevestigd, tweede.bevestigd) == (0, 1) and kanaal.wachtend == []
    assert _tel(sessions, Bericht.berichttype == "WMO301") == 1
    assert len(kanaal.verzonden) == 1  # one retourbericht, not two
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ontvangst)) == 1


def test_gateway_to_gateway_over_ggk_soap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gemeente's worker sends a WMO301 with the ggk adapter to the aanbieder gateway's real POST /ggk, with
    a partner token the aanbieder gateway binds to the gemeente (a direct partner delivers only for itself)."""
    aanbieder_url, aanbieder = _db(tmp_path, "aanbieder")
    terug = tmp_path / "terug.toml"
    terug.write_text('[[route]]\nnaar = ["*"]\nadapter = "memory"\nendpoint = "terug-naar-gemeente"\n')
    token = "gemeente-0599-naar-aanbieder"
    monkeypatch.setenv("IWMO_TEST_G2G_TOKEN", token)
    partner = InboundPartner(partij=GEMEENTE, token_sha256=hashlib.sha256(token.encode()).hexdigest())
    app = create_app(Settings(database_url=aanbieder_url, routes_file=str(terug), identiteit=[AANBIEDER],
                              inbound_partners=[partner]))
    gemeente_url, gemeente = _db(tmp_path, "gemeente")
    bericht_id = opgeslagen(gemeente, "WMO301", "G2G001")
    with draai(app) as base:
        route = Route(("*",), "ggk", f"{base}/ggk", credentials="IWMO_TEST_G2G_TOKEN")
        with gemeente() as session, session.begin():
            envelop_id = plan(session, session.get(Bericht, bericht_id), route, actor=GEMEENTE).envelop_id
        worker = Worker(gemeente, uit_data({"route": [{"naar": ["*"], "adapter": "ggk", "endpoint": f"{base}/ggk",
                                                      "credentials": "IWMO_TEST_G2G_TOKEN"}]}),
                        settings=Settings(database_url=gemeente_url))
        assert worker.ronde().verzonden == 1
        worker.close()
    with gemeente() as session:
        assert session.get(Bericht, bericht_id).status == "delivered"
    with aanbieder() as session:
        heen = session.scalars(select(Bericht).where(Bericht.berichttype == "WMO301")).one()
        with gemeente() as g:
            assert heen.raw == g.get(Bericht, bericht_id).raw
        a = session.scalars(select(Aflevering)).one()
        assert (a.functie, a.antwoord_op, a.ontvanger) == ("WMO302", envelop_id, GEMEENTE)


def test_a_file_dropped_in_the_inbox_is_received_and_moved_aside(tmp_path: Path) -> None:
    url, sessions = _db(tmp_path, "gemeente")
    map_ = tmp_path / "uitwisseling"
    routes = uit_data({"route": [{"naar": ["*"], "adapter": "filesystem", "endpoint": str(map_), "ophalen": True}]})
    worker = Worker(sessions, routes, settings=Settings(database_url=url, identiteit=[GEMEENTE]))
    (map_ / "in").mkdir(parents=True)
    (map_ / "in" / "verzoek.xml").write_bytes(variant("WMO315", "FILE01"))
    r = worker.ronde()
    assert (r.opgehaald, r.bevestigd, r.verzonden) == (1, 1, 1)
    assert (map_ / "in" / "verwerkt" / "verzoek.xml").exists()
    [retour] = [p for p in (map_ / "uit").iterdir() if p.suffix == ".xml"]
    with sessions() as session:
        rij = session.scalars(select(Bericht).where(Bericht.berichttype == "WMO316")).one()
        assert hashlib.sha256(retour.read_bytes()).hexdigest() == rij.sha256


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_worker_command_refuses_a_bad_routing_table_and_runs_one_round(tmp_path: Path) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\nnaar = ["0000"]\nadapter = "ggk"\nendpoint = "http://x"\n')
    env = {**os.environ, "IWMO_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "IWMO_ROUTES_FILE": str(routes)}
    slecht = _cli(env, "worker", "--once")
    assert slecht.returncode == 2 and "0000" in slecht.stderr and "CBS" in slecht.stderr
    map_ = tmp_path / "map"
    (map_ / "in").mkdir(parents=True)
    (map_ / "in" / "a.xml").write_bytes(variant("WMO315", "CLI001"))
    routes.write_text(f'[[route]]\nnaar = ["*"]\nadapter = "filesystem"\nendpoint = "{map_}"\nophalen = true\n')
    goed = _cli(env, "worker", "--once")
    assert goed.returncode == 0, goed.stderr
    assert "opgehaald 1, bevestigd 1" in goed.stdout and "verzonden 1" in goed.stdout
    assert _cli(env, "audit", "verify").returncode == 0


@pytest.mark.postgres
def test_receiving_the_same_envelope_concurrently_on_postgresql_stores_it_once(pg_url: str) -> None:
    import threading

    from gateway.transport.adapter import Ontvangen
    from gateway.transport.ontvangst import Inbox
    from gateway.transport.routing import leeg

    upgrade_to_head(pg_url)
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    inbox = Inbox(sessions, leeg())
    o = Ontvangen(id="x", envelop_id=str(uuid.uuid4()), payload=variant("WMO301", "RACE01"), zender=GEMEENTE)
    start = threading.Barrier(4)
    uitkomsten = []

    def ontvang() -> None:
        start.wait()
        uitkomsten.append(inbox.ontvang(o, adapter="memory"))

    threads = [threading.Thread(target=ontvang) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({u.bericht_id for u in uitkomsten}) == 1 and sum(not u.duplicaat for u in uitkomsten) == 1
    assert _tel(sessions, Bericht.berichttype == "WMO301") == 1
    engine.dispose()
