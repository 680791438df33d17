"""The overview's banner: what needs action now (dead letters, a stuck queue, answers due or overdue), from the
same measurements as the Prometheus alerts, each line linking to where to act."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

from fastapi.testclient import TestClient

from gateway.store.lifecycle import Status, transition
from gateway.store.models import Bericht
from gateway.transport.outbox import plan
from tests.admin.conftest import inloggen
from tests.admin.omgeving import ROUTE, Omgeving, ontvang
from tests.msgedit import Msg
from tests.reference import our_example


def _banner(client: TestClient) -> list[tuple[str, str]]:
    """(link, text) of each line of the banner; [] when the page has none."""
    pagina = client.get("/admin")
    assert pagina.status_code == 200
    sectie = re.search(r'<section class="fout" role="alert" aria-labelledby="meldingen">(.*?)</section>', pagina.text,
                       re.S)
    if sectie is None:
        return []
    return [(htmllib.unescape(a), htmllib.unescape(t)) for a, t in re.findall(r'<li><a href="([^"]+)">([^<]+)</a>',
                                                                                sectie.group(1))]


def _in_wachtrij(omgeving: Omgeving, identificatie: str, sinds: dt.datetime) -> str:
    bericht_id = ontvang(omgeving.sessions, Msg(our_example("WMO301"))
                         .set("Header/BerichtIdentificatie/Identificatie", identificatie).bytes())
    with omgeving.sessions() as s, s.begin():
        plan(s, s.get(Bericht, bericht_id), ROUTE, actor="test", nu=sinds)
    return bericht_id


def test_the_banner_names_the_dead_letter_and_links_to_it(client: TestClient, omgeving: Omgeving) -> None:
    inloggen(client, omgeving.sleutels.viewer)
    [(link, tekst)] = _banner(client)
    assert tekst.startswith("1 × WMO301 niet afleverbaar") and "opnieuw in de wachtrij" in tekst
    assert link == "/admin/berichten?status=dead_letter&type=WMO301&partner=12345678"
    assert omgeving.dead_letter in client.get(link).text


def test_a_stuck_queue_and_an_overdue_answer_join_the_banner(client: TestClient, omgeving: Omgeving) -> None:
    nu = dt.datetime.now(dt.UTC)
    _in_wachtrij(omgeving, "TW-WACHT-0001", nu - dt.timedelta(hours=2))
    _in_wachtrij(omgeving, "TW-LAAT-0001", nu - dt.timedelta(days=21))
    inloggen(client, omgeving.sleutels.viewer)
    regels = _banner(client)
    assert [t.split(":")[0] for _, t in regels] == [
        "1 × WMO301 zonder WMO302 na de termijn (OP090)", "1 × WMO301 niet afleverbaar", "WMO301"]
    assert regels[0][0] == "/admin/achterstallig?regel=OP090"
    assert "de oudste aflevering wacht al 30240 minuten" in regels[2][1]  # 21 days: the overdue one is queued too
    assert regels[2][0] == "/admin/berichten?status=queued&type=WMO301&partner=12345678"


def test_no_banner_when_nothing_needs_action(client: TestClient, omgeving: Omgeving) -> None:
    with omgeving.sessions() as s, s.begin():
        transition(s, s.get(Bericht, omgeving.dead_letter), Status.HANDLED, actor="test")
    inloggen(client, omgeving.sleutels.viewer)
    assert _banner(client) == []
    assert "Nu actie nodig" not in client.get("/admin").text
