"""Rules on the verzoek om toewijzing (WMO315): beschikking, verwijzer and the uniqueness of requested products.

CD041, CD075-CD079, CD095, CS003 and CS343 on AangevraagdProduct live with the other product rules in
`product.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.product import overlappende_paren
from gateway.validation.rules.registry import Fault, RuleContext, rule

AANGEVRAAGD = "m:Client/m:AangevraagdeProducten/m:AangevraagdProduct"
VERWIJZER = f"{AANGEVRAAGD}/m:Verwijzer"
# Verwijzer types that are care providers (huisarts, jeugdarts, gecertificeerde instelling, medisch specialist).
ZORGVERLENER_TYPES = frozenset({"02", "03", "04", "05"})


@rule(
    "CD043",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=AANGEVRAAGD,
    melding=(
        "BeschikkingNummer en BeschikkingIngangsdatum horen bij elkaar: vul ze allebei of laat ze allebei leeg. "
        "Vul de ontbrekende waarde in, of verwijder de waarde die zonder beschikking is opgegeven."
    ),
    omschrijving="BeschikkingIngangsdatum is gevuld dan en slechts dan als BeschikkingNummer gevuld is.",
)
def cd043(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    nummer = ctx.find(product, "m:BeschikkingNummer")
    ingang = ctx.find(product, "m:BeschikkingIngangsdatum")
    if v.filled(nummer) != v.filled(ingang):
        yield Fault([nummer, ingang])


@rule(
    "CD066",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=VERWIJZER,
    melding=(
        "Bij een verwijzer van type 02 tot en met 05 met een ZorgverlenerCode blijft de Naam leeg. "
        "Verwijder de Naam van de verwijzer; de ZorgverlenerCode identificeert hem al."
    ),
    omschrijving="Naam verwijzer blijft leeg bij Type 02-05 met ZorgverlenerCode.",
)
def cd066(ctx: RuleContext, verwijzer: etree._Element) -> Iterator[Fault]:
    type_ = ctx.find(verwijzer, "b:Type")
    naam = ctx.find(verwijzer, "b:Naam")
    zorgverlener = ctx.find(verwijzer, "b:ZorgverlenerCode")
    if v.code(type_) in ZORGVERLENER_TYPES and v.filled(zorgverlener) and v.filled(naam):
        yield Fault([type_, naam, zorgverlener])


@rule(
    "CD067",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=VERWIJZER,
    melding=(
        "Bij een verwijzer van type 02 tot en met 05 zonder ZorgverlenerCode is de Naam verplicht. "
        "Vul de ZorgverlenerCode (AGB-code) van de verwijzer in, of anders zijn Naam."
    ),
    omschrijving="Naam verwijzer is verplicht bij Type 02-05 zonder ZorgverlenerCode.",
)
def cd067(ctx: RuleContext, verwijzer: etree._Element) -> Iterator[Fault]:
    type_ = ctx.find(verwijzer, "b:Type")
    naam = ctx.find(verwijzer, "b:Naam")
    zorgverlener = ctx.find(verwijzer, "b:ZorgverlenerCode")
    if v.code(type_) in ZORGVERLENER_TYPES and not v.filled(zorgverlener) and not v.filled(naam):
        yield Fault([type_, naam, zorgverlener])


@rule(
    "CD068",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=VERWIJZER,
    melding=(
        "Een ZorgverlenerCode hoort alleen bij een verwijzer van type 02 tot en met 05. "
        "Verwijder de ZorgverlenerCode, of kies het juiste type verwijzer."
    ),
    omschrijving="ZorgverlenerCode blijft leeg bij een verwijzer die niet van Type 02-05 is.",
)
def cd068(ctx: RuleContext, verwijzer: etree._Element) -> Iterator[Fault]:
    type_ = ctx.find(verwijzer, "b:Type")
    zorgverlener = ctx.find(verwijzer, "b:ZorgverlenerCode")
    if v.code(type_) not in ZORGVERLENER_TYPES and v.filled(zorgverlener):
        yield Fault([type_, zorgverlener])


def _posities(ctx: RuleContext) -> dict[etree._Element, int]:
    """0-based position of every AangevraagdProduct among its siblings, built once per message."""

    def build() -> dict[etree._Element, int]:
        posities: dict[etree._Element, int] = {}
        for lijst in ctx.findall(ctx.root, "m:Client/m:AangevraagdeProducten"):
            for pos, product in enumerate(ctx.findall(lijst, "m:AangevraagdProduct")):
                posities[product] = pos
        return posities

    return ctx.memo("WMO315.AangevraagdProduct.positie", build)


def _referenties(ctx: RuleContext) -> dict[tuple[etree._Element, str], list[tuple[int, etree._Element]]]:
    """(AangevraagdeProducten, raw ReferentieAanbieder) -> [(position, ReferentieAanbieder)], document order."""

    def build() -> dict[tuple[etree._Element, str], list[tuple[int, etree._Element]]]:
        index: dict[tuple[etree._Element, str], list[tuple[int, etree._Element]]] = defaultdict(list)
        for product, pos in _posities(ctx).items():
            ref = ctx.find(product, "m:ReferentieAanbieder")
            if ref is not None:
                index[(product.getparent(), v.raw(ref) or "")].append((pos, ref))
        return index

    return ctx.memo("TR383.referenties", build)


@rule(
    "TR383",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=AANGEVRAAGD,
    melding=(
        "De ReferentieAanbieder komt al voor bij een eerder AangevraagdProduct in dit bericht; elk aangevraagd "
        "product heeft een eigen referentie. Geef dit product een ReferentieAanbieder die nog niet gebruikt is."
    ),
    omschrijving="ReferentieAanbieder is uniek per AangevraagdProduct in het bericht.",
)
def tr383(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    ref = ctx.find(product, "m:ReferentieAanbieder")
    if ref is None:
        return
    # Trimmed on this side, raw on the earlier side; only the earlier ReferentieAanbieder is reported.
    mijn_positie = _posities(ctx)[product]
    for pos, eerder in _referenties(ctx).get((product.getparent(), v.code(ref) or ""), ()):
        if pos >= mijn_positie:
            break
        yield Fault([eerder])


@rule(
    "TR386",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=AANGEVRAAGD,
    melding=(
        "Hetzelfde product wordt in dit verzoek om toewijzing meer dan eens aangevraagd voor perioden die "
        "elkaar overlappen (een gedeelde dag telt mee). Voeg de aanvragen samen tot één product, of laat de "
        "perioden op elkaar aansluiten zonder overlap."
    ),
    omschrijving="Een product komt alleen vaker voor in een VOT als de perioden niet overlappen.",
)
def tr386(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    for eerder in overlappende_paren(ctx, product, "m:ToewijzingIngangsdatum", "m:ToewijzingEinddatum"):
        yield Fault([eerder, product])
