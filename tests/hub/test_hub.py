"""The knooppunt through its HTTP API: routing on the envelope, every refusal code, pull/ack, push delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from lxml import etree

from gateway.hub.store import Status, utcnow
from gateway.messages.retour import validate_and_build
from gateway.transport import envelope
from tests.hub.conftest import (
    AANBIEDER,
    AFLEVER_TOKEN,
    BEPERKT,
    GEMEENTE,
    PULL_GEMEENTE,
    Hub,
    auth,
    payload_voor,
    xsd_ongeldig,
)
from tests.reference import our_example


def _fo01(resp_body: bytes) -> envelope.Envelop:
    e = envelope.lees(resp_body)
    assert e.soort == "Fo01" and e.fout is not None
    return e


# --- GGk side → pull queue -----------------------------------------------------------------------


def test_gemeente_di01_is_queued_for_the_aanbieder_with_url_size_and_checksum(hub: Hub) -> None:
    r, e = hub.di01("WMO301")
    assert r.status_code == 200, r.text
    assert etree.QName(etree.fromstring(r.content)).localname == "Envelope"
    [item] = hub.lijst(AANBIEDER)
    payload = our_example("WMO301")
    assert item["traceerId"] == e.referentienummer
    assert item["conversatieId"] == e.referentienummer
    assert item["alsAntwoordOp"] is None
    assert item["afzender"] == {"rol": "Gemeente", "code": GEMEENTE}
    assert item["geadresseerden"] == [{"rol": "Instelling", "code": AANBIEDER}]
    assert item["berichttype"] == "WMO301"
    assert item["status"] == "Aangeboden"
    assert item["payload"]["grootte"] == len(payload)
    assert item["payload"]["checksum"] == {"algoritme": "SHA256", "waarde": hashlib.sha256(payload).hexdigest()}
    assert hub.client.get(item["payload"]["url"], headers=auth(AANBIEDER)).content == payload
    # Nobody else sees it.
    assert hub.lijst(BEPERKT) == []
    assert hub.client.get(item["payload"]["url"], headers=auth(BEPERKT)).status_code == 404


def test_a_pulled_message_stays_until_it_is_acknowledged(hub: Hub) -> None:
    _, e = hub.di01("WMO301")
    url = f"/berichten/{e.referentienummer}"
    assert hub.client.get(f"{url}/payload", headers=auth(AANBIEDER)).status_code == 200
    assert hub.status(e.referentienummer, GEMEENTE)["status"] == "Bezorgd"  # fetched by the addressee
    [nog] = hub.lijst(AANBIEDER)  # downloaded, not confirmed: still offered
    assert nog["traceerId"] == e.referentienummer
    assert hub.client.delete(url, headers=auth(BEPERKT)).status_code == 404  # not theirs to confirm
    assert hub.client.delete(url, headers=auth(AANBIEDER)).status_code == 202
    assert hub.lijst(AANBIEDER) == []
    assert hub.client.get(f"{url}/payload", headers=auth(AANBIEDER)).status_code == 404
    assert hub.client.delete(url, headers=auth(AANBIEDER)).status_code == 404
    assert hub.client.delete(f"/berichten/{envelope.nieuw_referentienummer()}", headers=auth(AANBIEDER)).status_code == 404


def test_pull_is_oldest_first_and_limited(hub: Hub) -> None:
    ids = [hub.di01(f)[1].referentienummer for f in ("WMO301", "WMO319", "WMO301")]
    assert [i["traceerId"] for i in hub.lijst(AANBIEDER, limit=2)] == ids[:2]
    assert [i["traceerId"] for i in hub.lijst(AANBIEDER, limit=250)] == ids
    hub.client.delete(f"/berichten/{ids[1]}", headers=auth(AANBIEDER))
    assert [i["traceerId"] for i in hub.lijst(AANBIEDER)] == [ids[0], ids[2]]
    for limit in (251, 0, -1):
        r = hub.client.get("/berichten", params={"limit": limit}, headers=auth(AANBIEDER))
        assert r.status_code == 400 and "250" in r.json()["detail"]


def test_gemeente_without_endpoint_pulls_like_an_aanbieder(hub: Hub) -> None:
    r, meta = hub.push("WMO305", naar=PULL_GEMEENTE)
    assert r.status_code == 204, r.text
    [item] = hub.lijst(PULL_GEMEENTE)
    assert item["traceerId"] == meta["traceerId"]
    assert hub.store.te_bezorgen() == []


# --- VECOZO side → push delivery to the gemeente ---------------------------------------------------


def test_aanbieder_push_is_delivered_to_the_gemeente_as_a_di01(hub: Hub) -> None:
    r, meta = hub.push("WMO305")
    assert r.status_code == 204, r.text
    assert hub.status(meta["traceerId"], AANBIEDER)["status"] == "Aangeboden"
    assert hub.bezorger.ronde() == 1
    [e] = hub.gemeente.ontvangen
    assert (e.soort, e.referentienummer, e.functie) == ("Di01", meta["traceerId"], "WMO305")
    assert (e.zender, e.ontvanger, e.zender_applicatie) == (AANBIEDER, GEMEENTE, "VECOZOWebservice")
    assert e.payload == payload_voor("WMO305")
    assert hub.gemeente.tokens == [f"Bearer {AFLEVER_TOKEN}"]
    assert hub.gemeente.soap_actions == [f'"{envelope.SOAP_ACTION["Di01"]}"']
    status = hub.status(meta["traceerId"], AANBIEDER)
    assert status["status"] == "Bezorgd"
    assert [h["status"] for h in status["historie"]] == ["Ontvangen", "Aangeboden", "Bezorgd"]
    assert hub.bezorger.ronde() == 0  # delivered once


def test_multipart_part_names_metadata_and_bericht_are_accepted(hub: Hub) -> None:
    r, _ = hub.push("WMO305", namen=("metadata", "bericht"))
    assert r.status_code == 204, r.text


def test_heen_and_retour_are_correlated_across_both_sides(hub: Hub) -> None:
    heen = payload_voor("WMO301")
    r, di01 = hub.di01("WMO301", payload=heen)
    assert r.status_code == 200
    [item] = hub.lijst(AANBIEDER)
    retour = validate_and_build(heen, identificatie="RET-1", dagtekening="2026-03-12")
    r, meta = hub.push("WMO302", payload=retour, als_antwoord_op=item["traceerId"])
    assert r.status_code == 204, r.text
    hub.bezorger.ronde()
    [du01] = hub.gemeente.ontvangen
    assert (du01.soort, du01.cross_refnummer, du01.functie) == ("Du01", di01.referentienummer, "WMO302")
    assert du01.payload == retour
    # And the other way: the gemeente's retour on the aanbieder's 305.
    r, meta305 = hub.push("WMO305")
    hub.bezorger.ronde()
    di01_305 = hub.gemeente.ontvangen[-1]
    retour306 = validate_and_build(payload_voor("WMO305"), identificatie="RET-2", dagtekening="2026-03-12")
    data, _ = envelope.retourbericht(retour306, zender=GEMEENTE, ontvanger=AANBIEDER, functie="WMO306",
                                     cross_refnummer=di01_305.referentienummer)
    assert hub.ggk(data).status_code == 200
    [item306] = [i for i in hub.lijst(AANBIEDER) if i["berichttype"] == "WMO306"]
    assert item306["alsAntwoordOp"] == meta305["traceerId"] == item306["conversatieId"]


# --- refusals, by code -----------------------------------------------------------------------------


def test_unknown_gemeentecode_is_refused_with_ib005(hub: Hub) -> None:
    for code, waarom in (("9999", "CBS-lijst"), ("0014", "niet op deze hub aangesloten")):
        r, _ = hub.push("WMO305", naar=code)
        assert r.status_code == 422
        body = r.json()
        assert (body["code"], body["ibcode"]) == ("BRS04", "IB005")
        assert waarom in body["detail"] and code in body["detail"]
        assert body["meldingen"][0]["code"] == "BRS04"
    assert hub.store.te_bezorgen() == []


def test_unconnected_aanbieder_is_refused_with_ib010_fo01(hub: Hub) -> None:
    r, e = hub.di01("WMO301", ontvanger="99999999")
    assert r.status_code == 400
    fo01 = _fo01(r.content)
    assert fo01.fout.code == "IB010"
    assert fo01.cross_refnummer == e.referentienummer
    assert fo01.ontvanger == GEMEENTE
    assert "99999999" in fo01.fout.omschrijving
    assert hub.status(e.referentienummer, GEMEENTE)["status"] == "AfgekeurdDoorDienst"


def test_no_route_for_organisation_and_type_is_ib102_or_brs33(hub: Hub) -> None:
    r, _ = hub.di01("WMO325", ontvanger=BEPERKT)  # BEPERKT receives no WMO325
    assert r.status_code == 400
    assert _fo01(r.content).fout.code == "IB102"
    r, _ = hub.push("WMO323", van=BEPERKT)  # BEPERKT may not declareren
    assert r.status_code == 422 and r.json()["code"] == "BRS33"
    r, _ = hub.push("WMO301", van=AANBIEDER)  # an aanbieder does not send toewijzingen
    assert r.status_code == 422 and r.json()["code"] == "BRS33"


def test_duplicate_referentienummer_with_other_content_is_ib016_and_identical_resend_is_idempotent(hub: Hub) -> None:
    r1, e = hub.di01("WMO301")
    data, _ = envelope.heenbericht(payload_voor("WMO301"), zender=GEMEENTE, ontvanger=AANBIEDER, functie="WMO301",
                                   referentienummer=e.referentienummer)
    assert hub.ggk(data).status_code == 200  # the same message again (a lost answer): accepted, not doubled
    assert len(hub.lijst(AANBIEDER)) == 1
    r, _ = hub.di01("WMO319", referentienummer=e.referentienummer)
    assert r.status_code == 400
    fo01 = _fo01(r.content)
    assert fo01.fout.code == "IB016" and e.referentienummer in fo01.fout.omschrijving
    assert len(hub.lijst(AANBIEDER)) == 1


def test_duplicate_traceer_id_with_other_content_is_brs114(hub: Hub) -> None:
    r, meta = hub.push("WMO305")
    assert hub.push("WMO305", traceer_id=meta["traceerId"])[0].status_code == 204
    r, _ = hub.push("WMO307", traceer_id=meta["traceerId"])
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["ibcode"]) == ("BRS114", "IB016")
    assert hub.bezorger.ronde() == 1
    assert len(hub.gemeente.ontvangen) == 1


def test_xsd_invalid_payload_from_gemeente_gets_fo01_stuf055_and_is_not_delivered(hub: Hub) -> None:
    r, e = hub.di01("WMO301", payload=xsd_ongeldig("WMO301"))
    assert r.status_code == 400
    fo01 = _fo01(r.content)
    assert fo01.fout.code == "StUF055"
    assert fo01.cross_refnummer == e.referentienummer
    assert fo01.fout.details and "XSD" in fo01.fout.details
    assert "geen retourbericht" in fo01.fout.omschrijving
    root = etree.fromstring(r.content)
    assert root.find(f".//{{{envelope.SOAP_NS}}}Fault/faultcode").text == "soap:Client"
    assert hub.lijst(AANBIEDER) == []


def test_xsd_invalid_payload_from_aanbieder_is_brs13_ib014(hub: Hub) -> None:
    r, meta = hub.push("WMO305", payload=xsd_ongeldig("WMO305"))
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["ibcode"]) == ("BRS13", "IB014")
    r, _ = hub.push("WMO305", payload=b"<Bericht><niet-af>")
    assert r.status_code == 422 and r.json()["code"] == "BRS14"
    assert hub.store.te_bezorgen() == []
    assert hub.status(meta["traceerId"], AANBIEDER)["status"] == "AfgekeurdDoorDienst"


def test_payload_of_another_type_than_the_envelope_names_is_refused(hub: Hub) -> None:
    r, _ = hub.di01("WMO319", payload=payload_voor("WMO301"))
    assert _fo01(r.content).fout.code == "StUF055"
    r, _ = hub.push("WMO307", payload=payload_voor("WMO305"))
    assert r.status_code == 422 and r.json()["code"] == "BRS13"


def test_retour_without_als_antwoord_op_is_ib021(hub: Hub) -> None:
    retour = validate_and_build(payload_voor("WMO301"), identificatie="RET-1", dagtekening="2026-03-12")
    r, _ = hub.push("WMO302", payload=retour)
    assert r.status_code == 422 and r.json()["code"] == "IB021"


def test_invalid_envelope_gets_the_envelope_code(hub: Hub) -> None:
    data, e = envelope.heenbericht(payload_voor("WMO301"), zender=GEMEENTE, ontvanger=AANBIEDER, functie="WMO301")
    kapot = data.replace(b"<GGK:applicatieVersie>0001<", b"<GGK:applicatieVersie>1<")
    r = hub.ggk(kapot)
    fo01 = _fo01(r.content)
    assert (fo01.fout.code, fo01.cross_refnummer) == ("IB001", e.referentienummer)
    assert "applicatieVersie" in fo01.fout.omschrijving
    r = hub.ggk(b"<niet-eens-xml")
    assert r.status_code == 400 and b"IB001" in r.content  # a bare fault: there is nothing to refer to


def test_fo01_from_a_gemeente_is_not_accepted(hub: Hub) -> None:
    data, _ = envelope.fout(zender=GEMEENTE, ontvanger=AANBIEDER, cross_refnummer=envelope.nieuw_referentienummer(),
                            code="StUF055", plek="client", omschrijving="x")
    assert _fo01(hub.ggk(data).content).fout.code == "IB006"


# --- authentication --------------------------------------------------------------------------------


def test_every_call_needs_a_known_bearer_token(hub: Hub) -> None:
    for methode, url in (("GET", "/berichten"), ("POST", "/berichten"), ("DELETE", "/berichten/x"),
                         ("GET", "/berichten/x/payload"), ("GET", "/berichtstatussen?traceerId=x")):
        for headers in ({}, {"Authorization": "Bearer fout"}, {"Authorization": "Basic eDp5"}):
            r = hub.client.request(methode, url, headers=headers)
            assert r.status_code == 401, (methode, url, headers)
            assert r.json()["code"] == "HTTP401"
    r = hub.client.post("/ggk", content=b"<x/>", headers={"Authorization": "Bearer fout"})
    assert r.status_code == 401 and b"IB002" in r.content


def test_a_party_cannot_send_in_another_partys_name(hub: Hub) -> None:
    r, _ = hub.push("WMO305", van=AANBIEDER, token_van=BEPERKT)
    assert r.status_code == 403 and r.json()["code"] == "BRS03"
    data, _ = envelope.heenbericht(payload_voor("WMO301", afzender=PULL_GEMEENTE), zender=PULL_GEMEENTE,
                                   ontvanger=AANBIEDER, functie="WMO301")
    r = hub.ggk(data, partij=GEMEENTE)
    assert r.status_code == 403 and _fo01(r.content).fout.code == "IB002"
    r = hub.ggk(data, partij=AANBIEDER)  # aanbieders do not use the GGk entrance
    assert r.status_code == 403
    r, _ = hub.push("WMO301", van=GEMEENTE)  # gemeenten do not push over REST
    assert r.status_code == 403 and r.json()["code"] == "BRS02"


def test_wrong_rol_is_brs01(hub: Hub) -> None:
    traceer = envelope.nieuw_referentienummer()
    meta = {"traceerId": traceer, "conversatieId": traceer, "afzender": {"rol": "Praktijk", "code": AANBIEDER},
            "geadresseerden": [{"rol": "Gemeente", "code": GEMEENTE}], "berichttype": "WMO305"}
    r, _ = hub.push("WMO305", meta=meta)
    assert r.status_code == 422 and r.json()["code"] == "BRS01"


@pytest.mark.parametrize(
    "files",
    [
        {"berichtMetadata": ("m.json", b"{not json", "application/json"), "payload": ("p.xml", b"<x/>", "application/xml")},
        {"berichtMetadata": ("m.json", json.dumps({"traceerId": "x"}).encode(), "application/json"),
         "payload": ("p.xml", b"<x/>", "application/xml")},
        {"payload": ("p.xml", b"<x/>", "application/xml")},
    ],
)
def test_malformed_push_is_400(hub: Hub, files: dict[str, tuple[str, bytes, str]]) -> None:
    r = hub.client.post("/berichten", files=files, headers=auth(AANBIEDER))
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"


# --- delivery retries and failures -----------------------------------------------------------------


def test_gemeente_down_is_retried_with_backoff_then_delivered(hub: Hub) -> None:
    hub.gemeente.modus = "503"
    _, meta = hub.push("WMO305")
    nu = utcnow()
    assert hub.bezorger.ronde(nu) == 0
    s = hub.status(meta["traceerId"], AANBIEDER)
    assert (s["status"], s["pogingen"]) == ("Aangeboden", 1)
    assert "HTTP 503" in s["historie"][-1]["toelichting"]
    assert hub.store.te_bezorgen(nu) == []  # not due again at once
    hub.gemeente.modus = "ok"
    assert hub.bezorger.ronde(nu + dt.timedelta(seconds=1)) == 1
    assert hub.status(meta["traceerId"], AANBIEDER)["status"] == "Bezorgd"


def test_refusal_by_the_gemeente_ends_as_aanbieden_mislukt(hub: Hub) -> None:
    hub.gemeente.modus = "fo01"
    _, meta = hub.push("WMO305")
    hub.bezorger.ronde()
    s = hub.status(meta["traceerId"], AANBIEDER)
    assert s["status"] == "AanbiedenMislukt"
    assert s["meldingen"][0]["code"] == "StUF055"
    hub.gemeente.modus = "ok"
    assert hub.bezorger.ronde(utcnow() + dt.timedelta(days=1)) == 0


def test_delivery_gives_up_at_the_horizon(hub: Hub) -> None:
    hub.gemeente.modus = "401"  # a wrong token is retried: an operator can fix it
    _, meta = hub.push("WMO305")
    hub.bezorger.ronde()
    assert hub.status(meta["traceerId"], AANBIEDER)["status"] == "Aangeboden"
    later = utcnow() + dt.timedelta(seconds=hub.config.beleid.horizon_s + 1)
    hub.bezorger.ronde(later)
    s = hub.status(meta["traceerId"], AANBIEDER)
    assert s["status"] == "AanbiedenMislukt" and "opgegeven" in s["meldingen"][0]["omschrijving"]


def test_health_counts_messages_per_status(hub: Hub) -> None:
    hub.di01("WMO301")
    hub.push("WMO305", payload=xsd_ongeldig("WMO305"))
    tellingen = hub.client.get("/health").json()["berichten"]
    assert tellingen[Status.AANGEBODEN] == 1
    assert tellingen[Status.AFGEKEURD] == 1


# --- size ------------------------------------------------------------------------------------------


def test_a_large_declaratie_travels_whole_and_an_oversized_one_is_brs06(hub: Hub) -> None:
    from gateway.demo.generate import declaratie

    groot = declaratie(20_000)  # about 10.6 MB: its base64 is one text node over libxml2's 10 MB default
    r, meta = hub.push("WMO323", payload=groot)
    assert r.status_code == 204, r.text
    assert hub.bezorger.ronde() == 1
    [e] = hub.gemeente.ontvangen
    assert (e.referentienummer, e.payload) == (meta["traceerId"], groot)
    # Valid for VECOZO's 25 MB payload limit, but its base64 would not fit the 25 MB StUF-GGk envelope.
    te_groot = declaratie(40_000)
    assert 20 * 1024 * 1024 < len(te_groot) < envelope.MAX_ENVELOP_BYTES
    r, _ = hub.push("WMO323", payload=te_groot)
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["ibcode"]) == ("BRS06", "IB012")
