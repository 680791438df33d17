"""The contractual tarieven per gemeente and aanbieder: the external source of TR346 and TR418.

An administrator loads them from a TOML or CSV file (setting `IWMO_TARIEVEN_FILE`; see
config/tarieven.example.toml for the fields). Without a file the table is empty and the contract checks are
skipped; with one, they apply only to the gemeente–aanbieder pairs the file names, because a pair that is
absent is a contract the administrator did not load, not a contract without products.

Amounts are in eurocent, as ProductTarief and IngediendBedrag are. A tarief may be limited to a period
(`vanaf`, `tot`, both inclusive); the ProductPeriode's Begindatum decides which one applies.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.settings import get_settings

VELDEN = ("gemeente", "aanbieder", "categorie", "code", "eenheid", "tarief", "vanaf", "tot")
_VERPLICHT = ("gemeente", "aanbieder", "categorie", "code", "eenheid", "tarief")


class TarievenFout(ValueError):
    """The tarieven file cannot be used; the message names the file, the entry and what to correct."""


@dataclass(frozen=True)
class Tarief:
    gemeente: str
    aanbieder: str
    categorie: str
    code: str
    eenheid: str  # WJ756, e.g. 04 (uur) or 01 (minuut)
    tarief: int  # eurocent per eenheid
    vanaf: dt.date | None = None
    tot: dt.date | None = None

    def geldt_op(self, datum: dt.date | None) -> bool:
        if datum is None:
            return self.vanaf is None and self.tot is None
        return (self.vanaf is None or self.vanaf <= datum) and (self.tot is None or datum <= self.tot)


class Tarieven:
    """Tarieven indexed by (gemeente, aanbieder, categorie, code): one dict look-up per prestatie."""

    def __init__(self, tarieven: Iterable[Tarief] = ()):
        self._per_product: dict[tuple[str, str, str, str], list[Tarief]] = defaultdict(list)
        self._paren: set[tuple[str, str]] = set()
        for t in tarieven:
            self._per_product[(t.gemeente, t.aanbieder, t.categorie, t.code)].append(t)
            self._paren.add((t.gemeente, t.aanbieder))

    def __bool__(self) -> bool:
        return bool(self._paren)

    def heeft_contract(self, gemeente: str | None, aanbieder: str | None) -> bool:
        """Whether the administrator loaded tarieven for this pair (otherwise the contract checks skip it)."""
        return (gemeente or "", aanbieder or "") in self._paren

    def voor(self, gemeente: str | None, aanbieder: str | None, categorie: str | None, code: str | None,
             datum: dt.date | None) -> Tarief | None:
        """The tarief that applies to a product on a date, or None when the contract has none."""
        kandidaten = self._per_product.get((gemeente or "", aanbieder or "", categorie or "", code or ""), ())
        return next((t for t in kandidaten if t.geldt_op(datum)), None)


def _datum(waarde: Any, bron: str, veld: str) -> dt.date | None:
    if waarde in (None, ""):
        return None
    if isinstance(waarde, dt.date):
        return waarde
    try:
        return dt.date.fromisoformat(str(waarde))
    except ValueError:
        raise TarievenFout(f"{bron}: {veld} {waarde!r} is geen datum; schrijf JJJJ-MM-DD") from None


def _tarief(regel: Mapping[str, Any], bron: str) -> Tarief:
    onbekend = sorted(set(regel) - set(VELDEN))
    if onbekend:
        raise TarievenFout(f"{bron}: onbekend veld {', '.join(onbekend)}; toegestaan zijn {', '.join(VELDEN)}")
    ontbreekt = [v for v in _VERPLICHT if regel.get(v) in (None, "")]
    if ontbreekt:
        raise TarievenFout(f"{bron}: vul {', '.join(ontbreekt)} in")
    try:
        bedrag = int(str(regel["tarief"]))
    except ValueError:
        raise TarievenFout(f"{bron}: tarief {regel['tarief']!r} moet een geheel aantal eurocent zijn") from None
    vanaf, tot = _datum(regel.get("vanaf"), bron, "vanaf"), _datum(regel.get("tot"), bron, "tot")
    if vanaf and tot and tot < vanaf:
        raise TarievenFout(f"{bron}: tot ({tot}) ligt voor vanaf ({vanaf})")
    gemeente, aanbieder, categorie, code, eenheid = (str(regel[v]).strip() for v in _VERPLICHT[:5])
    return Tarief(gemeente, aanbieder, categorie, code, eenheid, bedrag, vanaf, tot)


def laad(pad: str | Path) -> Tarieven:
    """Read a tarieven file: TOML with [[tarief]] tables, or CSV with a header row of the same field names."""
    pad = Path(pad)
    try:
        if pad.suffix.lower() == ".toml":
            regels = tomllib.loads(pad.read_text(encoding="utf-8")).get("tarief", [])
            if not isinstance(regels, list):
                raise TarievenFout(f"{pad}: schrijf elk tarief als [[tarief]]-tabel")
            bronnen = [f"{pad}, tarief {i}" for i in range(1, len(regels) + 1)]
        elif pad.suffix.lower() == ".csv":
            with pad.open(encoding="utf-8", newline="") as f:
                regels = [{k: v for k, v in r.items() if v not in (None, "")} for r in csv.DictReader(f)]
            bronnen = [f"{pad}, regel {i}" for i in range(2, len(regels) + 2)]
        else:
            raise TarievenFout(f"{pad}: gebruik een .toml- of .csv-bestand")
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise TarievenFout(f"{pad}: kan het tarievenbestand niet lezen ({e})") from None
    return Tarieven(_tarief(r, b) for r, b in zip(regels, bronnen, strict=True))


_GELADEN: dict[tuple[str, int], Tarieven] = {}


def tarieven_uit_instellingen() -> Tarieven:
    """The table named by `IWMO_TARIEVEN_FILE`, re-read when the file changes; empty when none is set."""
    pad = get_settings().tarieven_file
    if not pad:
        return Tarieven()
    try:
        versie = (pad, Path(pad).stat().st_mtime_ns)
    except OSError as e:
        raise TarievenFout(f"IWMO_TARIEVEN_FILE={pad}: bestand niet gevonden ({e.strerror})") from None
    if versie not in _GELADEN:
        _GELADEN.clear()
        _GELADEN[versie] = laad(pad)
    return _GELADEN[versie]
