"""Rules on dates and delivery status: StatusAanlevering (CS058), the stop's own period (TR018), and dates that
may not lie after the message's Dagtekening (TR134).

TR134 covers every message type the validator checks it on (rule-semantics §5): the birth dates in the heen-
berichten 301/305/307/315, the toewijzing, start and stop dates, and the periods in the declaratie (323) and the
declaratie-antwoord (325). Nothing in WMO317 or WMO319.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.declaratie import PRESTATIE_323, PRESTATIE_325
from gateway.validation.rules.registry import Fault, RuleContext, rule

START_PRODUCT = "m:Client/m:StartProducten/m:StartProduct"
STOP_PRODUCT = "m:Client/m:StopProducten/m:StopProduct"
GEBOORTEDATUM = "m:Client/m:Geboortedatum/b:Datum"
# Only a first delivery (1) or its removal (3) may be sent; 2 (correction) and 9 are not used in iWmo 3.2.
STATUS_AANLEVERING_TOEGESTAAN = frozenset({"1", "3"})


# --- CS058 -----------------------------------------------------------------------------------------------


def _cs058(ctx: RuleContext, status: etree._Element) -> Iterator[Fault]:
    if v.code(status) not in STATUS_AANLEVERING_TOEGESTAAN:
        yield Fault([status])


for _bericht, _product in (("WMO305", START_PRODUCT), ("WMO307", STOP_PRODUCT)):
    rule(
        "CS058",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_product}/m:StatusAanlevering",
        melding=(
            "StatusAanlevering moet 1 (eerste aanlevering) of 3 (verwijderen aanlevering) zijn. "
            "Stuur een nieuwe melding met status 1, of verwijder een eerdere melding met status 3; "
            "een correctie gaat als verwijdering gevolgd door een nieuwe aanlevering."
        ),
        omschrijving="StatusAanlevering is 1 (eerste aanlevering) of 3 (verwijderen aanlevering).",
    )(_cs058)


# --- TR018 -----------------------------------------------------------------------------------------------


@rule(
    "TR018",
    retourcode="0001",
    berichten=["WMO307"],
    anchor=f"{STOP_PRODUCT}/m:Einddatum",
    melding=(
        "De Einddatum van de stop ligt voor de Begindatum van de ondersteuning. "
        "Kies een Einddatum die gelijk is aan of later is dan de Begindatum."
    ),
    omschrijving="Einddatum van een StopProduct ligt niet voor de Begindatum.",
)
def tr018(ctx: RuleContext, einddatum: etree._Element) -> Iterator[Fault]:
    begindatum = ctx.find(einddatum.getparent(), "m:Begindatum")
    # Inclusive (a stop on the day care began is allowed); the upper date is read as its first ten characters.
    if begindatum is None or v.gt(v.date_num(begindatum), v.date_num10(einddatum)):
        yield Fault([begindatum, einddatum])


# --- TR134 -----------------------------------------------------------------------------------------------


def _tr134(ctx: RuleContext, datum: etree._Element) -> Iterator[Fault]:
    dagtekening = ctx.dagtekening
    # A date on the Dagtekening itself passes: a message may report what happened the day it is sent.
    if v.gt(v.date_num(datum), ctx.dagtekening10):
        yield Fault([dagtekening, datum])


def _tr134_prestaties(ctx: RuleContext) -> Iterator[tuple[etree._Element, Fault]]:
    """TR134 on the Begindatum of every prestatie's ProductPeriode, once per message (see declaratie.py)."""
    prestaties = PRESTATIE_323 if ctx.bericht.is_soort("323") else PRESTATIE_325
    for prestatie, tekst in ctx.regels(prestaties).items():  # ProductPeriode holds the only Begindatum
        if v.gt(v.date_num_text(tekst.get("Begindatum")), ctx.dagtekening10):
            begindatum = ctx.velden(prestatie)["Begindatum"]
            yield begindatum, Fault([ctx.dagtekening, begindatum])


# (message, anchor, the element's name as a user reads it in the melding, check, per_bericht)
_TR134 = (
    ("WMO301", GEBOORTEDATUM, "Geboortedatum van de cliënt", _tr134, False),
    ("WMO301", "m:Client/m:Relaties/m:Relatie/m:Geboortedatum/b:Datum", "Geboortedatum van de relatie", _tr134,
     False),
    ("WMO301", "m:Client/m:ToegewezenProducten/m:ToegewezenProduct/m:Toewijzingsdatum", "Toewijzingsdatum", _tr134,
     False),
    ("WMO305", GEBOORTEDATUM, "Geboortedatum van de cliënt", _tr134, False),
    ("WMO305", f"{START_PRODUCT}/m:Begindatum", "Begindatum van de start", _tr134, False),
    ("WMO307", GEBOORTEDATUM, "Geboortedatum van de cliënt", _tr134, False),
    ("WMO307", f"{STOP_PRODUCT}/m:Einddatum", "Einddatum van de stop", _tr134, False),
    ("WMO315", GEBOORTEDATUM, "Geboortedatum van de cliënt", _tr134, False),
    ("WMO323", "m:Declaratie/m:DeclaratiePeriode/b:Begindatum", "Begindatum van de DeclaratiePeriode", _tr134, False),
    ("WMO323", f"{PRESTATIE_323}/m:ProductPeriode/b:Begindatum", "Begindatum van de ProductPeriode",
     _tr134_prestaties, True),
    ("WMO325", f"{PRESTATIE_325}/m:ProductPeriode/b:Begindatum", "Begindatum van de ProductPeriode",
     _tr134_prestaties, True),
)

for _bericht, _anchor, _wat, _check, _per_bericht in _TR134:
    rule(
        "TR134",
        retourcode="0001",
        berichten=[_bericht],
        anchor=_anchor,
        melding=(
            f"De {_wat} ligt na de Dagtekening van het bericht. "
            f"Controleer de {_wat}: een datum in dit bericht mag niet later zijn dan de dag waarop het "
            "bericht is opgemaakt. Verstuur het bericht zo nodig later."
        ),
        omschrijving="Datum ligt niet na de Dagtekening van het bericht.",
        per_bericht=_per_bericht,
    )(_check)
