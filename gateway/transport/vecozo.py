"""The aanbieder side: VECOZO-style REST. Push `POST /berichten` (multipart metadata + bericht), pull
`GET /berichten?limit=N` (oldest first, with payload URL, size and SHA-256), download the payload, and
`DELETE /berichten/{traceerId}` to confirm receipt, which the worker does only after the message is stored.

Our hub (gateway/hub/) also holds a pull until a message arrives, `GET /berichten?wacht_ms=N` (a long poll); the
real VECOZO has no such parameter, so the adapter sends it only when its route asks for it (`wacht_ms`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from gateway.transport import envelope
from gateway.transport.adapter import Ontvangen, Resultaat, TransportFout, Verbinding, Zending

log = logging.getLogger("gateway.transport.vecozo")

DUPLICAAT_CODES = frozenset({"BRS114", "IB016", "CC08"})

# The long-poll extension of our hub: the query parameter, and the longest wait the hub holds a pull for.
WACHT_PARAMETER = "wacht_ms"
MAX_WACHT_MS = 30_000
# A held pull may take this much longer than its wait before we give up on it: long enough for the hub to look
# in its store once more, short enough that stopping the worker waits for little more than the wait itself.
WACHT_MARGE_S = 2.0


def metadata_voor(zending: Zending) -> envelope.VecozoMetadata:
    return envelope.VecozoMetadata(
        traceer_id=zending.envelop_id,
        conversatie_id=zending.conversatie_id or zending.envelop_id,
        als_antwoord_op=zending.antwoord_op,
        afzender=(envelope.rol_voor(zending.zender), zending.zender),
        geadresseerden=[(envelope.rol_voor(zending.ontvanger), zending.ontvanger)],
        berichttype=zending.functie,
    )


def _foutcode(body: bytes) -> tuple[str | None, str]:
    """The foutcode and text of an error answer, whatever shape it has (ours, problem+json, VECOZO meldingen)."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, body[:300].decode("utf-8", "replace")
    if not isinstance(data, dict):
        return None, str(data)[:300]
    meldingen = data.get("meldingen")
    if isinstance(meldingen, list) and meldingen and isinstance(meldingen[0], dict):
        data = {**data, **meldingen[0]}
    code = data.get("code") or data.get("foutcode")
    tekst = data.get("omschrijving") or data.get("detail") or data.get("title") or data.get("toelichting") or ""
    return (str(code) if code else None), str(tekst)


def beoordeel(status: int, body: bytes) -> Resultaat:
    if 200 <= status < 300:
        return Resultaat.geslaagd("aangenomen door VECOZO", status)
    code, tekst = _foutcode(body)
    if code in DUPLICAAT_CODES:
        return Resultaat.geslaagd(f"al eerder ontvangen ({code})", status)
    # 401/403 are usually an expired or mistyped token: the operator fixes it, the messages should then go.
    if status >= 500 or status in (401, 403, 408, 429):
        return Resultaat.tijdelijk(tekst or f"HTTP {status}", status, code)
    return Resultaat.definitief(tekst or f"HTTP {status}", status, code)  # 400, 422: do not retry


class VecozoTransport:
    naam = "vecozo"

    def __init__(self, verbinding: Verbinding, client: httpx.Client | None = None):
        self.basis = verbinding.endpoint.rstrip("/")
        self.client = client or verbinding.http_client()

    def verstuur(self, zending: Zending) -> Resultaat:
        try:
            meta = metadata_voor(zending)
        except envelope.EnvelopFout as exc:
            return Resultaat.definitief(exc.omschrijving, code=exc.code)
        files = {
            "metadata": ("metadata.json", json.dumps(meta.to_json()).encode("utf-8"), "application/json"),
            "bericht": (f"{zending.functie}.xml", zending.payload, "application/xml"),
        }
        try:
            antwoord = self.client.post(f"{self.basis}/berichten", files=files)
        except httpx.TransportError as exc:
            return Resultaat.tijdelijk(f"{type(exc).__name__}: {exc or 'geen verbinding'} ({self.basis})")
        return beoordeel(antwoord.status_code, antwoord.content)

    def _get(self, url: str, timeout: httpx.Timeout | None = None, **params: Any) -> httpx.Response:
        try:
            antwoord = self.client.get(url, params=params or None,
                                       timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout)
        except httpx.TransportError as exc:
            raise TransportFout(f"{type(exc).__name__} bij {url}: {exc}") from exc
        if antwoord.status_code != 200:
            code, tekst = _foutcode(antwoord.content)
            raise TransportFout(f"{url} antwoordde HTTP {antwoord.status_code} {code or ''} {tekst}".strip())
        return antwoord

    def _wachtend(self, wacht_s: float) -> tuple[httpx.Timeout, dict[str, int]]:
        """The read timeout and parameter of a held pull (the client's other timeouts stay)."""
        ms = min(round(wacht_s * 1000), MAX_WACHT_MS)
        t = self.client.timeout
        return (httpx.Timeout(connect=t.connect, read=ms / 1000 + WACHT_MARGE_S, write=t.write, pool=t.pool),
                {WACHT_PARAMETER: ms})

    def ophalen(self, limit: int, wacht_s: float = 0.0) -> list[Ontvangen]:
        """The oldest waiting messages; with `wacht_s` the hub may hold the request until one arrives (only our
        hub does: give it only when the route asks for it)."""
        timeout, wacht = self._wachtend(wacht_s) if wacht_s > 0 else (None, {})
        lijst = self._get(f"{self.basis}/berichten", timeout, limit=min(limit, 250), **wacht).json()
        if isinstance(lijst, dict):  # some servers wrap the list
            lijst = lijst.get("berichten") or lijst.get("items") or []
        gevonden: list[Ontvangen] = []
        for item in lijst:
            traceer_id = str(item["traceerId"])
            # payloadUrl may be absolute or relative to the server; without one, the documented path.
            url = str(httpx.URL(f"{self.basis}/").join(item.get("payloadUrl") or f"berichten/{traceer_id}/payload"))
            try:
                payload = self._get(url).content
            except TransportFout as exc:  # the others can still come in; this one is offered again next time
                log.warning("payload van %s niet op te halen: %s", traceer_id, exc)
                continue
            geadresseerden = item.get("geadresseerden") or []
            gevonden.append(Ontvangen(
                id=traceer_id, envelop_id=traceer_id, payload=payload,
                zender=(item.get("afzender") or {}).get("code"),
                ontvanger=geadresseerden[0].get("code") if geadresseerden else None,
                functie=item.get("berichttype"), sha256=item.get("sha256"),
                conversatie_id=item.get("conversatieId"), antwoord_op=item.get("alsAntwoordOp"),
            ))
        return gevonden

    def bevestig(self, id: str) -> None:
        url = f"{self.basis}/berichten/{id}"
        try:
            antwoord = self.client.delete(url)
        except httpx.TransportError as exc:
            raise TransportFout(f"{type(exc).__name__} bij DELETE {url}: {exc}") from exc
        if antwoord.status_code not in (200, 202, 204, 404):  # 404: already confirmed by an earlier attempt
            raise TransportFout(f"DELETE {url} antwoordde HTTP {antwoord.status_code}")

    def close(self) -> None:
        self.client.close()


def maak(verbinding: Verbinding) -> VecozoTransport:
    return VecozoTransport(verbinding)
