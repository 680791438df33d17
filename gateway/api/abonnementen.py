"""/api/v1/abonnementen (webhook subscriptions) and /api/v1/gebeurtenissen (the same events as Server-Sent Events).

A party manages its own subscriptions; an administrator sees all and may subscribe to every party's events
(partij left out). The signing secret is shown once, in the answer to the create.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette import EventSourceResponse, ServerSentEvent

from gateway.api.deps import principal, service_van
from gateway.api.problems import ProblemError, problem_responses
from gateway.gebeurtenissen.vastleggen import Type
from gateway.identiteit import Principal
from gateway.settings import Settings
from gateway.store.models import Abonnement, Gebeurtenis, WebhookAflevering, utcnow
from gateway.store.wekker import meld_wijziging
from gateway.transport import webhooks

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=problem_responses(401, 500, 503))

Caller = Annotated[Principal, Depends(principal)]
_MAX_ID = 2**31 - 1  # the ids are INTEGER columns: a larger number names no row (and must not reach the database)
AbonnementId = Annotated[int, Path(ge=1, le=_MAX_ID, description="id van het abonnement, zoals POST "
                                                                  "/api/v1/abonnementen het gaf")]
_NIET_GEVONDEN = problem_responses(404)
_PARTIJ = r"^\d{4}(\d{4})?$"


class NieuwAbonnement(BaseModel):
    url: str = Field(max_length=2048, description="http(s)-url die de webhooks ontvangt; doorverwijzingen worden "
                                                  "niet gevolgd")
    gebeurtenissen: list[Type] = Field(min_length=1, description="de soorten gebeurtenissen die u wilt ontvangen")
    berichttypen: list[Annotated[str, Field(pattern=r"^WMO\d{3}$")]] = Field(
        default_factory=list, description="alleen gebeurtenissen over deze berichttypen; leeg: alle")
    partij: str | None = Field(default=None, pattern=_PARTIJ,
                               description="alleen voor een beheerder: de partij; weglaten is alle partijen")


class AbonnementUit(BaseModel):
    id: int
    partij: str | None
    url: str
    gebeurtenissen: list[str]
    berichttypen: list[str]
    gepauzeerd: bool
    reden: str | None
    created_at: dt.datetime


class AangemaaktAbonnement(AbonnementUit):
    geheim: str = Field(description="Standard Webhooks-geheim (whsec_…) om de webhook-signature te controleren; "
                                    "het wordt alleen nu getoond: bewaar het")


class WebhookAfleveringUit(BaseModel):
    id: int
    gebeurtenis_id: int
    type: str
    webhook_id: str
    status: str
    pogingen: int
    volgende_poging_at: dt.datetime | None
    laatste_http_status: int | None
    laatste_fout: str | None
    delivered_at: dt.datetime | None


def _sessions(request: Request) -> sessionmaker[Session]:
    return service_van(request).sessions


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _uit(a: Abonnement) -> AbonnementUit:
    return AbonnementUit(id=a.id, partij=a.partij, url=a.url, gebeurtenissen=list(a.gebeurtenissen),
                         berichttypen=list(a.berichttypen), gepauzeerd=a.gepauzeerd, reden=a.reden,
                         created_at=a.created_at)


def _mag_beheren(caller: Principal) -> None:
    if caller.admin and caller.role != "admin":
        raise ProblemError(403, f"De rol {caller.role} mag abonnementen alleen lezen; gebruik een beheerderssleutel "
                                "of de sleutel van de partij.")


def _eigen(session: Session, abonnement_id: int, caller: Principal) -> Abonnement:
    a = session.get(Abonnement, abonnement_id)
    # Another party's subscription answers exactly like a missing one.
    if a is None or not (caller.admin or (caller.party is not None and a.partij == caller.party)):
        raise ProblemError(404, f"Abonnement {abonnement_id} bestaat niet (of is niet van u). Vraag de lijst op met "
                                "GET /api/v1/abonnementen.")
    return a


@router.post("/abonnementen", status_code=201, response_model=AangemaaktAbonnement,
             responses=problem_responses(403, 422), summary="Abonneer op gebeurtenissen (webhook)")
def maak(request: Request, nieuw: NieuwAbonnement, caller: Caller) -> AangemaaktAbonnement:
    _mag_beheren(caller)
    if not caller.admin and nieuw.partij not in (None, caller.party):
        raise ProblemError(403, "U kunt alleen abonneren op gebeurtenissen van uw eigen partij; laat 'partij' weg.")
    settings = _settings(request)
    if (probleem := webhooks.url_probleem(nieuw.url, prive_toegestaan=settings.webhook_prive_toegestaan)):
        raise ProblemError(422, probleem)
    geheim = webhooks.nieuw_geheim()
    with _sessions(request)() as session, session.begin():
        a = Abonnement(partij=nieuw.partij if caller.admin else caller.party, url=nieuw.url,
                       gebeurtenissen=sorted({str(t) for t in nieuw.gebeurtenissen}),
                       berichttypen=sorted(set(nieuw.berichttypen)), geheim=geheim, gepauzeerd=False,
                       fouten_op_rij=0, aangemaakt_door=caller.actor, created_at=utcnow())
        session.add(a)
        session.flush()
        return AangemaaktAbonnement(**_uit(a).model_dump(), geheim=geheim)


@router.get("/abonnementen", response_model=list[AbonnementUit], summary="Uw abonnementen (beheerder: alle)")
def lijst(request: Request, caller: Caller) -> list[AbonnementUit]:
    with _sessions(request)() as session:
        stmt = select(Abonnement).order_by(Abonnement.id)
        if not caller.admin:
            stmt = stmt.where(Abonnement.partij == caller.party)
        return [_uit(a) for a in session.scalars(stmt)]


@router.get("/abonnementen/{abonnement_id}", response_model=AbonnementUit, responses=_NIET_GEVONDEN)
def een(request: Request, abonnement_id: AbonnementId, caller: Caller) -> AbonnementUit:
    with _sessions(request)() as session:
        return _uit(_eigen(session, abonnement_id, caller))


@router.delete("/abonnementen/{abonnement_id}", status_code=204, responses=problem_responses(403, 404))
def verwijder(request: Request, abonnement_id: AbonnementId, caller: Caller) -> Response:
    _mag_beheren(caller)
    with _sessions(request)() as session, session.begin():
        session.delete(_eigen(session, abonnement_id, caller))
        # Its deliveries go with it (ON DELETE CASCADE; SQLite without foreign keys needs it said).
        for a in session.scalars(select(WebhookAflevering).where(WebhookAflevering.abonnement_id == abonnement_id)):
            session.delete(a)
    return Response(status_code=204)


@router.post("/abonnementen/{abonnement_id}/pauze", response_model=AbonnementUit, responses=problem_responses(403, 404),
             summary="Pauzeer: gebeurtenissen wachten tot hervat")
def pauzeer(request: Request, abonnement_id: AbonnementId, caller: Caller) -> AbonnementUit:
    _mag_beheren(caller)
    with _sessions(request)() as session, session.begin():
        a = _eigen(session, abonnement_id, caller)
        webhooks.pauzeer(a, actor=caller.actor)
        return _uit(a)


@router.post("/abonnementen/{abonnement_id}/hervat", response_model=AbonnementUit, responses=problem_responses(403, 404),
             summary="Hervat: wat wachtte gaat bij de volgende ronde van de worker")
def hervat(request: Request, abonnement_id: AbonnementId, caller: Caller) -> AbonnementUit:
    _mag_beheren(caller)
    with _sessions(request)() as session, session.begin():
        a = _eigen(session, abonnement_id, caller)
        webhooks.hervat(session, a)
        meld_wijziging(session)  # a waiting worker sends what waited now, not at its next interval
        return _uit(a)


@router.get("/abonnementen/{abonnement_id}/afleveringen", response_model=list[WebhookAfleveringUit],
            responses=_NIET_GEVONDEN, summary="Elke aflevering aan dit abonnement, nieuwste eerst")
def afleveringen(request: Request, abonnement_id: AbonnementId, caller: Caller,
                 limit: Annotated[int, Query(ge=1, le=500, description="hoeveel: 1 tot en met 500")] = 100,
                 ) -> list[WebhookAfleveringUit]:
    with _sessions(request)() as session:
        _eigen(session, abonnement_id, caller)
        rijen = session.scalars(select(WebhookAflevering).where(WebhookAflevering.abonnement_id == abonnement_id)
                                .order_by(WebhookAflevering.id.desc()).limit(limit))
        return [WebhookAfleveringUit(
            id=r.id, gebeurtenis_id=r.gebeurtenis_id, type=r.gebeurtenis.type,
            webhook_id=webhooks.webhook_id(r.gebeurtenis_id), status=r.status, pogingen=r.pogingen,
            volgende_poging_at=None if r.status == "delivered" else r.volgende_poging_at,
            laatste_http_status=r.laatste_http_status, laatste_fout=r.laatste_fout, delivered_at=r.delivered_at,
        ) for r in rijen]


@router.post("/abonnementen/{abonnement_id}/afleveringen/{aflevering_id}/opnieuw", status_code=202,
             responses=problem_responses(403, 404, 409), summary="Verstuur een gebeurtenis opnieuw (zelfde webhook-id)")
def opnieuw(request: Request, abonnement_id: AbonnementId, caller: Caller,
            aflevering_id: Annotated[int, Path(ge=1, le=_MAX_ID, description="id uit GET …/afleveringen")],
            ) -> Response:
    _mag_beheren(caller)
    with _sessions(request)() as session, session.begin():
        _eigen(session, abonnement_id, caller)
        a = session.get(WebhookAflevering, aflevering_id)
        if a is None or a.abonnement_id != abonnement_id:
            raise ProblemError(404, f"Aflevering {aflevering_id} hoort niet bij abonnement {abonnement_id}. Zie GET "
                                    f"/api/v1/abonnementen/{abonnement_id}/afleveringen.")
        try:
            webhooks.opnieuw(a)
        except webhooks.WordtVerstuurd as fout:
            raise ProblemError(409, str(fout)) from None
        meld_wijziging(session)
    return Response(status_code=202)


# -- Server-Sent Events ------------------------------------------------------------------------------------

_PEIL_S = 0.5  # how often the stream looks for new events
_PER_KEER = 200


def _nieuwe(sessions: sessionmaker[Session], caller: Principal, na: int) -> list[tuple[int, str, str]]:
    with sessions() as session:
        stmt = select(Gebeurtenis).where(Gebeurtenis.id > na).order_by(Gebeurtenis.id).limit(_PER_KEER)
        if not caller.admin:
            stmt = stmt.where(Gebeurtenis.partij == caller.party)
        return [(g.id, g.type, json.dumps({"id": g.id, **g.payload}, separators=(",", ":")))
                for g in session.scalars(stmt)]


@router.get("/gebeurtenissen", summary="Gebeurtenissen als Server-Sent Events",
            response_class=EventSourceResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def gebeurtenissen(
    request: Request, caller: Caller,
    last_event_id: Annotated[str | None, Header(pattern=r"^\d{1,18}$", description=(
        "id van de laatst ontvangen gebeurtenis; de stroom gaat verder met de volgende"))] = None,
    stil: Annotated[float, Query(gt=0, le=600, description=(
        "sluit na zoveel seconden zonder gebeurtenis; een EventSource verbindt dan vanzelf opnieuw"))] = 60.0,
) -> EventSourceResponse:
    sessions = _sessions(request)

    async def stroom() -> AsyncIterator[ServerSentEvent]:
        na, laatst = int(last_event_id or 0), asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - laatst < stil:
            nieuw = await run_in_threadpool(_nieuwe, sessions, caller, na)
            for gid, soort, data in nieuw:
                yield ServerSentEvent(data=data, id=str(gid), event=soort)
                na = gid
            if nieuw:
                laatst = asyncio.get_running_loop().time()
            elif await request.is_disconnected():
                return
            else:
                await asyncio.sleep(_PEIL_S)

    return EventSourceResponse(stroom(), ping=15)
