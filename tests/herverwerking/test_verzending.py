"""Requeue and resend by batch: by default the partner sees the same envelope id and the same identificatie (no
duplicate); with nieuwe_verzending a new envelope, and a new identificatie only for a message it never accepted."""

from __future__ import annotations

from sqlalchemy import select

from gateway.herverwerking import plan, uitvoering
from gateway.herverwerking.selectie import Selectie
from gateway.store import audit
from gateway.store.models import Aflevering, Bericht
from tests.herverwerking.conftest import (
    Partner,
    acties,
    dead_letters,
    in_wachtrij,
    lever,
    opgeslagen,
    status,
    werk_af,
)

BEHEERDER = "admin:beheer"


def _envelop_ids(sessions, bericht_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return list(s.scalars(select(Aflevering.envelop_id).where(Aflevering.bericht_id == bericht_id)
                              .order_by(Aflevering.id)))


def _start(sessions, actie: plan.Actie, selectie: Selectie, *, nieuw: bool = False) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s, s.begin():
        return uitvoering.start(s, selectie, actie, actor=BEHEERDER, nieuwe_verzending=nieuw).id


def test_requeue_keeps_the_envelope_id_and_the_identificatie_so_the_partner_sees_one_message(sessions) -> None:  # type: ignore[no-untyped-def]
    partner = Partner()
    [dood] = dead_letters(sessions, 1, partner)
    [envelop] = _envelop_ids(sessions, dood)
    with sessions() as s:
        [stap] = plan.proef(s, Selectie(status="dead_letter"), plan.Actie.OPNIEUW_IN_WACHTRIJ).stappen
    assert (stap.uitkomst, stap.envelop, stap.envelop_id, stap.identificatie) == ("in_wachtrij", "zelfde", envelop,
                                                                                  "zelfde")
    batch = _start(sessions, plan.Actie.OPNIEUW_IN_WACHTRIJ, Selectie(status="dead_letter"))
    werk_af(sessions)
    assert status(sessions, dood) == "queued"
    partner.weigert = False
    lever(sessions, partner)
    assert status(sessions, dood) == "delivered"
    assert _envelop_ids(sessions, dood) == [envelop]  # the same row, the same referentienummer/traceerId
    assert partner.ontvangen == [(envelop, "RP00000")]
    gebeurd = acties(sessions, dood)
    in_wachtrij_event = next(d for a, _, d in gebeurd if a == "in_wachtrij" and d.get("herverwerking") == batch)
    assert in_wachtrij_event["zelfde_envelop"] is True
    [(_, actor, details)] = [e for e in gebeurd if e[0] == "herverwerkt"]
    assert (actor, details["herverwerking"], details["uitkomst"], details["envelop_id"]) == (
        BEHEERDER, batch, "in_wachtrij", envelop)


def test_new_send_of_a_dead_letter_gets_a_new_envelope_and_identificatie_in_a_message_that_replaces_it(
        sessions) -> None:  # type: ignore[no-untyped-def]
    partner = Partner()
    [dood] = dead_letters(sessions, 1, partner)
    [oud_envelop] = _envelop_ids(sessions, dood)
    with sessions() as s:
        [stap] = plan.proef(s, Selectie(status="dead_letter"), plan.Actie.OPNIEUW_VERZENDEN,
                            nieuwe_verzending=True).stappen
    assert (stap.envelop, stap.identificatie) == ("nieuw", "nieuw") and "nieuwe identificatie" in stap.toelichting
    batch = _start(sessions, plan.Actie.OPNIEUW_VERZENDEN, Selectie(status="dead_letter"), nieuw=True)
    werk_af(sessions)
    [(_, _, details)] = [e for e in acties(sessions, dood) if e[0] == "herverwerkt"]
    nieuw = details["vervangen_door"]
    assert status(sessions, dood) == "handled" and status(sessions, nieuw) == "queued"
    partner.weigert = False
    lever(sessions, partner)
    [(envelop, identificatie)] = partner.ontvangen
    assert envelop != oud_envelop and identificatie != "RP00000" and identificatie == details["identificatie"]
    with sessions() as s:
        oud, vervanger = s.get(Bericht, dood), s.get(Bericht, nieuw)
        assert vervanger.identificatie == identificatie and oud.identificatie == "RP00000"
        assert (vervanger.adressaat, vervanger.conversatie_id) == (oud.adressaat, oud.conversatie_id)
        assert audit.verify_chain(s) is None and audit.verify_berichten(s).afwijkingen == []
    assert ("vervangen", BEHEERDER) in [(a, actor) for a, actor, _ in acties(sessions, dood)]
    aangemaakt = next(d for a, _, d in acties(sessions, nieuw) if a == "aangemaakt")
    assert (aangemaakt["vervangt"], aangemaakt["herverwerking"]) == (dood, batch)


def test_resending_a_delivered_message_keeps_its_envelope_unless_a_new_send_is_asked(sessions) -> None:  # type: ignore[no-untyped-def]
    partner = Partner()
    partner.weigert = False
    [bericht] = opgeslagen(sessions, 1)
    in_wachtrij(sessions, [bericht])
    lever(sessions, partner)
    [envelop] = _envelop_ids(sessions, bericht)
    _start(sessions, plan.Actie.OPNIEUW_VERZENDEN, Selectie(status="delivered"))
    werk_af(sessions)
    lever(sessions, partner)
    assert partner.ontvangen == [(envelop, "RP00000"), (envelop, "RP00000")]  # a repeat the hub recognises
    with sessions() as s:
        [stap] = plan.proef(s, Selectie(status="delivered"), plan.Actie.OPNIEUW_VERZENDEN,
                            nieuwe_verzending=True).stappen
    # The partner accepted it: a new identificatie would be a second message, so only the envelope is new.
    assert (stap.envelop, stap.identificatie) == ("nieuw", "zelfde") and "TR056" in stap.toelichting
    _start(sessions, plan.Actie.OPNIEUW_VERZENDEN, Selectie(status="delivered"), nieuw=True)
    werk_af(sessions)
    lever(sessions, partner)
    derde_envelop, identificatie = partner.ontvangen[2]
    assert derde_envelop != envelop and identificatie == "RP00000"
    assert status(sessions, bericht) == "delivered"


def test_requeue_skips_what_is_not_a_dead_letter_and_says_why(sessions) -> None:  # type: ignore[no-untyped-def]
    [bericht] = opgeslagen(sessions, 1)
    _start(sessions, plan.Actie.OPNIEUW_IN_WACHTRIJ, Selectie(berichttype="WMO301"))
    werk_af(sessions)
    [(_, _, details)] = [e for e in acties(sessions, bericht) if e[0] == "herverwerkt"]
    assert details["uitkomst"] == "overgeslagen" and "niet-afleverbaar" in details["toelichting"]
    assert status(sessions, bericht) == "accepted"
