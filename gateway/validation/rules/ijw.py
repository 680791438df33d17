"""In-message rules that only iJw 3.2 declares: the Woonplaatsbeginsel in the antwoordbericht (TR377, TR409) and
the client that is not a natural person (CS318).

Every other iJw in-message rule has the same text as its iWmo namesake and is checked by the iWmo declaration
(the profile enables it for JW messages); `gateway/standard/ijw_regels.py` holds the comparison, code by code.
These rules are declared for iJw alone: WMO319 has no Woonplaatsbeginsel, and for iWmo the registry follows the
official iWmo validator, which does not check CS318 (rule-semantics §1).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.standard.codelijsten import NAAMGEBRUIK_NIET_NATUURLIJK_PERSOON, REDEN_WOONPLAATSBEGINSEL
from gateway.validation import values as v
from gateway.validation.rules.registry import Fault, RuleContext, rule

_REDEN = "m:Antwoord/m:RedenAfwijzingVerzoek"
_WOONPLAATSBEGINSEL = "m:Antwoord/m:Woonplaatsbeginsel"


@rule(
    "TR377",
    retourcode="0001",
    berichten=["WMO319"],
    anchor=_REDEN,
    standaarden=["iJw"],
    melding=(
        "Bij RedenAfwijzingVerzoek 8 (Woonplaatsbeginsel) ontbreekt de berichtklasse Woonplaatsbeginsel. "
        "Neem Woonplaatsbeginsel op met de Gemeente die volgens het woonplaatsbeginsel verantwoordelijk is, "
        "of kies een andere reden van afwijzing."
    ),
    omschrijving="Alleen iJw: Woonplaatsbeginsel is verplicht bij RedenAfwijzingVerzoek 8 (Woonplaatsbeginsel).",
)
def tr377(ctx: RuleContext, reden: etree._Element) -> Iterator[Fault]:
    if v.code(reden) == REDEN_WOONPLAATSBEGINSEL and ctx.find(ctx.root, _WOONPLAATSBEGINSEL) is None:
        yield Fault([reden])


@rule(
    "TR409",
    retourcode="0001",
    berichten=["WMO319"],
    anchor=_WOONPLAATSBEGINSEL,
    standaarden=["iJw"],
    melding=(
        "De berichtklasse Woonplaatsbeginsel hoort alleen bij RedenAfwijzingVerzoek 8 (Woonplaatsbeginsel). "
        "Laat Woonplaatsbeginsel weg, of geef RedenAfwijzingVerzoek 8 als het verzoek om die reden is "
        "afgewezen."
    ),
    omschrijving="Alleen iJw: Woonplaatsbeginsel blijft leeg als RedenAfwijzingVerzoek niet 8 (Woonplaatsbeginsel) is.",
)
def tr409(ctx: RuleContext, woonplaatsbeginsel: etree._Element) -> Iterator[Fault]:
    # An absent reason is "not 8" too: the class then has nothing to explain.
    reden = ctx.find(ctx.root, _REDEN)
    if v.code(reden) != REDEN_WOONPLAATSBEGINSEL:
        yield Fault([reden, woonplaatsbeginsel])


@rule(
    "CS318",
    retourcode="0001",
    berichten=["WMO301"],
    anchor="m:Client/m:Naam/b:NaamGebruik",
    standaarden=["iJw"],
    melding=(
        "Bij de naam van de cliënt is NaamGebruik 6 (niet-natuurlijk persoon) niet toegestaan: een cliënt is "
        "altijd een natuurlijk persoon. Vul NaamGebruik met 1 (eigen naam) of, met een Partnernaam, 2, 3 of 4."
    ),
    omschrijving="Alleen iJw: NaamGebruik van de cliënt is niet 6 (niet-natuurlijk persoon).",
)
def cs318(ctx: RuleContext, naamgebruik: etree._Element) -> Iterator[Fault]:
    # Only the Client's Naam: CS318 does not speak of a Relatie, which may be an organisation.
    if v.code(naamgebruik) == NAAMGEBRUIK_NIET_NATUURLIJK_PERSOON:
        yield Fault([naamgebruik])
