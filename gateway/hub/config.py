"""The hub's configuration: which parties are connected, how they authenticate, what they may send and receive.

A TOML file (see config/hub.example.toml), checked completely at start-up so that a wrong file stops the hub
with every fault named instead of misrouting messages later.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.standard import catalogue, gemeenten, profielen

GEMEENTE = "gemeente"
AANBIEDER = "aanbieder"


class HubConfigFout(ValueError):
    """The configuration cannot be used; the message lists every fault found."""


@dataclass(frozen=True)
class Partij:
    code: str  # gemeentecode (4 digits) or AGB code (8 digits)
    soort: str  # GEMEENTE | AANBIEDER
    token_sha256: str  # the bearer token, hashed: the config object never holds it in clear after loading
    verzenden: frozenset[str]  # message types this party may send
    ontvangen: frozenset[str]  # message types this party may receive
    endpoint: str | None = None  # a gemeente's GGk inbound URL; None = the party pulls from the hub
    aflever_token: str | None = field(default=None, repr=False)  # what the hub presents at that endpoint
    rol: str = ""  # the VECOZO rol (Instelling, Zorgverlener, Praktijk; Gemeente for gemeenten)

    @property
    def pull(self) -> bool:
        return self.endpoint is None


@dataclass(frozen=True)
class Bezorgbeleid:
    """How the hub retries deliveries to a gemeente endpoint (Digikoppeling-style: about five days)."""

    interval_s: float = 1.0
    basis_s: float = 2.0
    max_s: float = 300.0
    horizon_s: float = 5 * 24 * 3600.0
    timeout_s: float = 30.0


@dataclass(frozen=True)
class HubConfig:
    partijen: dict[str, Partij]
    beleid: Bezorgbeleid = Bezorgbeleid()

    def partij_voor_token(self, token: str) -> Partij | None:
        digest = hash_token(token)
        # Every candidate is compared so the time taken does not depend on which party matched.
        gevonden = None
        for p in self.partijen.values():
            if hmac.compare_digest(p.token_sha256, digest):
                gevonden = p
        return gevonden


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _standaard(soort: str, richting: str) -> frozenset[str]:
    """All message types a gemeente or aanbieder sends (or receives) according to the catalogue."""
    van_gemeente = {b.naam for b in catalogue.alle() if b.verzonden_door_gemeente}
    van_aanbieder = {b.naam for b in catalogue.alle() if not b.verzonden_door_gemeente}
    stuurt = van_gemeente if soort == GEMEENTE else van_aanbieder
    krijgt = van_aanbieder if soort == GEMEENTE else van_gemeente
    return frozenset(stuurt if richting == "verzenden" else krijgt)


def _token(tabel: dict[str, Any], plek: str, fouten: list[str], sleutel: str = "token") -> str | None:
    if isinstance(tabel.get(sleutel), str) and tabel[sleutel]:
        return str(tabel[sleutel])
    naam = tabel.get(f"{sleutel}_env")
    if isinstance(naam, str) and naam:
        waarde = os.environ.get(naam)
        if not waarde:
            fouten.append(f"{plek}: omgevingsvariabele {naam} ({sleutel}_env) is leeg of ontbreekt")
        return waarde or None
    return None


def _typen(tabel: dict[str, Any], sleutel: str, soort: str, plek: str, fouten: list[str]) -> frozenset[str]:
    waarde = tabel.get(sleutel)
    if waarde is None:
        return _standaard(soort, sleutel)
    if not isinstance(waarde, list) or not all(isinstance(v, str) for v in waarde):
        fouten.append(f"{plek}.{sleutel}: verwacht een lijst berichtnamen zoals [\"WMO301\"]")
        return frozenset()
    toegestaan = _standaard(soort, sleutel)
    for naam in waarde:
        if naam not in catalogue.BERICHTEN:
            fouten.append(f"{plek}.{sleutel}: {naam!r} is geen bericht van {profielen.beschrijving()}")
        elif naam not in toegestaan:
            fouten.append(f"{plek}.{sleutel}: een {soort} kan {naam} niet {'versturen' if sleutel == 'verzenden' else 'ontvangen'}")
    return frozenset(waarde)


def _partijen(items: Iterable[Any], soort: str, fouten: list[str]) -> list[Partij]:
    sectie = "gemeente" if soort == GEMEENTE else "aanbieder"
    patroon = re.compile(r"[0-9]{4}" if soort == GEMEENTE else r"[0-9]{8}")
    uit: list[Partij] = []
    for i, tabel in enumerate(items, start=1):
        plek = f"[[{sectie}]] nr. {i}"
        if not isinstance(tabel, dict):
            fouten.append(f"{plek}: verwacht een tabel")
            continue
        code = str(tabel.get("code", ""))
        if not patroon.fullmatch(code):
            fouten.append(f"{plek}: code {code!r} is geen {'gemeentecode (4 cijfers)' if soort == GEMEENTE else 'AGB-code (8 cijfers)'}")
            continue
        plek = f"[[{sectie}]] {code}"
        if soort == GEMEENTE and not gemeenten.bestaat(code):
            fouten.append(f"{plek}: gemeentecode {code} staat niet in de CBS-lijst")
        token = _token(tabel, plek, fouten)
        if token is None:
            fouten.append(f"{plek}: token of token_env ontbreekt")
            continue
        endpoint = tabel.get("endpoint")
        if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))):
            fouten.append(f"{plek}: endpoint {endpoint!r} is geen http(s)-URL")
            endpoint = None
        if soort == AANBIEDER and endpoint is not None:
            fouten.append(f"{plek}: een aanbieder haalt berichten op (VECOZO-stijl); laat endpoint weg")
            endpoint = None
        rol = str(tabel.get("rol") or ("Gemeente" if soort == GEMEENTE else "Instelling"))
        aflever_token = _token(tabel, plek, fouten, "aflever_token")
        if endpoint is not None and aflever_token is None and "aflever_token_env" not in tabel:
            # A gateway's POST /ggk is closed to callers without credentials: every delivery would be refused.
            fouten.append(f"{plek}: endpoint zonder aflever_token; de gateway daar neemt alleen geauthenticeerde "
                          "afleveringen aan: geef aflever_token of aflever_token_env (de IWMO_GGK_INBOUND_TOKEN "
                          "van die gateway)")
        uit.append(Partij(
            code=code, soort=soort, token_sha256=hash_token(token),
            verzenden=_typen(tabel, "verzenden", soort, plek, fouten),
            ontvangen=_typen(tabel, "ontvangen", soort, plek, fouten),
            endpoint=endpoint, aflever_token=aflever_token, rol=rol,
        ))
    return uit


def _beleid(tabel: Any, fouten: list[str]) -> Bezorgbeleid:
    if tabel is None:
        return Bezorgbeleid()
    if not isinstance(tabel, dict):
        fouten.append("[bezorging]: verwacht een tabel")
        return Bezorgbeleid()
    namen = {"interval_s", "basis_s", "max_s", "horizon_s", "timeout_s"}
    waarden: dict[str, float] = {}
    for sleutel, waarde in tabel.items():
        if sleutel not in namen:
            fouten.append(f"[bezorging].{sleutel}: onbekende instelling (bekend: {', '.join(sorted(namen))})")
        elif not isinstance(waarde, int | float) or isinstance(waarde, bool) or waarde <= 0:
            fouten.append(f"[bezorging].{sleutel}: verwacht een positief getal seconden")
        else:
            waarden[sleutel] = float(waarde)
    return Bezorgbeleid(**waarden)


def uit_dict(data: dict[str, Any]) -> HubConfig:
    fouten: list[str] = []
    onbekend = set(data) - {"gemeente", "aanbieder", "bezorging"}
    if onbekend:
        fouten.append(f"onbekende secties: {', '.join(sorted(onbekend))} (bekend: gemeente, aanbieder, bezorging)")
    alle = _partijen(data.get("gemeente", []), GEMEENTE, fouten) + _partijen(data.get("aanbieder", []), AANBIEDER, fouten)
    partijen: dict[str, Partij] = {}
    tokens: dict[str, str] = {}
    for p in alle:
        if p.code in partijen:
            fouten.append(f"{p.code}: staat twee keer in de configuratie")
        if p.token_sha256 in tokens:
            fouten.append(f"{p.code}: heeft hetzelfde token als {tokens[p.token_sha256]}; elk token hoort bij één partij")
        partijen[p.code] = p
        tokens[p.token_sha256] = p.code
    config = HubConfig(partijen=partijen, beleid=_beleid(data.get("bezorging"), fouten))
    if fouten:
        raise HubConfigFout("hubconfiguratie ongeldig:\n  - " + "\n  - ".join(fouten))
    return config


def laad(pad: str | Path) -> HubConfig:
    pad = Path(pad)
    try:
        data = tomllib.loads(pad.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HubConfigFout(f"{pad}: niet te lezen ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise HubConfigFout(f"{pad}: geen geldige TOML: {exc}") from None
    try:
        return uit_dict(data)
    except HubConfigFout as exc:
        raise HubConfigFout(f"{pad}: {exc}") from None
