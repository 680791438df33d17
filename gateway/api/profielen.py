"""`GET /api/v1/profielen`: the installed profiles (standard + release), for any authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from gateway.api.deps import principal
from gateway.api.problems import problem_responses
from gateway.identiteit import Principal
from gateway.validation.profieloverzicht import ProfielOverzicht, overzicht


class ProfielBericht(BaseModel):
    naam: str = Field(description="Berichttype, bijvoorbeeld WMO301 of JW301")
    berichtcode: str = Field(description="BerichtCode (COD002), bijvoorbeeld 414")
    omschrijving: str


class Profiel(BaseModel):
    sleutel: str = Field(description="Naam van het profiel, bijvoorbeeld iwmo-3.2")
    standaard: str = Field(description="iWmo of iJw")
    release: str = Field(description="Release van de standaard, bijvoorbeeld 3.2")
    versies: list[str] = Field(description="Wat X-Version-Override op POST /validatie voor dit profiel mag noemen")
    bericht_versie: str = Field(description="BerichtVersie in de header van elk bericht")
    bericht_subversie: str = Field(description="BerichtSubversie in de header van elk bericht")
    namespace_root: str = Field(description="Begin van de namespace van elk bericht van het profiel")
    xsd_versie: str | None = Field(description="BasisschemaXsdVersie van de schema's waartegen de gateway "
                                               "valideert; null als de schema's er geen noemen")
    berichten: list[ProfielBericht]
    regels: int = Field(description="Aantal regels binnen een bericht (CD/CS/TR) dat het profiel inschakelt")
    kruisregels: int = Field(description="Aantal regels tegen eerdere berichten (berichtoverstijgend)")

    @classmethod
    def van(cls, p: ProfielOverzicht) -> Profiel:
        # The schema folder is the server's own path: the CLI shows it, the API does not.
        return cls(sleutel=p.sleutel, standaard=p.standaard, release=p.release, versies=list(p.versies),
                   bericht_versie=p.bericht_versie, bericht_subversie=p.bericht_subversie,
                   namespace_root=p.namespace_root, xsd_versie=p.xsd_versie,
                   berichten=[ProfielBericht(naam=b.naam, berichtcode=b.berichtcode, omschrijving=b.omschrijving)
                              for b in p.berichten],
                   regels=p.regels, kruisregels=p.kruisregels)


router = APIRouter(prefix="/api/v1", tags=["profielen"], responses=problem_responses(401, 500, 503))


@router.get("/profielen", response_model=list[Profiel], summary="De geïnstalleerde profielen (standaard en release)",
            description="Elk profiel waarmee de gateway berichten beoordeelt, het standaardprofiel eerst: de "
                        "standaard en release, de versie in de header, de namespace, de berichttypen met hun "
                        "BerichtCode, hoeveel regels het inschakelt en de XSD-versie van zijn schema's. Een bericht "
                        "wordt beoordeeld door het profiel van zijn namespace. Voor elke sleutel.")
def lijst_profielen(caller: Annotated[Principal, Depends(principal)]) -> list[Profiel]:
    return [Profiel.van(p) for p in overzicht()]
