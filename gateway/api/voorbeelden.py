"""The examples the OpenAPI document shows: a real WMO315 (the demo's verzoek om toewijzing) and its answers.

Taken from the demo conversation, so the example is a message the validator accepts; tests/api/test_conventies.py
submits it and holds the documented answer against the real one.
"""

from __future__ import annotations

import functools
from typing import Any

from gateway.demo.seed import voorbeeld

WMO315_XML = voorbeeld("WMO315").decode("utf-8")
VOORBEELD_ID = "3f2c9a1e-6b7d-4c1a-9e52-0d8b7a6f4c21"


@functools.cache
def wmo315_json() -> dict[str, Any]:
    """The same message as JSON: the standard's element names plus the field 'bericht'."""
    from gateway.messages.json_xml import to_json

    return {"bericht": "WMO315", **to_json("WMO315", WMO315_XML.encode("utf-8"))}


def _links(bericht_id: str, *, retour: bool) -> dict[str, str | None]:
    basis = f"/api/v1/berichten/{bericht_id}"
    return {"self": basis, "xml": f"{basis}/xml", "retour": f"{basis}/retour" if retour else None,
            "audit": f"{basis}/audit"}


# What POST /api/v1/berichten answers on WMO315_XML, handed in by aanbieder 12345678 for the first time.
INZENDING_201: dict[str, Any] = {
    "id": VOORBEELD_ID, "bericht": "WMO315", "status": "accepted", "duplicaat": False, "errors": [],
    "opgesteld_door_gateway": False, "links": _links(VOORBEELD_ID, retour=True),
}
# The same bytes a second time: the stored message.
INZENDING_200: dict[str, Any] = {**INZENDING_201, "duplicaat": True}
# What POST /api/v1/validate answers on WMO315_XML before it was submitted.
VALIDATIE_200: dict[str, Any] = {
    "bericht": "WMO315", "valid": True, "status": "accepted", "duplicaat": False,
    "lagen": ["xml", "xsd", "regels", "afzender", "berichtoverstijgend"], "errors": [],
    "opgesteld_door_gateway": False,
}
