"""Request and response shapes of the REST API."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway.standard import catalogue
from gateway.store.lifecycle import Status


class Fout(BaseModel):
    code: str = Field(description="Regelcode (TR380, CS002, XSD, XML, AFZENDER, …)")
    retourcode: str | None = Field(default=None, description="Retourcode uit WJ001")
    locatie: list[str] = Field(default_factory=list, description="Elementpaden, bijvoorbeeld /Bericht/Client/Bsn")
    melding: str = Field(description="Wat er mis is en wat u eraan doet")


class Links(BaseModel):
    self: str = Field(description="Metadata en inhoud van het bericht")
    xml: str = Field(description="Het bericht precies zoals ontvangen")
    retour: str | None = Field(default=None, description="Het retourbericht, zodra dat er is")
    audit: str = Field(description="De audit trail van het bericht")


class Richting(enum.StrEnum):
    IN = "in"
    UIT = "uit"


# The message types as a closed set, so a filter on a type that does not exist is refused, naming the types.
BerichtType = enum.StrEnum("BerichtType", [(b.naam, b.naam) for b in catalogue.alle()])  # type: ignore[misc]


# How a party reads the direction of a message, said once for the model and the filters.
RICHTING_UITLEG = (
    "Gezien vanuit de aanroeper: in = aan u gericht, uit = door u (of namens u door de gateway) verzonden. "
    "Met een beheerderssleutel gezien vanuit de gateway: in = ontvangen, uit = door de gateway zelf opgesteld "
    "(een retourbericht, een WMO325).")
AFZENDER_UITLEG = (
    "Wie dit bericht verzendt. Bij een retourbericht is dat de Ontvanger uit de header: een retourbericht houdt de "
    "header van het heenbericht (IV028) en reist de andere kant op.")
ONTVANGER_UITLEG = (
    "Aan wie dit bericht gericht is. Bij een retourbericht is dat de Afzender uit de header (IV028).")


class Bericht(BaseModel):
    id: str
    bericht: str | None = Field(description="Berichttype, bijvoorbeeld WMO301")
    berichtcode: str | None = Field(default=None, description="Berichtcode uit de header, bijvoorbeeld 414")
    status: str = Field(description="Waar het bericht is in zijn levensloop: " + ", ".join(Status))
    richting: str = Field(description=RICHTING_UITLEG)
    afzender: str | None = Field(default=None, description=AFZENDER_UITLEG)
    ontvanger: str | None = Field(default=None, description=ONTVANGER_UITLEG)
    identificatie: str | None = Field(default=None, description="BerichtIdentificatie/Identificatie")
    dagtekening: dt.date | None = Field(default=None, description="BerichtIdentificatie/Dagtekening")
    ontvangen_op: dt.datetime
    sha256: str = Field(description="SHA-256 van het bericht zoals het binnenkwam (ook als het is ingekort)")
    grootte: int = Field(description="Grootte in bytes van het bericht zoals het binnenkwam")
    ingekort: bool = Field(default=False, description="Alleen het begin is bewaard: het was te groot of onleesbaar")
    geclaimde_afzender: str | None = Field(
        default=None, description="De afzender die het bericht zelf noemde, als dat niet de aanleverende partij was")
    gelezen: bool = False
    antwoord_op: str | None = Field(default=None, description="id van het heenbericht dat dit bericht beantwoordt")
    errors: list[Fout] = Field(default_factory=list)
    links: Links


class BerichtDetail(Bericht):
    inhoud: dict[str, Any] | None = Field(default=None, description="Het bericht als JSON (Nederlandse elementnamen)")


class Inzending(BaseModel):
    """The answer to a submitted message."""

    id: str = Field(description="id van het opgeslagen bericht")
    bericht: str | None = Field(description="Berichttype, bijvoorbeeld WMO315; leeg als het bericht onleesbaar was")
    status: str = Field(description="accepted of rejected (bij een duplicaat: de status van het opgeslagen bericht)")
    duplicaat: bool = Field(description="true als exact dezelfde bytes eerder door deze partij zijn ingediend")
    errors: list[Fout] = Field(description="De bevindingen; leeg bij een bericht zonder fouten")
    opgesteld_door_gateway: bool = Field(default=False, description=(
        "true: een eigen WMO325 op een WMO323 die de gateway kent, door de gateway opnieuw opgesteld uit de "
        "beslissing erin (dezelfde bouwer als POST /api/v1/berichten/{id}/declaratie-antwoord) met uw "
        "BerichtIdentificatie; `id` is het opgeslagen, opgestelde bericht"))
    links: Links


# The checks a dry run can report as done, in the order submitting runs them.
LAGEN = ("xml", "xsd", "regels", "afzender", "berichtoverstijgend")


class Validatie(BaseModel):
    """What submitting this message would answer, without storing anything."""

    bericht: str | None = Field(description="Berichttype, bijvoorbeeld WMO305; leeg als het bericht onleesbaar is")
    valid: bool = Field(description="true als geen enkele controle iets vond")
    status: str = Field(description="De status die indienen zou geven: accepted of rejected (een duplicaat: die van "
                                    "het opgeslagen bericht). Een WMO323 met alleen fouten in prestaties of cliënten "
                                    "wordt gedeeltelijk verwerkt: accepted met bevindingen.")
    duplicaat: bool = Field(default=False, description="true als u exact deze bytes al hebt ingediend; indienen geeft "
                                                       "dan het opgeslagen bericht terug (200)")
    lagen: list[str] = Field(description="De controles die gedraaid hebben, in volgorde: xml (inlezen), xsd, regels "
                                         "(binnen het bericht), afzender (is de afzender de partij van de sleutel?), "
                                         "berichtoverstijgend (regels tegen eerdere berichten in de opslag, TR056)")
    errors: list[Fout] = Field(description="Alle bevindingen, zoals indienen ze zou geven")
    opgesteld_door_gateway: bool = Field(
        default=False, description="true voor een WMO325 op een WMO323 die de gateway heeft: indienen laat de "
                                   "gateway dat WMO325 opnieuw opstellen uit de beslissing erin (zoals "
                                   "POST /berichten/{id}/declaratie-antwoord); de controles zijn die van het "
                                   "opgestelde bericht")


class Pagina(BaseModel):
    items: list[Bericht]
    next_cursor: str | None = Field(default=None, description="Geef door als ?cursor= voor de volgende pagina")


class AuditEvent(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Gezondheid(BaseModel):
    """The answer of /health and /ready alike: one vocabulary, and per part checked what was found."""

    status: Literal["gereed", "niet gereed"]
    details: dict[str, str] = Field(default_factory=dict, description="Per onderdeel wat er gevonden is")
