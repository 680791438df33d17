"""The NL GOV API Design Rules (ADR): the published document passes the official Spectral ruleset with no errors,
and the running API does what the document promises (version header, security headers, no trailing slashes).

The lint needs Spectral (`.ci/run` installs it with npm; IWMO_SPECTRAL names the binary) and the ruleset in
../shared/reference/adr; without either it skips and says why. With IWMO_SPECTRAL set it never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api import docs
from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store.db import upgrade_to_head
from tests.reference import AFWEZIG, REPO, reference_path

SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('adr') / 'gw.db'}"
    upgrade_to_head(url)
    app = create_app(Settings(database_url=url, api_contact_email="wmo@gemeente.example"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.engine.dispose()


def _spectral() -> str:
    gezet = os.environ.get("IWMO_SPECTRAL")
    if gezet:
        assert Path(gezet).is_file(), f"IWMO_SPECTRAL={gezet} does not exist; run .ci/run or unset it"
        return gezet
    gevonden = shutil.which("spectral") or REPO / ".ci" / "node_modules" / ".bin" / "spectral"
    if not Path(gevonden).is_file():
        pytest.skip("Spectral is not installed: .ci/run installs it "
                    "(npm install --prefix .ci @stoplight/spectral-cli)")
    return str(gevonden)


def _ruleset() -> Path:
    ruleset = reference_path() / "adr" / "linter.yaml"
    if not ruleset.is_file():
        pytest.skip(f"{AFWEZIG} at {reference_path()}: the NL GOV API Design Rules ruleset (adr/linter.yaml)")
    return ruleset


def test_published_openapi_passes_the_adr_ruleset_without_errors(client: TestClient, tmp_path: Path) -> None:
    ruleset, spectral = _ruleset(), _spectral()
    document = tmp_path / "openapi.json"
    document.write_text(client.get(docs.API_OPENAPI).text, encoding="utf-8")
    uitvoer = subprocess.run([spectral, "lint", "-r", str(ruleset), "-f", "json", "--quiet", str(document)],
                             capture_output=True, text=True, timeout=300)
    assert uitvoer.stdout.strip(), uitvoer.stderr
    bevindingen = json.loads(uitvoer.stdout)
    fouten = [f"{b['code']} at {'/'.join(map(str, b['path']))}: {b['message']}"
              for b in bevindingen if b["severity"] == 0]
    assert not fouten, "\n".join(fouten)


def test_api_document_is_public_relative_to_its_versioned_root_with_contact(client: TestClient) -> None:
    r = client.get("/api/v1/openapi.json")  # no key
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    document = r.json()
    assert document["servers"] == [{"url": "/api/v1", "description": "deze gateway"}]
    assert "/berichten" in document["paths"] and not any(p.startswith("/api/") for p in document["paths"])
    assert "/health" not in document["paths"] and "/ggk" not in document["paths"]
    assert document["info"]["contact"]["email"] == "wmo@gemeente.example"
    assert {"name", "url"} <= set(document["info"]["contact"])
    # The whole gateway's document keeps absolute paths for /docs and its clients.
    assert "/api/v1/berichten" in client.get("/openapi.json").json()["paths"]


def test_the_contract_version_is_the_one_in_the_uri(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    major = document["info"]["version"].split(".")[0]
    api_paden = [p for p in document["paths"] if p.startswith("/api/")]
    assert api_paden and all(p.startswith(f"/api/v{major}/") for p in api_paden)


def test_every_documented_response_promises_the_version_header(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for pad, operaties in document["paths"].items():
        for methode, operatie in operaties.items():
            for status, antwoord in operatie["responses"].items():
                assert "API-Version" in antwoord.get("headers", {}), f"{methode} {pad} {status}"


@pytest.mark.parametrize("pad", ["/health", "/api/v1/berichten", "/api/v1/berichten/onbekend", "/bestaat-niet",
                                 "/docs", "/api/v1/openapi.json", "/admin"])
def test_every_answer_carries_the_api_version_and_the_security_headers(client: TestClient, pad: str) -> None:
    r = client.get(pad, follow_redirects=False)
    assert r.headers["API-Version"] == docs.API_VERSIE
    for naam, waarde in SECURITY_HEADERS.items():
        if naam == "content-security-policy":
            assert "frame-ancestors 'none'" in r.headers[naam]  # the console's own, stricter policy says it too
        else:
            assert r.headers[naam] == waarde
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_api_answers_are_never_cached(client: TestClient) -> None:
    assert client.get("/api/v1/berichten").headers["cache-control"] == "no-store"


@pytest.mark.parametrize("pad", ["/api/v1/berichten/", "/api/v1/inbox/", "/health/"])
def test_a_trailing_slash_is_not_found_rather_than_redirected(client: TestClient, pad: str) -> None:
    r = client.get(pad, follow_redirects=False)
    assert r.status_code == 404, r.headers.get("location")
    assert r.headers["content-type"] == "application/problem+json"


def test_health_and_ready_answer_in_one_shape_and_vocabulary(client: TestClient) -> None:
    health, ready = client.get("/health").json(), client.get("/ready").json()
    assert set(health) == set(ready) == {"status", "details"}
    assert health["status"] == ready["status"] == "gereed"
    assert health["details"] == {"proces": "draait"}
    assert ready["details"] == {"database": "bereikbaar", "migraties": "bijgewerkt", "opslag": "schrijfbaar"}
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Gezondheid"]
    assert schema["properties"]["status"]["enum"] == ["gereed", "niet gereed"]
