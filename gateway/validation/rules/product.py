"""Rules on product lines shared by the toewijzing (WMO301), the VOT (WMO315) and the VOW (WMO317).

The product classes are WMO301 ToegewezenProduct, WMO315 AangevraagdProduct and WMO317 TeWijzigenProduct /
NieuwProduct. Their end date is `Einddatum`, except in WMO315 where it is `ToewijzingEinddatum`
(rule-semantics §3). Each rule is anchored where the official validator evaluates it, so findings come out
in the same order.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.registry import Check, Fault, RuleContext, rule

# XPaths (from the root) of the product classes these rules are anchored on.
TOEGEWEZEN = "m:Client/m:ToegewezenProducten/m:ToegewezenProduct"
AANGEVRAAGD = "m:Client/m:AangevraagdeProducten/m:AangevraagdProduct"
TE_WIJZIGEN = "m:Client/m:Verzoek/m:TeWijzigenProducten/m:TeWijzigenProduct"
NIEUW = "m:Client/m:Verzoek/m:NieuweProducten/m:NieuwProduct"

# Units that need a frequency per week, per month or in total (CS338/CS343), and those frequencies.
EENHEDEN_MET_PERIODE = frozenset({"14", "16", "83", "84"})
FREQUENTIES_MET_PERIODE = frozenset({"2", "4", "6"})
# Rules with a 2021 gate (CS338, CS343, CD095, CD096) apply when the end date is absent or after this.
LAATSTE_DAG_2020 = 20201231.0


def einddatum(ctx: RuleContext, product: etree._Element) -> etree._Element | None:
    """The product's end date: ToewijzingEinddatum in WMO315, Einddatum elsewhere."""
    return ctx.find(product, "m:ToewijzingEinddatum" if ctx.bericht.is_soort("315") else "m:Einddatum")


def loopt_na_2020(end: etree._Element | None) -> bool:
    """The 2021 gate: no end date, or an end date after 2020-12-31 (a NaN end date fails the gate)."""
    return end is None or v.gt(v.date_num(end), LAATSTE_DAG_2020)


def _einddatum_naam(bericht: str) -> str:
    return "ToewijzingEinddatum" if bericht == "WMO315" else "Einddatum"


# --- CD041 -----------------------------------------------------------------------------------------------


def _cd041(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    code = ctx.find(product, "m:Product/b:Code")
    if v.filled(code) and ctx.find(product, "m:Omvang") is None:
        yield Fault([code])


for _bericht, _path in (("WMO301", TOEGEWEZEN), ("WMO315", AANGEVRAAGD), ("WMO317", NIEUW)):
    rule(
        "CD041",
        retourcode="0001",
        berichten=[_bericht],
        anchor=_path,
        melding=(
            "Bij een product met een productcode is de Omvang verplicht. "
            "Vul Omvang (Volume, Eenheid en Frequentie) in, of laat de productcode weg als het product "
            "alleen op categorie wordt aangevraagd."
        ),
        omschrijving="Omvang is verplicht als Product/Code gevuld is.",
    )(_cd041)


# --- CD075 / CD077 (at Budget), CD076 (at Frequentie), CD078 (at Omvang) --------------------------------


def _cd075(ctx: RuleContext, budget: etree._Element) -> Iterator[Fault]:
    product = budget.getparent()
    end = einddatum(ctx, product)
    if v.filled(budget) and not v.filled(end):
        yield Fault([end, budget])


def _cd076(ctx: RuleContext, frequentie: etree._Element) -> Iterator[Fault]:
    product = frequentie.getparent().getparent()
    end = einddatum(ctx, product)
    if v.code(frequentie) == "2" and not v.filled(end):
        yield Fault([end, frequentie])


def _cd077(ctx: RuleContext, budget: etree._Element) -> Iterator[Fault]:
    omvang = ctx.find(budget.getparent(), "m:Omvang")
    if v.filled(budget) and omvang is not None:
        yield Fault([omvang, budget])


def _cd078(ctx: RuleContext, omvang: etree._Element) -> Iterator[Fault]:
    # Presence only on both sides (rule-semantics CD078); in XSD-valid input present means filled.
    budget = ctx.find(omvang.getparent(), "m:Budget")
    if budget is not None:
        yield Fault([omvang, budget])


_VIER_KLASSEN = (("WMO301", TOEGEWEZEN), ("WMO315", AANGEVRAAGD), ("WMO317", TE_WIJZIGEN), ("WMO317", NIEUW))

for _bericht, _path in _VIER_KLASSEN:
    _eind = _einddatum_naam(_bericht)
    rule(
        "CD075",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Budget",
        melding=(
            f"Bij een product met een Budget is de {_eind} verplicht. "
            f"Vul de {_eind} in; een budget geldt altijd voor een afgebakende periode."
        ),
        omschrijving="Einddatum is verplicht als Budget gevuld is.",
    )(_cd075)
    rule(
        "CD076",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Omvang/b:Frequentie",
        melding=(
            f"Bij Frequentie 2 (per week) is de {_eind} verplicht. "
            f"Vul de {_eind} in, of kies een andere frequentie."
        ),
        omschrijving="Einddatum is verplicht bij Frequentie 2 (per week).",
    )(_cd076)
    rule(
        "CD077",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Budget",
        melding=(
            "Een product met een Budget mag geen Omvang hebben. "
            "Laat Omvang weg, of laat Budget weg als het product in een omvang wordt uitgedrukt."
        ),
        omschrijving="Omvang blijft leeg als Budget gevuld is.",
    )(_cd077)
    rule(
        "CD078",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Omvang",
        melding=(
            "Een product met een Omvang mag geen Budget hebben. "
            "Laat Budget weg, of laat Omvang weg als het product als budget wordt uitgedrukt."
        ),
        omschrijving="Budget blijft leeg als Omvang gevuld is.",
    )(_cd078)


# --- CD079 -----------------------------------------------------------------------------------------------


def _cd079(ctx: RuleContext, product: etree._Element) -> Iterator[Fault]:
    budget = ctx.find(product, "m:Budget")
    product_el = ctx.find(product, "m:Product")
    if not v.filled(budget) and product_el is None:
        yield Fault([product, budget])


for _bericht, _path in (("WMO301", TOEGEWEZEN), ("WMO315", AANGEVRAAGD), ("WMO317", NIEUW)):
    rule(
        "CD079",
        retourcode="0001",
        berichten=[_bericht],
        anchor=_path,
        melding=(
            "Een product zonder Budget moet een Product (categorie en eventueel code) hebben. "
            "Vul Product met ten minste de Categorie, of geef een Budget op."
        ),
        omschrijving="Product is verplicht als Budget leeg is.",
    )(_cd079)


# --- CS003 -----------------------------------------------------------------------------------------------


def _cs003(start_path: str) -> Check:
    def check(ctx: RuleContext, end: etree._Element) -> Iterator[Fault]:
        start = ctx.find(end.getparent(), start_path)
        # Inclusive: equal dates pass; a missing start is a fault (rule-semantics CS003).
        # Differs from rule text: it only orders the dates; a Contact/Periode with an end but no Begindatum is a fault too.
        if start is None or v.gt(v.date_num(start), v.date_num10(end)):
            yield Fault([start, end])

    return check


def _cs003_melding(eind: str, start: str) -> str:
    return (
        f"De {eind} ligt voor de {start}, of de {start} ontbreekt. "
        f"Vul de {start} in en kies een {eind} die gelijk is aan of later is dan de {start}."
    )


_CONTACT_PERIODE = "m:Contact/m:Periode/b:Einddatum"
_CS003 = (
    ("WMO301", f"{TOEGEWEZEN}/m:Einddatum", "m:Ingangsdatum", "Einddatum", "Ingangsdatum"),
    ("WMO301", f"m:Client/m:Contactgegevens/{_CONTACT_PERIODE}", "b:Begindatum", "Einddatum", "Begindatum"),
    (
        "WMO301",
        f"m:Client/m:Relaties/m:Relatie/{_CONTACT_PERIODE}",
        "b:Begindatum",
        "Einddatum",
        "Begindatum",
    ),
    (
        "WMO315",
        f"{AANGEVRAAGD}/m:ToewijzingEinddatum",
        "m:ToewijzingIngangsdatum",
        "ToewijzingEinddatum",
        "ToewijzingIngangsdatum",
    ),
    ("WMO317", f"{TE_WIJZIGEN}/m:Einddatum", "m:GewensteIngangsdatum", "Einddatum", "GewensteIngangsdatum"),
    ("WMO317", f"{NIEUW}/m:Einddatum", "m:GewensteIngangsdatum", "Einddatum", "GewensteIngangsdatum"),
)

for _bericht, _anchor, _start_path, _eind, _start in _CS003:
    rule(
        "CS003",
        retourcode="0001",
        berichten=[_bericht],
        anchor=_anchor,
        melding=_cs003_melding(_eind, _start),
        omschrijving="Einddatum ligt niet voor de begin- of ingangsdatum van dezelfde periode.",
    )(_cs003(_start_path))


# --- CS338 / CS343 ---------------------------------------------------------------------------------------


def _frequentie_bij_eenheid(ctx: RuleContext, eenheid: etree._Element) -> Iterator[Fault]:
    omvang = eenheid.getparent()
    end = einddatum(ctx, omvang.getparent())
    if not loopt_na_2020(end):
        return
    frequentie = ctx.find(omvang, "b:Frequentie")
    if v.code(eenheid) in EENHEDEN_MET_PERIODE and v.code(frequentie) not in FREQUENTIES_MET_PERIODE:
        yield Fault([end, eenheid, frequentie])


_CS338_MELDING = (
    "Bij Eenheid 14 (etmaal), 16 (dagdeel), 83 (euro) of 84 (stuks inspanning) moet de Frequentie "
    "2 (per week), 4 (per maand) of 6 (totaal binnen de geldigheidsduur) zijn. "
    "Pas de Frequentie aan, of kies een eenheid die bij deze frequentie past."
)

for _bericht, _path in (("WMO301", TOEGEWEZEN), ("WMO317", TE_WIJZIGEN), ("WMO317", NIEUW)):
    rule(
        "CS338",
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Omvang/b:Eenheid",
        melding=_CS338_MELDING,
        omschrijving="Eenheid 14, 16, 83 of 84 vraagt Frequentie 2, 4 of 6 (producten na 2020).",
    )(_frequentie_bij_eenheid)

rule(
    "CS343",
    retourcode="0001",
    berichten=["WMO315"],
    anchor=f"{AANGEVRAAGD}/m:Omvang/b:Eenheid",
    melding=_CS338_MELDING,
    omschrijving="Als CS338, voor een AangevraagdProduct in het verzoek om toewijzing.",
)(_frequentie_bij_eenheid)


# --- CD095 / CD096: no Omvang without a product code (products running past 2020) -------------------------


def _geen_omvang_zonder_code(ctx: RuleContext, omvang: etree._Element) -> Iterator[Fault]:
    product = omvang.getparent()
    end = einddatum(ctx, product)
    if loopt_na_2020(end) and not v.filled(ctx.find(product, "m:Product/b:Code")):
        yield Fault([end, omvang])


for _code, _bericht, _path, _naam in (
    ("CD095", "WMO315", AANGEVRAAGD, "AangevraagdProduct"),
    ("CD096", "WMO317", NIEUW, "NieuwProduct"),
):
    _eind = _einddatum_naam(_bericht)
    rule(
        _code,
        retourcode="0001",
        berichten=[_bericht],
        anchor=f"{_path}/m:Omvang",
        melding=(
            f"Een {_naam} zonder productcode mag geen Omvang hebben als de {_eind} leeg is of na "
            "31-12-2020 ligt. Vul de productcode in, of laat Omvang weg (aanvraag op categorie)."
        ),
        omschrijving=f"Omvang blijft leeg zonder productcode bij een {_naam} na 2020.",
    )(_geen_omvang_zonder_code)


# --- Pairwise product overlap (TR386 in WMO315, TR410 in WMO317; TR302 in WMO301 lives elsewhere) ------
#
# Each product line is compared with its *earlier* siblings only; one fault per offending pair, raised at the
# later line and located at [earlier, later] (rule-semantics §2.4). To avoid comparing every pair, lines are
# indexed on their product key: a line can only be "the same product" as earlier lines with the same
# category (and, when both have a code, the same code) or as lines without a Product element.


@dataclass(frozen=True, slots=True)
class Regel:
    """One product line, reduced to what the overlap rules compare."""

    el: etree._Element
    positie: int  # among its same-named siblings, 0-based
    categorie: str | None  # raw Product/Categorie; None without Product
    code: str | None  # raw Product/Code; None when absent
    begin: float  # D(start)
    eind: float | None  # D(end); None when the period is open-ended
    hulpmiddel: bool  # trimmed category 11-14: never a fault (hulpmiddelen exemption)


@dataclass
class _Index:
    zonder_product: list[Regel] = field(default_factory=list)
    per_categorie: dict[str, list[Regel]] = field(default_factory=lambda: defaultdict(list))
    per_code: dict[tuple[str, str], list[Regel]] = field(default_factory=lambda: defaultdict(list))
    zonder_code: dict[str, list[Regel]] = field(default_factory=lambda: defaultdict(list))
    regels: dict[etree._Element, Regel] = field(default_factory=dict)

    def add(self, regel: Regel) -> None:
        self.regels[regel.el] = regel
        if regel.categorie is None:
            self.zonder_product.append(regel)
            return
        self.per_categorie[regel.categorie].append(regel)
        if regel.code is None:
            self.zonder_code[regel.categorie].append(regel)
        else:
            self.per_code[(regel.categorie, regel.code)].append(regel)

    def kandidaten(self, p: Regel) -> Iterator[Regel]:
        """Earlier lines that can be the same product as p, in document order."""
        if p.categorie is None:
            groepen: list[list[Regel]] = [list(self.regels.values())]
        elif p.code is None:
            groepen = [self.per_categorie[p.categorie], self.zonder_product]
        else:
            groepen = [
                self.per_code[(p.categorie, p.code)],
                self.zonder_code[p.categorie],
                self.zonder_product,
            ]
        # Each group is in document order: cut it at p, then merge the earlier parts.
        eerder = [groep[: bisect_left(groep, p.positie, key=_positie)] for groep in groepen]
        return heapq.merge(*eerder, key=_positie)


def _positie(regel: Regel) -> int:
    return regel.positie


def _regel(ctx: RuleContext, el: etree._Element, positie: int, start_path: str, end_path: str) -> Regel:
    categorie = ctx.find(el, "m:Product/b:Categorie")
    code = ctx.find(el, "m:Product/b:Code")
    end = ctx.find(el, end_path)
    has_product = ctx.find(el, "m:Product") is not None
    return Regel(
        el=el,
        positie=positie,
        categorie=(v.raw(categorie) or "") if has_product else None,
        code=v.raw(code) if code is not None else None,
        begin=v.date_num(ctx.find(el, start_path)),
        eind=None if end is None else v.date_num(end),
        hulpmiddel=v.code(categorie) in HULPMIDDELEN,
    )


def overlappende_paren(
    ctx: RuleContext, product: etree._Element, start_path: str, end_path: str
) -> Iterator[etree._Element]:
    """The earlier siblings of `product` that are the same product over an overlapping period."""
    parent = product.getparent()
    naam = product.tag

    def build() -> dict[etree._Element, _Index]:
        indexes: dict[etree._Element, _Index] = {}
        for el in ctx.root.iter(naam):
            index = indexes.setdefault(el.getparent(), _Index())
            index.add(_regel(ctx, el, len(index.regels), start_path, end_path))
        return indexes

    index = ctx.memo(f"overlap:{naam}", build)[parent]
    p = index.regels[product]
    if p.hulpmiddel:
        return
    for q in index.kandidaten(p):
        if not q.hulpmiddel and zelfde_product(p, q) and perioden_overlappen(p, q):
            yield q.el


HULPMIDDELEN = frozenset({"11", "12", "13", "14"})


def zelfde_product(p: Regel, q: Regel) -> bool:
    """Rule-semantics §2.4 'same product' (raw-text equality)."""
    if p.categorie is None or q.categorie is None:
        return True
    if p.code is not None and q.code is not None:
        return p.code == q.code and p.categorie == q.categorie
    return p.categorie == q.categorie


def perioden_overlappen(p: Regel, q: Regel) -> bool:
    """Rule-semantics §2.4 'period overlap', inclusive; an absent end is open-ended; NaN compares false."""
    if p.eind is not None and q.eind is not None:
        return not (v.lt(p.eind, q.begin) or v.lt(q.eind, p.begin))
    if p.eind is not None:
        return v.ge(p.eind, q.begin)
    if q.eind is not None:
        return v.ge(q.eind, p.begin)
    return True
