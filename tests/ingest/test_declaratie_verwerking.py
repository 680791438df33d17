"""A WMO323 through the store, processed as IV087 says: a fault in one prestatie refuses that prestatie, not the
declaratie; a fault in the Header or the Declaratie class means it counts as not sent and is answered at once.
On SQLite and PostgreSQL (the `sessions` fixture)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.ontvang import receive
from gateway.settings import Mode, Settings
from gateway.store.history import cross_rules_for
from gateway.store.models import Bericht, DeclaratieVerwerking, Feit
from gateway.validation.validator import validate
from tests.cross.keten import PRESTATIE, VANDAAG, crediteer, data, declaratie, hernummer, nieuw, voorbeeld
from tests.msgedit import Msg


def stuur(sessions: sessionmaker[Session], bericht: Msg, *, mode: Mode = Mode.STRICT):  # type: ignore[no-untyped-def]
    rules = cross_rules_for(Settings(mode=mode), today=VANDAAG)
    return receive(sessions, data(bericht), party=bericht.text("Header/Afzender") or "", cross_rules=rules)


def gedeeltelijk_foute_declaratie() -> Msg:
    """Prestatie 1 (R-GOED) on the known toewijzing 260451, prestatie 2 (R-FOUT) on an unknown one (TR338)."""
    m = hernummer(declaratie(), "R-GOED", "R-FOUT")
    m.set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    return m


def _verwerking(sessions: sessionmaker[Session], bericht_id: str) -> DeclaratieVerwerking:
    with sessions() as session:
        dv = session.get(DeclaratieVerwerking, bericht_id)
        assert dv is not None
        return dv


def _feiten(sessions: sessionmaker[Session], bericht_id: str) -> set[tuple[str, str]]:
    with sessions() as session:
        return {(s, k) for s, k in session.execute(select(Feit.soort, Feit.sleutel).where(Feit.bericht_id == bericht_id))}


def test_a_fault_in_one_prestatie_leaves_the_declaratie_partly_processed(sessions) -> None:  # type: ignore[no-untyped-def]
    assert stuur(sessions, voorbeeld("WMO301")).status == "accepted"
    r = stuur(sessions, gedeeltelijk_foute_declaratie())
    assert r.status == "accepted"
    assert [f.code for f in r.errors] == ["TR338"]
    dv = _verwerking(sessions, r.id)
    assert dv.verwerking == "gedeeltelijk" and dv.antwoord_id is None
    feiten = _feiten(sessions, r.id)
    assert ("prestatie", "12345678|R-GOED") in feiten and ("prestatie", "12345678|R-FOUT") not in feiten
    assert ("afwijzing", "12345678|R-FOUT") in feiten


def test_a_partly_processed_declaratie_is_remembered_by_tr333_tr314_and_tr323(sessions) -> None:  # type: ignore[no-untyped-def]
    stuur(sessions, voorbeeld("WMO301"))
    eerste = gedeeltelijk_foute_declaratie()
    assert stuur(sessions, eerste).status == "accepted"
    nummer = eerste.text("Declaratie/DeclaratieNummer")
    zelfde_nummer = hernummer(declaratie(nummer=nummer), "R-ANDER-1", "R-ANDER-2")
    assert "TR333" in {f.code for f in stuur(sessions, zelfde_nummer).errors}
    zelfde_referentie = hernummer(declaratie(), "R-GOED", "R-NIEUW")
    assert "TR314" in {f.code for f in stuur(sessions, zelfde_referentie).errors}
    credit = crediteer(hernummer(declaratie(), "R-CREDIT", "R-NIEUW-2"), 1, "R-GOED")
    r = stuur(sessions, credit, mode=Mode.STRICT)
    assert "TR323" not in {f.code for f in r.errors}


def test_a_fault_in_the_declaratie_class_is_answered_at_once_with_a_325(sessions) -> None:  # type: ignore[no-untyped-def]
    stuur(sessions, voorbeeld("WMO301"))
    eerste = hernummer(declaratie(), "R-1", "R-2")
    assert stuur(sessions, eerste).status == "accepted"
    dubbel = hernummer(declaratie(nummer=eerste.text("Declaratie/DeclaratieNummer")), "R-3", "R-4")
    r = stuur(sessions, dubbel)
    assert r.status == "rejected" and "TR333" in {f.code for f in r.errors}
    dv = _verwerking(sessions, r.id)
    assert dv.verwerking == "niet_verwerkt" and dv.antwoord_id is not None and dv.totaal_toegekend == 0
    with sessions() as session:
        antwoord = session.get(Bericht, dv.antwoord_id)
        assert antwoord is not None and antwoord.berichttype == "WMO325" and antwoord.antwoord_op_id == r.id
        assert validate(antwoord.raw).valid
        assert b"9333" in antwoord.raw


def test_a_clean_declaratie_waits_for_the_gemeente(sessions) -> None:  # type: ignore[no-untyped-def]
    stuur(sessions, voorbeeld("WMO301"))
    r = stuur(sessions, hernummer(declaratie(), "R-A", "R-B"))
    assert r.status == "accepted" and r.errors == []
    dv = _verwerking(sessions, r.id)
    assert dv.verwerking == "volledig" and dv.antwoord_id is None and dv.totaal_ingediend > 0
    assert nieuw("WMO325") is not None
