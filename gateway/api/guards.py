"""ASGI guards around the whole application: a deadline on request bodies, and no caching of API answers.

Both are plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so they see every request, the console's
forms and the transport's inbound envelopes included, and cost nothing per chunk but a timer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTeLaat(Exception):
    """The request body did not arrive within the deadline; answered with 408 (problems.install)."""

    def __init__(self, seconden: float, totaal: bool):
        soort = "in totaal" if totaal else "tussen twee delen"
        super().__init__(f"Het verzoek kwam niet binnen {seconden:g} seconden {soort} binnen; de verbinding is "
                         "gesloten. Verstuur het opnieuw over een snellere verbinding.")


class BodyTimeout:
    """Cut off a request body that arrives too slowly: at most `totaal_s` for all of it and `chunk_s` between two
    chunks. uvicorn bounds headers and idle connections, not a body that trickles in a byte at a time; without
    this a handful of slow senders hold every worker thread and connection.

    A timeout while the application reads the body raises BodyTeLaat (a 408); once the answer has started (the
    application did not need the body), a late body is reported as a disconnect, so nothing fails after the fact.
    """

    def __init__(self, app: ASGIApp, *, totaal_s: float, chunk_s: float):
        self.app = app
        self.totaal_s = totaal_s
        self.chunk_s = chunk_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.totaal_s
        body_compleet = False
        antwoord_gestart = False

        async def begrensd_receive() -> Message:
            nonlocal body_compleet
            if body_compleet:
                return await receive()
            over = deadline - loop.time()
            wacht = min(self.chunk_s, over)
            try:
                async with asyncio.timeout(max(wacht, 0.0)):
                    message = await receive()
            except TimeoutError:
                if antwoord_gestart:
                    return {"type": "http.disconnect"}
                raise BodyTeLaat(self.totaal_s if over <= self.chunk_s else self.chunk_s,
                                 totaal=over <= self.chunk_s) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_compleet = True
            return message

        async def volg_send(message: Message) -> None:
            nonlocal antwoord_gestart
            if message["type"] == "http.response.start":
                antwoord_gestart = True
            await send(message)

        await self.app(scope, begrensd_receive, volg_send)


class NoStore:
    """`Cache-Control: no-store` on every answer under `prefix`: they carry messages, Bsn's and findings, which no
    browser, proxy or shared cache may keep (AVG)."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/api/"):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def met_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, met_no_store)
