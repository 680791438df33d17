"""Rules on the antwoordbericht (WMO319): the reason for rejecting a request."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.registry import Fault, RuleContext, rule

VERZOEK_ANTWOORD = "m:Antwoord/m:VerzoekAntwoord"
AFGEWEZEN = "1"
IN_ONDERZOEK = "2"


@rule(
    "CD085",
    retourcode="0001",
    berichten=["WMO319"],
    anchor=VERZOEK_ANTWOORD,
    melding=(
        "Bij VerzoekAntwoord 1 (verzoek afgewezen) is RedenAfwijzingVerzoek verplicht. "
        "Vul de reden van afwijzing in."
    ),
    omschrijving="RedenAfwijzingVerzoek is verplicht als het verzoek is afgewezen (VerzoekAntwoord 1).",
)
def cd085(ctx: RuleContext, antwoord: etree._Element) -> Iterator[Fault]:
    reden = ctx.find(antwoord.getparent(), "m:RedenAfwijzingVerzoek")
    if v.code(antwoord) == AFGEWEZEN and not v.filled(reden):
        yield Fault([antwoord])


@rule(
    "CD086",
    retourcode="0001",
    berichten=["WMO319"],
    anchor=VERZOEK_ANTWOORD,
    melding=(
        "Bij VerzoekAntwoord 2 (aanvraag in onderzoek) blijft RedenAfwijzingVerzoek leeg. "
        "Verwijder de reden van afwijzing, of geef VerzoekAntwoord 1 als het verzoek is afgewezen."
    ),
    omschrijving="RedenAfwijzingVerzoek blijft leeg zolang de aanvraag in onderzoek is (VerzoekAntwoord 2).",
)
def cd086(ctx: RuleContext, antwoord: etree._Element) -> Iterator[Fault]:
    reden = ctx.find(antwoord.getparent(), "m:RedenAfwijzingVerzoek")
    if v.code(antwoord) == IN_ONDERZOEK and v.filled(reden):
        yield Fault([antwoord, reden])
