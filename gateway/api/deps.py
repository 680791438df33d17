"""FastAPI dependencies: the service instance and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.problems import ProblemError
from gateway.api.service import GatewayService
from gateway.identiteit import Principal

bearer_schema = HTTPBearer(auto_error=False, description="API-sleutel als Bearer-token")
sleutel_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API-sleutel")


def service_van(request: Request) -> GatewayService:
    return request.app.state.service


# The dependencies are coroutines: FastAPI runs a plain `def` dependency in a worker thread, a hop there and
# back for every request (two per submission) for what is a dictionary look-up when the key was seen a moment ago.
async def service(request: Request) -> GatewayService:
    return service_van(request)


async def principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_schema)],
    header: Annotated[str | None, Depends(sleutel_header)],
) -> Principal:
    key = bearer.credentials if bearer else header
    if not key:
        raise ProblemError(401, "Geef een API-sleutel mee (Authorization: Bearer … of X-API-Key).",
                           headers={"WWW-Authenticate": "Bearer"})
    svc = service_van(request)
    found = svc.onthouden(key)
    if found is None:  # not checked a moment ago: the database answers, off the event loop
        found = await run_in_threadpool(svc.authenticate, key)
    if found is None:
        raise ProblemError(401, "Onbekende of ingetrokken API-sleutel.", headers={"WWW-Authenticate": "Bearer"})
    request.state.party = found.actor
    return found
