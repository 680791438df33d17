"""Rules on the toegewezen producten of a toewijzing (WMO301): RedenWijziging (CS335, CS336), no Omvang without a
productcode (CD080) and no overlapping toewijzingen of the same product (TR302).

CD041, CD075-CD079, CS003 and CS338 on ToegewezenProduct live with the other product rules in `product.py`;
TR302 uses the same "same product" and "overlap" definitions as TR386 and TR410 through `overlappende_paren`.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.product import loopt_na_2020, overlappende_paren
from gateway.validation.rules.registry import Fault, RuleContext, rule

TOEGEWEZEN = "m:Client/m:ToegewezenProducten/m:ToegewezenProduct"
# RedenWijziging 13 = verwijderd; 01 = administratieve correctie (vervallen in 3.2, CS336).
VERWIJDERD = "13"
ADMINISTRATIEVE_CORRECTIE = "01"


@rule(
    "CD080",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=f"{TOEGEWEZEN}/m:Omvang",
    melding=(
        "Een ToegewezenProduct zonder productcode mag geen Omvang hebben als de Einddatum leeg is of na "
        "31-12-2020 ligt. Vul de productcode in, of laat Omvang weg (toewijzing op categorie)."
    ),
    omschrijving="Omvang blijft leeg zonder productcode bij een ToegewezenProduct na 2020.",
)
def cd080(ctx: RuleContext, omvang: etree._Element) -> Iterator[Fault]:
    product = omvang.getparent()
    einddatum = ctx.find(product, "m:Einddatum")
    if loopt_na_2020(einddatum) and not v.filled(ctx.find(product, "m:Product/b:Code")):
        yield Fault([einddatum, omvang])


@rule(
    "CS335",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=TOEGEWEZEN,
    melding=(
        "RedenWijziging 13 (verwijderd) mag alleen als de Ingangsdatum gelijk is aan de Einddatum: zo trekt de "
        "gemeente een toewijzing in die nooit is ingegaan. Zet de Einddatum gelijk aan de Ingangsdatum, of "
        "kies een andere RedenWijziging om de toewijzing in te korten."
    ),
    omschrijving="RedenWijziging 13 (verwijderd) alleen als Ingangsdatum gelijk is aan Einddatum.",
)
def cs335(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    if v.raw(ctx.find(product, "m:RedenWijziging")) != VERWIJDERD:
        return
    ingangsdatum = ctx.find(product, "m:Ingangsdatum")
    einddatum = ctx.find(product, "m:Einddatum")
    # Without an Einddatum there is nothing to compare (the validator is silent there too); text, not date, equality.
    if einddatum is not None and v.raw(ingangsdatum) != v.raw(einddatum):
        yield Fault([ingangsdatum, einddatum])


@rule(
    "CS336",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=f"{TOEGEWEZEN}/m:RedenWijziging",
    melding=(
        "RedenWijziging 01 (administratieve correctie) wordt in iWmo 3.2 niet meer gebruikt. "
        "Kies de RedenWijziging die de wijziging beschrijft, bijvoorbeeld 13 om een toewijzing te verwijderen."
    ),
    omschrijving="RedenWijziging 01 (administratieve correctie) niet gebruiken.",
)
def cs336(ctx: RuleContext, reden: etree._Element) -> Iterator[Fault]:
    if v.code(reden) == ADMINISTRATIEVE_CORRECTIE:
        yield Fault([reden])


# --- TR302 -----------------------------------------------------------------------------------------------


def _is_ingetrokken(ctx: RuleContext, product: etree._Element) -> bool:
    """A toewijzing withdrawn before it began (RedenWijziging 01/13, Einddatum = Ingangsdatum) stacks with nothing."""
    reden = v.raw(ctx.find(product, "m:RedenWijziging"))
    einddatum = ctx.find(product, "m:Einddatum")
    if reden not in (ADMINISTRATIEVE_CORRECTIE, VERWIJDERD) or not v.filled(einddatum):
        return False
    ingang = (v.raw(ctx.find(product, "m:Ingangsdatum")) or "").replace("-", "")
    return ingang == (v.raw(einddatum) or "").replace("-", "")


def _ingetrokken(ctx: RuleContext) -> frozenset[etree._Element]:
    def build() -> frozenset[etree._Element]:
        return frozenset(p for p in ctx.findall(ctx.root, TOEGEWEZEN) if _is_ingetrokken(ctx, p))

    return ctx.memo("TR302.ingetrokken", build)


@rule(
    "TR302",
    retourcode="0001",
    berichten=["WMO301"],
    anchor=TOEGEWEZEN,
    melding=(
        "Hetzelfde product is in deze toewijzing meer dan eens toegewezen voor perioden die elkaar overlappen "
        "(een gedeelde dag telt mee; zonder productcode geldt de categorie, zonder Product elk ander product). "
        "Laat de perioden op elkaar aansluiten zonder overlap, voeg de toewijzingen samen, of trek de oude in "
        "met RedenWijziging 13 en Einddatum gelijk aan de Ingangsdatum."
    ),
    omschrijving="Een product komt alleen vaker voor in een toewijzing als de perioden niet overlappen.",
)
def tr302(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    ingetrokken = _ingetrokken(ctx)
    if product in ingetrokken:
        return
    for eerder in overlappende_paren(ctx, product, "m:Ingangsdatum", "m:Einddatum"):
        if eerder not in ingetrokken:
            yield Fault([eerder, product])
