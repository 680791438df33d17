"""Messages as JSON: decode any iWmo message to a dict and build a heenbericht from one.

xmlschema does the work in both directions against our own XSDs (one compiled schema per message type,
built on first use). The JSON shape uses the standard's element names without namespace prefixes; a
repeating element is a list. Building is followed by our regular XSD validation, so an invalid JSON
document is refused with XSD findings and never turns into an invalid XML message.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import xmlschema

from gateway.standard import catalogue
from gateway.validation import schemas
from gateway.validation.findings import XSD, Finding
from gateway.validation.validator import validate

_lock = threading.Lock()
_cache: dict[str, xmlschema.XMLSchema] = {}
_PREFIX_BASIS = "iwmo"
_PREFIX_BERICHT = "m"


def schema(naam: str) -> xmlschema.XMLSchema:
    bericht = catalogue.get(naam)
    with _lock:
        compiled = _cache.get(bericht.naam)
        if compiled is None:
            compiled = _cache[bericht.naam] = xmlschema.XMLSchema(str(schemas.schema_path(bericht.naam)))
        return compiled


def _namespaces(bericht: catalogue.Berichttype) -> dict[str, str]:
    return {_PREFIX_BERICHT: bericht.namespace, _PREFIX_BASIS: catalogue.BASISSCHEMA_NAMESPACE}


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
        header.setdefault("BerichtVersie", catalogue.BERICHT_VERSIE)
        header.setdefault("BerichtSubversie", catalogue.BERICHT_SUBVERSIE)
        header.setdefault("XsdVersie", {"BasisschemaXsdVersie": catalogue.XSD_VERSIE,
                                        "BerichtXsdVersie": catalogue.XSD_VERSIE})
    return doc


class JsonGeweigerd(Exception):
    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f.melding for f in findings))
        self.findings = findings


def from_json(naam: str, document: dict[str, Any]) -> bytes:
    """Build the XML message; raise JsonGeweigerd with XSD findings when the result would not be valid."""
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
    xsd_errors = [f for f in uitslag.errors if f.code == XSD]
    if xsd_errors or (errors and not uitslag.errors):
        raise JsonGeweigerd(xsd_errors or [Finding(code=XSD, locatie=("/Bericht",), melding=_short(e)) for e in errors])
    return data


def _short(exc: object) -> str:
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return f"Het JSON-document past niet op het berichtschema: {reason}"
