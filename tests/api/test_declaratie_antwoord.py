"""The declaratie cycle through the REST API, on SQLite and PostgreSQL (IV087): a 323 with one faulty prestatie
is partly processed, the gemeente's decision gives exactly one WMO325 that the gateway builds, and later
declaraties see what was booked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.messages.declaratie_antwoord import beslissing_uit_antwoord
from gateway.settings import Mode, Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory
from gateway.validation.validator import validate
from tests.cross.keten import PRESTATIE, crediteer, declaratie, hernummer, voorbeeld
from tests.msgedit import Msg

GEMEENTE, AANBIEDER = "0599", "12345678"
XML = {"Content-Type": "application/xml"}


@dataclass
class Partijen:
    client: TestClient
    gemeente: dict[str, str]
    aanbieder: dict[str, str]

    def stuur(self, bericht: Msg) -> dict:  # type: ignore[type-arg]
        kop = self.gemeente if bericht.text("Header/Afzender") == GEMEENTE else self.aanbieder
        r = self.client.post("/api/v1/berichten", content=bericht.bytes(), headers={**XML, **kop})
        assert r.status_code in (200, 201), r.text
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def partijen(migrated_url: str) -> Iterator[Partijen]:
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as session, session.begin():
        g = apikeys.create(session, label="g", party=GEMEENTE).key
        a = apikeys.create(session, label="a", party=AANBIEDER).key
    engine.dispose()
    app = create_app(Settings(database_url=migrated_url, mode=Mode.STRICT))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Partijen(client, {"Authorization": f"Bearer {g}"}, {"Authorization": f"Bearer {a}"})


def _deels_fout() -> Msg:
    """Prestatie 1 (R-GOED) on toewijzing 260451; prestatie 2 (R-FOUT) on the unknown 260999 (TR338)."""
    m = hernummer(declaratie(), "R-GOED", "R-FOUT")
    m.set(f"{PRESTATIE}[2]/ToewijzingNummer", "260999")
    return m


def _bedrag(m: Msg, index: int) -> int:
    return int(m.text(f"{PRESTATIE}[{index}]/IngediendBedrag/Bedrag") or 0)


def test_a_partly_faulty_declaratie_is_answered_with_one_325_the_gateway_builds(partijen: Partijen) -> None:
    assert partijen.stuur(voorbeeld("WMO301"))["status"] == "accepted"
    decl = _deels_fout()
    r = partijen.stuur(decl)
    assert r["status"] == "accepted" and [e["code"] for e in r["errors"]] == ["TR338"]

    antwoord = partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord", json={"afgewezen": []},
                                    headers=partijen.gemeente)
    assert antwoord.status_code == 201, antwoord.text
    body = antwoord.json()
    assert body["totaal_toegekend"] == _bedrag(decl, 1)
    xml = partijen.client.get(f"/api/v1/berichten/{body['id']}/xml", headers=partijen.gemeente).content
    assert validate(xml).valid
    besluit = beslissing_uit_antwoord(xml)
    assert set(besluit["afgewezen"]) == {"R-FOUT"}  # type: ignore[arg-type]

    tweede = partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord", json={"afgewezen": []},
                                  headers=partijen.gemeente)
    assert tweede.status_code == 409

    # What was booked is remembered: the DeclaratieNummer, the good ReferentieNummer, the good prestatie's credit.
    nummer = decl.text("Declaratie/DeclaratieNummer")
    zelfde_nummer = partijen.stuur(hernummer(declaratie(nummer=nummer), "R-X1", "R-X2"))
    assert "TR333" in {e["code"] for e in zelfde_nummer["errors"]}
    zelfde_ref = partijen.stuur(hernummer(declaratie(), "R-GOED", "R-X3"))
    assert "TR314" in {e["code"] for e in zelfde_ref["errors"]}
    credit = partijen.stuur(crediteer(hernummer(declaratie(), "R-CREDIT", "R-X4"), 1, "R-GOED"))
    assert "TR323" not in {e["code"] for e in credit["errors"]}


def test_a_decision_naming_a_prestatie_not_in_the_declaratie_is_422_and_nothing_is_stored(
        partijen: Partijen) -> None:
    partijen.stuur(voorbeeld("WMO301"))
    r = partijen.stuur(hernummer(declaratie(), "R-1", "R-2"))
    fout = partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord",
                                json={"afgewezen": [{"ReferentieNummer": "BESTAAT-NIET", "retourcodes": ["9340"]}]},
                                headers=partijen.gemeente)
    assert fout.status_code == 422 and fout.json()["errors"]
    goed = partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord",
                                json={"afgewezen": [{"ReferentieNummer": "R-2", "retourcodes": ["9340"]}]},
                                headers=partijen.gemeente)
    assert goed.status_code == 201


def test_only_the_gemeente_the_declaratie_is_addressed_to_may_answer_it(partijen: Partijen) -> None:
    partijen.stuur(voorbeeld("WMO301"))
    r = partijen.stuur(hernummer(declaratie(), "R-1", "R-2"))
    door_aanbieder = partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord",
                                          json={"afgewezen": []}, headers=partijen.aanbieder)
    assert door_aanbieder.status_code == 404


def test_reconciliation_shows_amounts_per_declaratie_and_per_prestatie_for_both_parties(partijen: Partijen) -> None:
    partijen.stuur(voorbeeld("WMO301"))
    decl = _deels_fout()
    r = partijen.stuur(decl)
    nummer = decl.text("Declaratie/DeclaratieNummer")
    for kop in (partijen.gemeente, partijen.aanbieder):
        [open_] = [d for d in partijen.client.get("/api/v1/declaraties?open=true", headers=kop).json()
                   if d["id"] == r["id"]]
        assert open_["verwerking"] == "gedeeltelijk" and open_["uiterlijk"] and open_["antwoord"] is None
    partijen.client.post(f"/api/v1/berichten/{r['id']}/declaratie-antwoord", json={"afgewezen": []},
                         headers=partijen.gemeente)
    [stand] = partijen.client.get(f"/api/v1/declaraties/{nummer}", headers=partijen.aanbieder).json()
    per_ref = {p["ReferentieNummer"]: p for p in stand["prestaties"]}
    assert per_ref["R-GOED"]["status"] == "toegekend" and per_ref["R-FOUT"]["status"] == "afgewezen"
    assert "9338" in per_ref["R-FOUT"]["retourcodes"]
    assert stand["totaal_toegekend"] == _bedrag(decl, 1) and stand["uiterlijk"] is None
