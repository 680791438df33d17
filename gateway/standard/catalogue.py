"""The message catalogue: the one place that knows each message's facts, for every installed profile.

Every other module asks this one for BerichtCodes, namespaces, schema files, directions and which
retourbericht answers which heenbericht; nothing else spells those values. The cycle (which number answers
which, who sends it) is the same in every standard of the 3.2 family; a profile (`profielen.py`) adds the
names, namespaces and codes, so WMO301 and JW301 are two message types of one kind ("301").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gateway.standard import profielen
from gateway.standard.profielen import Profiel


class Richting(enum.StrEnum):
    """Who sends a message to whom."""

    GEMEENTE_NAAR_AANBIEDER = "gemeente->aanbieder"
    AANBIEDER_NAAR_GEMEENTE = "aanbieder->gemeente"


class Soort(enum.StrEnum):
    HEEN = "heenbericht"
    RETOUR = "retourbericht"


@dataclass(frozen=True, slots=True)
class Berichttype:
    naam: str  # "WMO301"
    berichtcode: str  # COD002, e.g. "414"
    omschrijving: str  # short Dutch name
    richting: Richting
    soort: Soort
    profiel: Profiel
    # The message that answers this one: the retourbericht for a heenbericht, WMO325 for WMO323.
    beantwoord_door: str | None = None
    # For a retourbericht: the heenbericht it answers.
    antwoord_op: str | None = None

    @property
    def nummer(self) -> str:
        """The message's place in the cycle, the same in every profile: "301" for WMO301 and JW301."""
        return self.naam[len(self.profiel.voorvoegsel):]

    @property
    def prefix(self) -> str:
        return f"{self.profiel.voorvoegsel.lower()}{self.nummer}"

    @property
    def namespace(self) -> str:
        return f"{self.profiel.namespace_root}/{self.prefix}/schema"

    @property
    def basisschema_namespace(self) -> str:
        return self.profiel.basisschema_namespace

    @property
    def schema_file(self) -> str:
        return f"{self.prefix}.xsd"

    def is_soort(self, nummer: str) -> bool:
        """Whether this is message `nummer` ("323") of its profile: what code written for a kind asks."""
        return self.nummer == nummer

    @property
    def is_heenbericht(self) -> bool:
        return self.soort is Soort.HEEN

    @property
    def afzender_is_gemeente(self) -> bool:
        """Whether the payload's Afzender is a gemeentecode.

        A retourbericht keeps the heenbericht's header (IV028), so its Afzender is the party it is
        sent *to*; WMO325 is a new message and names its own sender.
        """
        heen = BERICHTEN[self.antwoord_op] if self.soort is Soort.RETOUR and self.antwoord_op else self
        return heen.richting is Richting.GEMEENTE_NAAR_AANBIEDER

    @property
    def verzonden_door_gemeente(self) -> bool:
        return self.richting is Richting.GEMEENTE_NAAR_AANBIEDER

    def verzender_en_adressaat(self, afzender: str, ontvanger: str) -> tuple[str, str]:
        """Who actually sends this message and to whom, given its header's Afzender and Ontvanger.

        A retourbericht keeps the heenbericht's Afzender/Ontvanger (IV028), so it travels from the header's
        Ontvanger to its Afzender; every other message travels from Afzender to Ontvanger.
        """
        if self.soort is Soort.RETOUR:
            return ontvanger, afzender
        return afzender, ontvanger


_G2A = Richting.GEMEENTE_NAAR_AANBIEDER
_A2G = Richting.AANBIEDER_NAAR_GEMEENTE

# The cycle of the 3.2 family: number, short name, direction, kind, answered by, answers.
_CYCLUS: tuple[tuple[str, str, Richting, Soort, str | None, str | None], ...] = (
    ("301", "Toewijzing", _G2A, Soort.HEEN, "302", None),
    ("302", "Retour toewijzing", _A2G, Soort.RETOUR, None, "301"),
    ("305", "Start levering", _A2G, Soort.HEEN, "306", None),
    ("306", "Retour start levering", _G2A, Soort.RETOUR, None, "305"),
    ("307", "Stop levering", _A2G, Soort.HEEN, "308", None),
    ("308", "Retour stop levering", _G2A, Soort.RETOUR, None, "307"),
    ("315", "Verzoek om toewijzing", _A2G, Soort.HEEN, "316", None),
    ("316", "Retour verzoek om toewijzing", _G2A, Soort.RETOUR, None, "315"),
    ("317", "Verzoek om wijziging", _A2G, Soort.HEEN, "318", None),
    ("318", "Retour verzoek om wijziging", _G2A, Soort.RETOUR, None, "317"),
    ("319", "Antwoordbericht", _G2A, Soort.HEEN, "320", None),
    ("320", "Retour antwoordbericht", _A2G, Soort.RETOUR, None, "319"),
    ("323", "Declaratie", _A2G, Soort.HEEN, "325", None),
    # 325 answers the declaratie but is not a retourbericht: it is a new message with its own header.
    ("325", "Declaratie-antwoord", _G2A, Soort.HEEN, None, None),
)


def _berichttypen(p: Profiel) -> tuple[Berichttype, ...]:
    codes = dict(p.berichtcodes)
    v = p.voorvoegsel
    return tuple(
        Berichttype(v + nummer, codes[nummer], omschrijving, richting, soort, p,
                    beantwoord_door=v + door if door else None, antwoord_op=v + op if op else None)
        for nummer, omschrijving, richting, soort, door, op in _CYCLUS
    )


_ALLE: tuple[Berichttype, ...] = tuple(b for p in profielen.PROFIELEN for b in _berichttypen(p))

BERICHTEN: dict[str, Berichttype] = {b.naam: b for b in _ALLE}
_BY_NAMESPACE: dict[str, Berichttype] = {b.namespace: b for b in _ALLE}
_BY_CODE: dict[str, Berichttype] = {b.berichtcode: b for b in _ALLE}


def alle(profiel: Profiel | None = None) -> tuple[Berichttype, ...]:
    """Every message type, or those of one profile."""
    return _ALLE if profiel is None else tuple(b for b in _ALLE if b.profiel is profiel)


def get(naam: str, profiel: Profiel | None = None) -> Berichttype:
    """Look a message up by name, accepting 'WMO301', 'wmo301', 'JW301' or a number '301' (of `profiel`,
    by default the first installed one)."""
    key = naam.upper()
    if key.isdigit():
        key = (profiel or profielen.PROFIELEN[0]).voorvoegsel + key
    try:
        return BERICHTEN[key]
    except KeyError:
        raise KeyError(f"onbekend bericht: {naam!r} (bekend: {profielen.beschrijving()})") from None


def nummer_van(naam: str | None) -> str | None:
    """The kind ("323") of a stored message type name ("WMO323", "JW323"); None for an unknown name."""
    b = BERICHTEN.get(naam or "")
    return b.nummer if b else None


def by_namespace(namespace: str | None) -> Berichttype | None:
    return _BY_NAMESPACE.get(namespace or "")


def by_berichtcode(code: str) -> Berichttype | None:
    return _BY_CODE.get(code)


def heenberichten(profiel: Profiel | None = None) -> tuple[Berichttype, ...]:
    """The messages a receiver answers with a retourbericht (323 is answered by 325)."""
    return tuple(b for b in alle(profiel)
                 if b.beantwoord_door and BERICHTEN[b.beantwoord_door].soort is Soort.RETOUR)


def retourbericht_voor(naam: str) -> Berichttype | None:
    b = get(naam)
    antwoord = BERICHTEN.get(b.beantwoord_door or "")
    return antwoord if antwoord and antwoord.soort is Soort.RETOUR else None
