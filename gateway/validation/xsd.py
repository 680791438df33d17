"""XSD validation with findings that name the element and say what to do — and never quote a BSN."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from gateway.standard import profielen
from gateway.validation.findings import MAX_BEVINDINGEN, XSD, Finding, begrens, maskeer_cijferreeksen
from gateway.validation.paths import element_path, local
from gateway.validation.schemas import schema_dir, schema_for

_PREFIX = re.compile(r"[A-Za-z_][\w.-]*:")
_QNAME = re.compile(r"\{[a-z]+:[^}]*\}")
_ELEMENT = re.compile(r"^Element '([^']+)': ")

# -- BSN masking ------------------------------------------------------------------------------------------------
# The standard's BSN type (basisschema); every element of this type, or of a type restricted from it, carries
# a BSN. Today that is only `Bsn`, but the list is read from the schemas so a release (or IWMO_SCHEMA_DIR)
# that adds one is covered without a code change.
BSN_TYPE = "LDT_BurgerServicenummer"
_XS = "{http://www.w3.org/2001/XMLSchema}"
# "Element 'Bsn': …" as libxml2 writes it, or "Element Bsn: …" as our meldingen (and stored rows) start.
_ELEMENTNAAM = re.compile(r"^Element '?(?P<naam>[^'\s:,]+(?::[^'\s:,]+)?)'?[:,]")
# The quoted value in libxml2's messages: "The value '…' is not accepted …", "Element 'X': '…' is not a valid
# value …". Greedy up to the last "' is not ", so a quote inside the value cannot end the match early.
_WAARDE = re.compile(r"(?P<voor>value |: )'(?P<waarde>.*)'(?= is not )", re.DOTALL)


def _naam(qname: str | None) -> str:
    return local(qname or "").rpartition(":")[2]


@functools.cache
def _bsn_elementen(directory: str) -> frozenset[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    docs = [etree.parse(str(p), parser) for p in sorted(Path(directory).glob("*.xsd"))]
    types = {BSN_TYPE}
    gegroeid = True
    while gegroeid:  # simple types restricted from a BSN type, to a fixpoint
        gegroeid = False
        for doc in docs:
            for st in doc.iter(f"{_XS}simpleType"):
                restriction = st.find(f"{_XS}restriction")
                if st.get("name") and st.get("name") not in types and restriction is not None and (
                        _naam(restriction.get("base")) in types):
                    types.add(st.get("name", ""))
                    gegroeid = True
    namen = {"Bsn"}  # the standard's name for it, whatever a schema set says
    for doc in docs:
        for el in doc.iter(f"{_XS}element"):
            anoniem = el.find(f"{_XS}simpleType/{_XS}restriction")
            if _naam(el.get("type")) in types or (anoniem is not None and _naam(anoniem.get("base")) in types):
                namen.add(el.get("name") or _naam(el.get("ref")))
    return frozenset(namen - {""})


def bsn_elementen() -> frozenset[str]:
    """The local names of the elements that carry a BSN, read from the XSDs in use."""
    return frozenset().union(*(_bsn_elementen(str(schema_dir(p))) for p in profielen.PROFIELEN))


def _masker(waarde: str) -> str:
    # Letters and digits go, so neither a BSN nor a name typed in its place shows; spaces and signs stay, so
    # the sender still sees what is wrong with " 207416035" or "207416035<".
    return "".join("*" if c.isalnum() else c for c in waarde)


def maskeer_bsn(melding: str) -> str:
    """The melding with the value of a BSN element masked, when the melding is about one.

    The quoted value loses every letter and digit, and any run of nine or more digits left anywhere in the
    melding is masked too (a message format we do not know). Meldingen about other elements are unchanged.
    """
    m = _ELEMENTNAAM.match(melding)
    if m is None or _naam(m.group("naam")) not in bsn_elementen():
        return melding
    gemaskeerd = _WAARDE.sub(lambda w: f"{w.group('voor')}'{_masker(w.group('waarde'))}'", melding, count=1)
    return maskeer_cijferreeksen(gemaskeerd)


# -- findings ---------------------------------------------------------------------------------------------------


class _Plekken:
    """Locations for errors without a usable path: the first element on the reported line.

    The line index is built once, on first need; looking each error up with a walk over the whole tree would
    cost a full pass per error.
    """

    def __init__(self, tree: etree._ElementTree):
        self.tree = tree
        self._per_regel: dict[int, etree._Element] | None = None

    def __call__(self, error: etree._LogEntry) -> str:
        path = error.path or ""
        if path and "*" not in path:
            return _PREFIX.sub("", path)
        if self._per_regel is None:
            self._per_regel = {}
            for el in self.tree.iter():
                if isinstance(el.tag, str) and el.sourceline is not None:
                    self._per_regel.setdefault(el.sourceline, el)
        el = self._per_regel.get(error.line)
        return element_path(el) if el is not None else "/Bericht"


# Numbers libxml2 quotes in a facet's message ("… length of '300'; this exceeds … maximum length of '200'."):
# the last one is the facet's own value.
_GETAL = re.compile(r"'(-?\d+)'")
_LEGE_WAARDE = re.compile(r"The value '' |^'' ")
_ATOMAIR = re.compile(r"atomic type '(?:xs:)?(?P<type>\w+)'")
# XML Schema's types and the basisschema's own (LDT_Datum is an xs:date, LDT_Tijd an xs:time).
_DATATYPEN = {
    "date": "een bestaande datum JJJJ-MM-DD",
    "LDT_Datum": "een bestaande datum JJJJ-MM-DD",
    "time": "een tijd UU:MM:SS",
    "LDT_Tijd": "een tijd UU:MM:SS",
    "dateTime": "een tijdstip JJJJ-MM-DDTUU:MM:SS",
    "integer": "een geheel getal",
    "int": "een geheel getal",
    "long": "een geheel getal",
    "decimal": "een getal",
    "boolean": "true of false",
}
_LEEG = "Een leeg element is niet toegestaan: vul een waarde in of laat het element weg als het niet verplicht is."


def _facetwaarde(detail: str) -> str:
    getallen = _GETAL.findall(detail)
    return getallen[-1] if getallen else "?"


# Per facet, as libxml2 names it in its message ("facet 'maxLength'") and in its error type
# (SCHEMAV_CVC_MAXLENGTH_VALID): what to do, {n} being the facet's value.
_FACET_ADVIES: dict[str, str] = {
    "maxLength": "Kort de waarde in tot ten hoogste {n} tekens.",
    "minLength": "Vul een waarde in van minstens {n} tekens.",
    "length": "De waarde moet precies {n} tekens lang zijn.",
    "pattern": "Vul een waarde in die het formaat van dit element volgt (het patroon hierboven).",
    "enumeration": "Kies een code uit de codelijst van dit element.",
    "maxInclusive": "Gebruik een waarde van ten hoogste {n}.",
    "minInclusive": "Gebruik een waarde van minstens {n}.",
    "maxExclusive": "Gebruik een waarde kleiner dan {n}.",
    "minExclusive": "Gebruik een waarde groter dan {n}.",
    "totalDigits": "Gebruik ten hoogste {n} cijfers.",
    "fractionDigits": "Gebruik ten hoogste {n} cijfers achter de komma.",
}


def _facet(soort: str, detail: str) -> str | None:
    return next((f for f in _FACET_ADVIES if soort == f"SCHEMAV_CVC_{f.upper()}_VALID" or f"facet '{f}'" in detail),
                None)


def _advies(soort: str, detail: str) -> str:
    """What to do, for the kind of XSD error (`_LogEntry.type_name`): each facet its own advice, so a value that
    is too long never hears about empty elements."""
    leeg = bool(_LEGE_WAARDE.search(detail))
    facet = _facet(soort, detail)
    if facet is not None:
        if (leeg and facet in ("pattern", "enumeration")) or (facet == "minLength" and "length of '0'" in detail):
            return _LEEG
        return _FACET_ADVIES[facet].format(n=_facetwaarde(detail))
    if "is not a valid value of the" in detail:
        if leeg:
            return _LEEG
        m = _ATOMAIR.search(detail)
        soortwaarde = _DATATYPEN.get(m.group("type")) if m else None
        return f"Gebruik {soortwaarde}." if soortwaarde else "Gebruik een geldige waarde voor het datatype van dit element."
    if "This element is not expected" in detail:
        return "Controleer volgorde en naam van de elementen tegen het berichtschema; verwijder onbekende elementen."
    if "Missing child element" in detail:
        return "Voeg het verplichte element toe."
    if "Element content is not allowed" in detail:
        return "Dit element bevat alleen een waarde, geen andere elementen; verwijder de elementen erin."
    if "Character content other than whitespace is not allowed" in detail:
        return "Dit element bevat alleen andere elementen, geen tekst; verwijder de tekst."
    return "Corrigeer het bericht volgens het XSD-schema van iWmo 3.2."


def _melding(raw: str, soort: str = "") -> str:
    text = maskeer_bsn(_QNAME.sub("", raw.strip()))  # first: the masks keep every length, so the rest holds
    m = _ELEMENT.match(text)
    element = m.group(1) if m else None
    detail = text[m.end():] if m else text
    wat = f"Element {element}: " if element else ""
    return f"{wat}{detail} {_advies(soort, detail)}"


def _findings(errors: Iterable[etree._LogEntry], tree: etree._ElementTree) -> list[Finding]:
    plek = _Plekken(tree)
    return [Finding(code=XSD, melding=_melding(e.message, e.type_name), locatie=(plek(e),), regel=e.line)
            for e in errors]


def validate(naam: str, tree: etree._ElementTree) -> list[Finding]:
    """XSD findings, at most MAX_BEVINDINGEN of them plus one that counts the rest (built only for those)."""
    schema = schema_for(naam)
    if schema.validate(tree):
        return []
    log = schema.error_log
    eerste = _findings(itertools.islice(log, MAX_BEVINDINGEN), tree)
    return begrens(eerste, overgeslagen=len(log) - len(eerste))
