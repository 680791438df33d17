"""`POST /api/v1/validate` is a dry run of submitting: the same verdict for the same caller, nothing written.

Each case validates first, checks that no table grew, then submits the same bytes with the same key and
compares the two answers: the status, the rule codes, and (for a message naming another sender) the 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.demo.seed import afgewezen_start
from gateway.store import models as m
from tests.api.conftest import XML, Keys, auth
from tests.reference import our_example

_TABELLEN = (m.Bericht, m.BerichtSleutel, m.Bevinding, m.AuditEvent, m.Feit, m.IdentificatieClaim)


def _tellingen(client: TestClient) -> dict[str, int]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) or 0 for t in _TABELLEN}


def _post(client: TestClient, pad: str, key: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(pad, content=data, headers={**auth(key), **XML})


def _met_commentaar(data: bytes) -> bytes:
    """Other bytes, the same message: the same identificatie, so a second submission is TR056."""
    return data + b"<!-- opnieuw verstuurd -->"


@dataclass(frozen=True)
class Geval:
    naam: str
    key: Callable[[Keys], str]
    bericht: Callable[[], bytes]
    eerder: tuple[tuple[Callable[[Keys], str], Callable[[], bytes]], ...] = ()  # submitted before the dry run
    status: str = "accepted"
    codes: frozenset[str] = frozenset()


def _gemeente(k: Keys) -> str:
    return k.gemeente


def _aanbieder(k: Keys) -> str:
    return k.aanbieder


GEVALLEN = [
    Geval("goed bericht", _aanbieder, lambda: our_example("WMO315")),
    # The gemeente's toewijzingen are known, but not the one this start names.
    Geval("305 met onbekende toewijzing", _aanbieder, afgewezen_start,
          eerder=((_gemeente, lambda: our_example("WMO301")),), status="rejected", codes=frozenset({"TR019"})),
    Geval("TR056: identificatie al gebruikt", _aanbieder, lambda: _met_commentaar(our_example("WMO315")),
          eerder=((_aanbieder, lambda: our_example("WMO315")),), status="rejected", codes=frozenset({"TR056"})),
    Geval("WMO301 met de sleutel van de aanbieder", _aanbieder, lambda: our_example("WMO301"),
          status="rejected", codes=frozenset({"AFZENDER"})),
]


@pytest.mark.parametrize("geval", GEVALLEN, ids=[g.naam for g in GEVALLEN])
def test_validate_gives_the_verdict_submit_gives_and_writes_nothing(api, geval: Geval) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    for key, bericht in geval.eerder:
        assert _post(client, "/api/v1/berichten", key(keys), bericht()).status_code == 201
    voor = _tellingen(client)

    proef = _post(client, "/api/v1/validate", geval.key(keys), geval.bericht())

    assert proef.status_code == 200, proef.text
    assert _tellingen(client) == voor
    uitslag = proef.json()
    assert (uitslag["status"], {e["code"] for e in uitslag["errors"]}) == (geval.status, geval.codes)
    assert uitslag["valid"] == (not geval.codes)
    assert uitslag["lagen"] == ["xml", "xsd", "regels", "afzender", "berichtoverstijgend"]

    echt = _post(client, "/api/v1/berichten", geval.key(keys), geval.bericht())
    if "AFZENDER" in geval.codes:
        # Submitting refuses the message outright; the dry run says so in its finding.
        assert echt.status_code == 403
        assert "403" in next(e["melding"] for e in uitslag["errors"] if e["code"] == "AFZENDER")
        assert _tellingen(client) == voor
    else:
        assert echt.status_code == 201, echt.text
        assert (echt.json()["status"], {e["code"] for e in echt.json()["errors"]}) == (geval.status, geval.codes)
        assert [e for e in echt.json()["errors"]] == uitslag["errors"]


def test_validate_of_bytes_already_submitted_is_the_stored_verdict_as_a_duplicate(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    data = afgewezen_start()
    _post(client, "/api/v1/berichten", keys.gemeente, our_example("WMO301"))
    ingediend = _post(client, "/api/v1/berichten", keys.aanbieder, data).json()
    voor = _tellingen(client)
    uitslag = _post(client, "/api/v1/validate", keys.aanbieder, data).json()
    assert _tellingen(client) == voor
    assert (uitslag["duplicaat"], uitslag["status"], uitslag["errors"]) == (True, "rejected", ingediend["errors"])


def test_validate_with_an_admin_key_runs_every_layer_but_the_sender_check(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    _post(client, "/api/v1/berichten", keys.gemeente, our_example("WMO301"))
    uitslag = _post(client, "/api/v1/validate", keys.admin, afgewezen_start()).json()
    assert uitslag["lagen"] == ["xml", "xsd", "regels", "berichtoverstijgend"]
    assert {e["code"] for e in uitslag["errors"]} == {"TR019"}


def test_validate_names_only_the_layers_that_ran(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    kapot = _post(client, "/api/v1/validate", keys.aanbieder, b"<kapot").json()
    assert (kapot["lagen"], kapot["status"], kapot["valid"]) == (["xml", "afzender"], "rejected", False)
    xsd_fout = our_example("WMO315").replace(b"<basis:Dagtekening>", b"<basis:Dagtekening>x", 1)
    assert _post(client, "/api/v1/validate", keys.aanbieder, xsd_fout).json()["lagen"] == ["xml", "xsd", "afzender"]
