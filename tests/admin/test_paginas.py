"""The console's pages over a seeded store: filters, search, detail, actions, exports, client timeline."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.store.models import Aflevering, AuditEvent, Bericht, BerichtSleutel
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving, lever_wachtrij_af, maak_dead_letter, ontvang, toewijzing_met_fout

BSN = "207416035"  # the client of the demo conversation


def _ids_in_lijst(html: str) -> list[str]:
    return re.findall(r'name="id" value="([0-9a-f-]{36})"', html)


def _audit(omgeving: Omgeving, bericht_id: str | None = None) -> list[AuditEvent]:
    with omgeving.sessions() as s:
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if bericht_id:
            stmt = stmt.where(AuditEvent.bericht_id == bericht_id)
        return list(s.scalars(stmt))


def _status(omgeving: Omgeving, bericht_id: str) -> str:
    with omgeving.sessions() as s:
        return s.get(Bericht, bericht_id).status  # type: ignore[union-attr]


# -- the list ----------------------------------------------------------------------------------------------

def test_the_list_shows_rejected_messages_by_default(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    ids = _ids_in_lijst(client.get("/admin/afgekeurd").text)
    assert set(ids) == {omgeving.tr019, omgeving.geboren_na}


def test_filter_by_rule_code_and_retourcode(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    assert _ids_in_lijst(client.get("/admin/afgekeurd?regel=TR019").text) == [omgeving.tr019]
    assert _ids_in_lijst(client.get("/admin/afgekeurd?retourcode=9019").text) == [omgeving.tr019]
    assert _ids_in_lijst(client.get("/admin/afgekeurd?retourcode=0001").text) == [omgeving.geboren_na]
    assert _ids_in_lijst(client.get("/admin/afgekeurd?regel=TR999").text) == []


def test_filter_by_type_partner_status_and_period(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    assert _ids_in_lijst(client.get("/admin/afgekeurd?type=305").text) == [omgeving.tr019]
    assert _ids_in_lijst(client.get("/admin/afgekeurd?type=WMO301&partner=0599").text) == [omgeving.geboren_na]
    assert _ids_in_lijst(client.get("/admin/afgekeurd?status=dead_letter").text) == [omgeving.dead_letter]
    assert len(_ids_in_lijst(client.get("/admin/afgekeurd?status=alle&periode=vandaag").text)) > 10
    assert _ids_in_lijst(client.get("/admin/afgekeurd?status=alle&vanaf=2020-01-01&tot=2020-12-31").text) == []


def test_a_bad_filter_value_names_the_field_and_the_format(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    r = client.get("/admin/afgekeurd?vanaf=8-4-2026")
    assert r.status_code == 400
    assert "vanaf: &#39;8-4-2026&#39; is geen datum; gebruik JJJJ-MM-DD" in r.text
    assert client.get("/admin/afgekeurd?type=WMO999").status_code == 400


def test_search_matches_a_prefix_of_any_identifier(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    alle = "/admin/afgekeurd?status=alle&zoek="
    assert _ids_in_lijst(client.get(alle + "START2604").text) != []  # BerichtIdentificatie
    assert omgeving.tr019 in _ids_in_lijst(client.get(alle + "START26040").text)
    assert omgeving.tr019 in _ids_in_lijst(client.get(alle + "260999").text)  # ToewijzingNummer
    assert omgeving.declaratie in _ids_in_lijst(client.get(alle + "D20260400").text)  # DeclaratieNummer
    with omgeving.sessions() as s:
        envelop = s.scalars(select(Aflevering.envelop_id).where(Aflevering.bericht_id == omgeving.dead_letter)).one()
    assert _ids_in_lijst(client.get(alle + envelop[:13]).text) == [omgeving.dead_letter]  # envelope id
    assert _ids_in_lijst(client.get(alle + BSN).text) == []  # a BSN is not a search key here


def test_pages_follow_a_keyset_cursor_without_gaps_or_repeats(client: TestClient, omgeving: Omgeving) -> None:
    for n in range(60):
        ontvang(omgeving.sessions, toewijzing_met_fout(f"TW-VEEL-{n:04d}"))
    inloggen(client, omgeving.sleutels.viewer)
    eerste = client.get("/admin/afgekeurd").text
    ids = _ids_in_lijst(eerste)
    assert len(ids) == 50
    volgende = re.search(r'rel="next" href="([^"]+)"', eerste)
    assert volgende
    tweede = client.get(volgende.group(1).replace("&amp;", "&")).text
    ids2 = _ids_in_lijst(tweede)
    assert len(ids2) == 12 and not set(ids) & set(ids2)
    assert 'rel="next"' not in tweede


# -- exports -----------------------------------------------------------------------------------------------

def test_csv_export_holds_the_filtered_list_with_rule_and_retourcodes(client: TestClient,
                                                                     omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    r = client.get("/admin/afgekeurd.csv?regel=TR019")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rijen = list(csv.DictReader(io.StringIO(r.text), delimiter=";"))
    assert [row["id"] for row in rijen] == [omgeving.tr019]
    assert rijen[0]["regelcodes"] == "TR019 TR074" and rijen[0]["retourcodes"] == "9019 9074"
    assert BSN not in client.get("/admin/afgekeurd.csv?status=alle").text


def test_zip_export_holds_the_selected_messages_verbatim_and_is_audited(client: TestClient,
                                                                       omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    r = client.post("/admin/afgekeurd.zip", data={"csrf": csrf, "id": [omgeving.tr019, omgeving.geboren_na]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    with omgeving.sessions() as s:
        verwacht = {s.get(Bericht, i).raw for i in (omgeving.tr019, omgeving.geboren_na)}  # type: ignore[union-attr]
    assert {z.read(n) for n in z.namelist()} == verwacht
    assert any(n.startswith("WMO305_START260408_") for n in z.namelist())
    laatste = _audit(omgeving)[-1]
    assert laatste.action == "xml_geexporteerd" and set(laatste.details["berichten"]) == {omgeving.tr019,
                                                                                            omgeving.geboren_na}
    assert client.post("/admin/afgekeurd.zip", data={"csrf": csrf}).status_code == 400
    assert client.post("/admin/afgekeurd.zip", data={"id": [omgeving.tr019]}).status_code == 403


# -- detail ------------------------------------------------------------------------------------------------

def test_detail_marks_the_element_each_finding_names_and_gives_the_fix(client: TestClient,
                                                                       omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{omgeving.tr019}").text
    gemarkeerd = re.findall(r'<tr id="regel-(\d+)" class="markering" data-bevindingen="([\d ]+)"[^>]*>\s*'
                            r'<td class="nr">\d+</td><td class="tekst"><code>(.*?)</code>', html)
    tr019 = [tekst for _, idx, tekst in gemarkeerd if "0" in idx.split()]
    assert len(tr019) == 1 and "260999" in tr019[0] and "ToewijzingNummer" in tr019[0]
    assert "9019" in html and "Het start- of stopbericht hoort bij geen enkele bekende toewijzing." in html
    assert "Neem het ToewijzingNummer over uit de WMO301" in html  # the registry's fix instruction
    assert "Zo lost u het op" in html


def test_detail_masks_the_bsn_and_showing_it_is_audited(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{omgeving.tr019}").text
    assert BSN not in html and "*******35" in html
    getoond = client.post(f"/admin/berichten/{omgeving.tr019}/bsn", data={"csrf": csrf})
    assert getoond.status_code == 200 and BSN in getoond.text
    laatste = _audit(omgeving, omgeving.tr019)[-1]
    assert (laatste.actor, laatste.action) == ("admin:victor", "bsn_getoond")
    assert BSN not in str(laatste.details)


def test_detail_shows_retourbericht_conversation_and_audit_trail(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{omgeving.tr019}").text
    assert "WMO306" in html  # its retourbericht
    assert re.search(r'class="actie">ontvangen</b>', html) and "beoordeeld" in html


def test_declaratie_shows_each_prestatie_with_its_outcome_and_the_amounts(client: TestClient,
                                                                          omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get(f"/admin/berichten/{omgeving.declaratie}").text
    toegekend = re.search(r'<tr data-prestatie="P2026-04-0001">(.*?)</tr>', html, re.S)
    afgewezen = re.search(r'<tr data-prestatie="P2026-04-0002">(.*?)</tr>', html, re.S)
    assert toegekend and afgewezen
    assert ">toegekend<" in toegekend.group(1) and "9308" not in toegekend.group(1)
    assert ">afgewezen<" in afgewezen.group(1) and "9308" in afgewezen.group(1)
    assert 'data-bedrag="ingediend">€ 1.393,00' in html and 'data-bedrag="toegekend">€ 738,00' in html
    assert 'data-bedrag="afgewezen">€ 655,00' in html


def test_verzoek_conversation_follows_the_referentie_aanbieder_to_the_toewijzing(client: TestClient,
                                                                                omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    with omgeving.sessions() as s:
        verzoek = s.scalars(select(Bericht.id).where(Bericht.berichttype == "WMO315")).one()
    gesprek = client.get(f"/admin/berichten/{verzoek}").text.split('id="gesprek-kop"')[1].split("</section>")[0]
    soorten = re.findall(r">(WMO3\d\d)</a>", gesprek)
    assert soorten[:2] == ["WMO315", "WMO316"]  # heen and retour first, then the answers to the verzoek
    assert {"WMO301", "WMO302", "WMO319", "WMO320"} <= set(soorten[2:])
    assert not {"WMO305", "WMO307", "WMO323"} & set(soorten)


# -- actions -----------------------------------------------------------------------------------------------

def test_mark_handled_with_a_comment_is_audited_and_shown_in_the_timeline(client: TestClient,
                                                                        omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    pad = f"/admin/berichten/{omgeving.tr019}/afhandelen"
    leeg = client.post(pad, data={"csrf": csrf, "opmerking": "  "})
    assert leeg.status_code == 409 and "vraagt een opmerking" in leeg.text
    r = client.post(pad, data={"csrf": csrf, "opmerking": "Aanbieder gebeld; start komt opnieuw"})
    assert r.status_code == 303
    assert _status(omgeving, omgeving.tr019) == "handled"
    laatste = _audit(omgeving, omgeving.tr019)[-1]
    assert (laatste.actor, laatste.action, laatste.from_state, laatste.to_state) == \
        ("admin:olga", "afgehandeld", "rejected", "handled")
    assert laatste.details == {"opmerking": "Aanbieder gebeld; start komt opnieuw"}
    html = client.get(r.headers["location"]).text
    assert "als afgehandeld gemarkeerd" in html and "Aanbieder gebeld; start komt opnieuw" in html
    nogmaals = client.post(pad, data={"csrf": csrf, "opmerking": "nog eens"})
    assert nogmaals.status_code == 409 and "status &#39;afgehandeld&#39;" in nogmaals.text


def test_requeue_of_a_dead_letter_queues_it_in_a_fresh_envelope_and_the_worker_delivers(
        client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    r = client.post(f"/admin/berichten/{omgeving.dead_letter}/opnieuw-in-wachtrij", data={"csrf": csrf})
    assert r.status_code == 303
    assert _status(omgeving, omgeving.dead_letter) == "queued"
    assert lever_wachtrij_af(omgeving.sessions) == 1
    assert _status(omgeving, omgeving.dead_letter) == "delivered"
    acties = [(e.actor, e.action) for e in _audit(omgeving, omgeving.dead_letter)]
    assert ("admin:olga", "in_wachtrij") in acties and acties[-1] == ("worker", "afgeleverd")
    html = client.get(f"/admin/berichten/{omgeving.dead_letter}").text
    assert html.count('class="aflevering"') == 2 and "IB010" in html
    nogmaals = client.post(f"/admin/berichten/{omgeving.dead_letter}/opnieuw-in-wachtrij", data={"csrf": csrf})
    assert nogmaals.status_code == 409 and "niet toegestaan" in nogmaals.text


def test_resend_is_refused_for_a_rejected_message_and_sends_a_delivered_one_again(client: TestClient,
                                                                                omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    geweigerd = client.post(f"/admin/berichten/{omgeving.tr019}/opnieuw-verzenden", data={"csrf": csrf})
    assert geweigerd.status_code == 409 and "Opnieuw verzenden kan niet" in geweigerd.text
    bericht_id = maak_dead_letter(omgeving.sessions, "TW-DOOD-0002")
    client.post(f"/admin/berichten/{bericht_id}/opnieuw-in-wachtrij", data={"csrf": csrf})
    lever_wachtrij_af(omgeving.sessions)
    r = client.post(f"/admin/berichten/{bericht_id}/opnieuw-verzenden", data={"csrf": csrf})
    assert r.status_code == 303
    assert _status(omgeving, bericht_id) == "delivered"
    assert _audit(omgeving, bericht_id)[-1].action == "opnieuw_verzonden"
    with omgeving.sessions() as s:
        assert len(list(s.scalars(select(Aflevering).where(Aflevering.bericht_id == bericht_id)))) == 3


# -- dashboard and client ----------------------------------------------------------------------------------

def test_dashboard_counts_queues_and_draws_the_chart(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    html = client.get("/admin").text
    tegels = dict((naam, int(n)) for n, naam in re.findall(
        r'<span class="getal">(\d+)</span> <span class="naam">([^<]+)</span>', html))
    assert tegels["Afgekeurde berichten"] == 2 and tegels["Niet afleverbaar"] == 1
    assert "<svg" in html and "afgekeurd</title>" in html
    with omgeving.sessions() as s:
        totaal = len(list(s.scalars(select(Bericht.id))))
    assert f"alle berichten ({totaal})" in html and "afgekeurd (2)" in html


def test_client_timeline_needs_a_valid_bsn_and_audits_lookup_and_reveal(client: TestClient,
                                                                       omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    fout = client.post("/admin/client", data={"csrf": csrf, "bsn": "123456789"})
    assert fout.status_code == 400 and "elfproef" in fout.text
    r = client.post("/admin/client", data={"csrf": csrf, "bsn": BSN})
    assert r.status_code == 200
    zichtbaar = r.text.replace(f'value="{BSN}"', "")  # the form keeps what was typed, as a password field
    assert BSN not in zichtbaar and "*******35" in r.text
    soorten = re.findall(r'<span class="soort">([^<]+)</span>', r.text)
    assert {"verzoek", "toewijzing", "start", "stop", "declaratie"} <= set(soorten)
    assert _audit(omgeving)[-1].action == "client_opgezocht"
    getoond = client.post("/admin/client", data={"csrf": csrf, "bsn": BSN, "toon": "1"})
    assert f"Cliënt {BSN}" in getoond.text
    laatste = _audit(omgeving)[-1]
    assert laatste.action == "bsn_getoond" and BSN not in str(laatste.details)
    with omgeving.sessions() as s:
        over_client = set(s.scalars(select(BerichtSleutel.bericht_id).where(BerichtSleutel.value == BSN)))
    assert over_client <= set(laatste.details["berichten"])
