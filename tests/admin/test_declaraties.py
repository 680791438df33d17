"""Declaraties in the console: the reconciliation per declaratie and per prestatie, and the gemeente's decision
sent from the browser as the one WMO325 the gateway builds (issue 12, build item 3)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.messages.declaratie_antwoord import beslissing_uit_antwoord
from gateway.store.history import cross_rules_for
from gateway.store.models import AuditEvent, Bericht
from gateway.validation.validator import validate
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving, open_declaratie
from tests.cross.keten import PRESTATIE, alleen_prestatie, crediteer, declaratie, hernummer


def _antwoorden(omgeving: Omgeving, declaratie_id: str) -> list[Bericht]:
    with omgeving.sessions() as s:
        return list(s.scalars(select(Bericht).where(Bericht.antwoord_op_id == declaratie_id,
                                                    Bericht.berichttype == "WMO325")))


def _prestatierij(html: str, sleutel: str) -> str:
    gevonden = re.search(rf'<tr data-prestatie="{re.escape(sleutel)}">(.*?)</tr>', html, re.S)
    assert gevonden, sleutel
    return gevonden.group(1)


def _formulier(html: str) -> dict[str, list[str]]:
    """The decision form's fields as a browser would send them, every prestatie granted."""
    sleutels = re.findall(r'name="prestatie" value="([^"]+)"', html)
    return {"prestatie": sleutels, "retourcode": ["toekennen"] * len(sleutels)}


def test_an_open_declaratie_shows_amounts_the_gateways_refusal_and_the_op090x4_deadline(
        client: TestClient, omgeving: Omgeving) -> None:
    decl = open_declaratie(omgeving, "D2026059001", fout=True)
    inloggen(client, omgeving.sleutels.viewer)
    lijst = client.get("/admin/declaraties?open=1").text
    assert "D2026059001" in lijst and "D2026040001" not in lijst  # the demo's 323 has its 325
    html = client.get("/admin/declaraties/D2026059001").text
    assert "gedeeltelijk verwerkt" in html and "12345678 → Rotterdam (0599)" in html
    assert re.search(r'data-bedrag="ingediend">€ 1.393,00', html)
    assert re.search(r'data-bedrag="afgewezen">€ 655,00', html) and "nog niet beslist" in html
    assert re.search(r"open: het WMO325 moet er uiterlijk \d\d-\d\d-\d{4} zijn \(OP090x4", html)
    goed, fout = _prestatierij(html, "D2026059001-1"), _prestatierij(html, "D2026059001-2")
    assert "wacht op beslissing" in goed and "€ 738,00 debet" in goed
    assert "afgewezen" in fout and "9338" in fout
    # The conversation view of the 323 shows the same block, and a viewer gets no form there either.
    detail = client.get(f"/admin/berichten/{decl}").text
    assert _prestatierij(detail, "D2026059001-2") == fout
    assert 'name="retourcode"' not in detail and "Uw rol is viewer" in detail


def test_an_operator_refuses_a_prestatie_and_the_gateway_sends_the_one_wmo325(client: TestClient,
                                                                              omgeving: Omgeving) -> None:
    decl = open_declaratie(omgeving, "D2026069001", maand="06")
    csrf = inloggen(client, omgeving.sleutels.operator)
    pagina = client.get(f"/admin/berichten/{decl}").text
    velden = _formulier(pagina)
    assert velden["prestatie"] == ["D2026069001-1", "D2026069001-2"]
    assert '<option value="9340">' in pagina and '<option value="0200">' not in pagina
    velden["retourcode"][1] = "9340"
    r = client.post(f"/admin/berichten/{decl}/declaratie-antwoord", data={"csrf": csrf, **velden})
    assert r.status_code == 303, r.text
    [antwoord] = _antwoorden(omgeving, decl)
    assert r.headers["location"] == f"/admin/declaraties/D2026069001?beantwoord={antwoord.id}"
    assert validate(antwoord.raw).valid
    besluit = beslissing_uit_antwoord(antwoord.raw)
    assert besluit["afgewezen"] == {"D2026069001-2": ("9340",)}
    html = client.get(r.headers["location"]).text
    assert "WMO325" in html and re.search(r'data-bedrag="toegekend">€ 738,00', html)
    assert "9340" in _prestatierij(html, "D2026069001-2") and 'name="retourcode"' not in html
    with omgeving.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.bericht_id == decl,
                                                   AuditEvent.action == "declaratie_beantwoord")).one()
    assert event.actor == "admin:olga" and event.details["antwoord"] == antwoord.id

    # A second answer, e.g. from a form still open in another tab: refused in Dutch, nothing sent.
    tweede = client.post(f"/admin/berichten/{decl}/declaratie-antwoord", data={"csrf": csrf, **velden})
    assert tweede.status_code == 409
    assert "al beantwoord: op een WMO323 volgt precies één WMO325 (IV087)" in tweede.text
    assert len(_antwoorden(omgeving, decl)) == 1


def test_a_code_that_gives_no_reason_is_refused_and_nothing_is_stored(client: TestClient,
                                                                      omgeving: Omgeving) -> None:
    decl = open_declaratie(omgeving, "D2026069002", maand="06")
    csrf = inloggen(client, omgeving.sleutels.operator)
    velden = _formulier(client.get(f"/admin/berichten/{decl}").text)
    velden["retourcode"][0] = "0200"  # not offered; a forged form
    r = client.post(f"/admin/berichten/{decl}/declaratie-antwoord", data={"csrf": csrf, **velden})
    assert r.status_code == 422 and "geen geldig WMO325" in r.text and "0200" in r.text
    assert _antwoorden(omgeving, decl) == []


def test_only_an_operator_of_a_gateway_that_answers_for_the_gemeente_may_decide(
        client: TestClient, omgeving: Omgeving) -> None:
    decl = open_declaratie(omgeving, "D2026069003", maand="06")
    csrf = inloggen(client, omgeving.sleutels.viewer)
    velden = _formulier(client.get("/admin/declaraties/D2026069003").text)
    assert velden["prestatie"] == []
    assert client.post(f"/admin/berichten/{decl}/declaratie-antwoord",
                       data={"csrf": csrf, "prestatie": ["D2026069003-1"], "retourcode": ["toekennen"]}
                       ).status_code == 403
    # A gateway that answers for another gemeente only (IWMO_IDENTITEIT) shows no form and refuses the POST.
    app = create_app(omgeving.settings.model_copy(update={"identiteit": ["0363"]}))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as ander:
        csrf = inloggen(ander, omgeving.sleutels.operator)
        html = ander.get("/admin/declaraties/D2026069003").text
        assert 'name="retourcode"' not in html and "beantwoordt niet namens Rotterdam (0599)" in html
        r = ander.post(f"/admin/berichten/{decl}/declaratie-antwoord",
                       data={"csrf": csrf, "prestatie": ["D2026069003-1"], "retourcode": ["toekennen"]})
        assert r.status_code == 403 and "IWMO_IDENTITEIT noemt alleen 0363" in r.text
    assert _antwoorden(omgeving, decl) == []


def test_a_credit_names_the_debet_it_cancels_and_the_debet_the_credit(client: TestClient,
                                                                      omgeving: Omgeving) -> None:
    m = hernummer(alleen_prestatie(declaratie(nummer="D2026049002"), 1), "C2026-04-0001")
    crediteer(m, 1, "P2026-04-0001")  # the demo's granted prestatie
    assert m.text(f"{PRESTATIE}/IngediendBedrag/DebetCredit") == "C"
    from gateway.ingest.ontvang import receive

    r = receive(omgeving.sessions, m.bytes(), party="12345678", cross_rules=cross_rules_for(omgeving.settings))
    assert r.status == "accepted", r.errors
    inloggen(client, omgeving.sleutels.viewer)
    credit = _prestatierij(client.get("/admin/declaraties/D2026049002").text, "C2026-04-0001")
    assert "€ 738,00 credit" in credit
    assert "crediteert" in credit and "P2026-04-0001" in credit and "uit declaratie D2026040001" in credit
    debet = _prestatierij(client.get("/admin/declaraties/D2026040001").text, "P2026-04-0001")
    assert "gecrediteerd door" in debet and "C2026-04-0001" in debet and "D2026049002" in debet


def test_products_are_named_in_their_own_standards_codelist(client: TestClient, omgeving: Omgeving) -> None:
    """WMO020 for an iWmo declaratie, JZ020 for an iJw one (the demo seed holds one of each)."""
    inloggen(client, omgeving.sleutels.viewer)
    wmo = client.get("/admin/declaraties/D2026040001").text
    assert "02 Begeleiding · 02A05" in wmo and "01 Hulp bij het huishouden · 01B02" in wmo
    jw = client.get("/admin/declaraties/DJ2026040001").text
    assert "45 Jeugdhulp ambulant · 45A05" in jw and "40 Persoonlijke verzorging · 40B02" in jw
