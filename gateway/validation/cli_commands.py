"""`iwmo-gateway profielen`: the installed profiles (standard + release), as a table or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from gateway.validation.profieloverzicht import ProfielOverzicht, overzicht


def _tabel(koppen: Sequence[str], rijen: Sequence[Sequence[str]], inspringing: str = "") -> list[str]:
    breedtes = [max(len(str(r[i])) for r in [koppen, *rijen]) for i in range(len(koppen))]
    return [inspringing + "  ".join(str(w).ljust(b) for w, b in zip(r, breedtes, strict=True)).rstrip()
            for r in [koppen, *rijen]]


def tekst(profielen: Sequence[ProfielOverzicht]) -> str:
    """One row per profile, then per profile its message types."""
    regels = _tabel(
        ("profiel", "standaard", "release", "versies", "BerichtVersie", "XSD", "regels", "berichtoverstijgend",
         "namespace"),
        [(p.sleutel, p.standaard, p.release, ", ".join(p.versies), f"{p.bericht_versie}.{p.bericht_subversie}",
          p.xsd_versie or "onbekend", str(p.regels), str(p.kruisregels), p.namespace_root) for p in profielen])
    for p in profielen:
        regels += ["", f"{p.sleutel}: {len(p.berichten)} berichten, schema's in {p.schema_map}"]
        regels += _tabel(("bericht", "BerichtCode", "omschrijving"),
                         [(b.naam, b.berichtcode, b.omschrijving) for b in p.berichten], inspringing="  ")
    regels += ["", "versies: wat X-Version-Override op POST /validatie mag noemen; regels: de regels binnen een "
                   "bericht (CD/CS/TR) die het profiel inschakelt; berichtoverstijgend: de regels tegen eerdere "
                   "berichten."]
    return "\n".join(regels)


def cmd_profielen(args: argparse.Namespace) -> int:
    profielen = overzicht()
    if args.json:
        json.dump([p.to_json() for p in profielen], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(tekst(profielen))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("profielen", help="toon de geïnstalleerde profielen (standaard en release)")
    p.add_argument("--json", action="store_true", help="uitvoer als JSON-array, een object per profiel")
    p.set_defaults(func=cmd_profielen)
