"""The declaratie (WMO323) against the toewijzingen and earlier declaraties; TR304 also for 317 and 325.

"The toewijzing" is always the current version of the ToegewezenProduct: the one with the latest
Toewijzingsdatum/-tijd (IV013). A prestatie that a WMO325 rejected counts as not approved; one without an
answer yet counts as approved (TR323) and as declared (TR322).

Where we read the rule text in a particular way:
- TR338 also fails when the ToewijzingNummer belongs to a toewijzing of another client (another Bsn).
- TR314 also checks uniqueness inside the declaratie ("zowel binnen één bericht"), as the in-message TR101
  is not implemented.
- TR321 with Frequentie per week (IV077): the period is clipped to the toewijzing ("binnen de toewijzing"),
  and the allowance is the larger of the inspanningsgerichte count (calendar weeks touched) and the
  outputgerichte count (Sundays, plus one for the toewijzing's last, broken week). A message does not say
  which variant the gemeente uses, and a gateway should not reject what either variant allows.
  Productcategorie 01 gets six weeks' volume per prestatie.
- TR323 also requires the debet to have been declared to the same gemeente. A refused debet (an afwijzing
  fact: from a WMO325, or the gateway's own refusal in a partly processed WMO323) is never approved (IV085),
  and that refusal is itself evidence, so lenient mode reports the credit too.
- TR318 (OP284, IV090): gaps between declaratieperioden are allowed (months without care), and a second
  declaratie over the last period is allowed (corrections), so what the gateway can know to be wrong is a
  DeclaratiePeriode before the last one this aanbieder declared to this gemeente.
- TR389: an earlier debet stops counting once a creditprestatie for the same ProductPeriode names it, in the
  history or in this declaratie (a correction sends credit and new debet together); a refused debet never
  counted. Two such debets inside one declaratie are the in-message TR416's finding, not repeated here.
- TR390: "gelijk ProductReferentie" is read as the same VorigReferentieNummer: a debet is credited once. A
  refused credit does not count. Two such credits inside one declaratie are the in-message TR315's finding.
- TR304 knows a client from the toewijzingen (WMO301) between the two parties, for WMO317, WMO323 and WMO325
  alike; a client the gemeente allocated only to another aanbieder is unknown here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from gateway.standard import codelijsten as cl
from gateway.validation.cross.common import (
    child,
    client_bekend,
    partijen,
    relatie_bekend,
    text,
    toewijzing,
)
from gateway.validation.cross.history import Feit, debet_sleutel, prestatie, sleutel
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.paths import alle
from gateway.validation.rules.registry import Fault


def prestaties(ctx: CrossContext) -> list[tuple[etree._Element, Feit]]:
    def build() -> list[tuple[etree._Element, Feit]]:
        out = []
        for client in alle(ctx.root, "Client"):
            bsn = text(client, "Bsn")
            out += [(p, prestatie(p, bsn)) for p in alle(client, "Prestatie")]
        return out

    return ctx.memo("prestaties", build)  # type: ignore[no-any-return]


def afgewezen(ctx: CrossContext, referentienummer: str | None) -> bool:
    _, aanbieder = partijen(ctx)
    return bool(ctx.memo(f"afwijzing:{referentienummer}",
                         lambda: ctx.history.bekend("afwijzing", sleutel(aanbieder, referentienummer))))


def datum(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _periods(begin: dt.date, end: dt.date, frequentie: str) -> int | None:
    """How many allocation periods (days, ISO weeks, calendar months) [begin, end] touches."""
    if end < begin:
        return 0
    days = (end - begin).days + 1
    if frequentie == cl.FREQUENTIE_PER_DAG:
        return days
    if frequentie == cl.FREQUENTIE_PER_WEEK:
        first = begin - dt.timedelta(days=begin.weekday())
        return math.ceil(((end - first).days + 1) / 7)
    if frequentie == cl.FREQUENTIE_PER_MAAND:
        return (end.year - begin.year) * 12 + end.month - begin.month + 1
    if frequentie == cl.FREQUENTIE_TOTAAL:
        return 1
    return None


def _output_weken(begin: dt.date, end: dt.date, toewijzing_eind: dt.date | None) -> int:
    """IV077, outputgericht: the Sundays in [begin, end], plus one when the toewijzing's last Sunday lies in it
    and the toewijzing does not end on a Sunday (its broken last week is declared with that Sunday's month)."""
    if end < begin:
        return 0
    first_sunday = begin + dt.timedelta(days=(6 - begin.weekday()) % 7)
    sundays = 0 if first_sunday > end else (end - first_sunday).days // 7 + 1
    if toewijzing_eind is not None and toewijzing_eind.weekday() != 6:
        last_sunday = toewijzing_eind - dt.timedelta(days=toewijzing_eind.weekday() + 1)
        if begin <= last_sunday <= end:
            sundays += 1
    return sundays


def _in_toewijzing_eenheid(feit: Feit, tw: Feit) -> float | None:
    volume = _number(feit.get("volume"))
    ep, et = feit.get("eenheid"), tw.get("eenheid")
    if volume is None or et is None:
        return None
    if ep == et:
        return volume
    if ep in cl.MINUTEN_PER and et in cl.MINUTEN_PER:  # minutes against hours (IV081)
        return volume * cl.MINUTEN_PER[ep] / cl.MINUTEN_PER[et]
    return None  # another unit: TR341's finding, not a volume question


@cross_rule(
    "TR304", retourcode="8187", berichten=["WMO317", "WMO323", "WMO325"],
    melding="Deze Bsn hoort niet bij een cliënt die de gemeente aan deze aanbieder heeft toegewezen. "
            "Controleer de Bsn tegen de toewijzing (WMO301).",
    omschrijving="Bsn hoort bij een bekende cliënt.",
)
def tr304(ctx: CrossContext) -> Iterator[Fault]:
    if not ctx.strict and not relatie_bekend(ctx):
        return
    for client in alle(ctx.root, "Client"):
        bsn_el = child(client, "Bsn")
        if bsn_el is not None and not client_bekend(ctx, text(bsn_el)):
            yield Fault([bsn_el])


@cross_rule(
    "TR338", retourcode="9338", berichten=["WMO323"],
    melding="Deze prestatie hoort niet bij een toegewezen product: het ToewijzingNummer is voor deze gemeente, "
            "aanbieder en cliënt onbekend. Declareer op het ToewijzingNummer uit de WMO301 van deze cliënt.",
    omschrijving="Elke prestatie hoort via het ToewijzingNummer bij een toegewezen product van dezelfde cliënt.",
)
def tr338(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit in prestaties(ctx):
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if tw is None:
            if ctx.strict or client_bekend(ctx, feit["bsn"]):
                yield Fault([child(p, "ToewijzingNummer")])
        elif tw.get("bsn") != feit["bsn"]:
            yield Fault([child(p, "ToewijzingNummer")], detail="de toewijzing hoort bij een andere cliënt")


@cross_rule(
    "TR307", retourcode="9307", berichten=["WMO323"],
    melding="De ProductPeriode begint voor de ingangsdatum van de toewijzing. Declareer alleen vanaf de "
            "ingangsdatum van het toegewezen product.",
    omschrijving="Begindatum ProductPeriode ligt niet voor de ingangsdatum van de toewijzing.",
)
def tr307(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit in prestaties(ctx):
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if tw and tw.get("ingangsdatum") and feit["begindatum"] and feit["begindatum"] < tw["ingangsdatum"]:
            yield Fault([child(p, "ProductPeriode", "Begindatum")])


@cross_rule(
    "TR308", retourcode="9308", berichten=["WMO323"],
    melding="De ProductPeriode eindigt na de einddatum van de toewijzing. Declareer alleen tot en met de "
            "einddatum van het toegewezen product.",
    omschrijving="Einddatum ProductPeriode ligt niet na de einddatum van de toewijzing (als die er is).",
)
def tr308(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit in prestaties(ctx):
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if tw and tw.get("einddatum") and feit["einddatum"] and feit["einddatum"] > tw["einddatum"]:
            yield Fault([child(p, "ProductPeriode", "Einddatum")])


@cross_rule(
    "TR314", retourcode="8021", berichten=["WMO323"],
    melding="Dit ReferentieNummer is al eerder door deze aanbieder gebruikt. Geef elke prestatie een eigen, nieuw "
            "ReferentieNummer.",
    omschrijving="ReferentieNummer van een prestatie is uniek per aanbieder, in het bericht en over berichten heen.",
)
def tr314(ctx: CrossContext) -> Iterator[Fault]:
    _, aanbieder = partijen(ctx)
    gezien: set[str | None] = set()
    for p, feit in prestaties(ctx):
        nummer = feit["referentienummer"]
        if nummer in gezien:
            yield Fault([child(p, "ProductReferentie", "ReferentieNummer")], detail="al eerder in deze declaratie")
        elif ctx.history.bekend("prestatie", sleutel(aanbieder, nummer)):
            yield Fault([child(p, "ProductReferentie", "ReferentieNummer")])
        gezien.add(nummer)


@cross_rule(
    "TR323", retourcode="8017", berichten=["WMO323"],
    melding="Van deze creditprestatie is geen eerder goedgekeurde debetprestatie bekend. Vul "
            "VorigReferentieNummer met het ReferentieNummer van de oorspronkelijke debetprestatie.",
    omschrijving="Een creditprestatie verwijst naar een eerder goedgekeurde debetprestatie.",
)
def tr323(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    for p, feit in prestaties(ctx):
        if feit["debetcredit"] != "C":
            continue
        earlier = ctx.history.feiten("prestatie", sleutel(aanbieder, feit["vorig"]))
        refused = afgewezen(ctx, feit["vorig"])
        approved = [e for e in earlier if e.get("debetcredit") == "D" and e.get("gemeente") == gemeente]
        if approved and not refused:
            continue
        if ctx.strict or earlier or refused or ctx.history.bekend("aanbieder-declareert", sleutel(aanbieder)):
            yield Fault([child(p, "ProductReferentie", "VorigReferentieNummer")],
                        detail="de debetprestatie is afgewezen en kan niet gecrediteerd worden" if refused else None)


@cross_rule(
    "TR333", retourcode="9333", berichten=["WMO323"],
    melding="Dit DeclaratieNummer is al eerder door deze aanbieder gebruikt. Geef elke declaratie een nieuw "
            "DeclaratieNummer.",
    omschrijving="DeclaratieNummer is uniek per aanbieder.",
)
def tr333(ctx: CrossContext) -> Iterator[Fault]:
    _, aanbieder = partijen(ctx)
    nummer = child(ctx.root, "Declaratie", "DeclaratieNummer")
    if nummer is not None and ctx.history.bekend("declaratie", sleutel(aanbieder, text(nummer))):
        yield Fault([nummer])


@cross_rule(
    "TR321", retourcode="9321", berichten=["WMO323"],
    melding="Het GeleverdVolume van deze prestatie is groter dan de toegewezen omvang over de ProductPeriode. "
            "Declareer niet meer dan is toegewezen (huishoudelijke hulp per week: ten hoogste 6× de weekomvang "
            "per maand, IV077).",
    omschrijving="GeleverdVolume per prestatie past binnen de toegewezen omvang (Wmo-uitzondering IV077).",
)
def tr321(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit in prestaties(ctx):
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if not tw or tw.get("volume") is None or feit["debetcredit"] == "C":
            continue
        volume, toegewezen = _in_toewijzing_eenheid(feit, tw), _number(tw.get("volume"))
        begin, end = datum(feit["begindatum"]), datum(feit["einddatum"])
        if volume is None or toegewezen is None or begin is None or end is None:
            continue
        ingang, eind = datum(tw.get("ingangsdatum")), datum(tw.get("einddatum"))
        begin, end = max(begin, ingang) if ingang else begin, min(end, eind) if eind else end
        frequentie = tw.get("frequentie") or ""
        if frequentie == cl.FREQUENTIE_PER_WEEK and tw.get("categorie") == cl.CATEGORIE_HUISHOUDELIJKE_HULP:
            allowed: float | None = 6 * toegewezen  # IV077: a month may hold up to six weeks' volume
        elif frequentie == cl.FREQUENTIE_PER_WEEK:
            allowed = max(_periods(begin, end, frequentie) or 0, _output_weken(begin, end, eind)) * toegewezen
        else:
            periods = _periods(begin, end, frequentie)
            allowed = None if periods is None else periods * toegewezen
        if allowed is not None and volume > allowed:
            yield Fault([child(p, "GeleverdVolume")], detail=f"{volume:g} > {allowed:g}")


@cross_rule(
    "TR322", retourcode="9322", berichten=["WMO323"],
    melding="De som van het GeleverdVolume van alle prestaties op dit toegewezen product is groter dan de "
            "toegewezen omvang over de hele looptijd. Controleer de eerdere declaraties en deze prestaties.",
    omschrijving="De som van geleverde volumes past binnen de toegewezen omvang over de looptijd.",
)
def tr322(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    per_toewijzing: dict[str | None, list[tuple[etree._Element, Feit]]] = defaultdict(list)
    for p, feit in prestaties(ctx):
        per_toewijzing[feit["toewijzingnummer"]].append((p, feit))
    for nummer, lines in per_toewijzing.items():
        tw = toewijzing(ctx, nummer)
        if not tw or tw.get("volume") is None:
            continue
        begin, end = datum(tw.get("ingangsdatum")), datum(tw.get("einddatum"))
        frequentie = tw.get("frequentie") or ""
        if begin is None or (end is None and frequentie != cl.FREQUENTIE_TOTAAL):
            continue  # open-ended: no lifetime maximum
        periods = 1 if frequentie == cl.FREQUENTIE_TOTAAL else _periods(begin, end, frequentie)  # type: ignore[arg-type]
        toegewezen = _number(tw.get("volume"))
        if periods is None or toegewezen is None:
            continue
        earlier = ctx.history.feiten("volume", sleutel(gemeente, aanbieder, nummer))
        total = 0.0
        for feit in [*earlier, *(f for _, f in lines)]:
            if afgewezen(ctx, feit.get("referentienummer")):
                continue
            volume = _in_toewijzing_eenheid(feit, tw)
            if volume is not None:
                total += -volume if feit.get("debetcredit") == "C" else volume
        if total > periods * toegewezen:
            yield Fault([child(p, "GeleverdVolume") for p, _ in lines], detail=f"{total:g} > {periods * toegewezen:g}")


@cross_rule(
    "TR318", retourcode="8214", berichten=["WMO323"],
    melding="De DeclaratiePeriode ligt voor de laatst ingediende DeclaratiePeriode van deze aanbieder bij deze "
            "gemeente. Declareer nagekomen prestaties in de laatst ingediende of een latere declaratieperiode "
            "(IV090).",
    omschrijving="DeclaratiePeriode ligt niet voor de laatst ingediende DeclaratiePeriode (hiaten mogen, OP284).",
)
def tr318(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    begin = child(ctx.root, "Declaratie", "DeclaratiePeriode", "Begindatum")
    eerder = [f["begindatum"] for f in ctx.history.feiten("declaratieperiode", sleutel(gemeente, aanbieder))
              if f.get("begindatum")]
    if begin is not None and eerder and (text(begin) or "") < max(eerder):
        yield Fault([begin], detail=f"laatst ingediende periode begint op {max(eerder)}")


def _credits_in_bericht(ctx: CrossContext) -> dict[str | None, list[Feit]]:
    """The creditprestaties of this declaratie by the debet they name (VorigReferentieNummer)."""
    def build() -> dict[str | None, list[Feit]]:
        out: dict[str | None, list[Feit]] = defaultdict(list)
        for _, feit in prestaties(ctx):
            if feit["debetcredit"] == "C":
                out[feit["vorig"]].append(feit)
        return out

    return ctx.memo("credits", build)  # type: ignore[no-any-return]


def _gecrediteerd(ctx: CrossContext, debet: str | None, begin: str | None, eind: str | None) -> bool:
    """Whether a (not refused) creditprestatie for the same ProductPeriode names this debet."""
    _, aanbieder = partijen(ctx)
    credits = [*ctx.history.feiten("credit", sleutel(aanbieder, debet)), *_credits_in_bericht(ctx).get(debet, ())]
    return any(c.get("begindatum") == begin and c.get("einddatum") == eind
               and not afgewezen(ctx, c.get("referentienummer")) for c in credits)


@cross_rule(
    "TR389", retourcode="9389", berichten=["WMO323"],
    melding="Voor dezelfde ToewijzingNummer, ProductCategorie, ProductCode en ProductPeriode is al een "
            "debetprestatie ingediend die niet gecrediteerd is. Crediteer eerst de eerdere debetprestatie (in "
            "deze of een eerdere declaratie) en dien daarna de nieuwe in.",
    omschrijving="Eén debetprestatie per toewijzing, product en ProductPeriode, tenzij de eerdere gecrediteerd is.",
)
def tr389(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    for p, feit in prestaties(ctx):
        if feit["debetcredit"] == "C":
            continue
        sleutel_ = debet_sleutel(gemeente, aanbieder, feit)
        eerder = [d.get("referentienummer") for d in ctx.history.feiten("debet", sleutel_)]
        open_ = [ref for ref in eerder if ref != feit["referentienummer"] and not afgewezen(ctx, ref)
                 and not _gecrediteerd(ctx, ref, feit["begindatum"], feit["einddatum"])]
        if open_:
            yield Fault([child(p, "IngediendBedrag", "DebetCredit")], detail=f"eerdere debetprestatie {open_[0]}")


@cross_rule(
    "TR390", retourcode="9390", berichten=["WMO323"],
    melding="Deze debetprestatie is al eerder gecrediteerd: er bestaat al een creditprestatie met dit "
            "VorigReferentieNummer. Een debetprestatie wordt één keer gecrediteerd.",
    omschrijving="Een debetprestatie wordt hoogstens één keer gecrediteerd.",
)
def tr390(ctx: CrossContext) -> Iterator[Fault]:
    _, aanbieder = partijen(ctx)
    for p, feit in prestaties(ctx):
        if feit["debetcredit"] != "C":
            continue
        eerder = [c for c in ctx.history.feiten("credit", sleutel(aanbieder, feit["vorig"]))
                  if c.get("referentienummer") != feit["referentienummer"]
                  and not afgewezen(ctx, c.get("referentienummer"))]
        if eerder:
            yield Fault([child(p, "IngediendBedrag", "DebetCredit")],
                        detail=f"eerdere creditprestatie {eerder[0].get('referentienummer')}")
