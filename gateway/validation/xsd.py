"""XSD validation with findings that name the element and say what to do — and never quote a BSN."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

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
    return _bsn_elementen(str(schema_dir()))


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


def _melding(raw: str) -> str:
    text = maskeer_bsn(_QNAME.sub("", raw.strip()))  # first: the masks keep every length, so the rest holds
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


def _findings(errors: Iterable[etree._LogEntry], tree: etree._ElementTree) -> list[Finding]:
    plek = _Plekken(tree)
    return [Finding(code=XSD, melding=_melding(e.message), locatie=(plek(e),), regel=e.line) for e in errors]


def validate(naam: str, tree: etree._ElementTree) -> list[Finding]:
    """XSD findings, at most MAX_BEVINDINGEN of them plus one that counts the rest (built only for those)."""
    schema = schema_for(naam)
    if schema.validate(tree):
        return []
    log = schema.error_log
    eerste = _findings(itertools.islice(log, MAX_BEVINDINGEN), tree)
    return begrens(eerste, overgeslagen=len(log) - len(eerste))
