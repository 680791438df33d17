"""The whole chain on loopback: a gemeente gateway, the hub and an aanbieder gateway as real processes (each
gateway with its worker; started by gateway.transport.keten, as `iwmo-gateway demo` starts them), running
315→316, 301→302, 305→306, 307→308, 317→318, 319→320 and 323→325 with our example conversation; then the
faults: the hub down during delivery, the receiving gateway down, an unknown addressee, a payload that fails
its XSD on either side, a duplicate envelope id on either side, and the worker killed with SIGKILL again and
again while a thousand messages go through.

The chain is started once for the module (five processes, seconds of start-up each) and shared: a test that
stops or kills a process starts it again itself, and the `keten` fixture checks before and after every test
that the whole chain is up and that both audit chains verify, restarting what a failed test left down. So that
the tests do not depend on their order, each uses messages of its own (`variant` identificaties) and counts
only rows it made."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.store.audit import verify_chain
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import Aflevering, Bericht, Ontvangst
from gateway.transport.keten import TOKEN_AANBIEDER, Gateway, Keten, bereikbaar, opzetten
from tests.msgedit import Msg
from tests.reference import OUR_EXAMPLES, our_example
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant

pytestmark = pytest.mark.slow(seconden=90)  # one chain start; the kill test relays 120 messages (IWMO_CHAIN_BERICHTEN)

STAPPEN = [  # (heenbericht, who submits it, the answer that closes it)
    ("WMO315", AANBIEDER, "WMO316"),
    ("WMO301", GEMEENTE, "WMO302"),
    ("WMO305", AANBIEDER, "WMO306"),
    ("WMO307", AANBIEDER, "WMO308"),
    ("WMO317", AANBIEDER, "WMO318"),
    ("WMO319", GEMEENTE, "WMO320"),
    ("WMO323", AANBIEDER, "WMO325"),
]


@dataclass
class Opslag:
    """A gateway's store, read directly: what the test checks beside what the API says."""

    sessions: sessionmaker[Session]

    def rijen(self, **where: str) -> list[Bericht]:
        with self.sessions() as session:
            stmt = select(Bericht)
            for k, v in where.items():
                stmt = stmt.where(getattr(Bericht, k) == v)
            return list(session.scalars(stmt))

    def tel(self, *where: object) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Bericht).where(*where)) or 0

    def afleveringen(self, bericht_id: str) -> list[Aflevering]:
        with self.sessions() as session:
            return list(session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)))


OPSLAG: dict[str, Opslag] = {}


def db(gw: Gateway) -> Opslag:
    return OPSLAG[gw.naam]


@pytest.fixture(scope="module")
def gedeelde_keten(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keten]:
    k = opzetten(tmp_path_factory.mktemp("keten"))
    engines = []
    try:
        k.start()
        for gw in k.gateways:
            engine = make_engine(gw.database_url)
            engines.append(engine)
            OPSLAG[gw.naam] = Opslag(make_session_factory(engine))
        yield k
    finally:
        k.stop()
        OPSLAG.clear()
        for e in engines:
            e.dispose()


def _herstel(k: Keten) -> None:
    """Start again whatever is down (a test that failed before restarting what it stopped leaves it so), and
    wait until the hub and both gateways answer: every test gets the whole chain."""
    if k.hub is None or k.hub.poll() is not None:
        k.start_hub()
    for gw in k.gateways:
        if gw.serve is None or gw.serve.poll() is not None:
            gw.stop()  # its worker too, so the restart leaves one of each
            k.start_gateway(gw)
        elif gw.worker is None or gw.worker.poll() is not None:
            gw.start_worker()
    urls = [f"{k.hub_url}/health", *(f"{gw.base}/ready" for gw in k.gateways)]
    k.wacht("hub en beide gateways bereikbaar", lambda: all(bereikbaar(u) for u in urls))


def _verifieer_audit(k: Keten) -> None:
    for gw in k.gateways:  # every message's story is intact: the audit hash chain verifies
        with db(gw).sessions() as session:
            assert verify_chain(session) is None, gw.naam


@pytest.fixture
def keten(gedeelde_keten: Keten) -> Iterator[Keten]:
    """The module's chain, whole and with intact audit chains before the test and again after it (what the
    test stopped or killed is running again, whether the test restarted it or failed first)."""
    _herstel(gedeelde_keten)
    _verifieer_audit(gedeelde_keten)
    yield gedeelde_keten
    _herstel(gedeelde_keten)
    _verifieer_audit(gedeelde_keten)


def _envelop(gw: Gateway, bericht_id: str) -> tuple[str | None, str | None, str | None]:
    """(outgoing envelope id, its conversation, what it answers) or, for a received message, its envelope."""
    with db(gw).sessions() as session:
        a = session.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)).first()
        if a is not None:
            return a.envelop_id, a.conversatie_id, a.antwoord_op
        o = session.scalars(select(Ontvangst).where(Ontvangst.bericht_id == bericht_id)).first()
        return (o.envelop_id, o.conversatie_id, None) if o else (None, None, None)


def _identificatie(data: bytes) -> str:
    return Msg(data).text("Header/BerichtIdentificatie/Identificatie") or ""


def _bsns() -> set[str]:
    return {m for p in OUR_EXAMPLES.glob("*.xml") for m in re.findall(r"<Bsn>(\d{9})</Bsn>", p.read_text())}


def test_the_full_chain_between_two_gateways_through_the_hub(keten: Keten) -> None:
    gemeente, aanbieder = keten.gemeente, keten.aanbieder
    partij = {GEMEENTE: gemeente, AANBIEDER: aanbieder}
    gemaakt: dict[str, set[str]] = {gw.naam: set() for gw in keten.gateways}  # this test's rows, per store
    for heen_naam, afzender, antwoord_naam in STAPPEN:
        zender = partij[afzender]
        ontvanger = aanbieder if zender is gemeente else gemeente
        heen = our_example(heen_naam)  # its own identificatie: the other tests send variants
        r = zender.post(heen)
        assert r.status_code == 201 and r.json()["status"] == "accepted", (heen_naam, r.json())
        heen_id = r.json()["id"]
        if heen_naam == "WMO323":  # the gemeente's back-office answers with a WMO325 through the API
            keten.wacht("WMO323 bij de gemeente", lambda: bool(db(gemeente).rijen(
                berichttype="WMO323", identificatie=_identificatie(heen))))  # noqa: B023
            r325 = gemeente.post(our_example("WMO325"))
            assert r325.status_code == 201 and r325.json()["status"] == "accepted", r325.json()
            gemaakt[gemeente.naam].add(r325.json()["id"])
        keten.wacht(f"{heen_naam} beantwoord bij de {zender.naam}",
                    lambda: db(zender).rijen(id=heen_id)[0].status == "answered")  # noqa: B023

        # At the sender: the answer arrived from outside and names the heenbericht.
        [antwoord] = db(zender).rijen(antwoord_op_id=heen_id, richting="in")
        assert antwoord.berichttype == antwoord_naam
        # ... and it is the only answer the sender holds: no locally built retour beside it (IV028).
        assert [b.id for b in db(zender).rijen(antwoord_op_id=heen_id)] == [antwoord.id]
        # At the receiver: the heenbericht arrived byte for byte, and its answer went out.
        [ontvangen] = db(ontvanger).rijen(berichttype=heen_naam, identificatie=_identificatie(heen))
        assert ontvangen.raw == db(zender).rijen(id=heen_id)[0].raw
        [verzonden_antwoord] = [b for b in db(ontvanger).rijen(berichttype=antwoord_naam)
                                if b.antwoord_op_id == ontvangen.id]
        assert verzonden_antwoord.raw == antwoord.raw and verzonden_antwoord.status == "delivered"
        # Envelope correlation: the answer's envelope refers to the heenbericht's envelope.
        heen_envelop, _, _ = _envelop(zender, heen_id)
        ontvangen_envelop, gesprek, _ = _envelop(ontvanger, ontvangen.id)
        assert heen_envelop == ontvangen_envelop and gesprek == heen_envelop
        _, antwoord_gesprek, antwoord_op = _envelop(ontvanger, verzonden_antwoord.id)
        assert antwoord_op == heen_envelop and antwoord_gesprek == heen_envelop
        gemaakt[zender.naam] |= {heen_id, antwoord.id}
        gemaakt[ontvanger.naam] |= {ontvangen.id, verzonden_antwoord.id}
    for gw in (gemeente, aanbieder):  # nothing of this conversation is stuck or given up on, on either side
        stuk = [(b.berichttype, b.status) for b in db(gw).rijen(status="dead_letter") + db(gw).rijen(status="queued")
                if b.id in gemaakt[gw.naam]]
        assert not stuk, (gw.naam, stuk)
    logs = "".join(p.read_text(errors="replace") for p in keten.map.glob("*.log"))
    assert all(bsn not in logs for bsn in _bsns())  # never a BSN in a log


def test_hub_down_during_delivery_is_retried_until_it_is_back(keten: Keten) -> None:
    keten.stop_hub()
    r = keten.gemeente.post(variant("WMO301", "HUBWEG1"))
    heen_id = r.json()["id"]
    keten.wacht("een paar mislukte pogingen", lambda: any(a.pogingen >= 2 and a.status == "failed"
                                                         for a in db(keten.gemeente).afleveringen(heen_id)))
    keten.start_hub()
    keten.wacht("afgeleverd en beantwoord", lambda: db(keten.gemeente).rijen(id=heen_id)[0].status == "answered")
    [a] = db(keten.gemeente).afleveringen(heen_id)
    assert a.status == "delivered" and a.pogingen >= 3


def test_messages_wait_in_the_hub_while_the_receiving_gateway_is_down(keten: Keten) -> None:
    keten.aanbieder.stop()
    r = keten.gemeente.post(variant("WMO301", "AANBWEG1"))
    heen_id = r.json()["id"]
    keten.wacht("bij de hub", lambda: db(keten.gemeente).rijen(id=heen_id)[0].status == "delivered")
    [a] = db(keten.gemeente).afleveringen(heen_id)

    def van_deze_test() -> list[dict[str, object]]:
        return [w for w in keten.hub_wachtrij(TOKEN_AANBIEDER) if str(w["traceerId"]).lower() == a.envelop_id.lower()]

    [wachtend] = van_deze_test()
    assert wachtend["berichttype"] == "WMO301"
    keten.start_gateway(keten.aanbieder)
    keten.wacht("opgehaald en beantwoord", lambda: db(keten.gemeente).rijen(id=heen_id)[0].status == "answered")
    assert van_deze_test() == []
    assert db(keten.aanbieder).tel(Bericht.berichttype == "WMO301", Bericht.identificatie == "AANBWEG1") == 1


def test_an_unknown_addressee_is_refused_with_its_code_and_visible_as_dead_letter(keten: Keten) -> None:
    onbekend = Msg(variant("WMO301", "ONBEK1")).set("Header/Ontvanger", "87654321").bytes()
    r = keten.gemeente.post(onbekend)
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    heen_id = r.json()["id"]
    keten.wacht("dead letter", lambda: db(keten.gemeente).rijen(id=heen_id)[0].status == "dead_letter")
    [a] = db(keten.gemeente).afleveringen(heen_id)
    assert a.pogingen == 1 and a.laatste_fout.startswith("definitief geweigerd: IB010")  # type: ignore[union-attr]


def test_a_worker_killed_mid_delivery_loses_nothing_and_stores_nothing_twice(keten: Keten) -> None:
    aantal = int(os.environ.get("IWMO_CHAIN_BERICHTEN", "120"))
    rondes = 6
    per_ronde = aantal // rondes
    ids: list[str] = []
    starts_voor = {gw.naam: gw.starts for gw in keten.gateways}
    identificaties = [f"K{i:05d}" for i in range(aantal)]

    def indienen(nummers: range) -> None:
        def een(i: int) -> str:
            r = keten.gemeente.post(variant("WMO301", identificaties[i]))
            assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
            return str(r.json()["id"])

        with ThreadPoolExecutor(4) as pool:  # as back-offices do; it also keeps the workers busy
            ids.extend(pool.map(een, nummers))

    for ronde in range(rondes):  # six times, spread over the run, while deliveries are under way
        begin = ronde * per_ronde
        indienen(range(begin, begin + per_ronde // 2))
        for gw in keten.gateways:
            gw.kill_worker()
            gw.start_worker()
        indienen(range(begin + per_ronde // 2, begin + per_ronde))
    assert len(ids) == aantal
    keten.wacht(f"alle {aantal} beantwoord", lambda: db(keten.gemeente).tel(Bericht.id.in_(ids),
                                                                           Bericht.status == "answered") == aantal,
                seconden=600)
    ontvangen = [b.id for b in db(keten.aanbieder).rijen(berichttype="WMO301") if b.identificatie in identificaties]
    assert len(ontvangen) == aantal  # none lost, none twice
    assert db(keten.aanbieder).tel(Bericht.berichttype == "WMO302", Bericht.antwoord_op_id.in_(ontvangen)) == aantal
    assert db(keten.gemeente).tel(Bericht.berichttype == "WMO302", Bericht.richting == "in",
                                  Bericht.antwoord_op_id.in_(ids)) == aantal
    gestart = {gw.naam: gw.starts - starts_voor[gw.naam] for gw in keten.gateways}
    assert gestart == {"gemeente": rondes, "aanbieder": rondes}  # each worker really was killed six times


XSD_FOUT = {  # who sends, the message, the code the hub refuses it with on that side, and a valid one after it
    GEMEENTE: ("WMO301", "StUF055", "WMO301"),  # gemeente side: a Fo01 with StUF055
    # aanbieder side: VECOZO's BRS13 (IB014); then a 315, which the other tests' messages cannot make a second
    # of anything (a second start of the example's product would be refused with TR074 and never sent)
    AANBIEDER: ("WMO305", "BRS13", "WMO315"),
}


@pytest.mark.parametrize("afzender", [GEMEENTE, AANBIEDER])
def test_a_payload_that_fails_its_xsd_gets_a_fault_to_the_sender_and_no_retourbericht(
        keten: Keten, afzender: str) -> None:
    """A payload our gateway let through but the hub's schema refuses (say, another schema release at the hub):
    it is refused in transit, the sender's outbox holds the fault as a dead letter, and the addressee never
    sees it, so no retourbericht is made for it (IV028)."""
    from gateway.store import repository
    from gateway.transport.outbox import plan_als_nodig
    from gateway.transport.routing import laad

    zender = keten.gemeente if afzender == GEMEENTE else keten.aanbieder
    ontvanger = keten.aanbieder if zender is keten.gemeente else keten.gemeente
    naam, code, volgende = XSD_FOUT[afzender]
    ongeldig = Msg(variant(naam, f"XSD{naam}")).set("Client/Bsn", "12345678X").bytes()
    with db(zender).sessions() as session, session.begin():
        rij = repository.store_outgoing(session, ongeldig, actor="test")
        assert plan_als_nodig(session, rij, laad(zender.env["IWMO_ROUTES_FILE"]), actor="test") is not None
        heen_id = rij.id
    keten.wacht("geweigerd door de hub", lambda: db(zender).rijen(id=heen_id)[0].status == "dead_letter")
    [a] = db(zender).afleveringen(heen_id)
    assert a.pogingen == 1 and a.laatste_fout.startswith(f"definitief geweigerd: {code}")  # type: ignore[union-attr]
    assert db(zender).rijen(antwoord_op_id=heen_id) == []
    # A later message does get through, so the refused one would have arrived by now if it could.
    r = zender.post(variant(volgende, f"NA{naam}"))
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.json()
    keten.wacht("het volgende bericht beantwoord", lambda: db(zender).rijen(id=r.json()["id"])[0].status == "answered")
    assert db(ontvanger).rijen(identificatie=f"XSD{naam}") == []


def test_a_duplicate_envelope_id_is_refused_on_both_sides_and_an_identical_resend_is_harmless(keten: Keten) -> None:
    """Each side's envelope id (StUF referentienummer, VECOZO traceerId) is unique per sender: a sender whose
    software puts other content under an id it already used is refused (IB016, BRS114); the same envelope
    again changes nothing at the receiver. Sent on the wire as another sender's software would."""
    import json

    import httpx

    from gateway.transport import envelope, ggk, vecozo
    from gateway.transport.adapter import Zending
    from gateway.transport.keten import TOKEN_GEMEENTE

    def via_ggk(z: Zending) -> tuple[int, str | None]:
        r = httpx.post(f"{keten.hub_url}/ggk", content=ggk.envelop_voor(z), timeout=30,
                       headers={"Authorization": f"Bearer {TOKEN_GEMEENTE}", "Content-Type": "text/xml"})
        if r.is_success:
            return r.status_code, None  # an empty SOAP Body: taken
        fout = envelope.lees(r.content).fout
        return r.status_code, fout.code if fout else None

    def via_vecozo(z: Zending) -> tuple[int, str | None]:
        files = {"metadata": ("m.json", json.dumps(vecozo.metadata_voor(z).to_json()).encode(), "application/json"),
                 "bericht": ("b.xml", z.payload, "application/xml")}
        r = httpx.post(f"{keten.hub_url}/berichten", files=files, timeout=30,
                       headers={"Authorization": f"Bearer {TOKEN_AANBIEDER}"})
        return r.status_code, None if r.is_success else r.json().get("code")

    kanten = [(keten.gemeente, keten.aanbieder, "WMO301", via_ggk, "IB016"),
              (keten.aanbieder, keten.gemeente, "WMO315", via_vecozo, "BRS114")]
    for zender, ontvanger, naam, stuur, code in kanten:
        eerste = variant(naam, "DUPENV1")
        heen_id = zender.post(eerste).json()["id"]
        keten.wacht(f"{naam} beantwoord", lambda: db(zender).rijen(id=heen_id)[0].status == "answered")  # noqa: B023
        [a] = db(zender).afleveringen(heen_id)

        def zending(payload: bytes) -> Zending:
            return Zending(envelop_id=a.envelop_id, functie=naam, zender=zender.partij,  # noqa: B023
                           ontvanger=ontvanger.partij, payload=payload)  # noqa: B023

        status, gekregen = stuur(zending(variant(naam, "DUPENV2")))
        assert status >= 400 and gekregen == code, (status, gekregen)
        status, gekregen = stuur(zending(eerste))
        assert status < 300 and gekregen is None, (status, gekregen)  # the same envelope again: idempotent
        # A later message does get through, so had the hub passed either on, it would be here by now.
        na_id = zender.post(variant(naam, "DUPENV3")).json()["id"]
        keten.wacht("het volgende bericht beantwoord", lambda: db(zender).rijen(id=na_id)[0].status == "answered")  # noqa: B023
        assert db(ontvanger).rijen(berichttype=naam, identificatie="DUPENV2") == []
        assert len(db(ontvanger).rijen(berichttype=naam, identificatie="DUPENV1")) == 1
