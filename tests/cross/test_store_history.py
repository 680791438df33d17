"""The cross-message rules through the store, on SQLite and PostgreSQL: `receive` with `cross_rules_for`.

Only an accepted message's facts are filed (a rejected message is functionally not sent), the SQL history
gives the same verdicts as the in-memory one, and the retourbericht carries the cross rules' retourcodes.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import receive
from gateway.ingest.vastlegging import Received
from gateway.settings import Mode, Settings
from gateway.store.history import SqlHistory, cross_rules_for
from gateway.store.models import Bericht, Feit
from tests.cross.keten import (
    START,
    START_LOC,
    VANDAAG,
    Keten,
    alleen_prestatie,
    crediteer,
    data,
    declaratie,
    hernummer,
    nieuw,
    start,
    stop,
    voorbeeld,
)
from tests.msgedit import Msg

GEMEENTE, AANBIEDER = "0599", "12345678"
GESPREK = ("WMO315", "WMO301", "WMO319", "WMO305", "WMO307", "WMO323", "WMO325")


def _afzender(bericht: Msg | bytes) -> str:
    m = bericht if isinstance(bericht, Msg) else Msg(bericht)
    return m.text("Header/Afzender") or ""


def stuur(sessions: sessionmaker[Session], url: str, bericht: Msg | bytes, *, mode: Mode = Mode.STRICT,
          today: dt.date = VANDAAG) -> Received:
    rules = cross_rules_for(Settings(database_url=url, mode=mode), today=today)
    return receive(sessions, data(bericht), party=_afzender(bericht), cross_rules=rules)


def feiten(sessions: sessionmaker[Session], bericht_id: str) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(Feit.soort, Feit.sleutel).where(Feit.bericht_id == bericht_id))
        return sorted((soort, sleutel) for soort, sleutel in rows)


def retourcodes(sessions: sessionmaker[Session], retour_id: str | None) -> list[tuple[str, str]]:
    """(berichtklasse, retourcode) in the stored retourbericht, leaving out the classes without remarks (0200)."""
    assert retour_id is not None
    with sessions() as session:
        raw = session.scalars(select(Bericht.raw).where(Bericht.id == retour_id)).one()
    return [(etree.QName(el.getparent().getparent()).localname, el.text or "")
            for el in etree.fromstring(raw).iter("{*}RetourCode") if el.text != "0200"]


def test_accepted_toewijzing_files_its_facts(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    r = stuur(sessions, migrated_url, voorbeeld("WMO301"))
    assert r.status == "accepted" and r.errors == []
    assert feiten(sessions, r.id) == sorted([
        ("bericht", f"{GEMEENTE}|414|TW2026-0311"),
        ("client", f"{GEMEENTE}|{AANBIEDER}|207416035"),
        ("relatie", f"{GEMEENTE}|{AANBIEDER}"),
        ("toewijzing", f"{GEMEENTE}|{AANBIEDER}|260451"),
        ("toewijzing", f"{GEMEENTE}|{AANBIEDER}|260452"),
    ])


def test_rejected_start_files_nothing(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    afgewezen = stuur(sessions, migrated_url, voorbeeld("WMO305"))  # strict, and no toewijzing yet
    assert afgewezen.status == "rejected"
    assert [(f.code, f.retourcode, list(f.locatie)) for f in afgewezen.errors] == [
        ("TR019", "9019", [f"{START_LOC}[1]/ToewijzingNummer"]),
        ("TR019", "9019", [f"{START_LOC}[2]/ToewijzingNummer"]),
    ]
    assert feiten(sessions, afgewezen.id) == []
    assert retourcodes(sessions, afgewezen.retour_id) == [("StartProduct", "9019")] * 2

    # The toewijzing arrives; the same start again (same Identificatie, other bytes) is now accepted: neither
    # TR056 nor TR074 sees the rejected attempt, because nothing of it was filed.
    stuur(sessions, migrated_url, voorbeeld("WMO301"))
    opnieuw = voorbeeld("WMO305").bytes().replace(b"?>", b"?>\n", 1)
    geaccepteerd = stuur(sessions, migrated_url, opnieuw)
    assert (geaccepteerd.status, geaccepteerd.errors, geaccepteerd.duplicaat) == ("accepted", [], False)
    assert [s for s, _ in feiten(sessions, geaccepteerd.id)] == ["bericht", "start", "start"]


def test_the_conversation_through_the_store_and_what_it_remembers(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    for naam in GESPREK:
        r = stuur(sessions, migrated_url, voorbeeld(naam))
        assert (naam, r.status, r.errors) == (naam, "accepted", [])

    dubbel = stuur(sessions, migrated_url, start(1))
    assert dubbel.status == "rejected"
    assert {(f.code, f.retourcode) for f in dubbel.errors} == {("TR074", "9074")}
    assert retourcodes(sessions, dubbel.retour_id) == [("StartProduct", "9074")]

    # A rejected prestatie (the 325 rejects P2026-04-0002) cannot be credited; an approved one can.
    credit = crediteer(alleen_prestatie(hernummer(declaratie(), "R-0001", "R-0002"), 2), 1, "P2026-04-0002")
    r = stuur(sessions, migrated_url, credit)
    # IV087: a fault in a prestatie refuses that prestatie, not the declaratie (accepted, partly processed).
    assert r.status == "accepted" and [f.code for f in r.errors] == ["TR323"]
    assert ("afwijzing", f"{AANBIEDER}|R-0002") in feiten(sessions, r.id)
    assert not any(soort == "credit" for soort, _ in feiten(sessions, r.id))
    credit = crediteer(hernummer(declaratie(), "R-0001", "R-0002"), 1, "P2026-04-0001")
    assert stuur(sessions, migrated_url, credit).status == "accepted"


def test_sql_history_agrees_with_the_in_memory_history(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    keten = Keten(Mode.STRICT)
    scenario = [
        *(voorbeeld(n) for n in GESPREK),
        start(1),  # TR074
        stop(reden="19", einddatum="2026-10-31", dagtekening="2026-11-02"),  # TR415
        start(1, status="3", dagtekening="2026-11-03"),  # TR071
        nieuw("WMO305").set(f"{START}[2]/ToewijzingNummer", "260999"),  # TR019
        declaratie(),  # TR314
    ]
    for bericht in scenario:
        verwacht = keten.oordeel(bericht)
        r = stuur(sessions, migrated_url, bericht)
        assert r.errors == verwacht
        if not verwacht:
            keten.history.add(data(bericht))


def test_mode_and_today_come_from_the_caller(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    # Lenient: a start for a toewijzing from before the gateway is accepted; strict would reject it.
    assert stuur(sessions, migrated_url, voorbeeld("WMO305"), mode=Mode.LENIENT).status == "accepted"
    toekomst = stuur(sessions, migrated_url, voorbeeld("WMO301"), today=dt.date(2026, 3, 10))
    assert [(f.code, f.retourcode) for f in toekomst.errors] == [("TR135", "8848")]


def test_sql_history_finds_keys_longer_than_the_column(sessions, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    r = stuur(sessions, migrated_url, voorbeeld("WMO301"))
    lang = "x" * 300
    with sessions() as session, session.begin():
        session.add(Feit(bericht_id=r.id, soort="proef", sleutel=lang[:160], data={"n": 1}))
    with sessions() as session:
        history = SqlHistory(session)
        assert history.feiten("proef", lang) == [{"n": 1}] and history.bekend("proef", lang)
        assert not history.bekend("proef", "y" * 300)
        assert session.scalar(select(func.count()).select_from(Feit).where(Feit.bericht_id == r.id)) == 6
