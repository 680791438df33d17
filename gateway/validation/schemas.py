"""The compiled XSD of each message, compiled once per process and reused."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree

from gateway.standard import catalogue, profielen
from gateway.standard.profielen import Profiel

_lock = threading.Lock()


def schema_dir(profiel: Profiel | None = None) -> Path:
    """Where a profile's XSDs are (by default the first profile's): our own set, or for iWmo
    `IWMO_SCHEMA_DIR` (e.g. an official release bundle)."""
    profiel = profiel or profielen.PROFIELEN[0]
    override = os.environ.get("IWMO_SCHEMA_DIR") if profiel is profielen.IWMO_32 else None
    return Path(override) if override else profiel.schema_dir


# Schema files found, by (message, directory asked for, IWMO_SCHEMA_DIR): every judged message asks, and the
# path arithmetic and two stat calls cost a tenth of a millisecond. Only files that exist are remembered, so a
# schema installed later (or a test's IWMO_SCHEMA_DIR) is still found.
_GEVONDEN: dict[tuple[str, Path | None, str | None], Path] = {}


def schema_path(naam: str, directory: Path | None = None) -> Path:
    sleutel = (naam, directory, os.environ.get("IWMO_SCHEMA_DIR"))
    gevonden = _GEVONDEN.get(sleutel)
    if gevonden is not None:
        return gevonden
    bericht = catalogue.get(naam)
    base = directory or schema_dir(bericht.profiel)
    exact = base / bericht.schema_file
    # Official bundles spell the file names in capitals (WMO301.xsd).
    upper = base / bericht.schema_file.upper().replace(".XSD", ".xsd")
    for pad in (exact, upper):
        if pad.exists():
            _GEVONDEN[sleutel] = pad
            return pad
    return exact


_local = threading.local()


def _compile(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(path, parser))


def schema_for(naam: str) -> etree.XMLSchema:
    """The compiled schema for a message type, one per thread.

    A compiled XMLSchema keeps the error log of its last run, so threads (API workers) each get their own.
    """
    path = str(schema_path(naam))
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    schema = cache.get(path)
    if schema is None:
        with _lock:  # compilation reads files through libxml2's global state
            schema = cache[path] = _compile(path)
    return schema
