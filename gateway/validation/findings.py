"""The one shape every check reports in: CLI, API, store and retourbericht all read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Codes for problems found before any rule can run.
XML = "XML"  # not well-formed, not UTF-8, empty, DTD/entities
TE_GROOT = "TE_GROOT"  # over the configured size limit
ONBEKEND_BERICHT = "ONBEKEND_BERICHT"  # root namespace is not an iWmo 3.2 message
XSD = "XSD"

# Codes that mean "no retourbericht": the message is refused in transit (IV028).
TRANSPORT_CODES = frozenset({XML, TE_GROOT, ONBEKEND_BERICHT, XSD})


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
