"""What a finding means and what to do about it: rule texts from the registries, retourcode meanings (WJ001).

The rule registries already carry a melding with a fix instruction per rule; this module only looks them up by
code and adds what the standard's codelist says a retourcode means, so the console can show both side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gateway.standard import profielen
from gateway.standard.codelijsten import WJ001, betekenis

# Codes the gateway gives before any rule could run (see README: validate --json).
ALGEMEEN: dict[str, tuple[str, str]] = {
    "XML": ("Het bericht is geen leesbare XML (kapot, geen UTF-8, leeg of met DTD/entities).",
            "Lever het bericht opnieuw aan als UTF-8 XML zonder DTD; controleer de export van het bronsysteem."),
    "TE_GROOT": ("Het bericht is groter dan de ingestelde limiet.",
                 "Splits de declaratie in kleinere berichten of vraag de beheerder de limiet te verhogen."),
    "ONBEKEND_BERICHT": (f"Dit is geen bericht van {profielen.beschrijving()}.",
                         "Controleer namespace, BerichtCode en versie (3.2) in de header."),
    "PROFIEL": ("Het bericht hoort bij een standaard of release die deze gateway niet heeft geïnstalleerd.",
                "Stuur het in een geïnstalleerde release (iwmo-gateway profielen) of laat de beheerder het "
                "profiel installeren."),
    "XSD": ("Het bericht voldoet niet aan het XSD-schema van zijn standaard.",
            "Corrigeer het element op de genoemde plaats volgens het schema en lever opnieuw aan."),
}


@dataclass(frozen=True)
class Uitleg:
    code: str
    retourcode: str | None
    betekenis: str  # what the retourcode means in the standard
    omschrijving: str  # the rule in one line
    oplossing: str  # what to do (the registry's melding, which ends in an instruction)


@lru_cache(maxsize=1)
def _regels() -> dict[str, tuple[str, str, str]]:
    from gateway.validation.cross.registry import all_cross_rules
    from gateway.validation.rules.registry import all_rules

    regels: dict[str, tuple[str, str, str]] = {}
    for r in all_rules():
        regels.setdefault(r.code, (r.retourcode, r.omschrijving, r.melding))
    for c in all_cross_rules():
        regels.setdefault(c.code, (c.retourcode, c.omschrijving, c.melding))
    return regels


def uitleg(code: str, retourcode: str | None, melding: str) -> Uitleg:
    """Explanation for one stored finding; the stored melding wins when the rule is unknown here."""
    if code in ALGEMEEN:
        omschrijving, oplossing = ALGEMEEN[code]
        return Uitleg(code, retourcode, betekenis(retourcode), omschrijving, melding or oplossing)
    regel = _regels().get(code)
    if regel is None:
        return Uitleg(code, retourcode, betekenis(retourcode), "", melding)
    rc, omschrijving, registry_melding = regel
    return Uitleg(code, retourcode or rc, betekenis(retourcode or rc), omschrijving, registry_melding or melding)


def regelcodes() -> list[str]:
    """Every rule code a finding can carry, for the filter's choice list."""
    return sorted(set(_regels()) | set(ALGEMEEN))


def retourcodes() -> list[str]:
    return sorted({rc for rc, _, _ in _regels().values()} | set(WJ001))
