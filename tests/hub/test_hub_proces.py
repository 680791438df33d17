"""The hub as a real process: uvicorn on loopback, a real gemeente endpoint, D2's adapters as clients,
delivery after the gemeente comes back, and a SIGKILL'd hub that still has every unconfirmed message."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from gateway.transport import envelope
from tests.hub.conftest import AANBIEDER, AFLEVER_TOKEN, GEMEENTE, TOKENS, auth, payload_voor
from tests.serveproces import vrije_poort

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _wacht(voorwaarde: Callable[[], bool], seconden: float = 20.0) -> None:
    einde = time.monotonic() + seconden
    while time.monotonic() < einde:
        if voorwaarde():
            return
        time.sleep(0.05)
    raise AssertionError("voorwaarde niet gehaald binnen de tijd")


@dataclass
class Gemeenteserver:
    """A gemeente gateway's POST /ggk over real HTTP: stores each envelope, answers an empty SOAP Body."""

    poort: int
    ontvangen: list[envelope.Envelop] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        ontvangen = self.ontvangen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Authorization") != f"Bearer {AFLEVER_TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                ontvangen.append(envelope.lees(data))
                body = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/>'
                        b"</soap:Envelope>")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.poort), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Hubproces:
    poort: int
    config: Path
    database_url: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.poort}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway.hub", "--config", str(self.config), "--port", str(self.poort),
             "--database-url", self.database_url, "--log-level", "warning"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

        def klaar() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.proc.stdout.read() if self.proc else ""
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wacht(klaar)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=15)
        self.proc = None


@pytest.fixture
def opstelling(tmp_path: Path) -> Iterator[tuple[Hubproces, Gemeenteserver]]:
    gemeente = Gemeenteserver(vrije_poort())
    config = tmp_path / "hub.toml"
    config.write_text(f"""
[[gemeente]]
code = "{GEMEENTE}"
token = "{TOKENS[GEMEENTE]}"
endpoint = "http://127.0.0.1:{gemeente.poort}/ggk"
aflever_token = "{AFLEVER_TOKEN}"

[[aanbieder]]
code = "{AANBIEDER}"
token = "{TOKENS[AANBIEDER]}"

[bezorging]
interval_s = 0.05
basis_s = 0.05
max_s = 0.2
""", encoding="utf-8")
    hub = Hubproces(vrije_poort(), config, f"sqlite:///{tmp_path / 'hub.db'}")
    hub.start()
    yield hub, gemeente
    hub.stop()
    gemeente.stop()


def test_real_process_delivers_after_the_gemeente_comes_back_and_survives_sigkill(
    opstelling: tuple[Hubproces, Gemeenteserver],
) -> None:
    hub, gemeente = opstelling
    with httpx.Client(base_url=hub.url, timeout=10) as http:
        # The gemeente endpoint is not listening yet: the hub keeps trying.
        traceer = envelope.nieuw_referentienummer()
        meta = envelope.VecozoMetadata(traceer, traceer, None, ("Instelling", AANBIEDER), [("Gemeente", GEMEENTE)],
                                       "WMO305").to_json()
        r = http.post("/berichten", headers=auth(AANBIEDER), files={
            "berichtMetadata": ("m.json", json.dumps(meta).encode(), "application/json"),
            "payload": ("p.xml", payload_voor("WMO305"), "application/xml")})
        assert r.status_code == 204, r.text

        def status() -> dict[str, object]:
            return http.get("/berichtstatussen", params={"traceerId": traceer}, headers=auth(AANBIEDER)).json()

        _wacht(lambda: int(status()["pogingen"]) >= 2)  # type: ignore[call-overload]
        assert status()["status"] == "Aangeboden"
        gemeente.start()
        _wacht(lambda: status()["status"] == "Bezorgd")
        assert [e.referentienummer for e in gemeente.ontvangen] == [traceer]

        # A gemeente's Di01 waits in the aanbieder's queue; a killed hub still has it afterwards.
        data, di01 = envelope.heenbericht(payload_voor("WMO301"), zender=GEMEENTE, ontvanger=AANBIEDER,
                                          functie="WMO301")
        assert http.post("/ggk", content=data, headers=auth(GEMEENTE)).status_code == 200
        [item] = http.get("/berichten", headers=auth(AANBIEDER)).json()["berichten"]
        payload = http.get(item["payload"]["url"], headers=auth(AANBIEDER)).content
        assert hashlib.sha256(payload).hexdigest() == item["payload"]["checksum"]["waarde"]
    hub.stop(signal.SIGKILL)
    hub.start()
    with httpx.Client(base_url=hub.url, timeout=10) as http:
        [item] = http.get("/berichten", headers=auth(AANBIEDER)).json()["berichten"]
        assert item["traceerId"] == di01.referentienummer
        assert http.delete(f"/berichten/{di01.referentienummer}", headers=auth(AANBIEDER)).status_code == 202
        assert http.get("/berichten", headers=auth(AANBIEDER)).json()["berichten"] == []
    assert len(gemeente.ontvangen) == 1  # nothing delivered twice after the restart


def test_the_gateways_own_adapters_speak_to_the_hub(
    opstelling: tuple[Hubproces, Gemeenteserver], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The contract with gateway.transport: its ggk and vecozo adapters against the real hub process."""
    adapter = pytest.importorskip("gateway.transport.adapter")
    ggk = pytest.importorskip("gateway.transport.ggk")
    vecozo = pytest.importorskip("gateway.transport.vecozo")
    hub, gemeente = opstelling
    gemeente.start()
    monkeypatch.setenv("HUB_TEST_GEMEENTE", TOKENS[GEMEENTE])
    monkeypatch.setenv("HUB_TEST_AANBIEDER", TOKENS[AANBIEDER])
    g = ggk.GgkTransport(adapter.Verbinding("ggk", f"{hub.url}/ggk", "HUB_TEST_GEMEENTE", timeout=10))
    v = vecozo.VecozoTransport(adapter.Verbinding("vecozo", hub.url, "HUB_TEST_AANBIEDER", timeout=10))
    try:
        heen_id = envelope.nieuw_referentienummer()
        uit = g.verstuur(adapter.Zending(heen_id, "WMO301", GEMEENTE, AANBIEDER, payload_voor("WMO301")))
        assert uit.ok, uit
        [binnen] = v.ophalen(250)
        assert (binnen.envelop_id, binnen.functie, binnen.payload) == (heen_id, "WMO301", payload_voor("WMO301"))
        assert binnen.sha256 == hashlib.sha256(binnen.payload).hexdigest()
        v.bevestig(binnen.id)
        assert v.ophalen(250) == []

        from gateway.messages.retour import validate_and_build

        retour = validate_and_build(payload_voor("WMO301"), identificatie="RET-9", dagtekening="2026-03-12")
        uit = v.verstuur(adapter.Zending(envelope.nieuw_referentienummer(), "WMO302", AANBIEDER, GEMEENTE, retour,
                                         retour=True, conversatie_id=heen_id, antwoord_op=heen_id))
        assert uit.ok, uit
        _wacht(lambda: len(gemeente.ontvangen) == 1)
        assert (gemeente.ontvangen[0].soort, gemeente.ontvangen[0].cross_refnummer) == ("Du01", heen_id)

        # A refusal reaches the adapter as a definitive result with the hub's code.
        slecht = payload_voor("WMO301").replace(b"<BerichtCode>", b"<BerichtCode>9", 1)
        uit = g.verstuur(adapter.Zending(envelope.nieuw_referentienummer(), "WMO301", GEMEENTE, AANBIEDER, slecht))
        assert (uit.ok, uit.code) == (False, "StUF055")
        uit = g.verstuur(adapter.Zending(envelope.nieuw_referentienummer(), "WMO301", GEMEENTE, "99999999",
                                         payload_voor("WMO301", ontvanger="99999999")))
        assert (uit.ok, uit.code) == (False, "IB010")
    finally:
        g.close()
        v.close()


def test_stopping_the_hub_answers_a_held_pull_at_once(opstelling: tuple[Hubproces, Gemeenteserver]) -> None:
    """uvicorn lets running requests finish before it stops; a pull held for 20 s must not keep it that long."""
    hub, _ = opstelling
    uitslag: dict[str, int] = {}

    def vraag() -> None:
        with httpx.Client(base_url=hub.url, timeout=30) as http:
            uitslag["status"] = http.get("/berichten", params={"wacht_ms": 20_000},
                                         headers=auth(AANBIEDER)).status_code

    t = threading.Thread(target=vraag, daemon=True)
    t.start()
    _wacht(lambda: httpx.get(f"{hub.url}/health", timeout=1).json()["wachtend_ophalen"] == {AANBIEDER: 1})
    begin = time.monotonic()
    hub.stop()
    t.join(10)
    assert uitslag == {"status": 200} and time.monotonic() - begin < 10
