"""Rules on the verzoek om wijziging (WMO317)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
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
