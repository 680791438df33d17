"""iJw 3.2 beside iWmo 3.2 through the receive path: judged by its own profile, stored under its own name, answered
with its own retourbericht (JW302, JW306) and declaratie-antwoord (JW325), and its facts kept apart from iWmo's."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gateway.standard import catalogue
from gateway.validation.validator import validate
from tests.api.conftest import XML, auth
from tests.reference import reference_path

BERICHTEN = Path(__file__).resolve().parents[2] / "gateway" / "demo" / "berichten"


def _demo(naam: str) -> bytes:
    return (BERICHTEN / f"{naam}.xml").read_bytes()


def _officieel_geldig(naam: str, xml: bytes) -> None:
    """The official iJw XSD as an outside oracle for what we build."""
    xsd = reference_path() / "ijw-3.2" / "xsd" / f"{naam.lower()}.xsd"
    if not xsd.is_file():
        pytest.skip(f"../shared/reference absent: cannot check {naam} against the official iJw XSD")
    schema = etree.XMLSchema(etree.parse(str(xsd), etree.XMLParser(resolve_entities=False, no_network=True)))
    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(etree.ElementTree(tree)), schema.error_log


@pytest.mark.parametrize("naam", ["JW301", "JW305", "JW323"])
def test_our_ijw_demo_messages_are_judged_by_the_ijw_profile_and_valid(naam: str) -> None:
    uitslag = validate(_demo(naam))
    assert uitslag.bericht is catalogue.get(naam) and uitslag.bericht.profiel.standaard == "iJw"
    assert uitslag.valid, [f.melding for f in uitslag.errors]
    _officieel_geldig(naam, _demo(naam))


def test_a_jw301_is_stored_as_jw301_and_answered_with_a_jw302_valid_under_the_official_xsd(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/berichten", content=_demo("JW301"), headers={**XML, **auth(keys.gemeente)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bericht"] == "JW301" and body["status"] == "accepted"
    retour = client.get(f"/api/v1/berichten/{body['id']}/retour", headers=auth(keys.gemeente))
    assert retour.status_code == 200, retour.text
    assert etree.QName(etree.fromstring(retour.content)).namespace == catalogue.get("JW302").namespace
    assert b"<jw302:BerichtCode>437</jw302:BerichtCode>" in retour.content
    _officieel_geldig("JW302", retour.content)
    # The aanbieder sees it in its inbox under its iJw name.
    inbox = client.get("/api/v1/inbox", headers=auth(keys.aanbieder)).json()["items"]
    assert [b["bericht"] for b in inbox] == ["JW301"]


def test_a_jw305_matches_a_jw301_and_never_a_wmo301_with_the_same_number(api) -> None:  # type: ignore[no-untyped-def]
    """Facts are kept per standard. One client with a Wmo toewijzing (260451/2) and a Jeugdwet one (270451/2): a
    JW305 on the Wmo numbers is a start without an iJw toewijzing (TR019), though the gateway knows the numbers
    for this very client under iWmo; the JW305 on its own numbers is accepted."""
    client, keys = api
    bsn = b"207416035"  # the WMO301's client
    jw301 = _demo("JW301").replace(b"311720006", bsn)
    for xml in (_demo("WMO301"), jw301):
        assert client.post("/api/v1/berichten", content=xml, headers={**XML, **auth(keys.gemeente)}).status_code == 201
    jw305 = _demo("JW305").replace(b"311720006", bsn)
    op_wmo_nummers = jw305.replace(b"270451", b"260451").replace(b"270452", b"260452")
    proef = client.post("/api/v1/validate", content=op_wmo_nummers, headers={**XML, **auth(keys.aanbieder)}).json()
    assert "TR019" in {f["code"] for f in proef["errors"]}, proef
    r = client.post("/api/v1/berichten", content=jw305, headers={**XML, **auth(keys.aanbieder)})
    assert r.status_code == 201 and r.json()["status"] == "accepted" and not r.json()["errors"], r.text


def test_a_jw323_is_answered_with_a_jw325_built_from_the_gemeentes_decision(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    for naam, key in (("JW301", keys.gemeente), ("JW305", keys.aanbieder)):
        assert client.post("/api/v1/berichten", content=_demo(naam), headers={**XML, **auth(key)}).status_code == 201
    r = client.post("/api/v1/berichten", content=_demo("JW323"), headers={**XML, **auth(keys.aanbieder)})
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
    declaratie_id = r.json()["id"]
    besluit = {"afgewezen": [{"ReferentieNummer": "PJ2026-04-0002", "retourcodes": ["9308"]}]}
    antwoord = client.post(f"/api/v1/berichten/{declaratie_id}/declaratie-antwoord", json=besluit,
                           headers=auth(keys.gemeente))
    assert antwoord.status_code == 201, antwoord.text
    assert client.get(f"/api/v1/berichten/{antwoord.json()['id']}", headers=auth(keys.gemeente)).json()["bericht"] == "JW325"
    xml = client.get(f"/api/v1/berichten/{antwoord.json()['id']}/xml", headers=auth(keys.gemeente)).content
    assert etree.QName(etree.fromstring(xml)).namespace == catalogue.get("JW325").namespace
    assert b"<jw325:BerichtCode>491</jw325:BerichtCode>" in xml and b"9308" in xml
    _officieel_geldig("JW325", xml)
