"""bench/ingest.py keeps working: a tiny run starts both servers, sends messages the gateway accepts and prints
its table; and its client (bench/loadgen.py) reads answers right against a scripted socket server: Content-Length
split over several recv()s, chunked, until-close, and a closed, reset or silent connection as a transport error
that the bench counts as not accepted. No timing is asserted here; the figures belong to the bench itself."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import Berichten, Meting, Stroom, verkeer  # noqa: E402
from bench.loadgen import Client, Response, ResponseParser, TransportError, post_request  # noqa: E402

N = 20
ANTWOORD = b'{"id":"m1","status":"accepted","errors":[]}'


def _tabel(uitvoer: str) -> list[dict[str, str]]:
    regels = [r for r in uitvoer.splitlines() if r.startswith("| ")]
    kop = [k.strip() for k in regels[0].strip("|").split("|")]
    return [dict(zip(kop, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in regels[1:]]


@pytest.mark.slow  # two servers and the gateway's CLI start as processes: about 20-40 s
def test_quick_run_prints_a_row_per_concurrency_with_every_message_accepted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IWMO_TEST_POSTGRES_URL"}
    cmd = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--quick", "--n", str(N), "--concurrency", "1,4",
           "--backend", "sqlite", "--timeout", "240"]
    with subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as bench:
        try:
            uit, fout = bench.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            bench.send_signal(signal.SIGTERM)  # lets the bench stop its servers before we give up on it
            uit, fout = bench.communicate(timeout=60)
            pytest.fail(f"bench/ingest.py --quick did not finish in 300 s:\n{uit}\n{fout}")
    assert bench.returncode == 0, f"{uit}\n{fout}"

    rijen = _tabel(uit)
    assert [(r["backend"], r["concurrency"]) for r in rijen] == [("sqlite", "1"), ("sqlite", "4")], uit
    for r in rijen:
        assert r["accepted/sent"] == f"{N}/{N}", uit
        assert float(r["gateway msg/s"]) > 0 and float(r["minimal app rps"]) > 0, uit
        assert r["ratio"].endswith("%"), uit


# -- the client against a scripted socket server --------------------------------------------------------------

Actie = Callable[[socket.socket], bool]  # answers one request on the connection; False once it has closed it


class Opname:
    def __init__(self) -> None:
        self.verbindingen = 0
        self.verzoeken: list[bytes] = []
        self.klaar = threading.Event()  # the test is over: a silent answer may stop waiting


def _lees_verzoek(conn: socket.socket) -> bytes | None:
    """One whole request (head and Content-Length body), or None when the client closed the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        stuk = conn.recv(65536)
        if not stuk:
            return None
        data += stuk
    head = data.split(b"\r\n\r\n", 1)[0]
    lengte = next(int(r.split(b":", 1)[1]) for r in head.split(b"\r\n") if r.lower().startswith(b"content-length:"))
    while len(data) < len(head) + 4 + lengte:
        data += conn.recv(65536)
    return data


@contextmanager
def gescript(*acties: Actie) -> Iterator[tuple[int, Opname]]:
    """A server on 127.0.0.1 that reads each request whole and answers the i-th with acties[i]; connections one
    after another, as the client opens them."""
    opname = Opname()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)  # a closed listening socket does not wake accept(): look at `klaar` this often
    script = iter(acties)

    def dien() -> None:
        try:
            while not opname.klaar.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(10)
                    opname.verbindingen += 1
                    while (verzoek := _lees_verzoek(conn)) is not None:
                        opname.verzoeken.append(verzoek)
                        if not next(script)(conn):
                            break
        except (OSError, StopIteration):
            return  # the server socket was closed at the end of the test, or the script ran out

    draad = threading.Thread(target=dien, daemon=True)
    draad.start()
    try:
        yield server.getsockname()[1], opname
    finally:
        opname.klaar.set()
        server.close()
        draad.join(timeout=10)


def http(status: int = 201, body: bytes = ANTWOORD, koppen: str | None = None) -> bytes:
    koppen = f"content-length: {len(body)}\r\n" if koppen is None else koppen
    return f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{koppen}\r\n".encode() + body


def in_stukken(*delen: bytes) -> Actie:
    def actie(conn: socket.socket) -> bool:
        for i, deel in enumerate(delen):
            if i:
                time.sleep(0.05)  # each piece its own segment, so the client reads it with a recv() of its own
            conn.sendall(deel)
        return True
    return actie


def en_sluit(data: bytes) -> Actie:
    def actie(conn: socket.socket) -> bool:
        conn.sendall(data)
        return False
    return actie


def reset(conn: socket.socket) -> bool:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST, not FIN
    return False


def stuur(port: int, aantal: int, timeout: float = 5.0) -> list[tuple[Response | TransportError, float]]:
    """`aantal` POSTs over one connection slot; each answer (or transport error) and its seconds, in order."""
    te_gaan = list(range(aantal))[::-1]
    uit: dict[int, tuple[Response | TransportError, float]] = {}

    def volgende() -> tuple[bytes, int] | None:
        if not te_gaan:
            return None
        nummer = te_gaan.pop()
        return post_request(f"127.0.0.1:{port}", "/p", f"<m{nummer}/>".encode(), {"Authorization": "Bearer k"}), nummer

    def klaar(nummer: int, antwoord: Response | TransportError, seconden: float) -> None:
        uit[nummer] = (antwoord, seconden)

    with Client[int]("127.0.0.1", port, 1, timeout) as client:
        client.run(volgende, klaar, deadline=time.monotonic() + 30)
    return [uit[i] for i in range(aantal)]


def test_parser_waits_for_the_last_byte_of_a_content_length_answer_fed_one_byte_at_a_time() -> None:
    parser, data = ResponseParser(), http()
    assert [parser.feed(data[i:i + 1]) for i in range(len(data) - 1)] == [None] * (len(data) - 1)
    antwoord = parser.feed(data[-1:])
    assert antwoord is not None and (antwoord.status, antwoord.body, antwoord.keep_alive) == (201, ANTWOORD, True)
    assert antwoord.headers["content-type"] == "application/json" and antwoord.json()["status"] == "accepted"


def test_parser_joins_a_chunked_answer_with_a_trailer_and_refuses_bytes_after_an_answer() -> None:
    chunked = http(koppen="Transfer-Encoding: chunked\r\n", body=b"4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\nT: 1\r\n\r\n")
    parser = ResponseParser()
    assert parser.feed(chunked[:-3]) is None
    antwoord = parser.feed(chunked[-3:])
    assert antwoord is not None and antwoord.json() == {"a": 1}
    with pytest.raises(TransportError, match="bytes after the response"):
        ResponseParser().feed(http() + b"HTTP/1.1")


def test_parser_refuses_an_informational_answer_it_never_asked_for_and_a_status_line_that_is_not_http() -> None:
    with pytest.raises(TransportError, match="informational 100"):
        ResponseParser().feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    with pytest.raises(TransportError, match="not an HTTP/1.x status line"):
        ResponseParser().feed(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_client_sends_the_prebuilt_request_and_reads_answers_split_over_several_recvs_on_one_connection() -> None:
    data = http()
    gesplitst = in_stukken(data[:10], data[10:60], data[60:-5], data[-5:])  # inside the status line, head and body
    with gescript(gesplitst, gesplitst) as (port, opname):
        (eerste, s1), (tweede, s2) = stuur(port, 2)
    assert isinstance(eerste, Response) and isinstance(tweede, Response)
    assert (eerste.status, eerste.body) == (tweede.status, tweede.body) == (201, ANTWOORD)
    assert s1 >= 0.15 and s2 >= 0.15  # the latency runs to the last piece, not the first
    assert opname.verbindingen == 1  # keep-alive: both on one connection
    assert opname.verzoeken == [
        f"POST /p HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer k\r\nContent-Length: 5\r\n\r\n<m{i}/>"
        .encode() for i in (0, 1)]


def test_an_answer_without_length_runs_until_the_server_closes_and_the_next_request_gets_a_new_connection() -> None:
    with gescript(en_sluit(http(koppen="connection: close\r\n", body=b"tot het eind")),
                  in_stukken(http())) as (port, opname):
        (eerste, _), (tweede, _) = stuur(port, 2)
    assert isinstance(eerste, Response) and eerste.body == b"tot het eind" and not eerste.keep_alive
    assert isinstance(tweede, Response) and tweede.body == ANTWOORD
    assert opname.verbindingen == 2


def test_a_connection_closed_mid_answer_reset_or_silent_is_a_transport_error_and_the_slot_reconnects() -> None:
    def zwijg(conn: socket.socket) -> bool:
        conn.recv(1)  # says nothing until the client gives up and closes
        return False

    with gescript(en_sluit(http()[:-3]), reset, zwijg, in_stukken(http())) as (port, opname):
        uitkomsten = [a for a, _ in stuur(port, 4, timeout=0.5)]
    assert [a.kind if isinstance(a, TransportError) else a.status for a in uitkomsten] == [
        "ConnectionClosed", "ConnectionResetError", "ReadTimeout", 201]
    assert opname.verbindingen == 4


def test_a_keep_alive_connection_the_server_closed_while_idle_is_replaced_before_the_next_run_without_an_error() -> None:
    uit: list[Response | TransportError] = []

    def een(port: int) -> Callable[[], tuple[bytes, None] | None]:
        verzoeken = [post_request(f"127.0.0.1:{port}", "/p", b"<m/>", {})]
        return lambda: (verzoeken.pop(), None) if verzoeken else None

    # The first answer keeps the connection open by its headers, then the server closes it (a keep-alive timeout).
    with gescript(en_sluit(http()), in_stukken(http())) as (port, opname), \
            Client[None]("127.0.0.1", port, 1, 5.0) as client:
        client.run(een(port), lambda _, antwoord, __: uit.append(antwoord))  # the warm-up
        time.sleep(0.2)  # the server's FIN has arrived
        client.run(een(port), lambda _, antwoord, __: uit.append(antwoord))  # the measured run
    assert [a.status if isinstance(a, Response) else a.kind for a in uit] == [201, 201]
    assert opname.verbindingen == 2


# -- the bench's stream and honesty over that client ----------------------------------------------------------

def _bench_over(port: int, acties_aantal: int) -> Meting:
    berichten, meting = Berichten(), Meting()
    koppen = {"0599": {"Authorization": "Bearer gemeente"}, "12345678": {"Authorization": "Bearer aanbieder"}}
    stroom = Stroom(berichten, acties_aantal,
                    lambda partij, data: post_request(f"127.0.0.1:{port}", "/p", data, koppen[partij]))
    with Client("127.0.0.1", port, 1, 5.0) as client:
        client.run(*verkeer(stroom, meting), deadline=time.monotonic() + 30)
    return meting


def _partijen(opname: Opname) -> list[str]:
    return [v.split(b"Authorization: Bearer ", 1)[1].split(b"\r\n", 1)[0].decode() for v in opname.verzoeken]


def test_a_wmo305_goes_only_after_its_wmo301_was_accepted_and_a_refusal_is_explained() -> None:
    afgekeurd = http(body=b'{"status":"rejected","errors":[{"code":"TR019","retourcode":"8001","locatie":"/x"}]}')
    with gescript(in_stukken(afgekeurd), in_stukken(http()), in_stukken(http())) as (port, opname):
        meting = _bench_over(port, 3)
    assert _partijen(opname) == ["gemeente", "gemeente", "aanbieder"]  # no start for the rejected toewijzing
    assert meting.uitkomsten == {"rejected": 1, "accepted": 2} and meting.voorbeelden == ["TR019 8001 /x"]


def test_the_bench_counts_a_reset_connection_as_sent_and_not_accepted() -> None:
    with gescript(in_stukken(http()), reset, in_stukken(http()), in_stukken(http())) as (port, opname):
        meting = _bench_over(port, 4)
    assert _partijen(opname) == ["gemeente", "aanbieder", "gemeente", "aanbieder"]
    assert meting.verstuurd == 4 and meting.geaccepteerd == 3  # so main() exits 1: not every message accepted
    assert meting.uitkomsten["ConnectionResetError"] == 1 and len(meting.latenties) == 3

