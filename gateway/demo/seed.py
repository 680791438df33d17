"""Loads the example conversation into a store, so a fresh demo gateway has something to show.

The messages go through the same door as any submission (`gateway.ingest`: XSD, rules, cross rules,
retourbericht, audit), in the order of their Dagtekening, each submitted by its own Afzender. One extra start
for a toewijzing the gemeente never sent shows what a rejected message looks like (TR019).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.ingest.ontvang import receive
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory
from gateway.store.history import cross_rules_for
from gateway.store.models import ApiKey
from gateway.validation.safe_xml import parse

BERICHTEN = Path(__file__).resolve().parent / "berichten"
# The conversation in Dagtekening order: 317 concerns toewijzingen from before the gateway (lenient mode). Then the
# same parties' youth care under iJw 3.2: toewijzing, start and a declaratie that awaits the gemeente's decision.
VOLGORDE = ("WMO315", "WMO317", "WMO301", "WMO319", "WMO305", "WMO307", "WMO323", "WMO325", "JW301", "JW305", "JW323")

DEMO_GEMEENTE = "0599"
DEMO_AANBIEDER = "12345678"
# The demo's keys, each told apart by its label and what it is bound to (a hand-made key with the same label
# but another party or role is left alone).
DEMO_SLEUTELS: dict[str, tuple[str, str | None, str]] = {  # name -> (label, party, role)
    "gemeente": ("demo gemeente", DEMO_GEMEENTE, "party"),
    "aanbieder": ("demo aanbieder", DEMO_AANBIEDER, "party"),
    "beheerder": ("demo beheerder", None, "admin"),
}
ACTOR = "demo"


@dataclass(frozen=True)
class DemoSleutels:
    sleutels: dict[str, str]  # name -> clear key, shown once
    ingetrokken: int  # earlier demo keys revoked by this start


def demo_sleutels(sessions: Callable[[], Session]) -> DemoSleutels:
    """Fresh keys for the demo parties and administrator, after revoking the ones an earlier start made.

    Only a hash of a key is stored, so an earlier start's clear key cannot be shown again; revoking it (an
    audit event) instead of leaving it active keeps every restart from adding another usable admin key."""
    with sessions() as session, session.begin():
        ingetrokken = 0
        for label, party, role in DEMO_SLEUTELS.values():
            oud = session.scalars(select(ApiKey.id).where(
                ApiKey.label == label, ApiKey.role == role, ApiKey.revoked_at.is_(None),
                ApiKey.party.is_(None) if party is None else ApiKey.party == party)).all()
            ingetrokken += sum(apikeys.revoke(session, key_id, actor=ACTOR) for key_id in oud)
        sleutels = {naam: apikeys.create(session, label=label, party=party, role=role, actor=ACTOR).key
                    for naam, (label, party, role) in DEMO_SLEUTELS.items()}
    return DemoSleutels(sleutels, ingetrokken)


def voorbeeld(naam: str) -> bytes:
    return (BERICHTEN / f"{naam}.xml").read_bytes()


def afgewezen_start() -> bytes:
    """WMO305 for a ToewijzingNummer the gemeente never sent: rejected with TR019."""
    root = parse(voorbeeld("WMO305")).root
    ns = {"m": root.nsmap[None], "b": root.nsmap["basis"]}
    root.find("m:Header/m:BerichtIdentificatie/b:Identificatie", ns).text = "START260408"
    root.find("m:Header/m:BerichtIdentificatie/b:Dagtekening", ns).text = "2026-04-08"
    nummer = root.find("m:Client/m:StartProducten/m:StartProduct[2]/m:ToewijzingNummer", ns)
    nummer.text = "260999"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def afzender(data: bytes) -> str:
    root = parse(data).root
    return root.findtext(f"{{{root.nsmap[None]}}}Header/{{{root.nsmap[None]}}}Afzender") or ""


def seed_conversatie(settings: Settings) -> list[tuple[str, str, list[str]]]:
    """Submit the demo conversation; returns (bericht, status, rule codes) per message. Idempotent: the store
    recognises the same bytes from the same party and returns the stored message."""
    sessions = make_session_factory(make_engine(settings.database_url))
    cross_rules = cross_rules_for(settings)
    uitkomst = []
    for data in [*(voorbeeld(n) for n in VOLGORDE), afgewezen_start()]:
        r = receive(sessions, data, party=afzender(data), cross_rules=cross_rules,
                               max_bytes=settings.max_bericht_bytes)
        uitkomst.append((r.bericht or "?", r.status, sorted({f.code for f in r.errors})))
    return uitkomst
