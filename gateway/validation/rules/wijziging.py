"""Rules on the verzoek om wijziging (WMO317)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.product import overlappende_paren
from gateway.validation.rules.registry import Fault, RuleContext, rule


@rule(
    "TR380",
    retourcode="0001",
    berichten=["WMO317"],
    anchor=".//m:NieuwProduct/m:GewensteIngangsdatum",
    melding=(
        "De GewensteIngangsdatum van een nieuw product moet na de Dagtekening van het bericht liggen. "
        "Kies een ingangsdatum na de dagtekening, of verstuur het bericht eerder."
    ),
    omschrijving="GewensteIngangsdatum van een NieuwProduct ligt na de Dagtekening (strikt).",
)
def tr380(ctx: RuleContext, gewenst: etree._Element) -> Iterator[Fault]:
    dagtekening = ctx.dagtekening
    # Strict: a desired start on the Dagtekening itself is a fault (rule-semantics: D(dag) >= D(gewenst)).
    if v.ge(v.date_num(dagtekening), v.date_num(gewenst)):
        yield Fault([dagtekening, gewenst])


VERZOEK = "m:Client/m:Verzoek"


@rule(
    "TR352",
    retourcode="0001",
    berichten=["WMO317"],
    anchor=VERZOEK,
    melding=(
        "Een verzoek om wijziging noemt alle lopende toewijzingen, dus ten minste één OngewijzigdProduct of "
        "TeWijzigenProduct. Neem de lopende toewijzingen op; is er geen lopende toewijzing, stuur dan een "
        "verzoek om toewijzing (WMO315)."
    ),
    omschrijving="Een VOW bevat ten minste één OngewijzigdProduct of TeWijzigenProduct.",
)
def tr352(ctx: RuleContext, verzoek: etree._Element) -> Iterator[Fault]:
    if (
        ctx.find(verzoek, "m:OngewijzigdeProducten/m:OngewijzigdProduct") is None
        and ctx.find(verzoek, "m:TeWijzigenProducten/m:TeWijzigenProduct") is None
    ):
        yield Fault([verzoek])


@rule(
    "TR353",
    retourcode="0001",
    berichten=["WMO317"],
    anchor=VERZOEK,
    melding=(
        "Een verzoek om wijziging zonder TeWijzigenProduct of NieuwProduct vraagt niets. "
        "Neem het product op dat gewijzigd of nieuw toegewezen moet worden, of verstuur het verzoek niet."
    ),
    omschrijving="Een VOW bevat ten minste één TeWijzigenProduct of NieuwProduct.",
)
def tr353(ctx: RuleContext, verzoek: etree._Element) -> Iterator[Fault]:
    if (
        ctx.find(verzoek, "m:TeWijzigenProducten/m:TeWijzigenProduct") is None
        and ctx.find(verzoek, "m:NieuweProducten/m:NieuwProduct") is None
    ):
        yield Fault([verzoek])


@rule(
    "TR410",
    retourcode="0001",
    berichten=["WMO317"],
    anchor="m:Client/m:Verzoek/m:NieuweProducten/m:NieuwProduct",
    melding=(
        "Hetzelfde product komt meer dan eens voor als NieuwProduct met perioden die elkaar overlappen (een "
        "gedeelde dag telt mee). Voeg de nieuwe producten samen, of laat de perioden aansluiten zonder overlap."
    ),
    omschrijving="Een product komt alleen vaker voor als NieuwProduct als de perioden niet overlappen.",
)
def tr410(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    for eerder in overlappende_paren(ctx, product, "m:GewensteIngangsdatum", "m:Einddatum"):
        yield Fault([eerder, product])
