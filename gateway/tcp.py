"""uvicorn's HTTP protocol with TCP_NODELAY on every accepted connection, for `serve --processen N`.

asyncio turns Nagle's algorithm off only for sockets whose protocol reads as TCP; the listening socket uvicorn
hands its worker processes reads as protocol 0, so their connections kept Nagle on: an answer written in two
parts (head, then body) waited for the client's delayed ACK, ≈ 40 ms per request. Importable by name, because
uvicorn passes its options to the worker processes it starts.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class ZonderNagle(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
