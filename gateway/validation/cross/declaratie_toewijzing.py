"""The prestatie against its toegewezen product: product, eenheid, budget, deletion and the ProductPeriode's edges.

"The toewijzing" is the current version (latest Toewijzingsdatum/-tijd, IV013), as in declaratie.py. Every rule
here is skipped when the toewijzing is unknown: TR338 reports that, in the mode's way.

Where we read the rule text in a particular way:
- TR341: "passen" is the same Eenheid, or minuten (01) against a toewijzing in uren (04) (IV081). A toewijzing
  without Omvang (aspecifiek, generiek) has no Eenheid; then the Eenheid of the contract's tarief for the
  declared product counts ("de eenheid in de gemaakte contractafspraken"), when the tarieven are loaded.
- TR369 compares money with money: a prestatie in Euro's (83) counts its GeleverdVolume (eurocent, IV042), a
  prestatie in another Eenheid (possible on a generieke toewijzing) its IngediendBedrag. Credits subtract,
  refused prestaties do not count; the debet prestaties on the toewijzing are reported.
- TR384: a toewijzing is deleted when any version has RedenWijziging 13; a deletion is final (it "moet als niet
  verzonden beschouwd worden").
- TR387 / TR388: the month is that of the ProductPeriode's Begindatum (TR387) and Einddatum (TR388). Only the
  toewijzing's Ingangsdatum later in that month (TR387) or Einddatum earlier in it (TR388) moves the expected
  date; a date outside the toewijzing is TR307's / TR308's finding as well.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from gateway.standard import codelijsten as cl
from gateway.validation.cross.common import child, partijen, toewijzing
from gateway.validation.cross.declaratie import afgewezen, datum, prestaties
from gateway.validation.cross.history import Feit, sleutel
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.rules.registry import Fault


def eenheid_past(gedeclareerd: str | None, toegewezen: str | None) -> bool:
    """TR341 / IV081: the same Eenheid, or minutes declared against hours."""
    return gedeclareerd == toegewezen or (toegewezen == cl.EENHEID_UUR and gedeclareerd == cl.EENHEID_MINUUT)


def _met_toewijzing(ctx: CrossContext) -> Iterator[tuple[etree._Element, Feit, Feit]]:
    for p, feit in prestaties(ctx):
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if tw is not None:
            yield p, feit, tw


@cross_rule(
    "TR339", retourcode="9339", berichten=["WMO323"],
    melding="De ProductCategorie van deze prestatie is niet de ProductCategorie van het toegewezen product. "
            "Neem de ProductCategorie over uit de toewijzing (WMO301).",
    omschrijving="ProductCategorie in de prestatie is die van het toegewezen product (als die gevuld is).",
)
def tr339(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit, tw in _met_toewijzing(ctx):
        if tw.get("categorie") and feit["categorie"] != tw["categorie"]:
            yield Fault([child(p, "ProductCategorie")], detail=f"toegewezen: {tw['categorie']}")


@cross_rule(
    "TR340", retourcode="9340", berichten=["WMO323"],
    melding="De ProductCode van deze prestatie is niet de ProductCode van het toegewezen product. Neem de "
            "ProductCode over uit de toewijzing (WMO301).",
    omschrijving="ProductCode in de prestatie is die van het toegewezen product (als die gevuld is).",
)
def tr340(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit, tw in _met_toewijzing(ctx):
        if tw.get("code") and feit["code"] != tw["code"]:
            yield Fault([child(p, "ProductCode")], detail=f"toegewezen: {tw['code']}")


@cross_rule(
    "TR341", retourcode="9341", berichten=["WMO323"],
    melding="De Eenheid van deze prestatie past niet bij de Eenheid van het toegewezen product. Declareer in de "
            "toegewezen Eenheid; bij een toewijzing in uren mag ook in minuten (IV081).",
    omschrijving="Eenheid in de prestatie past bij de toegewezen Eenheid (uren mogen in minuten, IV081).",
)
def tr341(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    for p, feit, tw in _met_toewijzing(ctx):
        toegewezen, bron = tw.get("eenheid"), "toegewezen"
        if toegewezen is None:  # aspecifiek / generiek: the contract's eenheid for the declared product
            tarief = ctx.tarieven.voor(gemeente, aanbieder, feit["categorie"], feit["code"], datum(feit["begindatum"]))
            toegewezen, bron = (tarief.eenheid, "contract") if tarief else (None, "")
        if toegewezen is not None and not eenheid_past(feit["eenheid"], toegewezen):
            yield Fault([child(p, "Eenheid")], detail=f"{bron}: {toegewezen}")


def _bedrag(feit: Feit) -> int | None:
    """What a prestatie claims against a budget, in eurocent (see TR369 in the module docstring)."""
    waarde = feit.get("volume") if feit.get("eenheid") == cl.EENHEID_EURO else feit.get("bedrag")
    try:
        return int(waarde) if waarde is not None else None
    except ValueError:
        return None


@cross_rule(
    "TR369", retourcode="9369", berichten=["WMO323"],
    melding="Alle prestaties op dit toegewezen product samen passen niet binnen het toegewezen Budget. "
            "Controleer de eerdere declaraties en deze prestaties tegen het Budget van de toewijzing.",
    omschrijving="Als de toewijzing een Budget heeft, passen alle prestaties erop samen binnen dat Budget.",
)
def tr369(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    per_toewijzing: dict[str | None, list[tuple[etree._Element, Feit]]] = defaultdict(list)
    for p, feit, tw in _met_toewijzing(ctx):
        if tw.get("budget") is not None:
            per_toewijzing[feit["toewijzingnummer"]].append((p, feit))
    for nummer, lines in per_toewijzing.items():
        tw = toewijzing(ctx, nummer)
        try:
            budget = int(tw["budget"])  # type: ignore[index]
        except ValueError:
            continue
        earlier = ctx.history.feiten("volume", sleutel(gemeente, aanbieder, nummer))
        total = 0
        for feit in [*earlier, *(f for _, f in lines)]:
            bedrag = _bedrag(feit)
            if bedrag is None or afgewezen(ctx, feit.get("referentienummer")):
                continue
            total += -bedrag if feit.get("debetcredit") == "C" else bedrag
        if total > budget:
            debets = [p for p, f in lines if f["debetcredit"] != "C"]
            if debets:
                yield Fault([child(p, "GeleverdVolume") for p in debets], detail=f"{total} > {budget} eurocent")


@cross_rule(
    "TR384", retourcode="9384", berichten=["WMO323"],
    melding="Deze prestatie is gedeclareerd op een toewijzing die de gemeente heeft verwijderd (RedenWijziging "
            "13). Op een verwijderde toewijzing kan niet gedeclareerd worden; neem contact op met de gemeente.",
    omschrijving="Niet declareren op een toewijzing met RedenWijziging 13 (Verwijderd).",
)
def tr384(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    for p, feit, _ in _met_toewijzing(ctx):
        nummer = feit["toewijzingnummer"]
        versies = ctx.memo(f"toewijzing-versies:{nummer}",
                           lambda n=nummer: ctx.history.feiten("toewijzing", sleutel(gemeente, aanbieder, n)))
        if any(v.get("redenwijziging") == cl.REDEN_WIJZIGING_VERWIJDERD for v in versies):
            yield Fault([child(p, "ToewijzingNummer")])


def _laatste_dag(datum: dt.date) -> dt.date:
    return datum.replace(day=calendar.monthrange(datum.year, datum.month)[1])


@cross_rule(
    "TR387", retourcode="9387", berichten=["WMO323"],
    melding="De ProductPeriode begint niet op de eerste dag van de maand, terwijl de toewijzing niet later in "
            "die maand ingaat. Laat de ProductPeriode op de 1e van de maand beginnen, of op de ingangsdatum van "
            "de toewijzing als die later in de maand ligt.",
    omschrijving="Begindatum ProductPeriode is de 1e van de maand, of de latere ingangsdatum van de toewijzing.",
)
def tr387(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit, tw in _met_toewijzing(ctx):
        begin, ingang = datum(feit["begindatum"]), datum(tw.get("ingangsdatum"))
        if begin is None:
            continue
        verwacht = begin.replace(day=1)
        if ingang is not None and verwacht < ingang <= _laatste_dag(begin):
            verwacht = ingang
        if begin != verwacht:
            yield Fault([child(p, "ProductPeriode", "Begindatum")], detail=f"verwacht {verwacht.isoformat()}")


@cross_rule(
    "TR388", retourcode="9388", berichten=["WMO323"],
    melding="De ProductPeriode eindigt niet op de laatste dag van de maand, terwijl de toewijzing niet eerder in "
            "die maand eindigt. Laat de ProductPeriode op de laatste dag van de maand eindigen, of op de "
            "einddatum van de toewijzing als die eerder in de maand ligt.",
    omschrijving="Einddatum ProductPeriode is de laatste van de maand, of de eerdere einddatum van de toewijzing.",
)
def tr388(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit, tw in _met_toewijzing(ctx):
        eind, tw_eind = datum(feit["einddatum"]), datum(tw.get("einddatum"))
        if eind is None:
            continue
        verwacht = _laatste_dag(eind)
        if tw_eind is not None and eind.replace(day=1) <= tw_eind < verwacht:
            verwacht = tw_eind
        if eind != verwacht:
            yield Fault([child(p, "ProductPeriode", "Einddatum")], detail=f"verwacht {verwacht.isoformat()}")
