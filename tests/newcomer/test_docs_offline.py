"""/docs and /redoc render in a real headless Chromium that may reach nothing but the gateway on loopback.

Every request the page makes to another host is aborted and recorded: the pages must render their operation list
from what the gateway serves itself (scripts, stylesheet, the OpenAPI document) and ask nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.chromium import MARKS, chromium, sync_api
from tests.serveproces import gateway_proces

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    map_ = tmp_path_factory.mktemp("docs")
    with gateway_proces(["serve"], map_=map_, settings={"IWMO_DATABASE_URL": f"sqlite:///{map_ / 'gw.db'}"}) as s:
        yield s.base


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def offline(browser: sync_api.Browser) -> Iterator[tuple[sync_api.Page, list[str]]]:
    """A page whose requests to any host but 127.0.0.1 are aborted; the list holds those it tried."""
    geweigerd: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")

    def alleen_loopback(route: sync_api.Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            geweigerd.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", alleen_loopback)
    pagina = context.new_page()
    pagina.set_default_timeout(20_000)
    yield pagina, geweigerd
    context.close()


def _operaties(server: str) -> int:
    document = httpx.get(f"{server}/openapi.json", timeout=10).json()
    return sum(1 for operaties in document["paths"].values() for m in operaties if m in ("get", "post", "put", "patch", "delete"))


def test_swagger_ui_renders_every_operation_offline(offline: tuple[sync_api.Page, list[str]], server: str) -> None:
    pagina, geweigerd = offline
    pagina.goto(f"{server}/docs")
    pagina.wait_for_selector(".opblock-summary-path")
    paden = pagina.locator(".opblock-summary-path").all_inner_texts()
    assert len(paden) == _operaties(server)
    assert any(p.replace("\u200b", "") == "/api/v1/berichten" for p in paden), paden
    assert not geweigerd, f"/docs asked the internet for {geweigerd}"


def test_redoc_renders_the_operations_offline(offline: tuple[sync_api.Page, list[str]], server: str) -> None:
    pagina, geweigerd = offline
    pagina.goto(f"{server}/redoc")
    pagina.wait_for_selector("[data-section-id^='operation/']", state="attached")
    secties = pagina.locator("[data-section-id^='operation/']")
    assert len({secties.nth(i).get_attribute("data-section-id") for i in range(secties.count())}) == _operaties(server)
    assert "/api/v1/berichten" in pagina.content()
    assert not geweigerd, f"/redoc asked the internet for {geweigerd}"
