"""A store with something to administer: the demo conversation, rejected messages and one dead letter.

Everything goes through the real doors: `gateway.ingest.ontvang.receive` (validation, rules, audit), the outbox with a
memory transport that refuses for good (dead letter). Keys for each console role and for a party.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.demo.seed import afzender, seed_conversatie
from gateway.ingest.ontvang import receive
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import Bericht
from gateway.transport.adapter import Resultaat
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import Beleid, Outbox, plan
from gateway.transport.routing import Route
from tests.msgedit import Msg
from tests.reference import our_example

GEBOORTEDATUM = "/Bericht/Client/Geboortedatum/Datum"
GEHEIM = "test-console-Q7vN2xK9pLmR4tW8yZ3bC6dF1gH5jS0u"  # strong enough for the start-up check (gateway/sterkte.py)
ROUTE = Route(("*",), "memory", "test")


@dataclass
class Sleutels:
    admin: str
    operator: str
    viewer: str
    partij: str


@dataclass
class Omgeving:
    url: str
    settings: Settings
    sessions: sessionmaker[Session]
    sleutels: Sleutels
    tr019: str  # the demo's rejected start (TR019 + TR074)
    geboren_na: str  # a toewijzing whose client is born after its Dagtekening (rejected by an in-message rule)
    dead_letter: str  # a toewijzing the hub refused for good
    declaratie: str  # the demo's 323, answered by a 325


def toewijzing_met_fout(identificatie: str) -> bytes:
    return (Msg(our_example("WMO301")).set("Header/BerichtIdentificatie/Identificatie", identificatie)
            .set("Client/Geboortedatum/Datum", "2030-01-01").bytes())


def ontvang(sessions: sessionmaker[Session], data: bytes) -> str:
    return receive(sessions, data, party=afzender(data)).id


def maak_dead_letter(sessions: sessionmaker[Session], identificatie: str) -> str:
    data = Msg(our_example("WMO301")).set("Header/BerichtIdentificatie/Identificatie", identificatie).bytes()
    r = receive(sessions, data, party=afzender(data))
    assert r.status == "accepted", [f.code for f in r.errors]
    with sessions() as s, s.begin():
        plan(s, s.get(Bericht, r.id), ROUTE, actor="test")
    weigeraar = MemoryTransport(lambda _: Resultaat.definitief("ontvanger onbekend bij de hub", 422, code="IB010"))
    Outbox(sessions, Beleid()).werk(lambda _: weigeraar)
    return r.id


def lever_wachtrij_af(sessions: sessionmaker[Session]) -> int:
    """One worker pass that delivers everything due (what `iwmo-gateway worker` does, with a memory hub)."""
    return Outbox(sessions, Beleid()).werk(lambda _: MemoryTransport())


def bouw(map_: Path, url: str | None = None) -> Omgeving:
    url = url or f"sqlite:///{map_ / 'beheer.db'}"
    upgrade_to_head(url)
    settings = Settings(database_url=url, admin_secret=GEHEIM, routes_file=str(map_ / "geen-routes.toml"))
    seed_conversatie(settings)
    sessions = make_session_factory(make_engine(url))
    with sessions() as s, s.begin():
        sleutels = Sleutels(
            admin=apikeys.create(s, label="beheer", role="admin").key,
            operator=apikeys.create(s, label="olga", role="operator").key,
            viewer=apikeys.create(s, label="victor", role="viewer").key,
            partij=apikeys.create(s, label="aanbieder", party="12345678").key,
        )
    geboren_na = ontvang(sessions, toewijzing_met_fout("TW-FOUT-0001"))
    dead = maak_dead_letter(sessions, "TW-DOOD-0001")
    with sessions() as s:
        tr019 = s.scalars(select(Bericht.id).where(Bericht.identificatie == "START260408")).one()
        declaratie = s.scalars(select(Bericht.id).where(Bericht.berichttype == "WMO323")).one()
    return Omgeving(url, settings, sessions, sleutels, tr019, geboren_na, dead, declaratie)


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_uit(html: str) -> str:
    gevonden = _CSRF.search(html)
    assert gevonden, "geen CSRF-token op de pagina"
    return gevonden.group(1)


def vandaag() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def open_declaratie(omgeving: Omgeving, nummer: str, *, maand: str = "05", fout: bool = False,
                    referenties: tuple[str, str] | None = None) -> str:
    """A WMO323 over 2026-`maand` with two prestaties (260451 and 260452) waiting for the gemeente's decision.
    `fout`: the second is on the unknown toewijzing 260999, so the gateway refuses it itself (TR338) and the
    declaratie is partly processed (IV087)."""
    from gateway.store.history import cross_rules_for
    from tests.cross.keten import PRESTATIE, declaratie, hernummer

    eind = {"05": "31", "06": "30", "07": "31"}[maand]
    m = hernummer(declaratie(nummer=nummer, dagtekening=f"2026-{int(maand) + 1:02d}-05"),
                  *(referenties or (f"{nummer}-1", f"{nummer}-2")))
    m.set("Declaratie/DeclaratiePeriode/Begindatum", f"2026-{maand}-01")
    m.set("Declaratie/DeclaratiePeriode/Einddatum", f"2026-{maand}-{eind}")
    for i in (1, 2):
        m.set(f"{PRESTATIE}[{i}]/ProductPeriode/Begindatum", f"2026-{maand}-01")
        m.set(f"{PRESTATIE}[{i}]/ProductPeriode/Einddatum", f"2026-{maand}-{eind}")
    if fout:
        m.set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    r = receive(omgeving.sessions, m.bytes(), party="12345678", cross_rules=cross_rules_for(omgeving.settings))
    assert r.status == "accepted" and [f.code for f in r.errors] == (["TR338"] if fout else []), r.errors
    return r.id
