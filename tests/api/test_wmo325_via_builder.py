"""A gemeente back-office's own WMO325, submitted through POST /api/v1/berichten, goes through the gateway's
builder when it answers a WMO323 the gateway holds (issue 12, build item 4): the decision is read from it and
the 325 is written again with the right totals and classes, under the back-office's own BerichtIdentificatie.
A 325 on a 323 the gateway never saw is stored as written. SQLite and PostgreSQL (the `partijen` fixture)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.messages.json_xml import to_json
from gateway.validation.validator import validate
from tests.api import test_declaratie_antwoord as heen
from tests.api.test_declaratie_antwoord import XML, Partijen
from tests.cross.keten import declaratie, hernummer, nieuw, voorbeeld
from tests.msgedit import Msg

PRESTATIE_325 = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"
TOEGEKEND = "DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag"
partijen = heen.partijen  # the fixture: a gemeente's and an aanbieder's key on one app
GOED_BEDRAG, AFGEWEZEN_BEDRAG = 73800, 65500  # the example 323's prestaties R-1 (260451) and R-2 (260452)


def _declaratie_bij_gateway(p: Partijen) -> tuple[Msg, str]:
    """The example toewijzing and a clean declaratie of its two prestaties (R-1, R-2), accepted by the gateway."""
    assert p.stuur(voorbeeld("WMO301"))["status"] == "accepted"
    decl = hernummer(declaratie(), "R-1", "R-2")
    r = p.stuur(decl)
    assert r["status"] == "accepted" and not r["errors"], r
    return decl, r["id"]


def _eigen_antwoord(decl: Msg, *, weigert: str = "R-2", toegekend: int = GOED_BEDRAG) -> Msg:
    """The example 325 (refusing the prestatie on 260452 with 9308) as a back-office writes it for `decl`."""
    m = nieuw("WMO325")
    m.set("Header/DeclaratieIdentificatie/Identificatie", decl.text("Header/BerichtIdentificatie/Identificatie") or "")
    m.set("Header/DeclaratieIdentificatie/Dagtekening", decl.text("Header/BerichtIdentificatie/Dagtekening") or "")
    m.set("DeclaratieAntwoord/DeclaratieNummer", decl.text("Declaratie/DeclaratieNummer") or "")
    m.set(f"{PRESTATIE_325}/ProductReferentie/ReferentieNummer", weigert)
    m.set(TOEGEKEND, str(toegekend))
    return m


def _xml(client: TestClient, bericht_id: str, kop: dict[str, str]) -> Msg:
    r = client.get(f"/api/v1/berichten/{bericht_id}/xml", headers=kop)
    assert r.status_code == 200, r.text
    return Msg(r.content)


def _aantal_325(client: TestClient, kop: dict[str, str]) -> int:
    return len(client.get("/api/v1/berichten?type=WMO325", headers=kop).json()["items"])


def _check_rebuilt(p: Partijen, r_json: dict, decl_id: str, eigen: Msg) -> Msg:  # type: ignore[type-arg]
    assert r_json["opgesteld_door_gateway"] is True
    assert r_json["bericht"] == "WMO325" and not r_json["errors"]
    gebouwd = _xml(p.client, r_json["id"], p.gemeente)
    assert validate(gebouwd.bytes()).valid
    assert gebouwd.text(TOEGEKEND) == str(GOED_BEDRAG)  # the right total, whatever the back-office wrote
    assert gebouwd.text(f"{PRESTATIE_325}/ProductReferentie/ReferentieNummer") == "R-2"
    assert gebouwd.text(f"{PRESTATIE_325}/RetourCodes/RetourCode") == "9308"
    for veld in ("Identificatie", "Dagtekening"):  # the back-office's own BerichtIdentificatie is kept
        assert gebouwd.text(f"Header/BerichtIdentificatie/{veld}") == eigen.text(f"Header/BerichtIdentificatie/{veld}")
    [stand] = p.client.get(f"/api/v1/declaraties/{eigen.text('DeclaratieAntwoord/DeclaratieNummer')}",
                           headers=p.aanbieder).json()
    assert stand["antwoord"] == r_json["id"] and stand["totaal_toegekend"] == GOED_BEDRAG
    return gebouwd


def test_a_back_office_xml_325_with_a_wrong_total_is_stored_as_the_builder_writes_it(partijen: Partijen) -> None:
    decl, decl_id = _declaratie_bij_gateway(partijen)
    eigen = _eigen_antwoord(decl, toegekend=GOED_BEDRAG + AFGEWEZEN_BEDRAG)  # TR342 fails in what was written
    assert "TR342" in {f.code for f in validate(eigen.bytes()).errors}
    r = partijen.client.post("/api/v1/berichten", content=eigen.bytes(), headers={**XML, **partijen.gemeente})
    assert r.status_code == 201, r.text
    _check_rebuilt(partijen, r.json(), decl_id, eigen)
    detail = partijen.client.get(f"/api/v1/berichten/{r.json()['id']}", headers=partijen.gemeente).json()
    assert detail["antwoord_op"] == decl_id and detail["status"] == "accepted"
    assert _aantal_325(partijen.client, partijen.gemeente) == 1  # only the built one, not the one as written


def test_a_back_office_json_325_goes_through_the_same_builder(partijen: Partijen) -> None:
    decl, decl_id = _declaratie_bij_gateway(partijen)
    eigen = _eigen_antwoord(decl, toegekend=0)
    document = {"bericht": "WMO325", **to_json("WMO325", eigen.bytes())}
    r = partijen.client.post("/api/v1/berichten", json=document, headers=partijen.gemeente)
    assert r.status_code == 201, r.text
    _check_rebuilt(partijen, r.json(), decl_id, eigen)


def test_a_client_refused_in_a_back_office_325_gets_all_its_prestaties_refused_with_0233(partijen: Partijen) -> None:
    decl, decl_id = _declaratie_bij_gateway(partijen)
    eigen = _eigen_antwoord(decl, toegekend=GOED_BEDRAG)  # lists only R-2, under a client refused with 8187
    eigen.set("DeclaratieAntwoord/Clienten/Client/RetourCodes/RetourCode", "8187")
    eigen.set(f"{PRESTATIE_325}/RetourCodes/RetourCode", "0233")
    r = partijen.client.post("/api/v1/berichten", content=eigen.bytes(), headers={**XML, **partijen.gemeente})
    assert r.status_code == 201, r.text
    gebouwd = _xml(partijen.client, r.json()["id"], partijen.gemeente)
    assert validate(gebouwd.bytes()).valid and gebouwd.text(TOEGEKEND) == "0"
    assert gebouwd.text("DeclaratieAntwoord/Clienten/Client/RetourCodes/RetourCode") == "8187"
    refs = [gebouwd.text(f"{PRESTATIE_325}[{i}]/ProductReferentie/ReferentieNummer") for i in (1, 2)]
    assert refs == ["R-1", "R-2"]
    assert {gebouwd.text(f"{PRESTATIE_325}[{i}]/RetourCodes/RetourCode") for i in (1, 2)} == {"0233"}


def test_a_second_325_for_an_answered_declaratie_is_409_and_nothing_is_stored(partijen: Partijen) -> None:
    decl, _ = _declaratie_bij_gateway(partijen)
    eerste = partijen.client.post("/api/v1/berichten", content=_eigen_antwoord(decl).bytes(),
                                  headers={**XML, **partijen.gemeente})
    assert eerste.status_code == 201, eerste.text
    tweede = partijen.client.post("/api/v1/berichten", content=_eigen_antwoord(decl, weigert="R-1").bytes(),
                                  headers={**XML, **partijen.gemeente})
    assert tweede.status_code == 409 and eerste.json()["id"] in tweede.json()["detail"]
    assert _aantal_325(partijen.client, partijen.gemeente) == 1


def test_a_325_refusing_a_prestatie_not_in_the_declaratie_is_422_naming_it_and_nothing_is_stored(
        partijen: Partijen) -> None:
    decl, decl_id = _declaratie_bij_gateway(partijen)
    r = partijen.client.post("/api/v1/berichten", content=_eigen_antwoord(decl, weigert="BESTAAT-NIET").bytes(),
                             headers={**XML, **partijen.gemeente})
    assert r.status_code == 422, r.text
    [fout] = r.json()["errors"]
    assert fout["code"] == "ONBEKEND_IN_DECLARATIE" and "BESTAAT-NIET" in fout["melding"]
    assert fout["locatie"] == [f"/Bericht/{PRESTATIE_325}"]  # in the 325 as written
    assert _aantal_325(partijen.client, partijen.gemeente) == 0
    open_ = partijen.client.get("/api/v1/declaraties?open=true", headers=partijen.gemeente).json()
    assert decl_id in {d["id"] for d in open_}


def test_a_325_for_a_declaratie_the_gateway_never_saw_is_stored_as_written(partijen: Partijen) -> None:
    assert partijen.stuur(voorbeeld("WMO301"))["status"] == "accepted"
    eigen = nieuw("WMO325")  # answers DECL2026-04, which never passed through this gateway
    r = partijen.client.post("/api/v1/berichten", content=eigen.bytes(), headers={**XML, **partijen.gemeente})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["opgesteld_door_gateway"] is False and body["status"] == "accepted", body
    assert _xml(partijen.client, body["id"], partijen.gemeente).bytes() == eigen.bytes()


def test_validate_answers_for_a_back_office_325_what_submitting_it_gives_and_writes_nothing(
        partijen: Partijen) -> None:
    """Validate is a dry run of submit (issue 13): for a 325 the gateway would rebuild, the verdict of the rebuilt
    one — valid although TR342 fails in what was written, the 422 of an unknown prestatie, the 409 of a second."""
    decl, _ = _declaratie_bij_gateway(partijen)

    def proef(m: Msg) -> dict:  # type: ignore[type-arg]
        r = partijen.client.post("/api/v1/validate", content=m.bytes(), headers={**XML, **partijen.gemeente})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    fout_totaal = _eigen_antwoord(decl, toegekend=GOED_BEDRAG + AFGEWEZEN_BEDRAG)
    goed = proef(fout_totaal)
    assert (goed["valid"], goed["status"], goed["opgesteld_door_gateway"], goed["errors"]) == (
        True, "accepted", True, [])
    onbekend = proef(_eigen_antwoord(decl, weigert="BESTAAT-NIET"))
    assert not onbekend["valid"] and [f["code"] for f in onbekend["errors"]] == ["ONBEKEND_IN_DECLARATIE"]
    assert _aantal_325(partijen.client, partijen.gemeente) == 0  # validating wrote nothing

    assert partijen.client.post("/api/v1/berichten", content=fout_totaal.bytes(),
                                headers={**XML, **partijen.gemeente}).status_code == 201
    tweede = proef(_eigen_antwoord(decl, weigert="R-1"))
    assert not tweede["valid"] and tweede["status"] == "rejected"
    assert [f["code"] for f in tweede["errors"]] == ["BEANTWOORD"] and "/api/v1/berichten/" in tweede["errors"][0]["melding"]
