"""Reading request bodies: bounded in size, and JSON parsed with bounds of its own.

Every endpoint that takes a message reads its body through here, so a hostile body (too large, too deep,
numbers or characters no message can hold) gets one clear 4xx answer and never reaches code that would fail
with a 5xx. How long a body may take to arrive is bounded by `guards.BodyTimeout`, for every endpoint.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
from collections.abc import Iterator
from itertools import accumulate, count
from typing import Any

from fastapi import Request

from gateway.api.problems import ProblemError
from gateway.ingest.oordeel import Ingekort
from gateway.store.repository import INGEKORT_PREFIX_BYTES
from gateway.validation.findings import Finding

# An iWmo message nests about ten levels; as JSON (lists add a level) well under twenty. Sixty-four leaves
# room for any honest document and stops one long before the parser's or the XML builder's recursion would.
MAX_JSON_DIEPTE = 64
JSON_CODE = "JSON"

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_HAAKJE_WAARDE = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_GEEN_HAAKJE = bytes(set(range(256)) - set(b"[]{}"))
_SURROGAAT = re.compile("[\ud800-\udfff]")


def media_soort(request: Request) -> str:
    """'xml' or 'json' from the Content-Type; anything else is refused before a byte of the body is read."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/xml", "text/xml"):
        return "xml"
    if content_type == "application/json":
        return "json"
    raise ProblemError(415, "Stuur een iWmo-bericht als application/xml of een JSON-bericht als application/json.")


def _te_groot(grens: int) -> ProblemError:
    return ProblemError(413, f"Het verzoek is groter dan {grens} bytes. Splits het bericht of verhoog "
                             "IWMO_MAX_BERICHT_BYTES.")


async def lees(request: Request, *, max_request_bytes: int, max_bericht_bytes: int | None = None) -> bytes | Ingekort:
    """The body, read in chunks and never beyond `max_request_bytes` (413).

    With `max_bericht_bytes`, a body over that limit is not kept whole: it will be stored as a refused TE_GROOT
    message, and for that the digest and size of all of it and its first bytes are enough (an `Ingekort`).
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_request_bytes:
        raise _te_groot(max_request_bytes)
    chunks: list[bytes] = []
    size = 0
    digest: Any = None  # hashlib object once the body is over the message limit
    prefix = b""
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_request_bytes:
            raise _te_groot(max_request_bytes)
        if digest is None and max_bericht_bytes is not None and size > max_bericht_bytes:
            eerder = b"".join(chunks)
            chunks.clear()
            digest = hashlib.sha256(eerder)
            prefix = (eerder + chunk)[:INGEKORT_PREFIX_BYTES]
        if digest is not None:
            digest.update(chunk)
        else:
            chunks.append(chunk)
    if digest is not None:
        return Ingekort(prefix=prefix, sha256=digest.hexdigest(), size=size)
    return b"".join(chunks)


# -- JSON -------------------------------------------------------------------------------------------------

class _NietEindig:
    """Stands in for Infinity, NaN or an out-of-range number during parsing, so its location can be named."""

    def __init__(self, tekst: str):
        self.tekst = tekst


def _getal(tekst: str) -> float | _NietEindig:
    value = float(tekst)
    return value if math.isfinite(value) else _NietEindig(tekst)


def te_diep(body: bytes, grens: int = MAX_JSON_DIEPTE) -> bool:
    """Whether brackets outside strings nest deeper than `grens` anywhere: linear, C-level, never recursive,
    and indifferent to whether they close (100 000 opening brackets and nothing else are simply too deep).

    Strings go first (a bracket in a text is no nesting); of the rest an opening bracket becomes 2, a closing one
    0 and everything else is deleted, so the depth after i brackets is (running sum) - i."""
    haakjes = _STRING.sub(b"", body).translate(_HAAKJE_WAARDE, _GEEN_HAAKJE)
    if haakjes.count(2) <= grens:
        return False  # fewer openings than the limit cannot nest deeper than it: the usual case, and cheap
    return max(map(operator.sub, accumulate(haakjes), count(1))) > grens


def _pointer(pad: tuple[str | int, ...]) -> str:
    """RFC 6901 JSON Pointer of a location in the document."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in pad) if pad else "/"


def _waarden(value: Any, pad: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every key and leaf with its location; iterative, so depth costs no stack."""
    stapel: list[tuple[tuple[str | int, ...], Any]] = [(pad, value)]
    while stapel:
        waar, v = stapel.pop()
        if isinstance(v, dict):
            for k, sub in v.items():
                yield (*waar, k), k
                stapel.append(((*waar, k), sub))
        elif isinstance(v, list):
            stapel.extend(((*waar, i), sub) for i, sub in enumerate(v))
        else:
            yield waar, v


def _weiger(melding: str, pad: tuple[str | int, ...], detail: str) -> ProblemError:
    return ProblemError(422, detail, errors=[Finding(code=JSON_CODE, locatie=(_pointer(pad),), melding=melding)])


def json_document(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`, or a problem: 400 for what is not JSON, 422 for JSON no message can hold."""
    try:
        tekst = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, f"Ongeldige JSON: geen UTF-8 (ongeldige byte op positie {exc.start}). "
                                "Stuur JSON als UTF-8.") from None
    if te_diep(body):
        raise _weiger(f"Het JSON-document is dieper genest dan {MAX_JSON_DIEPTE} niveaus; een iWmo-bericht is dat "
                      "nooit. Stuur het bericht met de elementen van de standaard.", (),
                      "Het JSON-document is te diep genest; er is niets opgeslagen.")
    try:
        document = json.loads(tekst, parse_constant=_NietEindig, parse_float=_getal)
    except (ValueError, RecursionError) as exc:
        raise ProblemError(400, f"Ongeldige JSON: {str(exc)[:200]}.") from None
    if not isinstance(document, dict):
        raise ProblemError(400, "Het JSON-document moet een object zijn met het veld 'bericht' (bijvoorbeeld WMO301).")
    for pad, waarde in _waarden(document):
        if isinstance(waarde, _NietEindig):
            raise _weiger(f"Het getal {waarde.tekst[:40]} is geen eindig getal; een iWmo-bericht kent geen Infinity, "
                          "NaN of getallen buiten het bereik. Geef een gewoon getal of een tekst.", pad,
                          "Het JSON-document bevat een getal dat geen bericht kan bevatten; er is niets opgeslagen.")
        if isinstance(waarde, str) and (gevonden := _SURROGAAT.search(waarde)):
            raise _weiger(f"De tekst bevat een los surrogaat (U+{ord(gevonden.group()):04X}), geen geldig Unicode. "
                          "Codeer tekens buiten het BMP als geldig paar of als UTF-8.", pad,
                          "Het JSON-document bevat ongeldige Unicode; er is niets opgeslagen.")
    return document
