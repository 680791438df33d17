"""In-message rules of the declaratie (WMO323) and the declaratie-antwoord (WMO325).

A declaratie can hold tens of thousands of prestaties, so the rules on prestaties are declared `per_bericht`:
each walks the prestaties' texts, read once for all of them (`RuleContext.regels`), and reaches for elements
only to locate a fault. Every rule that compares lines (TR315, TR316, TR416) or sums them (TR342, TR358) builds
one index or one sum per message (`ctx.memo`) and looks up from there: linear in the number of prestaties,
never a nested loop over all of them. Boundaries and locations follow rule-semantics §3; where the validator
reads raw text or XPath numbers, so do we (values.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence

from lxml import etree

from gateway.standard.codelijsten import EENHEID_EURO  # amounts in euro: no tariff, volume = amount
from gateway.validation import values as v
from gateway.validation.rules.registry import Fault, RuleContext, rule

DECLARATIE = "m:Declaratie"
ANTWOORD = "m:DeclaratieAntwoord"
PRESTATIE_323 = f"{DECLARATIE}/m:Clienten/m:Client/m:Prestaties/m:Prestatie"
PRESTATIE_325 = f"{ANTWOORD}/m:Clienten/m:Client/m:Prestaties/m:Prestatie"
EERSTE_DATUM = 20210101  # iWmo 3.2 declareert vanaf 2021
AFWIJZING_GEEN = frozenset({"0200", "8001"})  # DeclaratieAntwoord retourcodes that do not reject the declaratie


def _dc(ctx: RuleContext, container: etree._Element | None) -> etree._Element | None:
    return None if container is None else _kinderen(container).get("DebetCredit")


def _naam(el: etree._Element) -> str:
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def _kinderen(el: etree._Element) -> dict[str, etree._Element]:
    return {_naam(c): c for c in el}


_PRESTATIE = {"323": PRESTATIE_323, "325": PRESTATIE_325}
Treffer = tuple[etree._Element, Fault]  # what a per_bericht check yields: the anchor and its fault


def _prestaties(ctx: RuleContext) -> dict[etree._Element, dict[str, str]]:
    """The message's prestaties in document order, each with its texts by local name (`RuleContext.regels`):
    every name occurs once inside a Prestatie (Begindatum only in ProductPeriode, Bedrag only in IngediendBedrag)."""
    return ctx.regels(_PRESTATIE[ctx.bericht.nummer])


# --- CD060 ----------------------------------------------------------------------------------------------------

def _cd060(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():
        if (v.code_text(tekst.get("DebetCredit")) == "C") != v.filled_text(tekst.get("VorigReferentieNummer")):
            velden = ctx.velden(prestatie)
            yield prestatie, Fault([velden.get("VorigReferentieNummer"), velden.get("DebetCredit")])


for _bericht, _anchor in (("WMO323", PRESTATIE_323), ("WMO325", PRESTATIE_325)):
    rule(
        "CD060", retourcode="0001", berichten=[_bericht], anchor=_anchor,
        melding="VorigReferentieNummer hoort bij een creditprestatie en alleen daar. Vul bij een credit (DebetCredit "
                "C) het ReferentieNummer van de debetprestatie die u crediteert in, en laat het bij een debet weg.",
        omschrijving="VorigReferentieNummer is gevuld dan en slechts dan als de prestatie credit is.",
        per_bericht=True,
    )(_cd060)


# --- CD087 ----------------------------------------------------------------------------------------------------

@rule(
    "CD087", retourcode="0001", berichten=["WMO323"], anchor=f"{PRESTATIE_323}/m:Eenheid",
    melding="ProductTarief is verplicht, behalve bij Eenheid 83 (euro's), waar het leeg blijft. Vul het tarief per "
            "eenheid in, of laat het weg als u in euro's declareert.",
    omschrijving="ProductTarief is gevuld dan en slechts dan als Eenheid niet 83 (euro) is.",
    per_bericht=True,
)
def cd087(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():
        eenheid = tekst.get("Eenheid")
        if eenheid is not None and (v.code_text(eenheid) != EENHEID_EURO) != v.filled_text(tekst.get("ProductTarief")):
            velden = ctx.velden(prestatie)
            yield velden["Eenheid"], Fault([velden["Eenheid"], velden.get("ProductTarief")])


# --- CS100 ----------------------------------------------------------------------------------------------------

def _cs100(ctx: RuleContext, begindatum: etree._Element) -> Iterator[Fault]:
    if v.lt(v.date_num(begindatum), EERSTE_DATUM):
        yield Fault([begindatum])


def _cs100_prestaties(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():  # ProductPeriode holds the prestatie's only Begindatum
        if v.lt(v.date_num_text(tekst.get("Begindatum")), EERSTE_DATUM):
            begindatum = ctx.velden(prestatie)["Begindatum"]
            yield begindatum, Fault([begindatum])


for _anchor, _check, _per_bericht in (
    (f"{DECLARATIE}/m:DeclaratiePeriode/b:Begindatum", _cs100, False),
    (f"{PRESTATIE_323}/m:ProductPeriode/b:Begindatum", _cs100_prestaties, True),
):
    rule(
        "CS100", retourcode="0001", berichten=["WMO323"], anchor=_anchor,
        melding="Een periode in een iWmo 3.2-declaratie begint op of na 1 januari 2021. Declareer eerdere zorg "
                "volgens de afspraken die toen golden, niet in dit bericht.",
        omschrijving="Begindatum van DeclaratiePeriode en ProductPeriode ligt op of na 2021-01-01.",
        per_bericht=_per_bericht,
    )(_check)


# --- CS325 ----------------------------------------------------------------------------------------------------

def _cs325(ctx: RuleContext, container: etree._Element) -> Iterator[Fault]:
    kinderen = _kinderen(container)
    bedrag = kinderen.get("TotaalBedrag", kinderen.get("Bedrag"))
    debetcredit = kinderen.get("DebetCredit")
    if v.eq(v.num_el(bedrag), 0) and v.code(debetcredit) in ("C", "c"):
        yield Fault([bedrag, debetcredit])


def _cs325_prestaties(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():  # IngediendBedrag holds the prestatie's Bedrag and DebetCredit
        if ("IngediendBedrag" in tekst and v.eq(v.num(tekst.get("Bedrag")), 0)
                and v.code_text(tekst.get("DebetCredit")) in ("C", "c")):
            velden = ctx.velden(prestatie)
            yield velden["IngediendBedrag"], Fault([velden.get("Bedrag"), velden.get("DebetCredit")])


_CS325 = (
    ("WMO323", f"{DECLARATIE}/m:TotaalIngediendBedrag", _cs325, False),
    ("WMO323", f"{PRESTATIE_323}/m:IngediendBedrag", _cs325_prestaties, True),
    ("WMO325", f"{ANTWOORD}/m:TotaalIngediendBedrag", _cs325, False),
    ("WMO325", f"{ANTWOORD}/m:TotaalToegekendBedrag", _cs325, False),
    ("WMO325", f"{PRESTATIE_325}/m:IngediendBedrag", _cs325_prestaties, True),
)
for _bericht, _anchor, _check, _per_bericht in _CS325:
    rule(
        "CS325", retourcode="0001", berichten=[_bericht], anchor=_anchor,
        melding="Een bedrag van 0 is altijd debet. Zet DebetCredit op D.",
        omschrijving="Bij een bedrag 0 is DebetCredit D.",
        per_bericht=_per_bericht,
    )(_check)


# --- CS337 ----------------------------------------------------------------------------------------------------

@rule(
    "CS337", retourcode="0001", berichten=["WMO323"], anchor=PRESTATIE_323,
    melding="De ProductPeriode van een prestatie ligt binnen één kalendermaand. Splits een prestatie die over een "
            "maandgrens loopt in een prestatie per maand.",
    omschrijving="ProductPeriode ligt binnen één kalendermaand.",
    per_bericht=True,
)
def cs337(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():
        begin, eind = tekst.get("Begindatum"), tekst.get("Einddatum")
        b = (begin or "").replace("-", "")
        e = (eind or "").replace("-", "")
        # Year and month are two checks: a period from December into January breaks both.
        ander_jaar = begin is None or eind is None or b[:4] != e[:4]
        andere_maand = begin is None or eind is None or b[4:6] != e[4:6]
        if ander_jaar or andere_maand:
            velden = ctx.velden(prestatie)
            elementen = [velden.get("Begindatum"), velden.get("Einddatum")]
            if ander_jaar:
                yield prestatie, Fault(elementen, detail="ander jaar")
            if andere_maand:
                yield prestatie, Fault(elementen, detail="andere maand")


# --- CS339 ----------------------------------------------------------------------------------------------------

@rule(
    "CS339", retourcode="0001", berichten=["WMO323"], anchor=PRESTATIE_323,
    melding="Bij Eenheid 83 (euro's) is het GeleverdVolume het bedrag zelf: vul GeleverdVolume gelijk aan het "
            "IngediendBedrag.",
    omschrijving="Bij Eenheid 83 is GeleverdVolume gelijk aan het IngediendBedrag.",
    per_bericht=True,
)
def cs339(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():
        if tekst.get("Eenheid") != EENHEID_EURO:
            continue
        a, b = v.num(tekst.get("GeleverdVolume")), v.num(tekst.get("Bedrag"))
        if not (math.isnan(a) or math.isnan(b)) and a != b:
            velden = ctx.velden(prestatie)
            yield prestatie, Fault([velden.get("GeleverdVolume"), velden.get("Bedrag")])


# --- CS340 ----------------------------------------------------------------------------------------------------

def _maanddagen(jaar: int, maand: int) -> int:
    if maand == 2:
        return 29 if jaar % 4 == 0 else 28  # the validator's leap rule: every fourth year, 2100 included
    return 30 if maand in (4, 6, 9, 11) else 31


def _normaliseer(jaar: int, maand: int, dag: int) -> tuple[int, int, int]:
    """Carry an overflowing day or month into the next, as the validator does on yyyymmdd numbers."""
    while True:
        if maand > 12:
            jaar, maand = jaar + 1, maand - 12
        elif dag > _maanddagen(jaar, maand):
            dag, maand = dag - _maanddagen(jaar, maand), maand + 1
        else:
            return jaar, maand, dag


def _ymd(text: str | None) -> tuple[int, int, int] | None:
    digits = (text or "").strip().replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    return int(digits[:4]), int(digits[4:6]), int(digits[6:])


@rule(
    "CS340", retourcode="0001", berichten=["WMO323"], anchor=f"{DECLARATIE}/m:DeclaratiePeriode",
    melding="De DeclaratiePeriode is precies één kalendermaand: van de eerste tot en met de laatste dag van een "
            "maand. Declareer per maand.",
    omschrijving="DeclaratiePeriode beslaat precies één kalendermaand.",
)
def cs340(ctx: RuleContext, periode: etree._Element) -> Iterator[Fault]:
    begin = ctx.find(periode, "b:Begindatum")
    eind = ctx.find(periode, "b:Einddatum")
    delen = (v.raw(begin) or "").split("-")
    if len(delen) < 3 or delen[2] != "01":
        yield Fault([begin], detail="Begindatum is niet de eerste van de maand")
    b, e = _ymd(v.raw(begin)), _ymd(v.raw(eind))
    if b is None or e is None or _normaliseer(e[0], e[1], e[2] + 1) != _normaliseer(b[0], b[1] + 1, b[2]):
        yield Fault([begin, eind], detail="Einddatum is niet de dag voor dezelfde dag een maand later")


# --- TR137 ----------------------------------------------------------------------------------------------------

_VOOR_BEGIN = "Einddatum ligt voor de Begindatum"
_NA_DAGTEKENING = "Einddatum ligt na de Dagtekening"


def _tr137(ctx: RuleContext, periode: etree._Element) -> Iterator[Fault]:
    kinderen = _kinderen(periode)
    begin, eind = kinderen.get("Begindatum"), kinderen.get("Einddatum")
    if v.gt(v.date_num(begin), v.date_num10(eind)):
        yield Fault([begin, eind], detail=_VOOR_BEGIN)
    if v.gt(v.date_num(eind), ctx.dagtekening10):
        yield Fault([ctx.dagtekening, eind], detail=_NA_DAGTEKENING)


def _tr137_prestaties(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, tekst in _prestaties(ctx).items():  # ProductPeriode holds the prestatie's Begin- and Einddatum
        if "ProductPeriode" not in tekst:
            continue
        voor_begin = v.gt(v.date_num_text(tekst.get("Begindatum")), v.date_num10_text(tekst.get("Einddatum")))
        na_dagtekening = v.gt(v.date_num_text(tekst.get("Einddatum")), ctx.dagtekening10)
        if voor_begin or na_dagtekening:
            velden = ctx.velden(prestatie)
            periode, begin, eind = velden["ProductPeriode"], velden.get("Begindatum"), velden.get("Einddatum")
            if voor_begin:
                yield periode, Fault([begin, eind], detail=_VOOR_BEGIN)
            if na_dagtekening:
                yield periode, Fault([ctx.dagtekening, eind], detail=_NA_DAGTEKENING)


for _bericht, _anchor, _check, _per_bericht in (
    ("WMO323", f"{DECLARATIE}/m:DeclaratiePeriode", _tr137, False),
    ("WMO323", f"{PRESTATIE_323}/m:ProductPeriode", _tr137_prestaties, True),
    ("WMO325", f"{PRESTATIE_325}/m:ProductPeriode", _tr137_prestaties, True),
):
    rule(
        "TR137", retourcode="0001", berichten=[_bericht], anchor=_anchor,
        melding="Een periode eindigt niet voor haar Begindatum en niet na de Dagtekening van het bericht. Declareer "
                "alleen geleverde zorg, over een periode met een kloppende begin- en einddatum.",
        omschrijving="Einddatum van een periode ligt niet voor de Begindatum en niet na de Dagtekening.",
        per_bericht=_per_bericht,
    )(_check)


# --- TR315 / TR316: references between the lines of one declaratie ---------------------------------------------

class _Referenties:
    """The prestaties of the declaratie by position in document order, indexed by the raw text of their
    ReferentieNummer and VorigReferentieNummer (one ProductReferentie each)."""

    def __init__(self, ctx: RuleContext):
        self.referentie: dict[str, list[tuple[int, etree._Element]]] = defaultdict(list)
        self.vorig: dict[str, list[tuple[int, etree._Element]]] = defaultdict(list)
        for i, (prestatie, tekst) in enumerate(_prestaties(ctx).items()):
            nummer, vorig = tekst.get("ReferentieNummer"), tekst.get("VorigReferentieNummer")
            if nummer is not None:
                self.referentie[nummer].append((i, prestatie))
            if vorig is not None:
                self.vorig[vorig].append((i, prestatie))

    @staticmethod
    def eerder(index: dict[str, list[tuple[int, etree._Element]]], tekst: str, voor: int) -> Sequence[etree._Element]:
        """The prestaties before position `voor` filed under `tekst`, in document order."""
        treffers = index.get(tekst)
        if not treffers or treffers[0][0] >= voor:
            return ()
        return [prestatie for i, prestatie in treffers if i < voor]


def _referenties(ctx: RuleContext) -> _Referenties:
    return ctx.memo("declaratie.referenties", lambda: _Referenties(ctx))


@rule(
    "TR315", retourcode="0001", berichten=["WMO323"], anchor=f"{PRESTATIE_323}/m:ProductReferentie",
    melding="Elk VorigReferentieNummer komt maar één keer voor in de declaratie: een debetprestatie wordt één keer "
            "gecrediteerd. Verwijder de dubbele creditprestatie.",
    omschrijving="VorigReferentieNummer is uniek in het bericht.",
    per_bericht=True,
)
def tr315(ctx: RuleContext) -> Iterator[Treffer]:
    index = _referenties(ctx)
    for hier, (prestatie, tekst) in enumerate(_prestaties(ctx).items()):
        vorig = tekst.get("VorigReferentieNummer")
        if vorig is None or "ProductReferentie" not in tekst:
            continue
        eerdere = index.eerder(index.vorig, vorig.strip(), hier)
        if eerdere:
            velden = ctx.velden(prestatie)
            for eerder in eerdere:
                yield velden["ProductReferentie"], Fault([ctx.velden(eerder)["VorigReferentieNummer"],
                                                          velden["VorigReferentieNummer"]])


@rule(
    "TR316", retourcode="0001", berichten=["WMO323"], anchor=f"{PRESTATIE_323}/m:ProductReferentie",
    melding="Een prestatie mag niet gecrediteerd worden in dezelfde declaratie waarin zij gedebiteerd wordt. "
            "Haal de debet- en de creditregel allebei weg, of crediteer in een volgende declaratie.",
    omschrijving="Een debetprestatie wordt niet in hetzelfde bericht gecrediteerd.",
    per_bericht=True,
)
def tr316(ctx: RuleContext) -> Iterator[Treffer]:
    index = _referenties(ctx)
    for hier, (prestatie, tekst) in enumerate(_prestaties(ctx).items()):
        if "ProductReferentie" not in tekst:
            continue
        r = (tekst.get("ReferentieNummer") or "").strip()
        w = (tekst.get("VorigReferentieNummer") or "").strip()
        gedebiteerd = index.eerder(index.referentie, w, hier)  # an earlier line debets what this one credits
        gecrediteerd = index.eerder(index.vorig, r, hier)  # an earlier line credits what this one debets
        if not (gedebiteerd or gecrediteerd or r == w):
            continue
        velden = ctx.velden(prestatie)
        referentie = velden["ProductReferentie"]
        nummer, vorig = velden.get("ReferentieNummer"), velden.get("VorigReferentieNummer")
        for eerder in gedebiteerd:
            yield referentie, Fault([ctx.velden(eerder)["ReferentieNummer"], vorig])
        for eerder in gecrediteerd:
            yield referentie, Fault([ctx.velden(eerder)["VorigReferentieNummer"], nummer])
        if r == w:
            yield referentie, Fault([nummer, vorig])


# --- TR319 ----------------------------------------------------------------------------------------------------

@rule(
    "TR319", retourcode="9319", berichten=["WMO323"], anchor=PRESTATIE_323,
    melding="Een prestatie valt in de DeclaratiePeriode of in een eerdere periode, niet erna. Declareer deze "
            "prestatie in de declaratie over de maand waarin zij geleverd is.",
    omschrijving="ProductPeriode ligt niet na de DeclaratiePeriode.",
    per_bericht=True,
)
def tr319(ctx: RuleContext) -> Iterator[Treffer]:
    einde = ctx.find(ctx.root, f"{DECLARATIE}/m:DeclaratiePeriode/b:Einddatum")
    grens = v.date_num10(einde)
    for prestatie, tekst in _prestaties(ctx).items():
        for datum in ("Begindatum", "Einddatum"):
            if v.gt(v.date_num_text(tekst.get(datum)), grens):
                yield prestatie, Fault([einde, ctx.velden(prestatie).get(datum)])


# --- TR335 ----------------------------------------------------------------------------------------------------

def _vijf_jaar_eerder(declaratiedagtekening: etree._Element | None) -> float:
    datum = _ymd((v.raw(declaratiedagtekening) or "")[:10])
    if datum is None:
        return math.nan
    jaar, maand, dag = datum[0] - 5, datum[1], datum[2]
    if maand == 2 and dag == 29 and jaar % 4 != 0:
        dag = 28
    return float(jaar * 10000 + maand * 100 + dag)


@rule(
    "TR335", retourcode="0001", berichten=["WMO323"], anchor=f"{PRESTATIE_323}/m:ProductPeriode/b:Einddatum",
    melding="Een prestatie die meer dan 5 jaar voor de DeclaratieDagtekening eindigde, kan niet meer gedeclareerd "
            "worden. Haal de prestatie uit de declaratie.",
    omschrijving="Einddatum van de ProductPeriode ligt niet meer dan 5 jaar voor de DeclaratieDagtekening.",
    per_bericht=True,
)
def tr335(ctx: RuleContext) -> Iterator[Treffer]:
    dagtekening = ctx.find(ctx.root, f"{DECLARATIE}/m:DeclaratieDagtekening")
    grens = _vijf_jaar_eerder(dagtekening)
    for prestatie, tekst in _prestaties(ctx).items():  # ProductPeriode holds the prestatie's only Einddatum
        if v.lt(v.date_num_text(tekst.get("Einddatum")), grens):
            einddatum = ctx.velden(prestatie)["Einddatum"]
            yield einddatum, Fault([dagtekening, einddatum])


# --- TR342 / TR358: totals ------------------------------------------------------------------------------------

def _netto(ctx: RuleContext) -> float:
    """Σ debet − Σ credit over the prestaties' IngediendBedrag (raw D/C, as the validator), in document order."""
    netto = 0.0
    for tekst in _prestaties(ctx).values():  # IngediendBedrag holds the prestatie's only Bedrag and DebetCredit
        if "IngediendBedrag" not in tekst:
            continue
        teken = tekst.get("DebetCredit")
        if teken in ("D", "C"):
            bedrag = v.num(tekst.get("Bedrag"))
            netto += bedrag if teken == "D" else -bedrag
    return netto


def _getekend(ctx: RuleContext, totaal: etree._Element | None) -> float:
    if totaal is None:
        return math.nan
    bedrag = v.num_el(ctx.find(totaal, "b:TotaalBedrag"))
    return -bedrag if v.raw(_dc(ctx, totaal)) == "C" else bedrag


def _canoniek(x: float) -> str:
    if math.isnan(x):
        return ""
    if x == 0:
        return "0"
    return str(int(x)) if x.is_integer() else repr(x)


@rule(
    "TR358", retourcode="0001", berichten=["WMO323"], anchor=f"{DECLARATIE}/m:TotaalIngediendBedrag",
    melding="TotaalIngediendBedrag is de som van de IngediendBedragen van alle prestaties (debet opgeteld, credit "
            "afgetrokken), zonder voorloopnullen of plusteken. Tel de prestaties opnieuw op en vul het totaal met "
            "DebetCredit D bij een positieve en C bij een negatieve som.",
    omschrijving="TotaalIngediendBedrag is de som van de prestaties, debet min credit.",
)
def tr358(ctx: RuleContext, totaal: etree._Element) -> Iterator[Fault]:
    netto = ctx.memo("declaratie.netto", lambda: _netto(ctx))
    bedrag = ctx.find(totaal, "b:TotaalBedrag")
    debetcredit = _dc(ctx, totaal)
    tekst = (v.raw(bedrag) or "").strip()
    teken = v.code(debetcredit)
    if (teken == "D" and tekst != _canoniek(netto)) or (teken == "C" and tekst != _canoniek(-netto)):
        yield Fault([bedrag, debetcredit, *ctx.alle(f"{PRESTATIE_323}/m:IngediendBedrag")])


@rule(
    "TR342", retourcode="0001", berichten=["WMO325"], anchor=ANTWOORD,
    melding="Het verschil tussen TotaalIngediendBedrag en TotaalToegekendBedrag moet gelijk zijn aan de som van de "
            "meegestuurde (afgewezen) prestaties; bij afwijzing van de hele declaratie is TotaalToegekendBedrag 0. "
            "Neem alle afgewezen prestaties op en reken de totalen opnieuw uit.",
    omschrijving="De totalen van het declaratie-antwoord worden verklaard door de afgewezen prestaties.",
)
def tr342(ctx: RuleContext, antwoord: etree._Element) -> Iterator[Fault]:
    ingediend = ctx.find(antwoord, "m:TotaalIngediendBedrag")
    toegekend = ctx.find(antwoord, "m:TotaalToegekendBedrag")
    afgewezen = any(v.raw(code) not in AFWIJZING_GEEN
                    for code in ctx.findall(antwoord, "m:RetourCodes/m:RetourCode"))
    tt = _getekend(ctx, toegekend)
    if afgewezen:
        if not v.eq(tt, 0):
            yield Fault([toegekend], detail="de declaratie is afgewezen, dus er is niets toegekend")
        return
    netto = _netto(ctx)
    if not v.eq(netto, _getekend(ctx, ingediend) - tt):
        yield Fault([ingediend, toegekend])


# --- TR416 ----------------------------------------------------------------------------------------------------

_TR416_SLEUTEL = ("Begindatum", "Einddatum", "ProductCategorie", "ToewijzingNummer", "ProductCode")


def _debetregels(ctx: RuleContext) -> dict[etree._Element, list[etree._Element]]:
    """For each debet prestatie: the earlier debet siblings (same Client) with the same period, product and
    toewijzing. One pass with a dict on the key; a key with an absent part never matches (XPath '=' on nothing)."""
    groepen: dict[tuple[object, ...], list[etree._Element]] = defaultdict(list)
    eerder: dict[etree._Element, list[etree._Element]] = {}
    for prestatie, tekst in _prestaties(ctx).items():
        delen = tuple(map(tekst.get, _TR416_SLEUTEL))
        if None in delen:
            continue
        debetcredit = tekst.get("DebetCredit")
        groep = groepen[(prestatie.getparent(), *delen)]
        if debetcredit == "D" and groep:
            eerder[prestatie] = list(groep)
        if v.code_text(debetcredit) == "D":
            groep.append(prestatie)
    return eerder


@rule(
    "TR416", retourcode="0001", berichten=["WMO323"], anchor=PRESTATIE_323,
    melding="Voor dezelfde ProductPeriode, ProductCategorie, ProductCode en ToewijzingNummer is al een debetprestatie "
            "opgenomen. Declareer elke periode één keer; wilt u een bedrag corrigeren, crediteer dan eerst de "
            "eerdere prestatie.",
    omschrijving="Geen tweede debetprestatie voor dezelfde periode, hetzelfde product en dezelfde toewijzing.",
    per_bericht=True,
)
def tr416(ctx: RuleContext) -> Iterator[Treffer]:
    for prestatie, eerdere in _debetregels(ctx).items():
        for eerder in eerdere:
            yield prestatie, Fault([eerder, prestatie])
