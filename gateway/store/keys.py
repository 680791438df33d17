"""Header fields and business keys of a message, for storage, correlation and the admin's search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree

from gateway.standard import catalogue
from gateway.validation.paths import local

# Elements whose values correlate messages (and that administrators search on). The BSN is kept only
# because the cross-message rules and the client timeline need it.
SLEUTEL_ELEMENTEN = frozenset(
    {"ToewijzingNummer", "ReferentieAanbieder", "DeclaratieNummer", "ProductReferentie", "Bsn",
     "DeclaratieIdentificatie", "VorigReferentieNummer"}
)

_SLEUTEL_TAGS = tuple(f"{{*}}{naam}" for naam in sorted(SLEUTEL_ELEMENTEN))


@dataclass
class Kop:
    berichtcode: str | None = None
    afzender: str | None = None
    ontvanger: str | None = None
    identificatie: str | None = None
    identificatie_retour: str | None = None
    dagtekening: dt.date | None = None
    sleutels: set[tuple[str, str]] = field(default_factory=set)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def extract(root: etree._Element) -> Kop:
    kop = Kop()
    header = next((c for c in root if local(c.tag) == "Header"), None)
    if header is not None:
        for el in header:
            name = local(el.tag)
            if name == "BerichtCode":
                kop.berichtcode = (el.text or "").strip()
            elif name == "Afzender":
                kop.afzender = (el.text or "").strip()
            elif name == "Ontvanger":
                kop.ontvanger = (el.text or "").strip()
            elif name == "DeclaratieIdentificatie":  # WMO325: the 323 it answers (IV087)
                for sub in el:
                    if local(sub.tag) == "Identificatie" and sub.text and sub.text.strip():
                        kop.sleutels.add(("DeclaratieIdentificatie", sub.text.strip()))
            elif name == "IdentificatieRetour":
                kop.identificatie_retour = (el.text or "").strip()
            elif name == "BerichtIdentificatie":
                for sub in el:
                    if local(sub.tag) == "Identificatie":
                        kop.identificatie = (sub.text or "").strip()
                    elif local(sub.tag) == "Dagtekening":
                        kop.dagtekening = _date(sub.text)
    # libxml2 picks the key elements out by local name (in any namespace): a Python test of every element's
    # name cost more than the rest of `extract`.
    for el in root.iter(_SLEUTEL_TAGS):
        if el.text and el.text.strip():
            kop.sleutels.add((local(el.tag), el.text.strip()[:64]))
    return kop


def partijen(bericht: catalogue.Berichttype | None, kop: Kop) -> tuple[str, str] | None:
    """(verzender, adressaat) of a message by its header: a retourbericht travels against its header's
    direction (IV028). None when the type or either party is unknown."""
    if bericht is None or not kop.afzender or not kop.ontvanger:
        return None
    return bericht.verzender_en_adressaat(kop.afzender, kop.ontvanger)
