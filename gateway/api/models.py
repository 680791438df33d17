"""Request and response shapes of the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class Fout(BaseModel):
    code: str = Field(description="Regelcode (TR380, CS002, XSD, XML, …)")
    retourcode: str | None = Field(default=None, description="Retourcode uit WJ001")
    locatie: list[str] = Field(default_factory=list, description="Elementpaden, bijvoorbeeld /Bericht/Client/Bsn")
    melding: str


class Links(BaseModel):
    self: str
    xml: str
    retour: str | None = None
    audit: str


class Bericht(BaseModel):
    id: str
    bericht: str | None = Field(description="Berichttype, bijvoorbeeld WMO301")
    berichtcode: str | None = None
    status: str
    richting: str = Field(description="in (ontvangen) of uit (verzonden door de gateway)")
    afzender: str | None = None
    ontvanger: str | None = None
    identificatie: str | None = None
    dagtekening: dt.date | None = None
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

    id: str
    bericht: str | None
    status: str = Field(description="accepted of rejected")
    duplicaat: bool = Field(description="true als exact dezelfde bytes eerder door deze partij zijn ingediend")
    errors: list[Fout]
    links: Links


class Validatie(BaseModel):
    bericht: str | None
    valid: bool
    errors: list[Fout]


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
    status: str
    details: dict[str, Any] = Field(default_factory=dict)
