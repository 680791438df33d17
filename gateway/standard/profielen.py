"""The standards this gateway speaks: one profile per standard and release.

A profile is data: the namespaces, the BerichtCodes, the version a message's header names, the folder of our
own XSDs and which rules the standard declares. The catalogue builds its message types from the profiles, the
validator picks a message's profile by its root namespace, and a next release (3.2 patch level, 3.3) is a new
profile beside the old one. This module is the one place that knows which standards are installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.standard.ijw_regels import IJW_KRUISREGELS, IJW_REGELS

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

# The message numbers of the iStandaarden 3.2 cycle, the same in iWmo and iJw (WMO301/JW301, ...).
NUMMERS = ("301", "302", "305", "306", "307", "308", "315", "316", "317", "318", "319", "320", "323", "325")


@dataclass(frozen=True, slots=True)
class Profiel:
    sleutel: str  # "iwmo-3.2": how users, the partner table and the API name a profile
    standaard: str  # "iWmo"
    wet: str  # the law the standard serves, for texts
    release: str  # "3.2"
    voorvoegsel: str  # message names: "WMO" + nummer
    namespace_naam: str  # the path segment of the namespaces: "iwmo" in http://www.istandaarden.nl/iwmo/3_2/...
    basis_prefix: str  # the prefix our messages bind the basisschema namespace to
    bericht_versie: str  # BerichtVersie in every header
    bericht_subversie: str  # BerichtSubversie
    xsd_versie: str  # XsdVersie(Retour) of the messages we build: the XSD version our schemas implement
    berichtcodes: tuple[tuple[str, str], ...]  # (nummer, COD002 BerichtCode)
    # Facts for the cross-message rules are kept per standard, not per release: a JW305 matches a JW301 and
    # never a WMO301, while a toewijzing made under iWmo 3.2 stays known under a next iWmo release. The
    # default standard's facts carry no prefix (they were filed before there were profiles).
    feitenruimte: str = ""
    # The in-message rules (CD/CS/TR codes) the standard declares for its messages; None: every rule the
    # registry holds for the message number (the registry was written from this standard's texts).
    regels: frozenset[str] | None = None
    # The cross-message rules likewise.
    kruisregels: frozenset[str] | None = None

    @property
    def namespace_root(self) -> str:
        return f"http://www.istandaarden.nl/{self.namespace_naam}/{self.release.replace('.', '_')}"

    @property
    def basisschema_namespace(self) -> str:
        return f"{self.namespace_root}/basisschema/schema"

    @property
    def schema_dir(self) -> Path:
        return SCHEMAS / self.namespace_naam / self.release

    @property
    def versie(self) -> str:
        """BerichtVersie.BerichtSubversie, e.g. "3.2"; what a header names and X-Version-Override pins."""
        return f"{self.bericht_versie}.{self.bericht_subversie}"

    @property
    def naam(self) -> str:
        return f"{self.standaard} {self.release}"

    def __repr__(self) -> str:
        return f"Profiel({self.sleutel})"

    def schakelt_in(self, code: str, *, kruis: bool = False) -> bool:
        codes = self.kruisregels if kruis else self.regels
        return codes is None or code in codes

    def past(self, code: str, standaarden: frozenset[str] | None, *, kruis: bool = False) -> bool:
        """Whether a rule declared for `standaarden` (None: every standard) runs under this profile."""
        return self.schakelt_in(code, kruis=kruis) and (standaarden is None or self.standaard in standaarden)


IWMO_32 = Profiel(
    sleutel="iwmo-3.2", standaard="iWmo", wet="Wmo 2015", release="3.2", voorvoegsel="WMO",
    namespace_naam="iwmo", basis_prefix="iwmo", bericht_versie="3", bericht_subversie="2", xsd_versie="1.0.0",
    berichtcodes=(("301", "414"), ("302", "415"), ("305", "418"), ("306", "419"), ("307", "420"), ("308", "421"),
                  ("315", "444"), ("316", "445"), ("317", "480"), ("318", "481"), ("319", "482"), ("320", "483"),
                  ("323", "484"), ("325", "485")),
)

IJW_32 = Profiel(
    sleutel="ijw-3.2", standaard="iJw", wet="Jeugdwet", release="3.2", voorvoegsel="JW",
    namespace_naam="ijw", basis_prefix="ijw", bericht_versie="3", bericht_subversie="2", xsd_versie="1.0.0",
    berichtcodes=(("301", "436"), ("302", "437"), ("305", "438"), ("306", "439"), ("307", "440"), ("308", "441"),
                  ("315", "446"), ("316", "447"), ("317", "486"), ("318", "487"), ("319", "488"), ("320", "489"),
                  ("323", "490"), ("325", "491")),
    feitenruimte="ijw:", regels=IJW_REGELS, kruisregels=IJW_KRUISREGELS,
)

# Installed profiles, the default first (messages named by number alone, "301", are iWmo's).
PROFIELEN: tuple[Profiel, ...] = (IWMO_32, IJW_32)
_BY_SLEUTEL = {p.sleutel: p for p in PROFIELEN}


def get(sleutel: str) -> Profiel:
    try:
        return _BY_SLEUTEL[sleutel.lower()]
    except KeyError:
        raise KeyError(f"onbekend profiel {sleutel!r}; geïnstalleerd: {', '.join(_BY_SLEUTEL)}") from None


def voor_namespace(namespace: str | None) -> Profiel | None:
    """The installed profile whose namespaces this one belongs to (a message's or the basisschema's)."""
    for p in PROFIELEN:
        if (namespace or "").startswith(p.namespace_root + "/"):
            return p
    return None


def standaard_van(namespace: str | None) -> tuple[str, str] | None:
    """(namespace_naam, release) of any iStandaarden namespace, installed or not: "ijw", "3_3".

    Lets the validator say "iJw 3.3 is not installed" instead of "not a message".
    """
    prefix = "http://www.istandaarden.nl/"
    if not (namespace or "").startswith(prefix):
        return None
    delen = (namespace or "")[len(prefix):].split("/")
    return (delen[0], delen[1]) if len(delen) >= 2 else None


def beschrijving() -> str:
    """"iWmo 3.2, iJw 3.2": for texts that name what the gateway speaks."""
    return ", ".join(p.naam for p in PROFIELEN)
