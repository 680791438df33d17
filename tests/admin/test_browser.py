"""The console in a real headless Chromium against a real uvicorn process on loopback.

Debian's chromium is used as is (no browser download). Set IWMO_SCREENSHOTS=<folder> to also write the
screenshots for the README (scripts/screenshots does that).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.messages.declaratie_antwoord import beslissing_uit_antwoord
from gateway.store.models import Bericht
from gateway.validation.validator import validate
from tests.admin.omgeving import Omgeving, bouw, lever_wachtrij_af, open_declaratie
from tests.chromium import MARKS, chromium, sync_api
from tests.serveproces import gateway_proces

pytestmark = MARKS

SCREENSHOTS = os.environ.get("IWMO_SCREENSHOTS")


@pytest.fixture(scope="module")
def omgeving(tmp_path_factory: pytest.TempPathFactory) -> Omgeving:
    return bouw(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(omgeving: Omgeving, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = {"IWMO_DATABASE_URL": omgeving.url, "IWMO_ADMIN_SECRET": omgeving.settings.admin_secret or "",
                "IWMO_ROUTES_FILE": omgeving.settings.routes_file}
    with gateway_proces(["serve"], map_=tmp_path_factory.mktemp("serve"), settings=settings, pad="/ready") as s:
        yield s.base
    assert "207416035" not in s.uitvoer()  # the demo client's BSN never reaches the log


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with chromium() as b:
        yield b


def _nieuwe_pagina(browser: sync_api.Browser) -> sync_api.Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    pagina = context.new_page()
    pagina.set_default_timeout(15_000)
    return pagina


def _inloggen(browser: sync_api.Browser, basis: str, sleutel: str, pad: str = "/admin") -> sync_api.Page:
    pagina = _nieuwe_pagina(browser)
    pagina.goto(basis + pad)
    pagina.fill("#sleutel", sleutel)
    pagina.click("button:has-text('Inloggen')")
    pagina.wait_for_load_state()
    return pagina


def _screenshot(pagina: sync_api.Page, naam: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        pagina.screenshot(path=str(Path(SCREENSHOTS) / f"{naam}.png"), full_page=True)


@pytest.fixture(scope="module")
def operator(browser: sync_api.Browser, server: str, omgeving: Omgeving) -> sync_api.Page:
    return _inloggen(browser, server, omgeving.sleutels.operator)


def test_signed_out_visitor_lands_on_the_sign_in_page(browser: sync_api.Browser, server: str) -> None:
    pagina = _nieuwe_pagina(browser)
    pagina.goto(server + "/admin/afgekeurd")
    assert pagina.url.startswith(server + "/admin/inloggen")
    assert pagina.locator("h1").inner_text() == "Inloggen"
    pagina.context.close()


def test_sign_in_shows_the_dashboard_with_the_queues(operator: sync_api.Page, server: str) -> None:
    assert operator.url == server + "/admin"
    tegel = operator.locator(".tegel", has_text="Afgekeurde berichten")
    assert tegel.locator(".getal").inner_text() == "2"
    assert operator.locator("svg.grafiek rect.afgekeurd").count() == 30
    assert "olga" in operator.locator(".wie").inner_text()
    _screenshot(operator, "dashboard")


def test_filter_the_rejected_list_by_rule_code(operator: sync_api.Page, server: str) -> None:
    operator.click("nav >> text=Berichten")  # every message; "Afgekeurd" is one of the filters
    assert operator.url == server + "/admin/berichten"
    assert operator.locator("#berichten tbody tr").count() > 2
    operator.click("nav.tabs >> text=Afgekeurd")
    operator.wait_for_load_state()
    assert operator.locator("#berichten tbody tr").count() == 2
    assert operator.locator("#berichten tbody tr .status").all_inner_texts() == ["afgekeurd", "afgekeurd"]
    operator.fill("input[name=regel]", "TR019")
    operator.click("button:has-text('Filter')")
    operator.wait_for_load_state()
    rijen = operator.locator("#berichten tbody tr")
    assert rijen.count() == 1
    assert "START260408" in rijen.first.inner_text() and "TR019" in rijen.first.inner_text()
    assert "regel=TR019" in operator.url
    operator.fill("input[name=regel]", "")
    operator.click("button:has-text('Filter')")
    operator.wait_for_load_state()
    _screenshot(operator, "afgekeurd")


def test_open_a_message_and_see_the_failing_element_highlighted_with_its_fix(operator: sync_api.Page,
                                                                             omgeving: Omgeving) -> None:
    operator.click("#berichten >> text=START260408")
    operator.wait_for_load_state()
    assert omgeving.tr019 in operator.url
    gemarkeerd = operator.locator("table.xml tr.markering")
    teksten = gemarkeerd.all_inner_texts()
    assert any("<ToewijzingNummer>260999</ToewijzingNummer>" in t for t in teksten)
    bevinding = operator.locator(".bevinding", has_text="TR019")
    assert "Neem het ToewijzingNummer over uit de WMO301" in bevinding.locator(".oplossing").inner_text()
    assert "9019" in bevinding.inner_text()
    # Following the finding's location lights up its line and brings it into view.
    bevinding.locator("[data-toon]").first.click()
    actief = operator.locator("table.xml tr.actief")
    assert actief.count() == 1 and "260999" in actief.inner_text()
    assert actief.is_visible()
    assert "207416035" not in operator.content()  # masked until someone asks
    _screenshot(operator, "bericht")


def test_mark_handled_and_see_it_in_the_audit_timeline(operator: sync_api.Page, omgeving: Omgeving) -> None:
    # Sent empty, the form gets our Dutch answer from the server, not the browser's own (English) tooltip.
    operator.click("button:has-text('Markeer als afgehandeld')")
    operator.wait_for_load_state()
    assert "Afhandelen vraagt een opmerking" in operator.locator(".fout").inner_text()
    assert operator.locator("h1 .status").inner_text() == "afgekeurd"
    operator.fill("#opmerking", "Aanbieder gebeld: start volgt met het juiste ToewijzingNummer")
    operator.click("button:has-text('Markeer als afgehandeld')")
    operator.wait_for_load_state()
    assert "als afgehandeld gemarkeerd" in operator.locator(".gelukt").inner_text()
    assert operator.locator("h1 .status").inner_text() == "afgehandeld"
    laatste = operator.locator("#audit li").last.inner_text()
    assert "afgehandeld" in laatste and "admin:olga" in laatste and "afgekeurd → afgehandeld" in laatste
    assert "Aanbieder gebeld" in laatste


def test_requeue_a_dead_letter_and_see_it_delivered(operator: sync_api.Page, server: str,
                                                    omgeving: Omgeving) -> None:
    operator.goto(server + "/admin")
    operator.click(".tegel >> text=Niet afleverbaar")
    operator.click("#berichten >> text=TW-DOOD-0001")
    operator.wait_for_load_state()
    assert "IB010" in operator.locator(".aflevering").first.inner_text()
    operator.once("dialog", lambda dialog: dialog.accept())
    operator.click("button:has-text('Opnieuw in de wachtrij')")
    operator.wait_for_load_state()
    assert operator.locator("h1 .status").inner_text() == "in wachtrij"
    assert lever_wachtrij_af(omgeving.sessions) == 1  # the worker's pass, with a hub that accepts
    operator.reload()
    assert operator.locator("h1 .status").inner_text() == "afgeleverd"
    acties = operator.locator("#audit li .actie").all_inner_texts()
    assert acties[-3:] == ["niet_afleverbaar", "in_wachtrij", "afgeleverd"]
    assert "admin:olga" in operator.locator("#audit li", has_text="in_wachtrij").last.inner_text()


def test_viewer_sees_no_actions_and_a_forged_post_is_refused(browser: sync_api.Browser, server: str,
                                                             omgeving: Omgeving) -> None:
    pagina = _inloggen(browser, server, omgeving.sleutels.viewer, f"/admin/berichten/{omgeving.geboren_na}")
    assert omgeving.geboren_na in pagina.url
    assert pagina.locator("section.acties").count() == 0
    assert "viewer" in pagina.locator(".noot").first.inner_text()
    csrf = pagina.locator("input[name=csrf]").first.get_attribute("value")
    status = pagina.evaluate(
        """async ([pad, csrf]) => (await fetch(pad, {method: 'POST', body: new URLSearchParams(
               {csrf, opmerking: 'mag niet'})})).status""",
        [f"/admin/berichten/{omgeving.geboren_na}/afhandelen", csrf])
    assert status == 403
    pagina.context.close()


def test_the_pages_load_nothing_from_another_host(operator: sync_api.Page, server: str,
                                                  omgeving: Omgeving) -> None:
    verzoeken: list[str] = []
    operator.on("request", lambda r: verzoeken.append(r.url))
    for pad in ("/admin", "/admin/afgekeurd?status=alle", f"/admin/berichten/{omgeving.declaratie}"):
        operator.goto(server + pad)
    assert verzoeken and all(re.match(re.escape(server) + "/", u) for u in verzoeken)


def test_the_pages_keep_to_their_content_security_policy(operator: sync_api.Page, server: str,
                                                         omgeving: Omgeving) -> None:
    # The policy forbids inline script and style: a page that still had some would lose it silently.
    meldingen: list[str] = []
    operator.on("console", lambda m: meldingen.append(m.text))
    for pad in ("/admin", "/admin/afgekeurd?status=alle", f"/admin/berichten/{omgeving.tr019}",
                "/admin/achterstallig", "/admin/client"):
        antwoord = operator.goto(server + pad)
        assert antwoord is not None and "frame-ancestors 'none'" in antwoord.headers["content-security-policy"]
    assert not [m for m in meldingen if "Content Security Policy" in m]


def test_an_operator_refuses_one_prestatie_and_sends_the_wmo325(operator: sync_api.Page, server: str,
                                                                 omgeving: Omgeving) -> None:
    decl = open_declaratie(omgeving, "D2026069501", maand="06")
    operator.goto(server + "/admin")
    operator.click("nav >> text=Declaraties")
    operator.click("nav.tabs >> text=Open")
    operator.click("#declaraties >> text=D2026069501")
    operator.wait_for_load_state()
    assert "wacht op beslissing" in operator.locator("tr[data-prestatie='D2026069501-2']").inner_text()
    operator.select_option("tr[data-prestatie='D2026069501-2'] select[name=retourcode]", "9340")
    operator.once("dialog", lambda dialog: dialog.accept())
    operator.click("button:has-text('Verstuur declaratie-antwoord')")
    operator.wait_for_load_state()
    assert "Het declaratie-antwoord is opgesteld" in operator.locator(".gelukt").inner_text()
    geweigerd = operator.locator("tr[data-prestatie='D2026069501-2']").inner_text()
    assert "afgewezen" in geweigerd and "9340" in geweigerd
    assert "toegekend" in operator.locator("tr[data-prestatie='D2026069501-1']").inner_text()
    assert operator.locator("select[name=retourcode]").count() == 0
    _screenshot(operator, "declaratie")
    with omgeving.sessions() as s:
        [antwoord] = s.scalars(select(Bericht).where(Bericht.antwoord_op_id == decl,
                                                     Bericht.berichttype == "WMO325")).all()
        assert validate(antwoord.raw).valid
        assert beslissing_uit_antwoord(antwoord.raw)["afgewezen"] == {"D2026069501-2": ("9340",)}
    operator.click("[data-antwoord]")  # the stored 325, linked from its declaratie
    operator.wait_for_load_state()
    assert antwoord.id in operator.url and "WMO325" in operator.locator("h1").inner_text()
