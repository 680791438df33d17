"""The one shape every check reports in: CLI, API, store and retourbericht all read it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

# Codes for problems found before any rule can run.
XML = "XML"  # not well-formed, not UTF-8, empty, DTD/entities
TE_GROOT = "TE_GROOT"  # over the configured size limit
ONBEKEND_BERICHT = "ONBEKEND_BERICHT"  # root namespace is not a message of any iStandaard
PROFIEL = "PROFIEL"  # a message of a standard or release (BerichtVersie/-Subversie) that is not installed
XSD = "XSD"
# The last finding of a capped list: "en nog M bevindingen" (see `begrens`). Not a transport code: it says
# nothing about the message beyond the findings before it.
BEPERKT = "BEPERKT"

# At most this many findings per message are stored and returned (plus the BEPERKT one); a message with
# 100 000 faults costs no more than one with 100, and the first hundred say enough to start repairing.
MAX_BEVINDINGEN = 100

# Codes that mean "no retourbericht": the message is refused in transit (IV028).
TRANSPORT_CODES = frozenset({XML, TE_GROOT, ONBEKEND_BERICHT, PROFIEL, XSD})


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    melding: str
    locatie: tuple[str, ...] = ()
    retourcode: str | None = None
    regel: int | None = None  # line number in the message, where known
    # Element paths (same format as locatie) at which the retourcode is reported in a retourbericht.
    # Defaults to locatie; a rule may point its retourcode at an enclosing berichtklasse.
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, object]:
        """The CLI/API contract: code, retourcode, locatie, melding."""
        return {
            "code": self.code,
            "retourcode": self.retourcode,
            "locatie": list(self.locatie),
            "melding": self.melding,
        }

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def begrens(findings: Sequence[Finding], maximum: int = MAX_BEVINDINGEN, *, overgeslagen: int = 0) -> list[Finding]:
    """The first `maximum` findings, then one BEPERKT finding that counts the rest; shorter lists unchanged.

    `overgeslagen`: findings the caller already left out (never built). Idempotent: a BEPERKT finding in the
    list counts as the findings it stands for, so capping a capped list (or one with more findings appended)
    keeps the true total.
    """
    echte = [f for f in findings if f.code != BEPERKT]
    verborgen = overgeslagen + sum(int(f.extra.get("aantal", "1")) for f in findings if f.code == BEPERKT)
    if len(echte) <= maximum and not verborgen:
        return list(findings)
    rest = len(echte[maximum:]) + verborgen
    return [*echte[:maximum], _beperkt(rest, maximum)]


def _beperkt(rest: int, maximum: int) -> Finding:
    return Finding(
        code=BEPERKT,
        melding=(
            f"En nog {rest:,} bevinding(en)".replace(",", ".")
            + f"; per bericht worden er ten hoogste {maximum} bewaard en getoond. Herstel de bovenstaande en "
            "valideer het bericht opnieuw om de volgende te zien."
        ),
        extra={"aantal": str(rest)},
    )


# A run of nine or more digits may be a BSN (or one with a typo, "2074160350"); parser and XSD messages
# never need one, so it is masked wherever such a message could quote content.
_CIJFERREEKS = re.compile(r"\d{9,}")


def maskeer_cijferreeksen(tekst: str) -> str:
    """Every run of nine or more digits replaced by as many `*`."""
    return _CIJFERREEKS.sub(lambda m: "*" * len(m.group()), tekst)
