"""One rule for each thing a back-office developer meets, the same on every operation.

Bad parameters are a 422 in Dutch that names the parameter and what it takes; a message's afzender and ontvanger
are its own direction (a retourbericht travels against its header); richting is seen from the caller, so an
inbox holds only `in`; /retour says why there is none; and the OpenAPI document describes every operation and
parameter of ours, with a submit example the validator accepts and the 201 it gives.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from gateway.api import declaraties, routes, voorbeelden
from gateway.validation.validator import validate
from tests.api.conftest import AANBIEDER, GEMEENTE, XML, auth
from tests.reference import our_example

# Phrases of pydantic's own (English) messages: none may reach a caller.
_ENGELS = re.compile(r"\b(should|Input|Field required|valid (integer|datetime|enumeration)|greater than|at least)\b")


def _submit(client, key: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/berichten", content=data, headers={**auth(key), **XML})


@pytest.mark.parametrize(("parameter", "waarde", "noemt"), [
    ("status", "bogus", "accepted"),
    ("type", "WMO999", "WMO301"),
    ("type", "WMO399", "WMO325"),
    ("richting", "heen", "uit"),
    ("limit", "0", "1"),
    ("limit", "veel", "geheel getal"),
    ("vanaf", "gisteren", "RFC 3339"),
    ("afzender", "12", "AGB-code"),
])
def test_a_bad_query_parameter_is_a_dutch_422_naming_it_and_what_is_allowed(api, parameter: str, waarde: str,
                                                                            noemt: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.get("/api/v1/berichten", params={parameter: waarde}, headers=auth(keys.gemeente))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["title"] == "Ongeldige parameter" and parameter in body["detail"]
    [fout] = body["errors"]
    assert fout["code"] == "PARAMETER" and fout["locatie"] == [f"/query/{parameter}"]
    assert f"'{parameter}'" in fout["melding"] and noemt in fout["melding"]
    assert not _ENGELS.search(fout["melding"] + body["detail"]), fout["melding"]


def test_a_bad_inbox_or_declaraties_parameter_follows_the_same_rule(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    for pad in ("/api/v1/inbox?limit=501", "/api/v1/declaraties?limit=-1", "/api/v1/declaraties?open=misschien"):
        body = client.get(pad, headers=auth(keys.gemeente)).json()
        assert (body["status"], body["title"], body["errors"][0]["code"]) == (422, "Ongeldige parameter", "PARAMETER")
        assert not _ENGELS.search(body["errors"][0]["melding"])


def test_a_date_is_a_valid_vanaf(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    assert client.get("/api/v1/berichten", params={"vanaf": "2026-04-08"}, headers=auth(keys.gemeente)).status_code == 200


def test_a_beslissing_that_does_not_fit_is_refused_in_dutch(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    r = client.post("/api/v1/berichten/x/declaratie-antwoord", json={"afgewezen": [{"ReferentieNummer": ""}]},
                    headers=auth(keys.gemeente))
    assert r.status_code == 422
    fouten = r.json()["errors"]
    assert {f["code"] for f in fouten} == {"JSON"}
    assert {f["locatie"][0] for f in fouten} == {"/afgewezen/0/ReferentieNummer", "/afgewezen/0/retourcodes"}
    assert not any(_ENGELS.search(f["melding"]) for f in fouten)


def test_a_retourbericht_goes_from_the_heenberichts_ontvanger_to_its_afzender(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    heen = _submit(client, keys.aanbieder, our_example("WMO315")).json()
    lijst = client.get("/api/v1/berichten", headers=auth(keys.aanbieder)).json()["items"]
    richting = {i["bericht"]: (i["afzender"], i["ontvanger"]) for i in lijst}
    # The WMO316's header keeps Afzender 12345678 and Ontvanger 0599 (IV028); it travels 0599 -> 12345678.
    assert richting == {"WMO315": (AANBIEDER, GEMEENTE), "WMO316": (GEMEENTE, AANBIEDER)}
    gefilterd = client.get("/api/v1/berichten", params={"afzender": GEMEENTE}, headers=auth(keys.aanbieder)).json()
    assert [i["bericht"] for i in gefilterd["items"]] == ["WMO316"]
    assert [i["id"] for i in client.get("/api/v1/berichten", params={"ontvanger": GEMEENTE},
                                        headers=auth(keys.aanbieder)).json()["items"]] == [heen["id"]]


def test_richting_is_seen_from_the_caller_and_an_inbox_holds_only_in(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    _submit(client, keys.gemeente, our_example("WMO301"))  # the gateway answers it with a WMO302 to the gemeente
    _submit(client, keys.aanbieder, our_example("WMO315"))
    inbox = client.get("/api/v1/inbox", headers=auth(keys.gemeente)).json()["items"]
    assert sorted(i["bericht"] for i in inbox) == ["WMO302", "WMO315"]
    assert {i["richting"] for i in inbox} == {"in"}
    assert {i["ontvanger"] for i in inbox} == {GEMEENTE}

    def soorten(key: str, richting: str) -> list[str]:
        items = client.get("/api/v1/berichten", params={"richting": richting}, headers=auth(key)).json()["items"]
        assert {i["richting"] for i in items} <= {richting}
        return sorted(i["bericht"] for i in items)

    assert soorten(keys.gemeente, "in") == ["WMO302", "WMO315"]
    assert soorten(keys.gemeente, "uit") == ["WMO301", "WMO316"]
    assert soorten(keys.aanbieder, "in") == ["WMO301", "WMO316"]
    # "sent by me" and "addressed to someone else" together: nothing can be both.
    assert client.get("/api/v1/berichten", params={"richting": "in", "ontvanger": AANBIEDER},
                      headers=auth(keys.gemeente)).json()["items"] == []
    # The administrator sees the gateway's side: in = received, uit = built by the gateway.
    assert soorten(keys.admin, "uit") == ["WMO302", "WMO316"]


@pytest.mark.parametrize(("welk", "reden"), [
    ("retourbericht", "een retourbericht krijgt geen retourbericht"),
    ("xsd-fout", "doorstaat de XSD niet"),
    ("declaratie-antwoord", "krijgt geen retourbericht: het is zelf het antwoord op een declaratie"),
])
def test_retour_says_why_a_message_has_none(api, welk: str, reden: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    if welk == "retourbericht":
        heen = _submit(client, keys.aanbieder, our_example("WMO315")).json()["id"]
        [retour] = [i for i in client.get("/api/v1/inbox", headers=auth(keys.aanbieder)).json()["items"]
                    if i["antwoord_op"] == heen]
        ident = retour["id"]
    elif welk == "xsd-fout":
        data = our_example("WMO315").replace(b"<basis:Dagtekening>", b"<basis:Dagtekening>x", 1)
        ident = _submit(client, keys.aanbieder, data).json()["id"]
    else:
        ident = _submit(client, keys.gemeente, our_example("WMO325")).json()["id"]
    r = client.get(f"/api/v1/berichten/{ident}/retour", headers=auth(keys.admin))
    assert r.status_code == 404
    assert reden in r.json()["detail"]
    assert "XSD" not in r.json()["detail"] or welk == "xsd-fout"


# -- the OpenAPI document ----------------------------------------------------------------------------------------

def _onze_operaties(schema: dict) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    ops = []
    for router in (routes.router, declaraties.router):
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                ops.append((method, route.path, schema["paths"][route.path][method.lower()]))
    return ops


def test_every_operation_and_parameter_of_the_api_is_described(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    schema = client.app.openapi()
    ops = _onze_operaties(schema)
    assert len(ops) >= 12
    zonder = [f"{m} {p}" for m, p, op in ops if not op.get("description")]
    assert zonder == []
    parameters = [f"{m} {p} {x['name']}" for m, p, op in ops for x in op.get("parameters", [])
                  if not x.get("description")]
    assert parameters == []
    assert [f"{m} {p}" for m, p, op in ops if "requestBody" in op and not op["requestBody"].get("description")] == []


def test_submit_documents_a_real_wmo315_and_the_201_it_gets(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    op = client.app.openapi()["paths"]["/api/v1/berichten"]["post"]
    inhoud = op["requestBody"]["content"]
    voorbeeld = inhoud["application/xml"]["example"].encode("utf-8")
    assert validate(voorbeeld).valid
    assert inhoud["application/json"]["example"]["bericht"] == "WMO315"
    gedocumenteerd = op["responses"]["201"]["content"]["application/json"]
    assert gedocumenteerd["schema"] == {"$ref": "#/components/schemas/Inzending"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Inzending"}

    proef = client.post("/api/v1/validate", content=voorbeeld, headers={**auth(keys.aanbieder), **XML})
    assert proef.json() == voorbeelden.VALIDATIE_200
    # The JSON example is the same message, as valid.
    als_json = client.post("/api/v1/validate", json=inhoud["application/json"]["example"], headers=auth(keys.aanbieder))
    assert als_json.status_code == 200 and als_json.json()["valid"], als_json.text
    echt = _submit(client, keys.aanbieder, voorbeeld)
    assert echt.status_code == 201
    verwacht = {**gedocumenteerd["example"], "id": echt.json()["id"]}
    verwacht["links"] = {k: v.replace(voorbeelden.VOORBEELD_ID, echt.json()["id"]) if v else v
                         for k, v in verwacht["links"].items()}
    assert echt.json() == verwacht
