"""/admin/herverwerking: the filter form, the dry run, the start button (operators, with CSRF), the batch page with
progress and pause/resume, and the link in the navigation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.herverwerking.uitvoering import Herverwerker
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving
from tests.herverwerking.conftest import acties, status

PROEF = {"status": "dead_letter", "actie": "opnieuw_in_wachtrij"}


def test_an_administrator_dry_runs_starts_pauses_and_resumes_a_batch(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.admin)
    pagina = client.get("/admin/herverwerking")
    assert pagina.status_code == 200 and 'href="/admin/herverwerking" aria-current="page"' in pagina.text
    proef = client.get("/admin/herverwerking", params=PROEF)
    assert proef.status_code == 200
    assert '<span id="proef-totaal">1</span>' in proef.text and f'data-bericht="{omgeving.dead_letter}"' in proef.text
    assert "Start herverwerking van 1 bericht" in proef.text and "dezelfde envelop" in proef.text

    zonder_csrf = client.post("/admin/herverwerking", data=PROEF)
    assert zonder_csrf.status_code == 403 and status(omgeving.sessions, omgeving.dead_letter) == "dead_letter"
    gestart = client.post("/admin/herverwerking", data={**PROEF, "csrf": csrf})
    assert gestart.status_code == 303
    pad = gestart.headers["location"].split("?")[0]
    batch = client.get(pad)
    assert batch.status_code == 200 and '<span id="voortgang">0 van 1</span>' in batch.text and "Pauzeren" in batch.text
    assert client.post(f"{pad}/pauzeren", data={"csrf": csrf}).status_code == 303
    assert "Hervatten" in client.get(pad).text and Herverwerker(omgeving.sessions).werk() == 0
    assert client.post(f"{pad}/pauzeren", data={"csrf": csrf}).status_code == 409  # paused already: said in Dutch
    assert client.post(f"{pad}/hervatten", data={"csrf": csrf}).status_code == 303
    Herverwerker(omgeving.sessions).alles()
    klaar = client.get(pad).text
    assert '<span id="voortgang">1 van 1</span>' in klaar and "opnieuw in de wachtrij: 1" in klaar
    assert status(omgeving.sessions, omgeving.dead_letter) == "queued"
    assert ("herverwerkt", "admin:beheer") in [(a, actor) for a, actor, _ in acties(omgeving.sessions,
                                                                                  omgeving.dead_letter)]


def test_a_bad_filter_is_answered_in_dutch_and_a_viewer_may_look_but_not_start(client: TestClient,
                                                                               omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    fout = client.get("/admin/herverwerking", params={"regel": "TR999", "actie": "herbeoordelen"})
    assert fout.status_code == 400 and "regel: &#39;TR999&#39; is geen regelcode" in fout.text
    proef = client.get("/admin/herverwerking", params=PROEF)
    assert "herverwerken is voor beheerders" in proef.text and "Start herverwerking" not in proef.text
    assert client.post("/admin/herverwerking", data={**PROEF, "csrf": csrf}).status_code == 403
    assert status(omgeving.sessions, omgeving.dead_letter) == "dead_letter"


def test_an_operator_may_dry_run_but_replay_is_for_administrators_as_in_the_api(client: TestClient,
                                                                                omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    proef = client.get("/admin/herverwerking", params=PROEF)
    assert "herverwerken is voor beheerders" in proef.text and "Start herverwerking" not in proef.text
    geweigerd = client.post("/admin/herverwerking", data={**PROEF, "csrf": csrf})
    assert geweigerd.status_code == 403 and "beheerderssleutel" in geweigerd.text
    assert status(omgeving.sessions, omgeving.dead_letter) == "dead_letter"
