"""A lean HTTP/1.1 load generator for the benches: keep-alive connections over raw sockets, one thread.

The client shares the 2-core machine with the servers it measures, so every millisecond of CPU it spends is
taken from them. This one does as little as a request allows: the request bytes are built by the caller before
the clock starts, each connection is a non-blocking socket in one `select.poll` loop (no threads, so no GIL
hand-offs), a request is one `send()` and its answer usually one `recv()`, and the parser reads the status line,
the headers and the body, nothing more. A thread per connection with an httpx.Client cost 1.3-1.4 ms CPU per
request here; this costs 0.1-0.15 ms against a server that answers at once. Against a slow one every answer
means a sleep and a wake-up with cold caches, 0.25-0.3 ms per request at c=1 (measured: a blocking socket
without the loop pays 0.2 ms there too), which is little at a few dozen answers a second.

One request is in flight per connection (no pipelining), so the latency of each request means what it says:
from the first byte sent to the last byte of the answer read. Framing follows RFC 9112 §6.3: no body for 204
and 304, else Transfer-Encoding: chunked, else Content-Length, else until the server closes. A request whose
connection is reset, closes before the answer is whole, answers with something that is not HTTP/1.x (or with a
1xx, which nothing here asks for: no Expect header is sent) or takes longer than `timeout` ends in a
`TransportError`; the next request on that slot gets a new connection.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

RECV_BYTES = 256 * 1024
TIMEOUT_SCAN_S = 0.5  # how often in-flight requests are checked against their timeout
TIMEOUT_SCAN_MS = int(TIMEOUT_SCAN_S * 1000)
READABLE = select.POLLIN | select.POLLHUP | select.POLLERR  # a close or an error shows when we recv()
CRLF = b"\r\n"
NO_BODY_STATUS = frozenset({204, 304})


class TransportError(Exception):
    """A request that got no whole answer. `kind` names what happened, for a count per kind."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case; repeated headers joined with ", "
    body: bytes
    keep_alive: bool

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


def post_request(host: str, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """The whole bytes of one keep-alive POST, to build before measuring. `host` is the Host header (host:port)."""
    head = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items()),
            f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


# -- parsing ----------------------------------------------------------------------------------------------

def parse_head(head: bytes) -> tuple[int, dict[str, str], bool]:
    """Status, headers and whether the connection stays open, from the bytes before the blank line."""
    lines = head.split(CRLF)
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise TransportError("ProtocolError", f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise TransportError("ProtocolError", f"header without a colon: {line[:80]!r}")
        key = name.strip().lower().decode("latin-1")
        waarde = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {waarde}" if key in headers else waarde
    connection = {t.strip() for t in headers.get("connection", "").lower().split(",")}
    keep_alive = "keep-alive" in connection if parts[0] == b"HTTP/1.0" else "close" not in connection
    return int(parts[1]), headers, keep_alive


def dechunk(buf: bytes | bytearray, start: int) -> tuple[bytes, int] | None:
    """A chunked body that begins at `start`: its bytes and the index just past it, or None while incomplete."""
    pieces: list[bytes] = []
    pos = start
    while True:
        eol = buf.find(CRLF, pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise TransportError("ProtocolError", f"bad chunk size {bytes(buf[pos:eol])[:40]!r}") from None
        pos = eol + 2
        if size == 0:
            # Then optional trailer lines, then an empty line.
            if buf[pos:pos + 2] == CRLF:
                return b"".join(pieces), pos + 2
            end = buf.find(b"\r\n\r\n", pos)
            return None if end < 0 else (b"".join(pieces), end + 4)
        if len(buf) < pos + size + 2:
            return None
        if buf[pos + size:pos + size + 2] != CRLF:
            raise TransportError("ProtocolError", "chunk not followed by CRLF")
        pieces.append(bytes(buf[pos:pos + size]))
        pos += size + 2


class ResponseParser:
    """Reads one response at a time from what `recv()` returns, however it is split.

    `feed` gives the response once it is whole; `end_of_stream` is for when the server closed the connection.
    Bytes after a whole response are an error: with one request in flight there must be none."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._buf = bytearray()
        self._head: tuple[int, dict[str, str], bool] | None = None
        self._body_at = 0
        self._framing = ""  # "length", "chunked" or "close"
        self._length = 0

    def feed(self, data: bytes) -> Response | None:
        self._buf += data
        if self._head is None:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            self._head = parse_head(bytes(self._buf[:end]))
            self._body_at = end + 4
            self._framing, self._length = _framing(self._head[0], self._head[1])
        status, headers, keep_alive = self._head
        if self._framing == "length":
            end = self._body_at + self._length
            if len(self._buf) < end:
                return None
            body = bytes(self._buf[self._body_at:end])
        elif self._framing == "chunked":
            found = dechunk(self._buf, self._body_at)
            if found is None:
                return None
            body, end = found
        else:
            return None  # the body runs until the server closes the connection
        if len(self._buf) != end:
            raise TransportError("ProtocolError", f"{len(self._buf) - end} bytes after the response")
        self.reset()
        return Response(status, headers, body, keep_alive)

    def end_of_stream(self) -> Response:
        """The server closed the connection: the response if that is where it ends, else a TransportError."""
        if self._head is not None and self._framing == "close":
            status, headers, _ = self._head
            body = bytes(self._buf[self._body_at:])
            self.reset()
            return Response(status, headers, body, keep_alive=False)
        got = len(self._buf)
        self.reset()
        raise TransportError("ConnectionClosed", f"the server closed the connection after {got} bytes of the answer")


def _framing(status: int, headers: dict[str, str]) -> tuple[str, int]:
    if status < 200:
        # Only an `Expect: 100-continue` request or an upgrade asks for one, and this client sends neither.
        raise TransportError("ProtocolError", f"an informational {status} answer, which nothing here asked for")
    if status in NO_BODY_STATUS:
        return "length", 0
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return "chunked", 0
    if "content-length" in headers:
        try:
            return "length", int(headers["content-length"])
        except ValueError:
            raise TransportError("ProtocolError", f"Content-Length {headers['content-length']!r}") from None
    return "close", 0


# -- the loop ---------------------------------------------------------------------------------------------

@dataclass(eq=False)
class _Slot(Generic[T]):
    """One concurrency slot: a connection (opened when needed) and the request in flight on it."""
    sock: socket.socket | None = None
    parser: ResponseParser = field(default_factory=ResponseParser)
    token: T | None = None
    busy: bool = False
    sent_at: float = 0.0
    unsent: memoryview | None = None


NextRequest = Callable[[], tuple[bytes, T] | None]
Done = Callable[[T, Response | TransportError, float], None]


class Client(Generic[T]):
    """`connections` keep-alive connections to host:port, kept across `run` calls (so a warm-up opens them)."""

    def __init__(self, host: str, port: int, connections: int, timeout: float) -> None:
        self._address = (host, port)
        self._timeout = timeout
        self._poll = select.poll()
        self._by_fd: dict[int, _Slot[T]] = {}
        self._slots: list[_Slot[T]] = [_Slot() for _ in range(connections)]

    def __enter__(self) -> Client[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for slot in self._slots:
            self._drop(slot)

    def run(self, next_request: NextRequest[T], done: Done[T], deadline: float | None = None) -> None:
        """Until `next_request` returns None and every answer is in: give each free connection the next request
        (its bytes and a token of the caller's) and call `done(token, response or TransportError, seconds)` when
        it ends. `next_request` is asked only when a connection is free, so it can depend on earlier answers.
        Past `deadline` (time.monotonic()) it raises TimeoutError."""
        for slot in self._slots:
            if slot.sock is not None and not _still_open(slot.sock):
                self._drop(slot)  # the server closed it while idle (its keep-alive timeout): not a failed request
        in_flight = sum(self._begin(slot, next_request, done) for slot in self._slots)
        poll, by_fd = self._poll.poll, self._by_fd
        clock = time.perf_counter
        next_scan = clock() + TIMEOUT_SCAN_S
        while in_flight:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError
            for fd, events in poll(TIMEOUT_SCAN_MS):
                slot = by_fd[fd]
                if not slot.busy:
                    self._drop(slot)  # readable while idle: the server closed it (or sent what nobody asked for)
                    continue
                if events & select.POLLOUT and slot.unsent is not None:
                    self._send_rest(slot, done)
                if events & READABLE and slot.busy:
                    self._receive(slot, done)
                if not slot.busy:
                    in_flight -= 1 - self._begin(slot, next_request, done)
            now = clock()
            if now >= next_scan:
                next_scan = now + TIMEOUT_SCAN_S
                for slot in self._slots:
                    if slot.busy and now - slot.sent_at > self._timeout:
                        self._fail(slot, done, TransportError("ReadTimeout", f"no whole answer in {self._timeout:g} s"))
                        in_flight -= 1 - self._begin(slot, next_request, done)

    def _begin(self, slot: _Slot[T], next_request: NextRequest[T], done: Done[T]) -> bool:
        """Put the next request on this slot; True if one is in flight. A request that cannot even be sent is
        answered with its TransportError at once and the next one tried."""
        while True:
            item = next_request()
            if item is None:
                return False
            data, token = item
            # A new connection's set-up counts in its first request's latency, as it would for any client.
            slot.token, slot.busy, slot.sent_at = token, True, time.perf_counter()
            try:
                sock = slot.sock or self._connect(slot)
                sent = _send(sock, data)
            except OSError as exc:
                self._fail(slot, done, TransportError(type(exc).__name__, str(exc)))
                continue
            if sent < len(data):
                slot.unsent = memoryview(data)[sent:]
                self._poll.modify(sock, READABLE | select.POLLOUT)
            return True

    def _send_rest(self, slot: _Slot[T], done: Done[T]) -> None:
        assert slot.sock is not None and slot.unsent is not None
        try:
            sent = _send(slot.sock, slot.unsent)
        except OSError as exc:
            self._fail(slot, done, TransportError(type(exc).__name__, str(exc)))
            return
        slot.unsent = slot.unsent[sent:] if sent < len(slot.unsent) else None
        if slot.unsent is None:
            self._poll.modify(slot.sock, READABLE)

    def _receive(self, slot: _Slot[T], done: Done[T]) -> None:
        assert slot.sock is not None
        try:
            data = slot.sock.recv(RECV_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(slot, done, TransportError(type(exc).__name__, str(exc)))
            return
        try:
            response = slot.parser.feed(data) if data else slot.parser.end_of_stream()
        except TransportError as exc:
            self._fail(slot, done, exc)
            return
        if response is None:
            return
        seconds = time.perf_counter() - slot.sent_at
        token, unsent = slot.token, slot.unsent
        slot.token, slot.busy, slot.unsent = None, False, None
        if not data or not response.keep_alive or unsent is not None:
            self._drop(slot)  # closed, closing, or answered before our body was all sent: start afresh
        done(token, response, seconds)  # type: ignore[arg-type]

    def _fail(self, slot: _Slot[T], done: Done[T], error: TransportError) -> None:
        seconds = time.perf_counter() - slot.sent_at
        token = slot.token
        slot.token, slot.busy, slot.unsent = None, False, None
        self._drop(slot)
        done(token, error, seconds)  # type: ignore[arg-type]

    def _connect(self, slot: _Slot[T]) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a partial send must not wait for an ACK
        sock.setblocking(False)
        slot.sock = sock
        slot.parser.reset()
        self._poll.register(sock, READABLE)
        self._by_fd[sock.fileno()] = slot
        return sock

    def _drop(self, slot: _Slot[T]) -> None:
        if slot.sock is None:
            return
        with suppress(KeyError):
            self._poll.unregister(slot.sock)
        self._by_fd.pop(slot.sock.fileno(), None)
        slot.sock.close()
        slot.sock = None
        slot.parser.reset()


def _send(sock: socket.socket, data: bytes | memoryview) -> int:
    try:
        return sock.send(data)
    except BlockingIOError:
        return 0


def _still_open(sock: socket.socket) -> bool:
    """An idle keep-alive connection the server has neither closed nor written to (a peek, no bytes taken)."""
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True  # nothing to read: open and quiet
    except OSError:
        return False
    return False  # closed (b"") or bytes nobody asked for
