"""/api/v1/herverwerkingen: replay and reprocessing by filter, for administrators only (issue 14, section 2).

A dry run first (`…/proef`: how many messages and what would happen to each), then a batch that the worker runs in
chunks (`POST …` answers 202 with its id; `GET …/{id}` shows progress), which can be paused and resumed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from gateway.api.deps import principal, service_van
from gateway.api.problems import ProblemError, problem_responses
from gateway.herverwerking import plan, uitvoering
from gateway.herverwerking.selectie import OngeldigeSelectie, Selectie, lees
from gateway.identiteit import Principal
from gateway.store.lifecycle import Status
from gateway.validation.findings import Finding

router = APIRouter(prefix="/api/v1", tags=["herverwerking"], responses=problem_responses(401, 403, 500, 503))

FILTERFOUT = "FILTER"  # finding: a filter value or option the replay cannot use


def beheerder(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    """Only an administrator's key (role admin) replays: operator and viewer keys and parties get a 403."""
    if caller.role != "admin":
        raise ProblemError(403, "Herverwerken is alleen voor beheerders: gebruik een sleutel met rol admin "
                                "(iwmo-gateway keys create --role admin).")
    return caller


Beheerder = Annotated[Principal, Depends(beheerder)]
HerverwerkingId = Annotated[int, Path(ge=1, le=2**31 - 1, description="id van de herverwerking, zoals POST "
                                                                       "/api/v1/herverwerkingen het gaf")]


class Filter(BaseModel):
    """Which messages: every field is optional and they combine (and)."""

    status: Status | None = Field(default=None, description="status in de levensloop, bijvoorbeeld dead_letter")
    berichttype: str | None = Field(default=None, max_length=16, description="berichttype, bijvoorbeeld WMO301")
    partner: str | None = Field(default=None, max_length=8, description=(
        "gemeentecode (4 cijfers) of AGB-code (8 cijfers) die het bericht verzendt of ontvangt"))
    regel: str | None = Field(default=None, max_length=32, description=(
        "alleen berichten met een bevinding van deze regel, bijvoorbeeld TR019 of XSD"))
    retourcode: str | None = Field(default=None, max_length=8, description=(
        "alleen berichten met een bevinding met deze retourcode uit WJ001, bijvoorbeeld 9019"))
    vanaf: dt.date | None = Field(default=None, description="ontvangen op of na deze dag (JJJJ-MM-DD, UTC)")
    tot: dt.date | None = Field(default=None, description="ontvangen op of voor deze dag (JJJJ-MM-DD, UTC, inclusief)")


class Verzoek(BaseModel):
    filter: Filter = Field(default_factory=Filter, description="welke berichten")
    actie: plan.Actie = Field(description=(
        "herbeoordelen: opnieuw beoordelen met de regels en het XSD van nu (oordeel voor → na, alleen vastgelegd "
        "in de audit trail); opnieuw_in_wachtrij: een niet-afleverbaar bericht opnieuw aanbieden; "
        "opnieuw_verzenden: ook een afgeleverd of beantwoord bericht opnieuw aan zijn partner aanbieden"))
    nieuwe_verzending: bool = Field(default=False, description=(
        "false (standaard): dezelfde envelop (referentienummer/traceerId) en dezelfde identificatie, zodat de "
        "partner de herhaling herkent; true: een nieuwe envelop en, voor een bericht dat de partner nooit aannam, "
        "een nieuwe identificatie in een nieuw bericht dat het oude vervangt"))


class OordeelUit(BaseModel):
    geldig: bool
    codes: list[str]


class StapUit(BaseModel):
    bericht_id: str
    berichttype: str | None
    status: str
    partner: str | None = Field(description="aan wie het bericht reist")
    uitkomst: str = Field(description="oordeel_gelijk, oordeel_gewijzigd, in_wachtrij, opnieuw_verzonden of "
                                      "overgeslagen")
    toelichting: str
    envelop: str | None = Field(description="zelfde of nieuw: de envelop die de partner ziet")
    envelop_id: str | None = Field(description="het envelop-id dat blijft (bij zelfde)")
    identificatie: str | None = Field(description="zelfde of nieuw")
    oordeel_voor: OordeelUit | None
    oordeel_na: OordeelUit | None
    niet_herbeoordeeld: list[str] = Field(description="berichtoverstijgende bevindingen, niet opnieuw beoordeeld")


class ProefUit(BaseModel):
    totaal: int = Field(description="hoeveel berichten het filter nu selecteert")
    getoond: int = Field(description="hoeveel stappen hieronder staan (hoogstens limit)")
    per_uitkomst: dict[str, int] = Field(description="de getoonde stappen geteld per uitkomst")
    stappen: list[StapUit]


class Gestart(BaseModel):
    id: int
    status: str
    totaal: int
    links: dict[str, str]


class VoortgangUit(BaseModel):
    id: int
    actie: str
    nieuwe_verzending: bool
    filter: dict[str, Any]
    status: str = Field(description="lopend, gepauzeerd of klaar")
    totaal: int
    verwerkt: int
    per_uitkomst: dict[str, int] = Field(description="aantal berichten per uitkomst; open: nog niet verwerkt")
    gestart_door: str
    created_at: dt.datetime
    bijgewerkt_at: dt.datetime
    klaar_at: dt.datetime | None


def _selectie(verzoek: Verzoek) -> Selectie:
    try:
        plan.controleer(verzoek.actie, verzoek.nieuwe_verzending)
        return lees(verzoek.filter.model_dump(exclude_none=True))
    except OngeldigeSelectie as fout:
        raise ProblemError(422, "Het filter kan zo niet; zie errors voor welk veld en wat wel mag.", errors=[
            Finding(code=FILTERFOUT, locatie=(f"/filter/{veld}",), melding=f"{veld}: {melding}.")
            for veld, melding in fout.problemen], title="Ongeldig filter") from None
    except plan.Ongeldig as fout:
        raise ProblemError(422, f"{fout}.", errors=[Finding(code=FILTERFOUT, locatie=("/nieuwe_verzending",),
                                                            melding=f"{fout}.")], title="Ongeldig filter") from None


def _voortgang(v: uitvoering.Voortgang) -> VoortgangUit:
    return VoortgangUit(**vars(v))


def _sessions(request: Request):  # type: ignore[no-untyped-def]
    return service_van(request).sessions


@router.post("/herverwerkingen/proef", response_model=ProefUit, responses=problem_responses(422),
             summary="Proef: hoeveel berichten en wat er met elk zou gebeuren",
             description="Er wordt niets geschreven. De stappen zijn die van de eerste `limit` berichten (oudste "
                         "eerst); `totaal` telt alle berichten die het filter selecteert.")
def proef(request: Request, verzoek: Verzoek, caller: Beheerder,
          limit: Annotated[int, Query(ge=1, le=plan.MAX_GETOOND, description=(
              f"hoeveel stappen tonen: 1 tot en met {plan.MAX_GETOOND}"))] = 100) -> ProefUit:
    selectie = _selectie(verzoek)
    with _sessions(request)() as session:
        p = plan.proef(session, selectie, verzoek.actie, nieuwe_verzending=verzoek.nieuwe_verzending, limit=limit)
    return ProefUit(totaal=p.totaal, getoond=len(p.stappen), per_uitkomst=p.per_uitkomst,
                    stappen=[StapUit(**s.als_json()) for s in p.stappen])


@router.post("/herverwerkingen", status_code=202, response_model=Gestart, responses=problem_responses(422),
             summary="Start een herverwerking (de worker voert haar in delen uit)",
             description="De selectie wordt nu vastgelegd; de worker verwerkt haar in delen en schrijft het lot van "
                         "elk bericht in zijn audit trail, met het id van de herverwerking en u als actor.")
def start(request: Request, verzoek: Verzoek, caller: Beheerder, response: Response) -> Gestart:
    selectie = _selectie(verzoek)
    try:
        with _sessions(request)() as session, session.begin():
            batch = uitvoering.start(session, selectie, verzoek.actie, actor=caller.actor,
                                     nieuwe_verzending=verzoek.nieuwe_verzending)
            gestart = Gestart(id=batch.id, status=batch.status, totaal=batch.totaal,
                              links={"self": f"/api/v1/herverwerkingen/{batch.id}"})
    except uitvoering.Geweigerd as fout:
        raise ProblemError(fout.status, fout.melding) from None
    response.headers["Location"] = gestart.links["self"]
    return gestart


@router.get("/herverwerkingen/{herverwerking_id}", response_model=VoortgangUit, responses=problem_responses(404),
            summary="Voortgang van een herverwerking, met het aantal berichten per uitkomst")
def voortgang(request: Request, herverwerking_id: HerverwerkingId, caller: Beheerder) -> VoortgangUit:
    try:
        with _sessions(request)() as session:
            return _voortgang(uitvoering.voortgang(session, herverwerking_id))
    except uitvoering.Geweigerd as fout:
        raise ProblemError(fout.status, fout.melding) from None


def _wissel(request: Request, herverwerking_id: int, caller: Principal, doe: Any) -> VoortgangUit:
    try:
        with _sessions(request)() as session, session.begin():
            doe(session, herverwerking_id, actor=caller.actor)
            return _voortgang(uitvoering.voortgang(session, herverwerking_id))
    except uitvoering.Geweigerd as fout:
        raise ProblemError(fout.status, fout.melding) from None


@router.post("/herverwerkingen/{herverwerking_id}/pauze", response_model=VoortgangUit,
             responses=problem_responses(404, 409), summary="Pauzeer een lopende herverwerking",
             description="Het deel dat de worker nu verwerkt maakt hij af; daarna wacht de rest tot hervat.")
def pauze(request: Request, herverwerking_id: HerverwerkingId, caller: Beheerder) -> VoortgangUit:
    return _wissel(request, herverwerking_id, caller, uitvoering.pauzeer)


@router.post("/herverwerkingen/{herverwerking_id}/hervat", response_model=VoortgangUit,
             responses=problem_responses(404, 409), summary="Hervat een gepauzeerde herverwerking",
             description="De worker gaat verder met het eerste bericht dat nog niet verwerkt is.")
def hervat(request: Request, herverwerking_id: HerverwerkingId, caller: Beheerder) -> VoortgangUit:
    return _wissel(request, herverwerking_id, caller, uitvoering.hervat)
