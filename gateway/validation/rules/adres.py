"""Rules on the contacts and addresses of the toewijzing (WMO301): CD005, CD009, CD025, CD034, CS089, TR006, TR061.

A WMO301 has contacts in two places: the client's Contactgegevens (any number) and one per Relatie. Every rule
here applies to both, except TR061, which is about the client's own addresses only (rule-semantics §3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.registry import Fault, RuleContext, rule

CONTACTGEGEVENS = "m:Client/m:Contactgegevens"
_CONTACT_PADEN = (f"{CONTACTGEGEVENS}/m:Contact", "m:Client/m:Relaties/m:Relatie/m:Contact")


def _elk_contact(onder: str = "") -> str:
    """An anchor for `onder` in every Contact, client and relatie alike."""
    return " | ".join(f"{pad}{onder}" for pad in _CONTACT_PADEN)


CONTACT = _elk_contact()
POSTCODE = _elk_contact("/m:Adres/b:Postcode")
LANDCODE = _elk_contact("/m:Adres/b:LandCode")

NEDERLAND = "NL"
# COD757 soorten: 01 BRP-adres, 02 correspondentieadres, 03 verblijfadres, 04 tijdelijk verblijfadres.
SOORT_TIJDELIJK = "04"
SOORTEN_MET_POSTCODE = frozenset({"01", "03"})
SOORTEN_VASTE_ADRESSEN = frozenset({"01", "02", "03"})
# Four digits without a leading zero, then two letters; no space, and case is not checked (rule-semantics CS089).
_NEDERLANDSE_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Za-z]{2}")


def nederlandse_postcode(tekst: str | None) -> bool:
    """Whether the raw text is a Dutch postcode as the validator accepts it (untrimmed, e.g. '3011AB')."""
    return tekst is not None and _NEDERLANDSE_POSTCODE.fullmatch(tekst) is not None


# --- CD005: Postcode and LandCode go together ---------------------------------------------------------------

_CD005_MELDING = (
    "Postcode en LandCode horen bij elkaar: bij een Postcode is de LandCode verplicht, en een LandCode "
    "zonder Postcode wordt niet geaccepteerd. Vul de ontbrekende waarde in, of laat beide weg."
)


@rule(
    "CD005",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=POSTCODE,
    melding=_CD005_MELDING,
    omschrijving="LandCode is verplicht als Postcode gevuld is, en andersom.",
)
def cd005_postcode(ctx: RuleContext, postcode: etree._Element) -> Iterator[Fault]:
    landcode = ctx.find(postcode.getparent(), "b:LandCode")
    if v.filled(postcode) and not v.filled(landcode):
        yield Fault([postcode, landcode])


@rule(
    "CD005",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=LANDCODE,
    melding=_CD005_MELDING,
    omschrijving="LandCode is verplicht als Postcode gevuld is, en andersom.",
)
def cd005_landcode(ctx: RuleContext, landcode: etree._Element) -> Iterator[Fault]:
    # Differs from the rule text, which only asks for a LandCode with a Postcode: the official validator
    # also rejects a LandCode without a Postcode, so both come together or not at all.
    postcode = ctx.find(landcode.getparent(), "b:Postcode")
    if v.filled(landcode) and not v.filled(postcode):
        yield Fault([postcode, landcode])


# --- CD009: Periode only for a temporary address ------------------------------------------------------------


@rule(
    "CD009",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=_elk_contact("/m:Periode"),
    melding=(
        "Een Periode mag alleen bij een contact met Soort 04 (tijdelijk verblijfadres). "
        "Laat de Periode weg, of geef het contact Soort 04 als het een tijdelijk adres is."
    ),
    omschrijving="Periode alleen bij een contact met Soort 04 (tijdelijk adres).",
)
def cd009(ctx: RuleContext, periode: etree._Element) -> Iterator[Fault]:
    # Presence is enough: an empty <Periode/> is XSD-valid and still a fault.
    soort = ctx.find(periode.getparent(), "m:Soort")
    if v.code(soort) != SOORT_TIJDELIJK:
        yield Fault([soort, periode])


# --- CD025 / CS089: what a Dutch address needs (both at LandCode) ---------------------------------------------


@rule(
    "CD025",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=LANDCODE,
    melding=(
        "Bij een Nederlands adres (LandCode NL) is het huisnummer verplicht. "
        "Vul Huis met ten minste het Huisnummer, of corrigeer de LandCode als het adres in het buitenland ligt."
    ),
    omschrijving="Huis (Huisnummer) is verplicht bij LandCode NL.",
)
def cd025(ctx: RuleContext, landcode: etree._Element) -> Iterator[Fault]:
    huisnummer = ctx.find(landcode.getparent(), "b:Huis/b:Huisnummer")
    if v.code(landcode) == NEDERLAND and not v.filled(huisnummer):
        yield Fault([huisnummer, landcode])


@rule(
    "CS089",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=LANDCODE,
    melding=(
        "Bij LandCode NL moet de Postcode een Nederlandse postcode zijn: vier cijfers (niet beginnend met 0) "
        "en twee letters, zonder spatie, zoals 3011AB. Vul de Postcode in dat formaat in."
    ),
    omschrijving="Postcode heeft het Nederlandse formaat bij LandCode NL.",
)
def cs089(ctx: RuleContext, landcode: etree._Element) -> Iterator[Fault]:
    postcode = ctx.find(landcode.getparent(), "b:Postcode")
    # A missing Postcode is a fault here too (CD005 reports it as well, at the same LandCode).
    if v.code(landcode) == NEDERLAND and not nederlandse_postcode(v.raw(postcode)):
        yield Fault([postcode, landcode])


# --- CD034 / TR006: what every contact needs (both at Contact) ----------------------------------------------


@rule(
    "CD034",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=CONTACT,
    melding=(
        "Bij een BRP-adres (Soort 01) of verblijfadres (Soort 03) is de Postcode verplicht. "
        "Vul het Adres met de Postcode in, of kies de Soort die bij dit contact past."
    ),
    omschrijving="Postcode is verplicht bij een contact met Soort 01 of 03.",
)
def cd034(ctx: RuleContext, contact: etree._Element) -> Iterator[Fault]:
    soort = ctx.find(contact, "m:Soort")
    postcode = ctx.find(contact, "m:Adres/b:Postcode")
    if v.code(soort) in SOORTEN_MET_POSTCODE and not v.filled(postcode):
        yield Fault([soort, postcode])


@rule(
    "TR006",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=CONTACT,
    melding=(
        "Een Contact moet bereikbaar zijn: geef een Telefoon, of een Adres met zowel Huis als Postcode. "
        "Vul het telefoonnummer in, of vul het adres aan met huisnummer en postcode."
    ),
    omschrijving="Een Contact heeft een Telefoon en/of een Adres met Huis en Postcode.",
)
def tr006(ctx: RuleContext, contact: etree._Element) -> Iterator[Fault]:
    if ctx.find(contact, "m:Telefoon") is not None:
        return
    # Two independent checks, as in the validator: a Contact with neither Huis nor Postcode gets two faults.
    if ctx.find(contact, "m:Adres/b:Huis") is None:
        yield Fault([contact], "Huis ontbreekt")
    if ctx.find(contact, "m:Adres/b:Postcode") is None:
        yield Fault([contact], "Postcode ontbreekt")


# --- TR061: the client has a fixed address ---------------------------------------------------------------


@rule(
    "TR061",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=CONTACTGEGEVENS,
    melding=(
        "De cliënt heeft geen BRP-adres (Soort 01), correspondentieadres (02) of verblijfadres (03); "
        "alleen een tijdelijk adres is niet genoeg. Neem ten minste één contact met Soort 01, 02 of 03 op."
    ),
    omschrijving="De cliënt heeft ten minste één contact met Soort 01, 02 of 03.",
)
def tr061(ctx: RuleContext, contactgegevens: etree._Element) -> Iterator[Fault]:
    contacten = ctx.findall(contactgegevens, "m:Contact")
    # Raw text on purpose: the validator compares the Soort untrimmed here.
    if not any(v.raw(ctx.find(c, "m:Soort")) in SOORTEN_VASTE_ADRESSEN for c in contacten):
        yield Fault(contacten)
