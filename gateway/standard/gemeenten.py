"""The CBS gemeentelijke indeling (1 January 2026) as data: which 4-digit gemeentecodes exist.

Routing and the hub check addressees against it (an unknown gemeentecode is never routed). A new year's
indeling is a new CSV beside this one; the file name carries the peildatum.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

BESTAND = Path(__file__).resolve().parent / "cbs_gemeentecodes_2026.csv"


@lru_cache(maxsize=1)
def gemeenten() -> dict[str, str]:
    """gemeentecode -> gemeentenaam."""
    with BESTAND.open(encoding="utf-8", newline="") as fh:
        return {row["gemeentecode"]: row["gemeentenaam"] for row in csv.DictReader(fh)}


def bestaat(gemeentecode: str) -> bool:
    return gemeentecode in gemeenten()
