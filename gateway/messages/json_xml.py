"""Messages as JSON: decode any iWmo message to a dict and build a heenbericht from one.

xmlschema does the work in both directions against our own XSDs (one compiled schema per message type,
built on first use; xmlschema itself is imported then too, as only the JSON routes and a message's JSON view
need it and importing it cost every process start about a quarter of a second). The JSON shape uses the
standard's element names without namespace prefixes; a repeating element is a list. Building is followed by
our regular XSD validation, so an invalid JSON document is refused with XSD findings and never turns into an
invalid XML message. Characters XML cannot carry (control characters, U+FFFE, U+FFFF, lone surrogates) are
refused before building, with their location.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.standard import catalogue
from gateway.validation import schemas
from gateway.validation.findings import TE_GROOT, XML, XSD, Finding
from gateway.validation.validator import validate

if TYPE_CHECKING:
    import xmlschema

_lock = threading.Lock()
_cache: dict[str, xmlschema.XMLSchema] = {}
# Per schema folder, the first message schema built there. The message schemas of one folder all include its
# basisschema: the others are built on the first one's components (and its XSD meta-schema) instead of parsing and
# building all of it again, in a tenth of the time (0.05 s instead of 0.2-0.5 s each).
_eerste_in_map: dict[Path, xmlschema.XMLSchema] = {}
_PREFIX_BERICHT = "m"
# XML 1.0 §2.2 has no place for these: C0 controls but tab, LF and CR; surrogates; U+FFFE and U+FFFF.
_GEEN_XML_TEKEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Findings that mean the built bytes are no readable message at all: never hand such bytes on.
_ONLEESBAAR = frozenset({XML, TE_GROOT})


def schema(naam: str) -> xmlschema.XMLSchema:
    bericht = catalogue.get(naam)
    with _lock:
        compiled = _cache.get(bericht.naam)
        if compiled is None:
            import xmlschema

            pad = schemas.schema_path(bericht.naam)
            eerste = _eerste_in_map.get(pad.parent)
            compiled = _cache[bericht.naam] = xmlschema.XMLSchema(
                str(pad), global_maps=eerste.maps if eerste is not None else None)
            _eerste_in_map.setdefault(pad.parent, compiled)
        return compiled


def _namespaces(bericht: catalogue.Berichttype) -> dict[str, str]:
    return {_PREFIX_BERICHT: bericht.namespace, bericht.profiel.basis_prefix: bericht.basisschema_namespace}


def to_json(naam: str, data: bytes) -> dict[str, Any]:
    """The message as a plain dict (element names without prefixes; codes keep their leading zeros)."""
    decoded = schema(naam).decode(data.decode("utf-8"), strip_namespaces=True, preserve_root=False,
                                  validation="lax")
    document = decoded[0] if isinstance(decoded, tuple) else decoded
    return document  # type: ignore[no-any-return]


def _qualify(element: Any, value: Any, prefixes: dict[str, str]) -> Any:
    """Put namespace prefixes back on the keys, following the schema's element declarations."""
    if isinstance(value, list):
        return [_qualify(element, v, prefixes) for v in value]
    if not isinstance(value, dict) or not element.type.has_complex_content():
        return value
    children = {c.local_name: c for c in element.type.content.iter_elements()}
    out: dict[str, Any] = {}
    for key, sub in value.items():
        child = children.get(key)
        if child is None:
            out[key] = sub  # unknown element: the encoder reports it
        else:
            out[f"{prefixes[child.target_namespace]}:{key}"] = _qualify(child, sub, prefixes)
    return out


def _with_header_defaults(bericht: catalogue.Berichttype, document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc.pop("bericht", None)
    header = doc.setdefault("Header", {})
    if isinstance(header, dict):
        header.setdefault("BerichtCode", bericht.berichtcode)
        profiel = bericht.profiel
        header.setdefault("BerichtVersie", profiel.bericht_versie)
        header.setdefault("BerichtSubversie", profiel.bericht_subversie)
        header.setdefault("XsdVersie", {"BasisschemaXsdVersie": profiel.xsd_versie,
                                        "BerichtXsdVersie": profiel.xsd_versie})
    return doc


class JsonGeweigerd(Exception):
    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f.melding for f in findings))
        self.findings = findings


def _teksten(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(element path, text) of every key and text value, as /Bericht/Client/Contact[2]/…; iterative."""
    stapel: list[tuple[str, Any]] = [("/Bericht", {k: v for k, v in document.items() if k != "bericht"})]
    while stapel:
        pad, waarde = stapel.pop()
        if isinstance(waarde, dict):
            for key, sub in waarde.items():
                yield f"{pad}/{key}", str(key)
                stapel.append((f"{pad}/{key}", sub))
        elif isinstance(waarde, list):
            stapel.extend((f"{pad}[{i}]", sub) for i, sub in enumerate(waarde, 1))
        elif isinstance(waarde, str):
            yield pad, waarde


def _tekens_zonder_xml(document: dict[str, Any]) -> list[Finding]:
    fouten = []
    for pad, tekst in _teksten(document):
        gevonden = _GEEN_XML_TEKEN.search(tekst)
        if gevonden:
            # The path is built from the caller's own keys: keep only what can be shown.
            toonbaar = _GEEN_XML_TEKEN.sub("?", pad)[:300]
            fouten.append(Finding(code=XML, locatie=(toonbaar,), melding=(
                f"Teken U+{ord(gevonden.group()):04X} kan niet in een XML-bericht staan (XML 1.0 kent geen "
                "besturingstekens, surrogaten, U+FFFE of U+FFFF). Verwijder het teken en verstuur opnieuw.")))
    return sorted(fouten, key=lambda f: f.locatie)[:20]


def from_json(naam: str, document: dict[str, Any]) -> bytes:
    """Build the XML message; raise JsonGeweigerd with XSD findings when the result would not be valid, and with
    XML findings when it would not even be readable XML."""
    onleesbaar = _tekens_zonder_xml(document)
    if onleesbaar:
        raise JsonGeweigerd(onleesbaar)
    import xmlschema  # loaded by schema() below; bound here for its converter, errors and serialiser

    bericht = catalogue.get(naam)
    compiled = schema(bericht.naam)
    ns = _namespaces(bericht)
    prefixes = {v: k for k, v in ns.items()}
    qualified = _qualify(compiled.elements["Bericht"], _with_header_defaults(bericht, document), prefixes)
    try:
        encoded = compiled.encode(qualified, path=f"{_PREFIX_BERICHT}:Bericht", namespaces=ns,
                                  converter=xmlschema.UnorderedConverter, validation="lax")
    except (xmlschema.XMLSchemaException, ValueError, TypeError, KeyError) as exc:
        raise JsonGeweigerd([Finding(code=XSD, locatie=("/Bericht",), melding=_short(exc))]) from None
    element = encoded[0] if isinstance(encoded, tuple) else encoded
    errors = encoded[1] if isinstance(encoded, tuple) else []
    if element is None:
        raise JsonGeweigerd([Finding(code=XSD, locatie=("/Bericht",), melding=_short(e)) for e in errors[:20]])
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + xmlschema.etree_tostring(element, namespaces=ns).encode()
    uitslag = validate(data, rules=False)
    if any(f.code in _ONLEESBAAR for f in uitslag.errors):
        raise JsonGeweigerd([f for f in uitslag.errors if f.code in _ONLEESBAAR])
    xsd_errors = [f for f in uitslag.errors if f.code == XSD]
    if xsd_errors or (errors and not uitslag.errors):
        raise JsonGeweigerd(xsd_errors or [Finding(code=XSD, locatie=("/Bericht",), melding=_short(e)) for e in errors])
    return data


def _short(exc: object) -> str:
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return f"Het JSON-document past niet op het berichtschema: {reason}"
