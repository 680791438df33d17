"""How a received WMO323 is processed (IV087): wholly, partly, or not at all — decided from its findings.

A fault at controleniveau 2, in the Header or in the Declaratie class (e.g. TR333) means the declaratie counts
as not sent: it is rejected and its WMO325 goes back at once. A fault in a Client or a Prestatie leaves the
declaratie (partly) processed: it is accepted, the faulty prestaties (and, for a client fault, all prestaties of
that client, with 0233) are refused, and the rest waits for the gemeente's decision. Pure: no database.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field

from lxml import etree

from gateway.messages.declaratie_antwoord import (
    TechnischOordeel,
    bouw_declaratie_antwoord,
    geweigerde_prestaties,
    technisch_oordeel,
    totaal_ingediend,
)
from gateway.messages.retour import GeenRetourbericht
from gateway.validation.findings import Finding


class Soort(enum.StrEnum):
    VOLLEDIG = "volledig"  # no fault of the gateway's: every prestatie waits for the gemeente
    GEDEELTELIJK = "gedeeltelijk"  # faults in clients or prestaties only: those are refused, the rest is booked
    NIET_VERWERKT = "niet_verwerkt"  # counts as not sent; answered at once


@dataclass(frozen=True)
class Verwerking:
    soort: Soort
    oordeel: TechnischOordeel
    geweigerd: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ReferentieNummer → codes
    totaal_ingediend: int = 0

    def afwijzingen(self) -> dict[str, tuple[str, ...]]:
        """The refusals to remember per ReferentieNummer. A prestatie refused because its ReferentieNummer was
        used before (TR314) is left out: the number belongs to that earlier prestatie, which stands."""
        hergebruikt = _retourcode("TR314")
        return {ref: codes for ref, codes in self.geweigerd.items() if hergebruikt not in codes}

    @property
    def verwerkt(self) -> bool:
        return self.soort is not Soort.NIET_VERWERKT

    def technisch_json(self) -> dict[str, object]:
        o = self.oordeel
        return {"kop_fout": list(o.kop_fout), "declaratie_fout": list(o.declaratie_fout),
                "client_fouten": {k: list(v) for k, v in o.client_fouten.items()},
                "technisch": {k: list(v) for k, v in o.technisch.items()}}


def oordeel_uit_json(data: dict[str, object]) -> TechnischOordeel:
    def codes(v: object) -> tuple[str, ...]:
        return tuple(str(c) for c in v) if isinstance(v, list | tuple) else ()

    def per_pad(v: object) -> dict[str, tuple[str, ...]]:
        return {str(k): codes(c) for k, c in v.items()} if isinstance(v, dict) else {}

    return TechnischOordeel(codes(data.get("kop_fout")), codes(data.get("declaratie_fout")),
                            per_pad(data.get("client_fouten")), per_pad(data.get("technisch")))


def verwerking_van(root: etree._Element, errors: list[Finding]) -> Verwerking | None:
    """None when the 323 never got past its XSD (IV087: no 325 then, a fault to the sender)."""
    try:
        oordeel = technisch_oordeel(root, errors)
    except GeenRetourbericht:
        return None
    if not errors:
        return Verwerking(Soort.VOLLEDIG, oordeel, {}, totaal_ingediend(root))
    if not oordeel.verwerkbaar:
        return Verwerking(Soort.NIET_VERWERKT, oordeel, {}, totaal_ingediend(root))
    return Verwerking(Soort.GEDEELTELIJK, oordeel, geweigerde_prestaties(root, oordeel), totaal_ingediend(root))


def antwoord_niet_verwerkt(root: etree._Element, verwerking: Verwerking) -> bytes:
    """The WMO325 for a declaratie that is not processed: the gateway sends it at once (IV087)."""
    return bouw_declaratie_antwoord(root, afgewezen={}, **verwerking.oordeel.als_argumenten()).xml  # type: ignore[arg-type]


def declaratienummer(root: etree._Element) -> str | None:
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "DeclaratieNummer":
            return (el.text or "").strip() or None
    return None


@functools.lru_cache(maxsize=8)
def _retourcode(regel: str) -> str:
    from gateway.validation.cross.registry import all_cross_rules

    return next(r.retourcode for r in all_cross_rules() if r.code == regel)
