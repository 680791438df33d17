"""`GET /api/v1/achterstallig`: sent heenberichten whose retourbericht or WMO325 is late (OP090, OP090x4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from gateway.api.deps import principal
from gateway.api.problems import PROBLEM_RESPONSES
from gateway.identiteit import Principal
from gateway.transport.watchdog import achterstallig


class AchterstalligAntwoord(BaseModel):
    id: str = Field(description="id van het verzonden heenbericht")
    bericht: str = Field(description="berichttype van het heenbericht, bijvoorbeeld WMO301")
    identificatie: str | None = Field(description="BerichtIdentificatie/Identificatie van het heenbericht")
    verzender: str | None = Field(description="wie het heenbericht verzond (gemeentecode of AGB-code)")
    adressaat: str | None = Field(description="van wie het antwoord had moeten komen")
    verzonden_op: dt.date = Field(description="dag van verzending")
    verwacht: str = Field(description="het bericht dat had moeten komen: retourbericht of WMO325")
    regel: str = Field(description="OP090 (retourbericht, 3 werkdagen) of OP090x4 (WMO325, 10 werkdagen)")
    uiterlijk: dt.date = Field(description="de laatste dag waarop het antwoord op tijd was")
    werkdagen_te_laat: int = Field(description="werkdagen na die dag")


router = APIRouter(prefix="/api/v1", tags=["transport"])


@router.get("/achterstallig", response_model=list[AchterstalligAntwoord], responses=PROBLEM_RESPONSES,
            summary="Verzonden heenberichten waarvan het retourbericht of de WMO325 te laat is (OP090, OP090x4)",
            description="Voor een partij: haar eigen verzonden heenberichten waarop het antwoord uitblijft; voor "
                        "een beheerder: alle. Een retourbericht hoort binnen 3 werkdagen te komen (OP090), een "
                        "WMO325 binnen 10 werkdagen na de WMO323 (OP090x4).")
def lijst_achterstallig(request: Request, caller: Annotated[Principal, Depends(principal)]
                        ) -> list[AchterstalligAntwoord]:
    with request.app.state.service.sessions() as session:
        rijen = achterstallig(session, partij=None if caller.admin else caller.party)
    return [AchterstalligAntwoord(id=a.bericht_id, bericht=a.bericht, identificatie=a.identificatie,
                                  verzender=a.verzender, adressaat=a.adressaat, verzonden_op=a.verzonden_op,
                                  verwacht=a.verwacht, regel=a.regel, uiterlijk=a.uiterlijk,
                                  werkdagen_te_laat=a.werkdagen_te_laat) for a in rijen]
