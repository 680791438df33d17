"""The console as a person reads it (issue 13, "The CLI and the console"): Dutch statuses, audit details without
Python syntax, no browser validation in English, the stored bytes with the sender's line numbers, partners by
name, whole numbers on the chart's axis, and a "Berichten" menu that opens every message."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.admin import woorden
from gateway.admin.grafiek import Dag, _schaal_max, asmarkeringen, staafgrafiek
from gateway.admin.xmlweergave import weergave
from gateway.store.lifecycle import Status
from gateway.store.models import AuditEvent, Bericht
from gateway.validation.validator import validate
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving, csrf_uit, ontvang
from tests.reference import our_example

FOUTE_BSN = b"123456789"  # nine digits that fail the 11-proef (CS002)


def _zichtbare_tekst(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# -- statuses and audit details ----------------------------------------------------------------------------

@pytest.mark.parametrize("pad", ["/admin", "/admin/berichten", "/admin/berichten/{tr019}", "/admin/berichten/{dead}",
                                 "/admin/declaraties/D2026040001"])
def test_statuses_read_in_dutch_on_every_page(client: TestClient, omgeving: Omgeving, pad: str) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(pad.format(tr019=omgeving.tr019, dead=omgeving.dead_letter)).text
    woorden_op_pagina = set(re.findall(r"[a-z_]+", _zichtbare_tekst(html)))
    assert not {s.value for s in Status} & woorden_op_pagina
    assert any(w in html for w in ("afgekeurd", "geaccepteerd", "niet afleverbaar"))


def test_the_audit_trail_shows_transitions_and_details_as_plain_dutch(client: TestClient,
                                                                     omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{omgeving.tr019}").text
    audit = html.split('id="audit"')[1]
    assert "ontvangen → afgekeurd" in audit
    assert "codes: TR019, TR074" in audit
    assert not re.search(r"[\[\]{}]|'\w+'", _zichtbare_tekst(audit))
    assert woorden.waarde(["a", "b"]) == "a, b" and woorden.waarde({"x": [1, 2], "y": None}) == "x: 1, 2; y: —"
    assert woorden.waarde([]) == "—" and woorden.waarde(True) == "ja"


# -- validation messages -----------------------------------------------------------------------------------

def test_forms_leave_checking_to_the_server_which_answers_in_dutch(client: TestClient, omgeving: Omgeving) -> None:
    aanmelden = client.get("/admin/inloggen")
    leeg = client.post("/admin/inloggen", data={"sleutel": " ", "csrf": csrf_uit(aanmelden.text)})
    assert leeg.status_code == 400 and "Vul uw beheersleutel in" in leeg.text
    inloggen(client, omgeving.sleutels.operator)
    for pad in ("/admin/berichten", f"/admin/berichten/{omgeving.tr019}", "/admin/client", "/admin/partners",
                "/admin/declaraties/D2026040001"):
        formulieren = re.findall(r"<form\b[^>]*>", client.get(pad).text)
        assert formulieren, pad
        # The browser's own checks speak the browser's language (English tooltips); ours speak Dutch.
        assert all("novalidate" in f for f in formulieren), (pad, formulieren)


# -- the XML as stored -------------------------------------------------------------------------------------

def _start_met_foute_bsn(regeleinde: bytes = b"\n") -> bytes:
    data = our_example("WMO305").replace(b"<Bsn>207416035</Bsn>", b"<Bsn>" + FOUTE_BSN + b"</Bsn>")
    return data.replace(b"\n", regeleinde)


@pytest.mark.parametrize("regeleinde", [b"\n", b"\r\n"])
def test_the_xml_is_shown_as_stored_so_a_findings_line_number_is_the_line_on_screen(
        client: TestClient, omgeving: Omgeving, regeleinde: bytes) -> None:
    data = _start_met_foute_bsn(regeleinde)
    [cs002] = [f for f in validate(data).errors if f.code == "CS002"]
    assert cs002.regel == 21  # what the sender's validator (and `iwmo-gateway validate`) says
    bericht_id = ontvang(omgeving.sessions, data)
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{bericht_id}").text
    rijen = re.findall(r'<tr id="regel-(\d+)"([^>]*)>\s*<td class="nr">\d+</td><td class="tekst"><code>(.*?)</code>',
                       html, re.S)
    bron = data.decode().split(regeleinde.decode())
    assert len(rijen) == len(bron) - (bron[-1] == "")
    regel21 = rijen[20]
    assert regel21[0] == "21" and "markering" in regel21[1] and "Bsn" in regel21[2]
    assert "*******89" in regel21[2] and FOUTE_BSN.decode() not in html
    gemarkeerd = [int(n) for n, attrs, _ in rijen if "markering" in attrs]
    assert 21 in gemarkeerd
    # Line for line the stored text, comment and indentation included (tags only coloured).
    assert [re.sub(r"<[^>]+>", "", t) for _, _, t in rijen][:3] == [
        r.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") for r in bron[:3]]


def test_an_element_spanning_lines_is_marked_from_start_tag_to_end_tag_in_the_stored_layout() -> None:
    data = _start_met_foute_bsn().replace(b"<Client>", b"<!-- een\n     opmerking -->\n\n  <Client>")
    client_pad = "/Bericht/Client"
    w = weergave(data, [[client_pad], ["/Bericht/Client/Bsn"]])
    tekst = data.decode().split("\n")
    begin = next(i for i, t in enumerate(tekst, 1) if "<Client>" in t)
    eind = next(i for i, t in enumerate(tekst, 1) if "</Client>" in t)
    assert [r.nummer for r in w.regels if 0 in r.bevindingen] == list(range(begin, eind + 1))
    assert [r.nummer for r in w.regels if 1 in r.bevindingen] == [begin + 1]
    assert w.eerste_regel == {0: begin, 1: begin + 1}


# -- partners by name --------------------------------------------------------------------------------------

def test_an_operator_names_an_aanbieder_and_every_page_uses_the_name(client: TestClient,
                                                                    omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    assert "12345678 → Rotterdam (0599)" in client.get(f"/admin/berichten/{omgeving.tr019}").text
    fout = client.post("/admin/partners", data={"csrf": csrf, "code": "12AB", "naam": "x"})
    assert fout.status_code == 400 and "geen AGB-code" in fout.text
    gemeente = client.post("/admin/partners", data={"csrf": csrf, "code": "0599", "naam": "x"})
    assert gemeente.status_code == 400 and "CBS-lijst" in gemeente.text
    r = client.post("/admin/partners", data={"csrf": csrf, "code": "12345678", "naam": "  Zorg  Thuis B.V. "})
    assert r.status_code == 303
    for pad in (f"/admin/berichten/{omgeving.tr019}", "/admin/berichten", "/admin", "/admin/partners"):
        assert "Zorg Thuis B.V." in client.get(pad).text, pad
    assert "Zorg Thuis B.V. (12345678) → Rotterdam (0599)" in client.get(f"/admin/berichten/{omgeving.tr019}").text
    with omgeving.sessions() as s:
        laatste = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (laatste.actor, laatste.action) == ("admin:olga", "partner_benoemd")
    assert laatste.details == {"partner": "12345678", "naam": "Zorg Thuis B.V.", "was": None}


def test_a_viewer_cannot_name_partners(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    assert client.post("/admin/partners", data={"csrf": csrf, "code": "12345678", "naam": "x"}).status_code == 403
    assert "Zorg" not in client.get("/admin/partners").text


# -- chart and menu ----------------------------------------------------------------------------------------

def test_the_chart_axis_carries_whole_numbers_only() -> None:
    for hoogste in range(0, 2001):
        top = _schaal_max(hoogste)
        markeringen = asmarkeringen(top)
        assert markeringen[0] == 0 and markeringen[-1] == top and 2 <= len(markeringen) <= 6
        stappen = {b - a for a, b in zip(markeringen, markeringen[1:], strict=False)}
        assert len(stappen) == 1 and all(isinstance(m, int) for m in markeringen)
    for hoogste in (1, 2, 3, 7, 13, 480):
        dagen = [Dag(dt.date(2026, 4, 1), hoogste, 0), Dag(dt.date(2026, 4, 2), 0, 0)]
        labels = re.findall(r'text-anchor="end">([^<]*)</text>', str(staafgrafiek(dagen)))
        assert labels and all(re.fullmatch(r"\d+", v) for v in labels), (hoogste, labels)


def test_the_berichten_menu_opens_every_message_with_afgekeurd_a_filter(client: TestClient,
                                                                        omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    assert '<a href="/admin/berichten"' in client.get("/admin").text
    alle = client.get("/admin/berichten").text
    ids = set(re.findall(r'name="id" value="([0-9a-f-]{36})"', alle))
    with omgeving.sessions() as s:
        totaal = len(list(s.scalars(select(Bericht.id))))
    assert {omgeving.tr019, omgeving.declaratie, omgeving.dead_letter} <= ids and len(ids) == min(totaal, 50)
    afgekeurd = client.get("/admin/berichten?status=rejected").text
    assert set(re.findall(r'name="id" value="([0-9a-f-]{36})"', afgekeurd)) == {omgeving.tr019, omgeving.geboren_na}
    assert re.search(r'<a href="/admin/berichten\?status=rejected" aria-current="page">Afgekeurd</a>', afgekeurd)
    assert '<option value="rejected" selected>afgekeurd</option>' in afgekeurd
