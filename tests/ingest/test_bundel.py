"""A writer's group is written with a fixed number of statements, whatever its size: message rows, keys,
findings, claims, events and facts go in one `executemany` per table (gateway/store/bundel.py), and the small
look-ups of the cross-message rules run on the driver's cursor (gateway/store/voorbereid.py). What the group
stores is the same as when each message is written alone. On SQLite and PostgreSQL (the `sessions` fixture)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import Ontvanger
from gateway.ingest.vastlegging import Aanlevering, leg_vast
from gateway.settings import Settings
from gateway.store import audit
from gateway.store.history import cross_rules_for
from gateway.store.models import (
    AuditEvent,
    Bericht,
    BerichtSleutel,
    Bevinding,
    Feit,
    Gebeurtenis,
    IdentificatieClaim,
)
from gateway.store.voorbereid import Invoegen, Voorbereid
from tests.cross.keten import nieuw


def _toewijzing(tag: str, i: int, *, fout: bool = False) -> bytes:
    m = nieuw("WMO301").set("Header/BerichtIdentificatie/Identificatie", f"{tag}{i:08d}")
    if fout:  # TR056 against the first of the group (other bytes, same Identificatie): refused, one finding
        return m.set("Header/BerichtIdentificatie/Identificatie", f"{tag}00000000").bytes() + b"\n"
    return m.bytes()


def _schrijf(sessions: sessionmaker[Session], berichten: list[bytes],
             mp: pytest.MonkeyPatch | None = None) -> Counter[str]:
    """Write the messages as one group; count the statements executed, by their first words: those SQLAlchemy
    ran and those run on the driver's cursor (`Voorbereid`, `Invoegen`), the second counted by wrapping them."""
    rules = cross_rules_for(Settings())
    ontvanger = Ontvanger(sessions, cross_rules=rules)
    aanleveringen = [Aanlevering(ontvanger.beoordeel(b), party="0599") for b in berichten]
    teller: Counter[str] = Counter()
    engine = sessions.kw["bind"]

    def tel(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        teller[" ".join(statement.split()[:3])] += 1

    if mp is not None:
        rijen, voer_uit = Voorbereid.rijen, Invoegen.voer_uit

        def geteld_rijen(self: Voorbereid, bron, **params):  # type: ignore[no-untyped-def]
            teller[" ".join(str(self.stmt).split()[:3])] += 1
            return rijen(self, bron, **params)

        def geteld_voer_uit(self: Invoegen, bron, r):  # type: ignore[no-untyped-def]
            if r:
                teller[f"INSERT INTO {self.table.name}"] += 1
            return voer_uit(self, bron, r)

        mp.setattr(Voorbereid, "rijen", geteld_rijen)
        mp.setattr(Invoegen, "voer_uit", geteld_voer_uit)
    event.listen(engine, "before_cursor_execute", tel)
    try:
        with sessions() as session, session.begin():
            uitkomsten = leg_vast(session, aanleveringen, cross_rules=rules)
    finally:
        event.remove(engine, "before_cursor_execute", tel)
        if mp is not None:
            mp.undo()
    assert [u.status for u in uitkomsten[:-1]] == ["accepted"] * (len(berichten) - 1)
    return teller


def _aantallen(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Bericht, BerichtSleutel, Bevinding, IdentificatieClaim, Gebeurtenis, Feit, AuditEvent)}


def test_a_group_of_sixteen_takes_as_many_statements_as_a_group_of_two(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    twee = _schrijf(sessions, [_toewijzing("BUNA", i) for i in range(1)] + [_toewijzing("BUNA", 1, fout=True)],
                    monkeypatch)
    zestien = _schrijf(sessions, [_toewijzing("BUNB", i) for i in range(15)] + [_toewijzing("BUNB", 15, fout=True)],
                       monkeypatch)
    # The cross rules look facts up per key they ask (one indexed read each, memoised for the group): at most
    # one per message here; everything else is one statement per group.
    feiten = "SELECT feit.data FROM"
    assert zestien.pop(feiten, 0) <= 16 and twee.pop(feiten, 0) <= 2, (twee, zestien)
    assert zestien == twee, (twee, zestien)
    # message rows (heenberichten and retourberichten) in one statement per group; every table the group
    # writes is counted
    assert zestien["INSERT INTO bericht"] == 1, zestien
    assert {f"INSERT INTO {t}" for t in ("bericht_sleutel", "bevinding", "identificatie_claim", "feit",
                                         "audit_event")} <= set(zestien), zestien


def test_what_a_group_stores_equals_what_its_messages_store_one_by_one(sessions) -> None:  # type: ignore[no-untyped-def]
    berichten = [_toewijzing("BUNC", i) for i in range(5)] + [_toewijzing("BUNC", 5, fout=True)]
    voor = _aantallen(sessions)
    _schrijf(sessions, berichten)
    groep = {k: v - voor[k] for k, v in _aantallen(sessions).items()}
    tussen = _aantallen(sessions)
    for i, b in enumerate(berichten):
        _schrijf(sessions, [b.replace(b"BUNC", b"BUND")] if i < 5 else [_toewijzing("BUND", 5, fout=True)])
    los = {k: v - tussen[k] for k, v in _aantallen(sessions).items()}
    assert groep == los
    assert groep["Bericht"] == 12 and groep["Bevinding"] == 1 and groep["IdentificatieClaim"] == 5, groep
    with sessions() as session:
        assert audit.verify_chain(session) is None
        geweigerd = session.scalars(select(Bericht).where(Bericht.status == "rejected",
                                                          Bericht.identificatie == "BUNC00000000")).one()
        assert [(b.code, b.retourcode) for b in geweigerd.bevindingen] == [("TR056", "9056")]
        assert {s.kind for s in geweigerd.sleutels} >= {"ToewijzingNummer", "Bsn"}


def test_a_stored_retourbericht_has_the_type_and_keys_its_bytes_give(sessions) -> None:  # type: ignore[no-untyped-def]
    """The writer stores a retourbericht with the Kop the builder made, without parsing it: that must be what
    parsing its stored bytes gives (type, header fields and business keys), accepted and refused alike."""
    from lxml import etree

    from gateway.standard import catalogue
    from gateway.store.keys import extract

    _schrijf(sessions, [_toewijzing("BUNE", 0), _toewijzing("BUNE", 1, fout=True)])
    with sessions() as session:
        heen = select(Bericht.id).where(Bericht.richting == "in", Bericht.identificatie.like("BUNE%"))
        retouren = session.scalars(select(Bericht).where(Bericht.richting == "uit",
                                                         Bericht.antwoord_op_id.in_(heen))).all()
        assert len(retouren) == 2
        for r in retouren:
            root = etree.fromstring(r.raw)
            kop = extract(root)
            assert r.berichttype == catalogue.by_namespace(etree.QName(root).namespace).naam == "WMO302"
            assert (r.berichtcode, r.afzender, r.ontvanger, r.identificatie, r.dagtekening) == (
                kop.berichtcode, kop.afzender, kop.ontvanger, kop.identificatie_retour, kop.dagtekening)
            sleutels = set(kop.sleutels) | {("HeenIdentificatie", kop.identificatie)}
            assert {(s.kind, s.value) for s in r.sleutels} == sleutels
