"""The installed profiles as users see them: `iwmo-gateway profielen`, `GET /api/v1/profielen` and the DVS drop-in.

Per profile: its key, standard and release, the versions a caller may name for it, the header's BerichtVersie and
BerichtSubversie, the namespace root, its message types with their BerichtCode, how many in-message and
cross-message rules it enables, and the XSD version of the schema folder the validator really reads (our own
set, or the one IWMO_SCHEMA_DIR names). Everything is read from the profiles, the catalogue and the rule
registries; nothing here is written down a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from lxml import etree

from gateway.standard import catalogue, profielen
from gateway.standard.profielen import Profiel
from gateway.validation.cross.registry import all_cross_rules
from gateway.validation.rules.registry import all_rules
from gateway.validation.schemas import schema_dir

_XS = "http://www.w3.org/2001/XMLSchema"


def versies(profiel: Profiel) -> tuple[str, ...]:
    """The spellings of this profile's version a caller may name (the DVS's X-Version-Override): BerichtVersie.
    BerichtSubversie ("3.2"), and the patch-level spelling the DVS takes ("3.0.3"). The specification texts name
    the release we implement "iWmo 3.2.0" / "iJw 3.2.0" (Standaardversie, Versie volledig): patch level 0."""
    return profiel.versie, f"{profiel.versie}.0"


@dataclass(frozen=True, slots=True)
class BerichtInProfiel:
    naam: str  # "WMO301"
    berichtcode: str  # COD002, "414"
    omschrijving: str


@dataclass(frozen=True, slots=True)
class ProfielOverzicht:
    sleutel: str
    standaard: str
    release: str
    versies: tuple[str, ...]
    bericht_versie: str
    bericht_subversie: str
    namespace_root: str
    xsd_versie: str | None  # BasisschemaXsdVersie of the schema folder; None when it names none
    schema_map: str
    berichten: tuple[BerichtInProfiel, ...]
    regels: int  # in-message rule codes (CD/CS/TR) enabled for at least one of its messages
    kruisregels: int  # cross-message rule codes likewise

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def xsd_versie(map_: Path) -> str | None:
    """BasisschemaXsdVersie in the appinfo of the folder's basisschema.xsd (ours and the official ones carry it);
    None when the file or the value is absent. Parsed without DTD, entities or network: the folder may be one an
    operator pointed IWMO_SCHEMA_DIR at."""
    pad = map_ / "basisschema.xsd"
    if not pad.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(pad), parser).getroot()
    except (OSError, etree.XMLSyntaxError):
        return None
    for appinfo in root.iterfind(f"{{{_XS}}}annotation/{{{_XS}}}appinfo"):
        for el in appinfo:
            if isinstance(el.tag, str) and etree.QName(el).localname == "BasisschemaXsdVersie" and el.text:
                return el.text.strip()
    return None


class _Regel(Protocol):  # an in-message rule (rules/registry.py) or a cross-message one (cross/registry.py)
    @property
    def code(self) -> str: ...

    def geldt_voor(self, bericht: catalogue.Berichttype) -> bool: ...


def _aantal_codes(regels: Iterable[_Regel], berichten: Sequence[catalogue.Berichttype]) -> int:
    """Distinct codes: a rule checked at several anchors, or declared once per standard, counts once."""
    return len({r.code for r in regels if any(r.geldt_voor(b) for b in berichten)})


def overzicht(geinstalleerd: Sequence[Profiel] = profielen.PROFIELEN) -> list[ProfielOverzicht]:
    """Every installed profile, the default first."""
    regels, kruisregels = all_rules(), all_cross_rules()
    uit: list[ProfielOverzicht] = []
    for p in geinstalleerd:
        berichten = catalogue.alle(p)
        map_ = schema_dir(p)
        uit.append(ProfielOverzicht(
            sleutel=p.sleutel, standaard=p.standaard, release=p.release, versies=versies(p),
            bericht_versie=p.bericht_versie, bericht_subversie=p.bericht_subversie, namespace_root=p.namespace_root,
            xsd_versie=xsd_versie(map_), schema_map=str(map_),
            berichten=tuple(BerichtInProfiel(b.naam, b.berichtcode, b.omschrijving) for b in berichten),
            regels=_aantal_codes(regels, berichten), kruisregels=_aantal_codes(kruisregels, berichten),
        ))
    return uit
