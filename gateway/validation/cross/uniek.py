"""TR056 (identificatie unique) and TR135 (dagtekening not in the future): every message type.

TR056, like every cross rule, sees only accepted messages: a message rejected on a technical rule counts as
not sent (OP286), so its Identificatie may be used again for the corrected message. TR135 is checked on the
header's Dagtekening against the receiving system's date, which the caller passes in (`today`).
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.standard import catalogue, profielen
from gateway.validation.cross.common import child
from gateway.validation.cross.history import sleutel
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.rules.registry import Fault

# Every heenbericht kind, named as the registry names kinds (by the first profile's message names).
ALLE = [b.naam for b in catalogue.alle(profielen.PROFIELEN[0]) if b.is_heenbericht]


@cross_rule(
    "TR056", retourcode="9056", berichten=ALLE,
    melding="De BerichtIdentificatie is al eerder gebruikt voor dit berichttype door deze afzender. "
            "Geef elk bericht een nieuwe, unieke Identificatie en verstuur het opnieuw.",
    omschrijving="Identificatie is uniek per berichtsoort per afzender.",
)
def tr056(ctx: CrossContext) -> Iterator[Fault]:
    key = sleutel(ctx.kop["afzender"], ctx.kop["berichtcode"], ctx.kop["identificatie"])
    if ctx.history.bekend("bericht", key):
        yield Fault([child(ctx.root, "Header", "BerichtIdentificatie", "Identificatie")])


@cross_rule(
    "TR135", retourcode="8848", berichten=ALLE,
    melding="De Dagtekening van het bericht ligt in de toekomst. Gebruik de datum waarop het bericht is "
            "opgesteld (vandaag of eerder).",
    omschrijving="Dagtekening ligt niet na de systeemdatum van de ontvanger.",
)
def tr135(ctx: CrossContext) -> Iterator[Fault]:
    dagtekening = ctx.kop["dagtekening"]
    if dagtekening and dagtekening[:10] > ctx.today.isoformat():
        yield Fault([child(ctx.root, "Header", "BerichtIdentificatie", "Dagtekening")])
