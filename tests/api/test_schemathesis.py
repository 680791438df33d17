"""Schemathesis against the app's own OpenAPI document: no 5xx, and every answer as documented.

The app runs on a migrated database (SQLite always, PostgreSQL too when IWMO_TEST_POSTGRES_URL is set) with
the demo conversation loaded, and path parameters are drawn partly from the stored ids, so detail, retour,
audit and ack calls meet real rows instead of only 404s. Every operation is exercised with an administrator
key (reads everything, may not submit) and with the demo aanbieder's key (submits and reads its own).
Examples are capped and derandomised so the module stays well under a minute and a failure reproduces.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.demo.seed import seed_conversatie
from gateway.serve import seed_demo
from gateway.settings import Settings
from gateway.store import models as m
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from tests.conftest import _drop_pg_database, _fresh_pg_database

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# Per operation and role; with ~40 operations x 2 roles this keeps a backend at about twenty seconds (derandomized,
# so every run sends the same cases).
MAX_EXAMPLES = 10
CONFIG = schemathesis.Config.from_dict({
    # The document carries no examples, and the stateful phase would chain submits for minutes.
    "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
    "operations": [{
        # The coverage phase walks every boundary of every JsonBericht variant: ~2 800 bodies per call, close
        # to a minute each. Fuzzing still sends both media types here, and test_api submits JSON for every
        # heenbericht type and invalid JSON on purpose.
        "include-path": ["/api/v1/berichten", "/api/v1/validate"],
        "include-method": "POST",
        "phases": {"coverage": {"enabled": False}},
    }, {
        # An event stream stays open until it has been idle for `stil` seconds: nothing for a fuzzer to check
        # against a schema. tests/webhooks/test_sse.py covers it.
        "include-path": "/api/v1/gebeurtenissen",
        "enabled": False,
    }],
})


@dataclass
class Demo:
    app: FastAPI
    keys: dict[str, str]
    ids: list[str]


def _demo(url: str) -> Demo:
    settings_ = Settings(database_url=url)
    upgrade_to_head(url)
    keys = seed_demo(url)
    seed_conversatie(settings_)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        ids = sorted(session.scalars(select(m.Bericht.id)))
    engine.dispose()
    assert ids, "the demo conversation stored nothing; the run would only ever see 404s"
    return Demo(create_app(settings_), keys, ids)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if request.param == "sqlite":
        built = _demo(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'gw.db'}")
        yield built
        built.app.state.engine.dispose()
        return
    url, name = _fresh_pg_database()
    built = _demo(url)
    yield built
    built.app.state.engine.dispose()
    _drop_pg_database(name)


@pytest.fixture(scope="module")
def api_schema(demo: Demo) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", demo.app, config=CONFIG)

    @loaded.hook
    def flatmap_path_parameters(
        context: Any, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        # Random strings almost never name a stored message; mix in the real ids so the 200 answers are
        # checked against their schema as well.
        if not path_parameters or "bericht_id" not in path_parameters:
            return st.just(path_parameters)
        known = st.sampled_from(demo.ids).map(lambda ident: {**path_parameters, "bericht_id": ident})
        return st.one_of(st.just(path_parameters), known)

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")

pytestmark = pytest.mark.slow(seconden=180)  # four runs of generated requests, two roles on two backends

_settings = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _checks(case: schemathesis.Case) -> list[CheckFunction]:
    # SOAP 1.1 (section 6.2) answers every fault with HTTP 500, so on a SOAP endpoint (the transport's GGk
    # aflevering) a documented 500 with an XML body is the protocol, not a crash. Everywhere else a 5xx fails.
    responses = case.operation.definition.raw.get("responses", {})
    soap_fault = any(
        str(status).startswith("5") and any("xml" in media for media in answer.get("content", {}))
        for status, answer in responses.items()
    )
    return [c for c in CHECKS if not (soap_fault and c is not_a_server_error)]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@_settings
def test_api_as_beheerder_gives_no_5xx_and_matches_its_schema(case: schemathesis.Case, demo: Demo) -> None:
    case.call_and_validate(headers=_bearer(demo.keys["beheerder"]), checks=_checks(case))


@schema.parametrize()
@_settings
def test_api_as_aanbieder_gives_no_5xx_and_matches_its_schema(case: schemathesis.Case, demo: Demo) -> None:
    case.call_and_validate(headers=_bearer(demo.keys["aanbieder"]), checks=_checks(case))


def test_problems_are_documented_as_problem_json_with_their_schema(demo: Demo) -> None:
    document = demo.app.openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not path.startswith("/api/v1") or not status.startswith(("4", "5")):
                    continue
                content = answer.get("content", {})
                assert "application/json" not in content, f"{method} {path} {status}: problems are problem+json"
                assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def _cursor(created: str, ident: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, ident]).encode()).decode().rstrip("=")


# Values no stored row can have. PostgreSQL refuses a NUL character in any text comparison, so each of these
# was a 500 there before the API stopped them at the edge.
@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        ("GET", "/api/v1/berichten", {"status": "\x00"}, 422),
        ("GET", "/api/v1/berichten", {"regel": "TR\x00380"}, 422),
        ("GET", "/api/v1/berichten", {"cursor": "a\x00"}, 422),
        ("GET", "/api/v1/berichten/%00", {}, 404),
        ("GET", "/api/v1/berichten/a%00b/audit", {}, 404),
        ("POST", "/api/v1/inbox/%00/ack", {}, 404),
    ],
)
def test_text_no_stored_row_can_hold_is_a_4xx_problem_on_every_backend(
    demo: Demo, method: str, path: str, params: dict[str, str], status: int
) -> None:
    client = TestClient(demo.app, raise_server_exceptions=False)
    r = client.request(method, path, params=params, headers=_bearer(demo.keys["aanbieder"]))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_audit_times_carry_an_offset_on_every_backend(demo: Demo) -> None:
    client = TestClient(demo.app)
    events = client.get(f"/api/v1/berichten/{demo.ids[0]}/audit", headers=_bearer(demo.keys["beheerder"])).json()
    assert events and all(dt.datetime.fromisoformat(e["at"]).utcoffset() is not None for e in events)


@pytest.mark.parametrize("path", ["/api/v1/berichten", "/api/v1/inbox"])
def test_forged_cursor_is_refused_or_harmless_never_a_500(demo: Demo, path: str) -> None:
    # Well-formed base64 around a NUL: SQLite simply finds nothing after it, PostgreSQL cannot compare it and
    # the gateway answers that the cursor is invalid. Both are fine; a 500 is not.
    client = TestClient(demo.app, raise_server_exceptions=False)
    r = client.get(path, params={"cursor": _cursor("2026-01-01T00:00:00", "a\x00")},
                   headers=_bearer(demo.keys["aanbieder"]))
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["detail"].startswith("Ongeldige cursor")
