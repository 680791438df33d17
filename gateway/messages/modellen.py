"""Pydantic models of the JSON-submittable heenberichten, generated from our XSDs.

One source of truth: the models are built once from the schema's element tree (names, nesting,
required/optional, repetition, integer vs text), so they can never drift from the XSD. Patterns and
enumerations are left to the XSD validation that every built message goes through; the models give
clients a precise OpenAPI schema and early structural errors.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from gateway.messages.json_xml import schema
from gateway.standard import catalogue

# Gemeente back-offices submit 301, 319 and 325; aanbieders 305, 307, 315, 317 and 323.
JSON_BERICHTEN = ("WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325")
# Header fields the gateway fills from the catalogue when a client leaves them out.
_DEFAULTED = frozenset({"BerichtCode", "BerichtVersie", "BerichtSubversie", "XsdVersie"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _simple_type(xsd_type: Any) -> Any:
    primitive = getattr(xsd_type, "primitive_type", None)
    name = getattr(primitive, "local_name", "") or ""
    if name == "decimal" and "integer" in str(getattr(xsd_type, "root_type", "")).lower():
        return int
    root = getattr(xsd_type, "root_type", None)
    root_name = getattr(root, "local_name", "") or ""
    if root_name in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"):
        return int
    if xsd_type.is_derived and any(
        getattr(b, "local_name", "") in ("integer", "nonNegativeInteger", "positiveInteger")
        for b in _bases(xsd_type)
    ):
        return int
    return str


def _bases(xsd_type: Any) -> list[Any]:
    out = []
    t = xsd_type
    while t is not None and len(out) < 20:
        out.append(t)
        t = getattr(t, "base_type", None)
    return out


def _model(element: Any, name: str, *, top: bool = False) -> Any:
    if not element.type.has_complex_content():
        return _simple_type(element.type)
    fields: dict[str, Any] = {}
    for child in element.type.content.iter_elements():
        annotation = _model(child, f"{name}_{child.local_name}")
        if child.max_occurs is None or child.max_occurs > 1:
            annotation = list[annotation]  # type: ignore[valid-type]
        optional = child.min_occurs == 0 or (name.endswith("_Header") and child.local_name in _DEFAULTED)
        if optional:
            fields[child.local_name] = (annotation | None, None)
        else:
            fields[child.local_name] = (annotation, ...)
    return create_model(name, __base__=_Strict, **fields)


@cache
def model_for(naam: str) -> type[BaseModel]:
    bericht = catalogue.get(naam)
    root = schema(bericht.naam).elements["Bericht"]
    inner = _model(root, bericht.naam)
    fields: dict[str, Any] = {"bericht": (Literal[bericht.naam], Field(description=bericht.omschrijving))}
    fields.update({name: (info.annotation, info) for name, info in inner.model_fields.items()})
    return create_model(f"Json{bericht.naam}", __base__=_Strict, **fields)


@cache
def json_bericht() -> Any:
    """The discriminated union of all JSON-submittable messages (for the request body schema)."""
    members = tuple(model_for(n) for n in JSON_BERICHTEN)
    return Annotated[Union[members], Field(discriminator="bericht")]  # noqa: UP007
