"""Judging one message: safe parse, message type from the root namespace, XSD, then the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from gateway.standard import catalogue, profielen
from gateway.validation import safe_xml, xsd
from gateway.validation.findings import (
    ONBEKEND_BERICHT,
    PROFIEL,
    XSD,
    Finding,
    begrens,
    maskeer_cijferreeksen,
)
from gateway.validation.paths import element_naam
from gateway.validation.rules.registry import run_rules


@dataclass
class Uitslag:
    """The verdict on one message.

    `errors` holds every finding: the retourbericht needs each retourcode, and the verdict is theirs. What is
    shown or returned is `bevindingen`: at most MAX_BEVINDINGEN plus one that counts the rest. The XSD step
    builds no more than that in the first place (a hostile message can have 100 000 XSD errors).
    """

    bericht: catalogue.Berichttype | None
    errors: list[Finding] = field(default_factory=list)
    tree: etree._ElementTree | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def xsd_valid(self) -> bool:
        """Whether the message got past parsing and XSD, i.e. whether it earns a retourbericht."""
        return self.bericht is not None and self.tree is not None and not any(
            f.code in (XSD,) for f in self.errors
        )

    @property
    def bevindingen(self) -> list[Finding]:
        """The findings to show, store or return: capped (see the class docstring)."""
        return begrens(self.errors)

    def to_json(self, file: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {} if file is None else {"file": file}
        out.update(
            bericht=self.bericht.naam if self.bericht else None,
            valid=self.valid,
            errors=[f.to_json() for f in self.bevindingen],
        )
        return out


def detect(root: etree._Element) -> catalogue.Berichttype | None:
    namespace = etree.QName(root).namespace
    bericht = catalogue.by_namespace(namespace)
    return bericht if bericht and etree.QName(root).localname == "Bericht" else None


_VERSIENUMMER = re.compile(r"[0-9]{1,2}")  # LDT_BerichtVersie/-Subversie: 0..99; other text is the XSD's to judge


def _tekst(el: etree._Element | None) -> str | None:
    return None if el is None else el.text or ""


def _geinstalleerd() -> str:
    return f"Deze gateway kent {profielen.beschrijving()} (iwmo-gateway profielen)."


def _niet_geinstalleerd(root: etree._Element) -> Finding | None:
    """A message of an iStandaard whose profile is not installed: another standard or release by namespace,
    or (in an installed namespace) a header whose BerichtVersie/BerichtSubversie names another release."""
    qname = etree.QName(root)
    if qname.localname != "Bericht":
        return None
    bericht = catalogue.by_namespace(qname.namespace)
    if bericht is None:
        standaard = profielen.standaard_van(qname.namespace)
        if standaard is None or profielen.voor_namespace(qname.namespace) is not None:
            return None  # no iStandaard, or an unknown message of an installed one: ONBEKEND_BERICHT
        naam, release = standaard
        return Finding(code=PROFIEL, locatie=("/Bericht",), regel=root.sourceline, melding=maskeer_cijferreeksen(
            f"Het bericht hoort bij {naam} {release.replace('_', '.')} (namespace {qname.namespace}), een standaard "
            f"of release die niet is geïnstalleerd. {_geinstalleerd()} Stuur het bericht in een geïnstalleerde "
            f"release of installeer het profiel."))
    # The first child by tag, as `find`/`findtext` would give it, without their path parser (every message).
    header = next(root.iterchildren(f"{{{qname.namespace}}}Header"), None)
    if header is None:
        return None
    versie = _tekst(next(header.iterchildren(f"{{{qname.namespace}}}BerichtVersie"), None))
    subversie = _tekst(next(header.iterchildren(f"{{{qname.namespace}}}BerichtSubversie"), None))
    profiel = bericht.profiel
    versie, subversie = (versie or "").strip(), (subversie or "").strip()
    if not (_VERSIENUMMER.fullmatch(versie) and _VERSIENUMMER.fullmatch(subversie)) or (versie, subversie) == (
            profiel.bericht_versie, profiel.bericht_subversie):
        return None  # absent, no version number at all, or this profile's: the XSD judges the header
    return Finding(code=PROFIEL, locatie=("/Bericht/Header/BerichtVersie",), regel=header.sourceline,
                   melding=maskeer_cijferreeksen(
                       f"BerichtVersie {versie} en BerichtSubversie {subversie} noemen een "
                       f"release van {profiel.standaard} die niet is geïnstalleerd; de namespace {qname.namespace} "
                       f"hoort bij {profiel.naam} (BerichtVersie {profiel.bericht_versie}, BerichtSubversie "
                       f"{profiel.bericht_subversie}). {_geinstalleerd()}"))


def validate(data: bytes, *, rules: bool = True, max_bytes: int | None = None) -> Uitslag:
    try:
        parsed = safe_xml.parse(data, max_bytes=max_bytes)
    except safe_xml.XmlRefused as refused:
        return Uitslag(bericht=None, errors=[refused.finding])
    niet_geinstalleerd = _niet_geinstalleerd(parsed.root)
    if niet_geinstalleerd is not None:
        return Uitslag(bericht=None, errors=[niet_geinstalleerd])
    bericht = detect(parsed.root)
    if bericht is None:
        qname = etree.QName(parsed.root)
        return Uitslag(
            bericht=None,
            errors=[
                Finding(
                    code=ONBEKEND_BERICHT,
                    melding=maskeer_cijferreeksen(  # the root's name is the sender's text; no BSN in it
                        f"Het rootelement {element_naam(parsed.root)} is geen bericht van {profielen.beschrijving()}. "
                        f"Verwacht: Bericht in een namespace als "
                        f"{' of '.join(catalogue.alle(p)[0].namespace for p in profielen.PROFIELEN)}."
                    ),
                    locatie=("/" + qname.localname,),
                    regel=parsed.root.sourceline,
                )
            ],
        )
    errors = xsd.validate(bericht.naam, parsed.tree)  # capped already: no retourbericht reads XSD findings
    if not errors and rules:
        errors = run_rules(bericht, parsed.root)
    return Uitslag(bericht=bericht, errors=errors, tree=parsed.tree)
