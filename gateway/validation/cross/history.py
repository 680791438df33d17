"""What the cross-message rules know of earlier messages: facts extracted from accepted messages.

A fact is a small dict of one kind, filed under a key. `feiten_uit_bericht` extracts them from a message; the
store files them when it accepts a message, and an in-memory history does the same for tests. Rules look facts
up by key (indexed), so a declaratie of 10 000 prestaties costs 10 000 look-ups, not a scan per prestatie.

The kinds and their keys (gemeente, aanbieder as in the header of the message's direction):
- bericht (afzender, berichtcode, identificatie); client, relatie (gemeente, aanbieder[, bsn]);
- toewijzing (gemeente, aanbieder, ToewijzingNummer): one per version, with product, dates, omvang, budget
  and RedenWijziging (13: deleted);
- start, stop (gemeente, aanbieder, ToewijzingNummer): each StartProduct / StopProduct, deletions included;
- declaratie (aanbieder, DeclaratieNummer); declaratieperiode (gemeente, aanbieder); aanbieder-declareert;
- prestatie (aanbieder, ReferentieNummer) and volume (gemeente, aanbieder, ToewijzingNummer): every prestatie;
- debet (gemeente, aanbieder, ToewijzingNummer, ProductCategorie, ProductCode, ProductPeriode begin, eind):
  a debetprestatie's ReferentieNummer (TR389); credit (aanbieder, VorigReferentieNummer): a creditprestatie
  (TR389, TR390);
- afwijzing (aanbieder, ReferentieNummer): a prestatie that was refused, so it counts as not processed (IV085:
  never credited; not counted in volumes; its debet may be sent again). Filed from a WMO325 for each prestatie
  with a refusing retourcode, and by whoever else refuses a prestatie (a partly processed WMO323): build those
  facts with `afwijzing_feit` so every source feeds the same look-up.
"""

from __future__ import annotations

from typing import Any, Protocol

from lxml import etree

from gateway.standard import catalogue
from gateway.standard.codelijsten import RETOURCODES_TOEGEKEND
from gateway.validation.paths import alle, kind

Feit = dict[str, Any]


class History(Protocol):
    def feiten(self, soort: str, sleutel: str) -> list[Feit]:
        """Facts of one kind under one key, oldest first."""
        ...

    def bekend(self, soort: str, sleutel: str) -> bool:
        """Whether any fact of this kind is filed under the key (cheap existence test)."""
        ...


def sleutel(*parts: object) -> str:
    return "|".join("" if p is None else str(p) for p in parts)


def _t(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return el.text.strip() or None




def _path(el: etree._Element, *names: str) -> etree._Element | None:
    node: etree._Element | None = el
    for name in names:
        if node is None:
            return None
        node = kind(node, name)
    return node




def header(root: etree._Element) -> dict[str, str | None]:
    h = kind(root, "Header")
    assert h is not None
    return {
        "afzender": _t(kind(h, "Afzender")),
        "ontvanger": _t(kind(h, "Ontvanger")),
        "berichtcode": _t(kind(h, "BerichtCode")),
        "identificatie": _t(_path(h, "BerichtIdentificatie", "Identificatie")),
        "dagtekening": _t(_path(h, "BerichtIdentificatie", "Dagtekening")),
    }


def product(el: etree._Element) -> tuple[str | None, str | None]:
    p = kind(el, "Product")
    if p is None:
        return None, None
    return _t(kind(p, "Categorie")), _t(kind(p, "Code"))


def levering(line: etree._Element, bsn: str | None, gemeente: str | None, aanbieder: str | None) -> Feit:
    cat, code = product(line)
    return {
        "gemeente": gemeente, "aanbieder": aanbieder, "bsn": bsn,
        "toewijzingnummer": _t(kind(line, "ToewijzingNummer")), "categorie": cat, "code": code,
        "begindatum": _t(kind(line, "Begindatum")), "einddatum": _t(kind(line, "Einddatum")),
        "reden": _t(kind(line, "RedenBeeindiging")), "status": _t(kind(line, "StatusAanlevering")),
    }


def prestatie(p: etree._Element, bsn: str | None) -> Feit:
    bedrag = kind(p, "IngediendBedrag")
    return {
        "bsn": bsn,
        "referentienummer": _t(_path(p, "ProductReferentie", "ReferentieNummer")),
        "vorig": _t(_path(p, "ProductReferentie", "VorigReferentieNummer")),
        "toewijzingnummer": _t(kind(p, "ToewijzingNummer")),
        "begindatum": _t(_path(p, "ProductPeriode", "Begindatum")),
        "einddatum": _t(_path(p, "ProductPeriode", "Einddatum")),
        "categorie": _t(kind(p, "ProductCategorie")),
        "code": _t(kind(p, "ProductCode")),
        "volume": _t(kind(p, "GeleverdVolume")),
        "eenheid": _t(kind(p, "Eenheid")),
        "tarief": _t(kind(p, "ProductTarief")),
        "bedrag": _t(kind(bedrag, "Bedrag")) if bedrag is not None else None,
        "debetcredit": _t(kind(bedrag, "DebetCredit")) if bedrag is not None else None,
    }


def debet_sleutel(gemeente: str | None, aanbieder: str | None, feit: Feit) -> str:
    """TR389: one debet per ToewijzingNummer, product and ProductPeriode (until it is credited)."""
    return sleutel(gemeente, aanbieder, feit.get("toewijzingnummer"), feit.get("categorie"), feit.get("code"),
                   feit.get("begindatum"), feit.get("einddatum"))


def afwijzing_feit(aanbieder: str | None, referentienummer: str | None, retourcodes: list[str], bron: str
                   ) -> tuple[str, str, Feit]:
    """The fact that prestatie `referentienummer` of `aanbieder` was refused, with the refusing retourcodes and
    where the refusal comes from (e.g. "WMO325", or the gateway's own partial processing of a WMO323)."""
    return ("afwijzing", sleutel(aanbieder, referentienummer),
            {"referentienummer": referentienummer, "retourcodes": retourcodes, "bron": bron})


class Feitenruimte:
    """A history seen through one standard's fact space (`Profiel.feitenruimte`): iJw's toewijzingen are not
    iWmo's, though the keys (gemeente, aanbieder, ToewijzingNummer) may be equal."""

    def __init__(self, history: History, ruimte: str):
        self.history, self.ruimte = history, ruimte

    def feiten(self, soort: str, sleutel: str) -> list[Feit]:
        return self.history.feiten(self.ruimte + soort, sleutel)

    def bekend(self, soort: str, sleutel: str) -> bool:
        return self.history.bekend(self.ruimte + soort, sleutel)


def in_ruimte(bericht: catalogue.Berichttype, history: History) -> History:
    ruimte = bericht.profiel.feitenruimte
    return Feitenruimte(history, ruimte) if ruimte else history


def in_ruimte_gezet(bericht: catalogue.Berichttype, feiten: list[tuple[str, str, Feit]]) -> list[tuple[str, str, Feit]]:
    """The facts of a message filed in its standard's fact space."""
    ruimte = bericht.profiel.feitenruimte
    return [(ruimte + s, k, f) for s, k, f in feiten] if ruimte else feiten


def feiten_uit_bericht(bericht: catalogue.Berichttype, root: etree._Element) -> list[tuple[str, str, Feit]]:
    """(soort, sleutel, feit) for everything later rules may need to know about this accepted message, in
    the fact space of the message's standard."""
    return in_ruimte_gezet(bericht, _feiten(bericht, root))


def _feiten(bericht: catalogue.Berichttype, root: etree._Element) -> list[tuple[str, str, Feit]]:
    h = header(root)
    out: list[tuple[str, str, Feit]] = [
        ("bericht", sleutel(h["afzender"], h["berichtcode"], h["identificatie"]), {"dagtekening": h["dagtekening"]})
    ]
    client = kind(root, "Client")
    bsn = _t(kind(client, "Bsn")) if client is not None else None
    if bericht.is_soort("301"):
        gemeente, aanbieder = h["afzender"], h["ontvanger"]
        out.append(("client", sleutel(gemeente, aanbieder, bsn), {"bsn": bsn}))
        out.append(("relatie", sleutel(gemeente, aanbieder), {}))
        for tp in alle(root, "ToegewezenProduct"):
            cat, code = product(tp)
            omvang = kind(tp, "Omvang")
            feit = {
                "gemeente": gemeente, "aanbieder": aanbieder, "bsn": bsn,
                "toewijzingnummer": _t(kind(tp, "ToewijzingNummer")), "categorie": cat, "code": code,
                "ingangsdatum": _t(kind(tp, "Ingangsdatum")), "einddatum": _t(kind(tp, "Einddatum")),
                "volume": _t(kind(omvang, "Volume")) if omvang is not None else None,
                "eenheid": _t(kind(omvang, "Eenheid")) if omvang is not None else None,
                "frequentie": _t(kind(omvang, "Frequentie")) if omvang is not None else None,
                "budget": _t(kind(tp, "Budget")),
                "redenwijziging": _t(kind(tp, "RedenWijziging")),
                "toewijzingsmoment": f"{_t(kind(tp, 'Toewijzingsdatum')) or ''}T{_t(kind(tp, 'Toewijzingstijd')) or ''}",
            }
            out.append(("toewijzing", sleutel(gemeente, aanbieder, feit["toewijzingnummer"]), feit))
    elif bericht.nummer in ("305", "307"):
        gemeente, aanbieder = h["ontvanger"], h["afzender"]
        soort = "start" if bericht.is_soort("305") else "stop"
        for line in alle(root, "StartProduct" if soort == "start" else "StopProduct"):
            feit = levering(line, bsn, gemeente, aanbieder)
            out.append((soort, sleutel(gemeente, aanbieder, feit["toewijzingnummer"]), feit))
    elif bericht.is_soort("323"):
        gemeente, aanbieder = h["ontvanger"], h["afzender"]
        nummer = _t(_path(root, "Declaratie", "DeclaratieNummer"))
        out.append(("declaratie", sleutel(aanbieder, nummer), {"identificatie": h["identificatie"]}))
        out.append(("declaratieperiode", sleutel(gemeente, aanbieder), {
            "declaratienummer": nummer, "begindatum": _t(_path(root, "Declaratie", "DeclaratiePeriode", "Begindatum")),
            "einddatum": _t(_path(root, "Declaratie", "DeclaratiePeriode", "Einddatum"))}))
        out.append(("aanbieder-declareert", sleutel(aanbieder), {}))
        for cl in alle(root, "Client"):
            cbsn = _t(kind(cl, "Bsn"))
            for p in alle(cl, "Prestatie"):
                feit = prestatie(p, cbsn) | {"gemeente": gemeente, "aanbieder": aanbieder}
                out.append(("prestatie", sleutel(aanbieder, feit["referentienummer"]), feit))
                out.append(("volume", sleutel(gemeente, aanbieder, feit["toewijzingnummer"]), feit))
                if feit["debetcredit"] == "C":
                    out.append(("credit", sleutel(aanbieder, feit["vorig"]), {
                        "referentienummer": feit["referentienummer"], "begindatum": feit["begindatum"],
                        "einddatum": feit["einddatum"]}))
                else:
                    out.append(("debet", debet_sleutel(gemeente, aanbieder, feit),
                                {"referentienummer": feit["referentienummer"]}))
    elif bericht.is_soort("325"):
        gemeente, aanbieder = h["afzender"], h["ontvanger"]
        for p in alle(root, "Prestatie"):
            ref = _t(_path(p, "ProductReferentie", "ReferentieNummer"))
            codes = [c for c in (_t(rc) for rc in alle(p, "RetourCode")) if c]
            if any(c not in RETOURCODES_TOEGEKEND for c in codes) or not codes:
                out.append(afwijzing_feit(aanbieder, ref, codes, bericht.naam))
    return out
