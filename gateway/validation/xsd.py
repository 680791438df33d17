"""XSD validation with findings that name the element and say what to do."""

from __future__ import annotations

import re

from lxml import etree

from gateway.validation.findings import XSD, Finding
from gateway.validation.paths import element_path
from gateway.validation.schemas import schema_for

_PREFIX = re.compile(r"[A-Za-z_][\w.-]*:")
_QNAME = re.compile(r"\{[a-z]+:[^}]*\}")
_ELEMENT = re.compile(r"^Element '([^']+)': ")


def _location(error: etree._LogEntry, tree: etree._ElementTree) -> str:
    path = error.path or ""
    if path and "*" not in path:
        return _PREFIX.sub("", path)
    # Without a usable path (default namespace), fall back to the first element on the reported line.
    for el in tree.iter():
        if isinstance(el.tag, str) and el.sourceline == error.line:
            return element_path(el)
    return "/Bericht"


def _melding(raw: str) -> str:
    text = _QNAME.sub("", raw.strip())
    m = _ELEMENT.match(text)
    element = m.group(1) if m else None
    detail = text[m.end():] if m else text
    if "[facet 'pattern']" in detail or "[facet 'enumeration']" in detail:
        advies = "Vul een waarde in die het formaat of de codelijst van dit element volgt."
    elif "This element is not expected" in detail:
        advies = "Controleer volgorde en naam van de elementen tegen het berichtschema; verwijder onbekende elementen."
    elif "Missing child element" in detail:
        advies = "Voeg het verplichte element toe."
    elif "is not a valid value of the atomic type" in detail:
        advies = "Gebruik een geldige waarde voor het datatype (bijvoorbeeld een bestaande datum JJJJ-MM-DD)."
    elif "facet 'maxLength'" in detail or "facet 'minLength'" in detail:
        advies = "Pas de lengte van de waarde aan; lege elementen zijn niet toegestaan, laat ze dan weg."
    else:
        advies = "Corrigeer het bericht volgens het XSD-schema van iWmo 3.2."
    wat = f"Element {element}: " if element else ""
    return f"{wat}{detail} {advies}"


def validate(naam: str, tree: etree._ElementTree) -> list[Finding]:
    schema = schema_for(naam)
    if schema.validate(tree):
        return []
    return [
        Finding(code=XSD, melding=_melding(e.message), locatie=(_location(e, tree),), regel=e.line)
        for e in schema.error_log
    ]
