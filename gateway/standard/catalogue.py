"""The message catalogue of iWmo 3.2: the one place that knows each message's facts.

Every other module asks this one for BerichtCodes, namespaces, schema files, directions and which
retourbericht answers which heenbericht; nothing else spells those values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

RELEASE = "3.2"
BERICHT_VERSIE = "3"
BERICHT_SUBVERSIE = "2"
NAMESPACE_ROOT = "http://www.istandaarden.nl/iwmo/3_2"
BASISSCHEMA_NAMESPACE = f"{NAMESPACE_ROOT}/basisschema/schema"
BASISSCHEMA_FILE = "basisschema.xsd"
# The XSD version our schemas implement; written into XsdVersie(Retour) of messages we build.
XSD_VERSIE = "1.0.0"


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
    # The message that answers this one: the retourbericht for a heenbericht, WMO325 for WMO323.
    beantwoord_door: str | None = None
    # For a retourbericht: the heenbericht it answers.
    antwoord_op: str | None = None

    @property
    def nummer(self) -> str:
        return self.naam[3:]

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_ROOT}/wmo{self.nummer}/schema"

    @property
    def schema_file(self) -> str:
        return f"wmo{self.nummer}.xsd"

    @property
    def prefix(self) -> str:
        return f"wmo{self.nummer}"

    @property
    def is_heenbericht(self) -> bool:
        return self.soort is Soort.HEEN

    @property
    def afzender_is_gemeente(self) -> bool:
        """Whether the payload's Afzender is a gemeentecode.

        A retourbericht keeps the heenbericht's header (IV028), so its Afzender is the party it is
        sent *to*; WMO325 is a new message and names its own sender.
        """
        heen = BERICHTEN[self.antwoord_op] if self.soort is Soort.RETOUR else self
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

_ALLE = (
    Berichttype("WMO301", "414", "Toewijzing", _G2A, Soort.HEEN, beantwoord_door="WMO302"),
    Berichttype("WMO302", "415", "Retour toewijzing", _A2G, Soort.RETOUR, antwoord_op="WMO301"),
    Berichttype("WMO305", "418", "Start levering", _A2G, Soort.HEEN, beantwoord_door="WMO306"),
    Berichttype("WMO306", "419", "Retour start levering", _G2A, Soort.RETOUR, antwoord_op="WMO305"),
    Berichttype("WMO307", "420", "Stop levering", _A2G, Soort.HEEN, beantwoord_door="WMO308"),
    Berichttype("WMO308", "421", "Retour stop levering", _G2A, Soort.RETOUR, antwoord_op="WMO307"),
    Berichttype("WMO315", "444", "Verzoek om toewijzing", _A2G, Soort.HEEN, beantwoord_door="WMO316"),
    Berichttype("WMO316", "445", "Retour verzoek om toewijzing", _G2A, Soort.RETOUR, antwoord_op="WMO315"),
    Berichttype("WMO317", "480", "Verzoek om wijziging", _A2G, Soort.HEEN, beantwoord_door="WMO318"),
    Berichttype("WMO318", "481", "Retour verzoek om wijziging", _G2A, Soort.RETOUR, antwoord_op="WMO317"),
    Berichttype("WMO319", "482", "Antwoordbericht", _G2A, Soort.HEEN, beantwoord_door="WMO320"),
    Berichttype("WMO320", "483", "Retour antwoordbericht", _A2G, Soort.RETOUR, antwoord_op="WMO319"),
    Berichttype("WMO323", "484", "Declaratie", _A2G, Soort.HEEN, beantwoord_door="WMO325"),
    # WMO325 answers the declaratie but is not a retourbericht: it is a new message with its own header.
    Berichttype("WMO325", "485", "Declaratie-antwoord", _G2A, Soort.HEEN),
)

BERICHTEN: dict[str, Berichttype] = {b.naam: b for b in _ALLE}
_BY_NAMESPACE: dict[str, Berichttype] = {b.namespace: b for b in _ALLE}
_BY_CODE: dict[str, Berichttype] = {b.berichtcode: b for b in _ALLE}


def alle() -> tuple[Berichttype, ...]:
    return _ALLE


def get(naam: str) -> Berichttype:
    """Look a message up by name, accepting 'WMO301', 'wmo301' or '301'."""
    key = naam.upper()
    if not key.startswith("WMO"):
        key = "WMO" + key
    try:
        return BERICHTEN[key]
    except KeyError:
        raise KeyError(f"onbekend iWmo-bericht: {naam!r}") from None


def by_namespace(namespace: str | None) -> Berichttype | None:
    return _BY_NAMESPACE.get(namespace or "")


def by_berichtcode(code: str) -> Berichttype | None:
    return _BY_CODE.get(code)


def heenberichten() -> tuple[Berichttype, ...]:
    """The messages a receiver answers with a retourbericht (WMO323 is answered by WMO325)."""
    return tuple(b for b in _ALLE if b.beantwoord_door and BERICHTEN[b.beantwoord_door].soort is Soort.RETOUR)


def retourbericht_voor(naam: str) -> Berichttype | None:
    b = get(naam)
    antwoord = BERICHTEN.get(b.beantwoord_door or "")
    return antwoord if antwoord and antwoord.soort is Soort.RETOUR else None
