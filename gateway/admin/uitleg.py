"""What a finding means and what to do about it: rule texts from the registries, retourcode meanings (WJ001).

The rule registries already carry a melding with a fix instruction per rule; this module only looks them up by
code and adds what the standard's codelist says a retourcode means, so the console can show both side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Codelist WJ001 (retourcode), in our own words: the codes our rules give plus the general ones a console
# user meets in retourberichten.
WJ001: dict[str, str] = {
    "0001": "Het bericht is om technische redenen afgekeurd.",
    "0200": "Geen opmerkingen over deze berichtklasse.",
    "0233": "Deze berichtklasse is niet beoordeeld.",
    "8001": "De declaratie is helemaal toegekend.",
    "8017": "Voor deze creditprestatie is geen debetprestatie bekend.",
    "8021": "Het referentienummer van de prestatie is al eerder aangeleverd.",
    "8187": "De prestatie hoort niet bij deze cliënt.",
    "8848": "De dagtekening ligt na de systeemdatum; die mag niet in de toekomst liggen.",
    "9019": "Het start- of stopbericht hoort bij geen enkele bekende toewijzing.",
    "9056": "De berichtidentificatie is niet uniek.",
    "9063": "Er is nog geen eerder bericht ontvangen waarop dit bericht kan volgen.",
    "9069": "Er is geen actueel startbericht met dezelfde sleutel.",
    "9071": "De start kan niet worden verwijderd: de zorg is al beëindigd.",
    "9074": "Er is al eerder een bericht met dezelfde sleutel ontvangen.",
    "9307": "De begindatum van de prestatie valt buiten de looptijd van de toewijzing.",
    "9308": "De einddatum van de prestatie valt buiten de looptijd van de toewijzing.",
    "9321": "Het gedeclareerde volume is groter dan het toegewezen volume.",
    "9322": "Alle gedeclareerde volumes samen zijn groter dan het toegewezen volume.",
    "9326": "De lopende levering is nog niet met een stopbericht beëindigd.",
    "9333": "Het declaratienummer is niet uniek.",
    "9338": "Niet elke prestatie hoort via het ToewijzingNummer bij een toegewezen product.",
    "9413": "Er is al een stop met reden 20 (tijdelijk) voor dezelfde Bsn, ToewijzingNummer en Begindatum.",
    "9414": "De einddatum ligt vóór de einddatum van de actuele stop met dezelfde sleutel.",
    "9415": "Er is al een definitieve stop met dezelfde Bsn, ToewijzingNummer en Begindatum.",
}

# Codes the gateway gives before any rule could run (see README: validate --json).
ALGEMEEN: dict[str, tuple[str, str]] = {
    "XML": ("Het bericht is geen leesbare XML (kapot, geen UTF-8, leeg of met DTD/entities).",
            "Lever het bericht opnieuw aan als UTF-8 XML zonder DTD; controleer de export van het bronsysteem."),
    "TE_GROOT": ("Het bericht is groter dan de ingestelde limiet.",
                 "Splits de declaratie in kleinere berichten of vraag de beheerder de limiet te verhogen."),
    "ONBEKEND_BERICHT": ("Dit is geen iWmo 3.2-bericht.",
                         "Controleer namespace, BerichtCode en versie (3.2) in de header."),
    "XSD": ("Het bericht voldoet niet aan het XSD-schema van iWmo 3.2.",
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


def betekenis(retourcode: str | None) -> str:
    if not retourcode:
        return ""
    return WJ001.get(retourcode, f"Retourcode {retourcode} (zie codelijst WJ001).")


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
