"""The console's pure parts: XML lines and marks, BSN masking and checks, the chart, the rule explanations,
the sign-in brake."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from gateway.admin import inlogrem, uitleg
from gateway.admin.grafiek import Dag, _schaal_max, staafgrafiek
from gateway.admin.tijdlijn import bsn_fout
from gateway.admin.xmlweergave import masker, weergave
from gateway.demo.seed import afgewezen_start
from gateway.ingest.ontvang import receive
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving, csrf_uit
from tests.msgedit import Msg

START2 = "/Bericht/Client/StartProducten/StartProduct[2]"


def test_a_leaf_element_marks_its_one_line_and_a_parent_marks_start_to_end_tag() -> None:
    w = weergave(afgewezen_start(), [[START2 + "/ToewijzingNummer"], [START2]])
    blad = [r for r in w.regels if 0 in r.bevindingen]
    assert len(blad) == 1 and "260999" in blad[0].html
    ouder = [r for r in w.regels if 1 in r.bevindingen]
    assert "&lt;<span class=\"tag\">StartProduct</span>&gt;" in ouder[0].html
    assert "&lt;/<span class=\"tag\">StartProduct</span>&gt;" in ouder[-1].html
    assert [r.nummer for r in ouder] == list(range(ouder[0].nummer, ouder[-1].nummer + 1))
    assert w.eerste_regel == {0: blad[0].nummer, 1: ouder[0].nummer}


def test_a_location_the_message_does_not_have_is_reported_not_marked() -> None:
    w = weergave(afgewezen_start(), [["/Bericht/Client/StartProducten/StartProduct[7]"]])
    assert w.niet_gevonden == ["/Bericht/Client/StartProducten/StartProduct[7]"]
    assert not any(r.bevindingen for r in w.regels)


def test_bsn_is_masked_in_the_xml_unless_asked() -> None:
    bsn = Msg(afgewezen_start()).text("Client/Bsn")
    assert bsn
    verborgen = "".join(str(r.html) for r in weergave(afgewezen_start(), []).regels)
    assert bsn not in verborgen and masker(bsn) in verborgen
    assert bsn in "".join(str(r.html) for r in weergave(afgewezen_start(), [], bsn_zichtbaar=True).regels)
    assert masker("207416035") == "*******35" and masker(None) == ""


def test_unreadable_bytes_are_shown_escaped_and_only_on_request() -> None:
    kapot = b"<Bericht><Bsn>207416035</Bsn><script>alert(1)</script>"
    assert "207416035" not in str(weergave(kapot, []).regels[0].html)
    getoond = weergave(kapot, [["/Bericht/Bsn"]], bsn_zichtbaar=True)
    assert not getoond.leesbaar and getoond.niet_gevonden == ["/Bericht/Bsn"]
    assert "&lt;script&gt;" in str(getoond.regels[0].html) and "<script>" not in str(getoond.regels[0].html)


def test_bsn_check_wants_nine_digits_passing_the_elfproef() -> None:
    assert bsn_fout("207416035") == ""
    assert "9 cijfers" in bsn_fout("20741603") and "9 cijfers" in bsn_fout("20741603a")
    assert "elfproef" in bsn_fout("207416036")


def test_chart_axis_rounds_up_and_every_day_gets_a_titled_bar() -> None:
    assert [_schaal_max(n) for n in (0, 1, 3, 7, 20, 21, 480)] == [1, 1, 5, 10, 20, 50, 500]
    dagen = [Dag(dt.date(2026, 4, d), d * 3, d) for d in range(1, 8)]
    svg = str(staafgrafiek(dagen))
    assert svg.count('class="afgekeurd"') == 7 and "07-04: 21 berichten, 7 afgekeurd" in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_every_registered_rule_has_an_explanation_with_a_fix_and_its_retourcode_meaning() -> None:
    from gateway.validation.cross.registry import all_cross_rules
    from gateway.validation.rules.registry import all_rules

    for r in [*all_rules(), *all_cross_rules()]:
        u = uitleg.uitleg(r.code, r.retourcode, "")
        assert u.oplossing and u.retourcode == r.retourcode, r.code
        assert u.betekenis and "zie codelijst" not in u.betekenis, f"{r.retourcode} ontbreekt in WJ001"
    assert uitleg.uitleg("XSD", "0001", "").oplossing.startswith("Corrigeer")


def test_an_unreadable_message_detail_is_escaped(client: TestClient, omgeving: Omgeving) -> None:
    kapot = b"<Bericht><script>alert('x')</script>"
    bericht_id = receive(omgeving.sessions, kapot, party="12345678").id
    inloggen(client, omgeving.sleutels.viewer)
    pagina = client.get(f"/admin/berichten/{bericht_id}")
    assert pagina.status_code == 200 and "onleesbaar bericht" in pagina.text
    getoond = client.post(f"/admin/berichten/{bericht_id}/bsn", data={"csrf": csrf_uit(pagina.text)}).text
    assert "&lt;script&gt;alert" in getoond and not re.search(r"<script>alert", getoond)


def test_the_sign_in_brake_slides_its_window_and_says_how_long_to_wait() -> None:
    nu = [1000.0]
    rem = inlogrem.Inlogrem(inlogrem.Grens(3, 60), inlogrem.Grens(5, 60), klok=lambda: nu[0])
    for stap in (0, 10, 20):
        nu[0] = 1000 + stap
        assert rem.wachten("10.0.0.1", "iwmo_abc") is None
        rem.mislukt("10.0.0.1", "iwmo_abc")
    assert rem.wachten("10.0.0.1", "iwmo_xyz") == inlogrem.Wachten(40, "adres")  # the first leaves at 1060
    assert rem.wachten("10.0.0.2", "iwmo_abc") is None  # another address, and the prefix has room for 2 more
    nu[0] = 1060
    assert rem.wachten("10.0.0.1", "iwmo_abc") is None  # the oldest failure slid out of the window
    rem.mislukt("10.0.0.2", "iwmo_abc")
    rem.mislukt("10.0.0.3", "iwmo_abc")
    rem.mislukt("10.0.0.4", "iwmo_abc")  # five in the window now: 1010, 1020, 1060, 1060, 1060
    assert rem.wachten("10.0.0.5", "iwmo_abc") == inlogrem.Wachten(10, "sleutel")
