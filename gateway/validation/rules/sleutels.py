"""TR101: no duplicate lines in a message.

Every berichtklasse has a logical key (rule-semantics §4). Two sibling elements of the same class (same parent
element) with equal keys are duplicates; each group of duplicates gives one fault, raised at the parent and
located at every member. The keys are declared below as data, one row per class; the check groups the siblings
in a dict on their key, so a declaratie with thousands of prestaties is one pass, not a comparison of all pairs.

Classes that sit directly under Bericht (Client in 301-317, Antwoord, Declaratie, DeclaratieAntwoord) are not
listed: the XSD allows only one of each and the validator never evaluates Bericht itself, so they never fire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from gateway.validation.rules.registry import Check, Fault, RuleContext, rule


@dataclass(frozen=True, slots=True)
class Sleutel:
    """The logical key of one berichtklasse: where its siblings live, what they are called, what identifies them."""

    bericht: str
    ouder: str  # XPath of the parent element from the root: the rule's anchor
    klasse: str  # element name of the compared siblings (message namespace)
    velden: tuple[str, ...]  # key components, XPaths relative to the element
    # Every local name occurs once inside an element of the class (a Prestatie): the key is then read from the
    # texts of all such lines at once (RuleContext.regels), not with an XPath per field per line, which for a
    # declaratie of 10 000 prestaties is the difference between a few and a hundred milliseconds.
    namen_uniek: bool = False


_PRODUCT = ("m:Product/b:Categorie", "m:Product/b:Code")
_PRESTATIE = ("m:ProductReferentie/b:ReferentieNummer", "m:ProductReferentie/b:VorigReferentieNummer")

SLEUTELS: tuple[Sleutel, ...] = (
    Sleutel("WMO301", "m:Client/m:Relaties", "Relatie", ("m:Nummer",)),
    Sleutel("WMO301", "m:Client/m:Contactgegevens", "Contact", ("m:Soort",)),
    # A Relatie has exactly one Contact in 3.2; listed because the standard declares the key there as well.
    Sleutel("WMO301", "m:Client/m:Relaties/m:Relatie", "Contact", ("m:Soort",)),
    Sleutel("WMO301", "m:Client/m:ToegewezenProducten", "ToegewezenProduct", ("m:ToewijzingNummer",)),
    # ToewijzingIngangsdatum and StatusAanlevering are not part of the start's or stop's key.
    Sleutel(
        "WMO305",
        "m:Client/m:StartProducten",
        "StartProduct",
        ("m:Begindatum", *_PRODUCT, "m:ToewijzingNummer"),
    ),
    Sleutel(
        "WMO307",
        "m:Client/m:StopProducten",
        "StopProduct",
        ("m:Begindatum", "m:Einddatum", *_PRODUCT, "m:RedenBeeindiging", "m:ToewijzingNummer"),
    ),
    Sleutel("WMO315", "m:Client/m:AangevraagdeProducten", "AangevraagdProduct", ("m:ReferentieAanbieder",)),
    Sleutel("WMO317", "m:Client", "Verzoek", ("m:ReferentieAanbieder",)),
    Sleutel(
        "WMO317", "m:Client/m:Verzoek/m:OngewijzigdeProducten", "OngewijzigdProduct", ("m:ToewijzingNummer",)
    ),
    Sleutel(
        "WMO317", "m:Client/m:Verzoek/m:TeWijzigenProducten", "TeWijzigenProduct", ("m:ToewijzingNummer",)
    ),
    # Einddatum, Omvang and Budget are not part of a NieuwProduct's key.
    Sleutel(
        "WMO317",
        "m:Client/m:Verzoek/m:NieuweProducten",
        "NieuwProduct",
        ("m:GewensteIngangsdatum", *_PRODUCT),
    ),
    Sleutel("WMO323", "m:Declaratie/m:Clienten", "Client", ("m:Bsn",)),
    # A credit line carries its debet's number as VorigReferentieNummer, so it has a key of its own.
    Sleutel("WMO323", "m:Declaratie/m:Clienten/m:Client/m:Prestaties", "Prestatie", _PRESTATIE, namen_uniek=True),
    Sleutel("WMO325", "m:DeclaratieAntwoord/m:Clienten", "Client", ("m:Bsn",)),
    Sleutel("WMO325", "m:DeclaratieAntwoord/m:Clienten/m:Client/m:Prestaties", "Prestatie", _PRESTATIE,
            namen_uniek=True),
)


def sleutelwaarde(ctx: RuleContext, el: etree._Element, velden: tuple[str, ...]) -> tuple[str | None, ...]:
    """The key as the validator compares it: raw text per component, None when absent or without text.

    Raw, so `300201` and `0300201` (or a trailing space) are different keys, exactly as in the standard's check.
    """
    waarde: list[str | None] = []
    for veld in velden:
        found = ctx.find(el, veld)
        waarde.append(found.text if found is not None and found.text else None)
    return tuple(waarde)


def dubbele_groepen(ctx: RuleContext, ouder: etree._Element, sleutel: Sleutel) -> list[list[etree._Element]]:
    """Groups (two or more members, document order) of siblings with equal keys, ordered by their last member."""
    groepen: dict[tuple[str | None, ...], list[etree._Element]] = defaultdict(list)
    leden = ctx.findall(ouder, f"m:{sleutel.klasse}")
    if sleutel.namen_uniek:
        teksten = ctx.regels(f"{sleutel.ouder}/m:{sleutel.klasse}")
        namen = [veld.rpartition(":")[2] for veld in sleutel.velden]  # the local name the path ends in
        for el in leden:
            tekst = teksten[el]
            groepen[tuple(tekst.get(naam) or None for naam in namen)].append(el)  # as `sleutelwaarde` reads it
    else:
        for el in leden:
            groepen[sleutelwaarde(ctx, el, sleutel.velden)].append(el)
    dubbel = [groep for groep in groepen.values() if len(groep) > 1]
    if len(dubbel) > 1:
        # The validator raises a group's fault at its last member, so groups come out in the order they complete.
        posities = {el: i for i, el in enumerate(ouder)}
        dubbel.sort(key=lambda groep: posities[groep[-1]])
    return dubbel


def _veldnamen(velden: tuple[str, ...]) -> str:
    return ", ".join(veld.replace("m:", "").replace("b:", "") for veld in velden)


def _tr101(sleutel: Sleutel) -> Check:
    def check(ctx: RuleContext, ouder: etree._Element) -> Iterator[Fault]:
        for leden in dubbele_groepen(ctx, ouder, sleutel):
            # The detail names the key fields, never their values: for a Client that value is the Bsn.
            yield Fault(leden, f"{len(leden)} × {sleutel.klasse} met dezelfde {_veldnamen(sleutel.velden)}")

    return check


for _sleutel in SLEUTELS:
    rule(
        "TR101",
        retourcode="0001",
        berichten=[_sleutel.bericht],
        anchor=_sleutel.ouder,
        melding=(
            f"Dit bericht bevat dubbele regels: {_sleutel.klasse} komt meer dan eens voor met dezelfde "
            f"logische sleutel ({_veldnamen(_sleutel.velden)}). Neem elke regel één keer op, of maak de "
            "sleutel van de bedoelde regels verschillend."
        ),
        omschrijving="Binnen een bericht zijn dubbele regels (gelijke logische sleutel) niet toegestaan.",
    )(_tr101(_sleutel))
