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
from gateway.transport import envelope
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


# --- held pulls (a route's wacht_ms, our hub's long poll) -------------------------------------------------------

def _hub_bericht(store, functie: str, zender: str) -> int:  # type: ignore[no-untyped-def]
    from gateway.hub.store import HubBericht

    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(HubBericht).where(
            HubBericht.functie == functie, HubBericht.zender == zender))


def _tot(voorwaarde, seconden: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    import time

    einde = time.monotonic() + seconden
    while not voorwaarde():
        assert time.monotonic() < einde, f"niet binnen {seconden} s (het interval is 30 s)"
        time.sleep(0.01)


@pytest.fixture
def echte_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Our hub over real HTTP (no deliveries to the gemeente: what the aanbieder sends stays in its store)."""
    from gateway.hub.app import maak_app
    from gateway.hub.config import uit_dict
    from gateway.hub.store import HubStore
    from tests.hub.conftest import TOKENS, config_dict

    monkeypatch.setenv("IWMO_TEST_HUB_AANBIEDER", TOKENS[AANBIEDER])
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}")
    app = maak_app(uit_dict(config_dict()), store, bezorgen=False)
    with draai(app) as base:
        yield app, store, base
    store.close()


def _lang_route(base: str, wacht_ms: int):  # type: ignore[no-untyped-def]
    return uit_data({"route": [{"naar": ["*"], "adapter": "vecozo", "endpoint": base, "ophalen": True,
                                "credentials": "IWMO_TEST_HUB_AANBIEDER", "wacht_ms": wacht_ms}]})


def test_a_held_pull_brings_a_message_in_at_once_while_the_outbox_keeps_sending(tmp_path: Path, echte_hub) -> None:  # type: ignore[no-untyped-def]
    """Interval 30 s: without held pulls the worker asks once at its start and then not for 30 s. With wacht_ms the
    hub answers as soon as the gemeente's Di01 is stored, and while the next pull is held a message queued in the
    outbox still leaves at once."""
    import threading

    import httpx

    from gateway.store.wekker import wekker_voor
    from tests.hub.conftest import auth, payload_voor

    app, hub_store, base = echte_hub
    url, sessions = _db(tmp_path, "aanbieder")
    routes = _lang_route(base, 20_000)
    worker = Worker(sessions, routes, settings=Settings(database_url=url, identiteit=[AANBIEDER]))
    wekker = wekker_voor(make_engine(url))
    stop = threading.Event()
    draad = threading.Thread(target=worker.draai, args=(stop,), kwargs={"interval": 30.0, "wekker": wekker})
    draad.start()
    try:
        kamer = app.state.wachtkamer
        _tot(lambda: kamer.aantal(AANBIEDER) == 1)  # the worker's pull is held at the hub
        data, _ = envelope.heenbericht(payload_voor("WMO301", ontvanger=AANBIEDER), zender=GEMEENTE,
                                       ontvanger=AANBIEDER, functie="WMO301")
        assert httpx.post(f"{base}/ggk", content=data, headers=auth(GEMEENTE)).status_code == 200
        _tot(lambda: _tel(sessions, Bericht.berichttype == "WMO301") == 1)
        _tot(lambda: _hub_bericht(hub_store, "WMO302", AANBIEDER) == 1)  # its retourbericht went back
        _tot(lambda: kamer.aantal(AANBIEDER) == 1 and hub_store.wachtrij(AANBIEDER, 10) == [])  # acknowledged, held again
        verzoek = opgeslagen(sessions, "WMO315", "LANG01")
        with sessions() as session, session.begin():
            plan(session, session.get(Bericht, verzoek), routes.voor(GEMEENTE, "WMO315"), actor=AANBIEDER)
        _tot(lambda: _hub_bericht(hub_store, "WMO315", AANBIEDER) == 1)
        assert kamer.aantal(AANBIEDER) == 1  # sent while the pull was still held
    finally:
        stop.set()
        app.state.wachtkamer.sluit()  # answers the held pull now instead of after its 20 s
        draad.join(10)
        worker.close()
        wekker.close()
    assert not draad.is_alive()


def test_stopping_the_worker_waits_for_a_held_pull_no_longer_than_its_wait(tmp_path: Path, echte_hub) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    app, _, base = echte_hub
    url, sessions = _db(tmp_path, "aanbieder")
    worker = Worker(sessions, _lang_route(base, 1000), settings=Settings(database_url=url, identiteit=[AANBIEDER]))
    stop = threading.Event()
    draad = threading.Thread(target=worker.draai, args=(stop,), kwargs={"interval": 30.0})
    draad.start()
    _tot(lambda: app.state.wachtkamer.aantal(AANBIEDER) == 1)
    begin = time.monotonic()
    stop.set()
    draad.join(10)
    worker.close()
    assert not draad.is_alive() and time.monotonic() - begin < 1 + 2.5


@pytest.mark.parametrize(("opgehaald", "fouten", "wacht_s", "duur_s", "pauze"), [
    (250, 0, 0.0, 0.1, 0.0),  # a full pull: more is waiting, ask again at once (as before)
    (3, 0, 0.0, 0.1, 30.0),  # no held pulls: once per interval
    (0, 0, 1.0, 1.0, 0.0),  # held for its whole wait, nothing came: hold the next at once
    (2, 0, 1.0, 0.01, 0.0),  # woken by messages: ask again at once
    (0, 0, 1.0, 0.01, 30.0),  # empty at once: that server does not hold pulls (VECOZO, or its room is full)
    (2, 1, 1.0, 0.01, 30.0),  # a failure (a bad checksum comes back at once): not in a tight loop
])
def test_the_pause_after_a_pull(opgehaald: int, fouten: int, wacht_s: float, duur_s: float, pauze: float) -> None:
    from gateway.transport.worker import Ronde, pauze_na_ophalen

    r = Ronde(opgehaald=opgehaald, fouten=fouten)
    assert pauze_na_ophalen(r, wacht_s=wacht_s, duur_s=duur_s, interval=30.0) == pauze
