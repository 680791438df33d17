"""Routing on the envelope alone: (zender, ontvanger, functie) against the hub configuration.

Pure: no I/O. A refusal carries the code each side of the chain answers with: the gemeente side gets a Fo01
with the GGk/BIDN code, the aanbieder side a VECOZO BRS code (plus the IB code the 2025 list gives the same
refusal), so one decision yields both answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.hub.config import AANBIEDER, GEMEENTE, HubConfig, Partij
from gateway.standard import catalogue, gemeenten, profielen


@dataclass(frozen=True)
class Weigering:
    ggk: str  # Fo01 code for a gemeente sender
    vecozo: str  # BRS code for an aanbieder sender
    ib: str | None  # the 2025 IB rendering of the VECOZO refusal, where the list has one
    omschrijving: str


@dataclass(frozen=True)
class Route:
    afzender: Partij
    geadresseerde: Partij
    bericht: catalogue.Berichttype


def onbekende_gemeente(code: str) -> Weigering:
    waarom = "staat niet in de CBS-lijst" if not gemeenten.bestaat(code) else "is niet op deze hub aangesloten"
    return Weigering("IB005", "BRS04", "IB005", f"Gemeentecode {code} {waarom}. Controleer de ontvanger in de envelop.")


def onbekende_aanbieder(code: str) -> Weigering:
    return Weigering(
        "IB010", "BRS04", "IB010",
        f"Aanbieder {code} is niet op deze hub aangesloten of de AGB-code is onjuist. Controleer de ontvanger.",
    )


def geen_route(wie: str, functie: str, waarom: str) -> Weigering:
    return Weigering(
        "IB102", "BRS33", None,
        f"Geen routering voor {wie} en {functie}: {waarom}. Vraag de hubbeheerder deze combinatie open te zetten.",
    )


def route(config: HubConfig, afzender: Partij, ontvanger: str, functie: str) -> Route | Weigering:
    """Where an envelope from `afzender` (already authenticated) for `ontvanger` with `functie` goes."""
    bericht = catalogue.BERICHTEN.get(functie)
    if bericht is None:
        return geen_route(afzender.code, functie, f"{functie} is geen bericht van {profielen.beschrijving()}")
    verwacht = AANBIEDER if bericht.verzonden_door_gemeente else GEMEENTE
    if (afzender.soort == GEMEENTE) != bericht.verzonden_door_gemeente:
        return geen_route(afzender.code, functie, f"een {afzender.soort} verstuurt {functie} niet")
    if functie not in afzender.verzenden:
        return geen_route(afzender.code, functie, "de afzender mag dit bericht niet versturen")
    geadresseerde = config.partijen.get(ontvanger)
    if geadresseerde is None or geadresseerde.soort != verwacht:
        if verwacht == GEMEENTE:
            return onbekende_gemeente(ontvanger)
        return onbekende_aanbieder(ontvanger)
    if functie not in geadresseerde.ontvangen:
        return geen_route(ontvanger, functie, "de geadresseerde ontvangt dit bericht niet")
    return Route(afzender=afzender, geadresseerde=geadresseerde, bericht=bericht)
