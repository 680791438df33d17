"""What a process start builds (issue #11: a gateway process starts in a fraction of the time): nothing only some
requests need, and nothing twice. Behaviour, not timing: which modules are loaded, which route objects serve."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from gateway.admin.herverwerking import router as console_herverwerking_router
from gateway.admin.routes import router as console_router
from gateway.api.abonnementen import router as abonnementen_router
from gateway.api.achterstallig import router as achterstallig_router
from gateway.api.app import create_app
from gateway.api.declaraties import router as declaraties_router
from gateway.api.dvs import router as dvs_router
from gateway.api.herverwerkingen import router as herverwerkingen_router
from gateway.api.profielen import router as profielen_router
from gateway.api.routes import router
from gateway.settings import Settings
from tests.nieuw_proces import laatste_regel

ROUTERS = (router, declaraties_router, achterstallig_router, abonnementen_router, herverwerkingen_router,
           profielen_router, dvs_router, console_router, console_herverwerking_router)


def test_building_the_app_loads_no_xmlschema_until_a_json_view_or_the_openapi_document_needs_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # xmlschema (and compiling a message schema with it) cost every start about half a second, for the JSON routes
    # and the OpenAPI example only.
    code = ("import sys; from gateway.api.app import create_app; app = create_app(); vooraf = 'xmlschema' in "
            "sys.modules; doc = app.openapi(); body = doc['paths']['/api/v1/berichten']['post']['requestBody']; "
            "print(vooraf, 'xmlschema' in sys.modules, body['content']['application/json']['example']['bericht'])")
    assert laatste_regel(code, tmp_path) == "False True WMO315"


def test_the_console_sets_up_its_templates_with_its_first_page_not_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = ("import sys; from fastapi.testclient import TestClient; from gateway.api.app import create_app; "
            "app = create_app(); vooraf = 'jinja2' in sys.modules; pagina = TestClient(app).get('/admin/inloggen'); "
            "print(vooraf, pagina.status_code, 'jinja2' in sys.modules, '<form' in pagina.text)")
    assert laatste_regel(code, tmp_path) == "False 200 True True"


def test_every_route_of_the_api_and_the_console_is_served_as_built_not_built_again_for_the_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # app.include_router would keep each router aside and build all its routes again on the app's first request:
    # 0.3 s on the first request of every serve, and for every app a test creates.
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}"))
    eigen = {id(r) for r in app.routes}
    for r in ROUTERS:
        assert r.routes and all(id(route) in eigen for route in r.routes), r.prefix
    with TestClient(app) as client:  # and they answer as the app's own
        assert client.get("/api/v1/inbox").status_code == 401
        assert client.get("/admin/inloggen").status_code == 200
        assert client.get("/health").json()["status"] == "gereed"
    assert all(isinstance(route, APIRoute) for r in ROUTERS for route in r.routes)


def test_the_json_schemas_of_one_folder_are_built_on_one_basisschema_and_decode_as_before(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Each message schema used to parse and build the whole basisschema again (0.2-0.5 s each, 2 s for the
    # OpenAPI document's JSON models); the verdicts and documents must not change with it.
    code = ("from gateway.messages import json_xml; from gateway.standard import catalogue\n"
            "from tests.reference import our_example\n"
            "s301, s305, jw = json_xml.schema('WMO301'), json_xml.schema('WMO305'), json_xml.schema('JW301')\n"
            "doc = json_xml.to_json('WMO305', our_example('WMO305'))\n"
            "terug = json_xml.to_json('WMO305', json_xml.from_json('WMO305', doc))\n"
            "print(s301.maps is s305.maps, jw.maps is s301.maps, terug == doc,\n"
            "      str(doc['Header']['BerichtCode']) == catalogue.get('WMO305').berichtcode)")
    assert laatste_regel(code, tmp_path) == "True False True True"
