"""Profiles per partner: an operator pins a partner to the profiles it exchanges (a transition to a new release,
or an aanbieder without youth care); a message of another profile to or from it is refused (PROFIEL, no
retourbericht) and the pin can be lifted again."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.ingest.ontvang import receive
from gateway.store.models import AuditEvent
from tests.admin.conftest import inloggen
from tests.admin.omgeving import Omgeving

BERICHTEN = Path(__file__).resolve().parents[2] / "gateway" / "demo" / "berichten"


def _ontvang(omgeving: Omgeving, naam: str, identificatie: str = "PIN-1"):  # type: ignore[no-untyped-def]
    xml = (BERICHTEN / f"{naam}.xml").read_bytes().replace(b"TW2026-0311<", identificatie.encode() + b"<")
    return receive(omgeving.sessions, xml, party="0599")


def test_a_partner_pinned_to_iwmo_gets_no_jw301_until_the_pin_is_lifted(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    r = client.post("/admin/partners/profielen", data={"csrf": csrf, "code": "12345678", "profiel": ["iwmo-3.2"]})
    assert r.status_code == 303 and "vastgezet=12345678" in r.headers["location"]
    pagina = client.get("/admin/partners").text
    assert "iwmo-3.2" in pagina and "Profielen per partner" in pagina

    geweigerd = _ontvang(omgeving, "JW301")
    assert geweigerd.status == "rejected" and [f.code for f in geweigerd.errors] == ["PROFIEL"]
    melding = geweigerd.errors[0].melding
    assert "12345678" in melding and "iwmo-3.2" in melding and "ijw-3.2" in melding
    assert geweigerd.errors[0].locatie == ("/Bericht/Header/Ontvanger",)
    assert geweigerd.retour_id is None  # refused in transit: no retourbericht
    assert _ontvang(omgeving, "WMO301").status == "accepted"  # its own profile still goes

    # Nothing ticked: every installed profile again (the in-process cache sees the change at once).
    assert client.post("/admin/partners/profielen", data={"csrf": csrf, "code": "12345678"}).status_code == 303
    opnieuw = _ontvang(omgeving, "JW301", "PIN-2")  # a new message: the refused one stays as it was
    assert opnieuw.status == "accepted" and not opnieuw.duplicaat, [f.melding for f in opnieuw.errors]
    # The console lists it by its iJw name, and names its standard.
    lijst = client.get("/admin/berichten?type=JW301&status=alle").text
    assert opnieuw.id in lijst and geweigerd.id in lijst
    assert "Toewijzing · iJw 3.2" in client.get(f"/admin/berichten/{opnieuw.id}").text
    assert client.get("/admin/berichten?type=JW399").status_code == 400
    with omgeving.sessions() as s:
        acties = [(a.action, a.details) for a in s.scalars(select(AuditEvent).where(
            AuditEvent.action == "partner_profielen").order_by(AuditEvent.seq))]
    assert acties == [("partner_profielen", {"partner": "12345678", "profielen": ["iwmo-3.2"], "was": "alle"}),
                      ("partner_profielen", {"partner": "12345678", "profielen": "alle", "was": ["iwmo-3.2"]})]


def test_a_pin_to_a_profile_that_is_not_installed_or_a_bad_code_is_refused_with_what_to_enter(
        client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.operator)
    r = client.post("/admin/partners/profielen", data={"csrf": csrf, "code": "12345678", "profiel": ["iwmo-3.3"]})
    assert r.status_code == 400 and "niet geïnstalleerd" in r.text and "ijw-3.2" in r.text
    r = client.post("/admin/partners/profielen", data={"csrf": csrf, "code": "12AB", "profiel": ["iwmo-3.2"]})
    assert r.status_code == 400 and "geen gemeentecode" in r.text


def test_a_viewer_cannot_pin(client: TestClient, omgeving: Omgeving) -> None:
    csrf = inloggen(client, omgeving.sleutels.viewer)
    r = client.post("/admin/partners/profielen", data={"csrf": csrf, "code": "12345678", "profiel": ["iwmo-3.2"]})
    assert r.status_code == 403
