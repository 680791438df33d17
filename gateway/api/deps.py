"""FastAPI dependencies: the service instance and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.problems import ProblemError
from gateway.api.service import GatewayService
from gateway.identiteit import Principal

bearer_schema = HTTPBearer(auto_error=False, description="API-sleutel als Bearer-token")
sleutel_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API-sleutel")


def service(request: Request) -> GatewayService:
    return request.app.state.service


def principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_schema)],
    header: Annotated[str | None, Depends(sleutel_header)],
) -> Principal:
    key = bearer.credentials if bearer else header
    if not key:
        raise ProblemError(401, "Geef een API-sleutel mee (Authorization: Bearer … of X-API-Key).",
                           headers={"WWW-Authenticate": "Bearer"})
    found = service(request).authenticate(key)
    if found is None:
        raise ProblemError(401, "Onbekende of ingetrokken API-sleutel.", headers={"WWW-Authenticate": "Bearer"})
    request.state.party = found.actor
    return found
