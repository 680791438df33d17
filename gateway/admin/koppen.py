"""Security headers on every console response: no inline script, no framing, no sniffing, no referrer.

The pages take every script and stylesheet from /admin/static and put no `<script>`, `style=` or `on…=` in the
markup, so the policy can forbid inline code outright: an injected script would not run even if escaping
failed somewhere. Plain ASGI (not BaseHTTPMiddleware), so streamed exports pass through untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/admin"
STATIC = "/admin/static/"

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])
KOPPEN = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def is_console(pad: str) -> bool:
    return pad == PREFIX or pad.startswith(PREFIX + "/")


class Beveiligingskoppen:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console(scope["path"]):
            await self.app(scope, receive, send)
            return
        statisch = scope["path"].startswith(STATIC)

        async def met_koppen(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for naam, waarde in KOPPEN.items():
                    headers[naam] = waarde
                # Pages, exports and redirects carry message data or a session's state: no cache keeps them.
                if not statisch and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, met_koppen)
