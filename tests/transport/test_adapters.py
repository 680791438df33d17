"""The adapters against real sockets: the GGk and VECOZO adapters talk HTTP to a uvicorn server on loopback,
the filesystem adapter to real directories."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.transport import envelope
from gateway.transport.adapter import TransportFout, Uitkomst, Verbinding, Zending, beschikbaar, maak
from gateway.transport.filesystem import FilesystemTransport
from gateway.transport.ggk import GgkTransport
from gateway.transport.vecozo import WACHT_MARGE_S, VecozoTransport
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant
from tests.transport.servers import HubDubbel, draai, vrije_poort


def _zending(**anders: object) -> Zending:
    velden: dict[str, object] = dict(envelop_id=str(uuid.uuid4()), functie="WMO301", zender=GEMEENTE,
                                     ontvanger=AANBIEDER, payload=variant("WMO301", "ADAPT1"))
    velden.update(anders)
    return Zending(**velden)  # type: ignore[arg-type]


def _fo01(code: str, plek: str = "client") -> bytes:
    data, _ = envelope.fout(zender="IB", ontvanger=GEMEENTE, cross_refnummer=str(uuid.uuid4()), code=code,
                            plek=plek, omschrijving=f"geweigerd met {code}", als_fault=True)
    return data


def test_our_adapters_are_declared_in_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    assert {e.name for e in entry_points(group="iwmo_gateway.transport")} >= {"ggk", "vecozo", "filesystem", "memory"}
    assert set(beschikbaar()) >= {"ggk", "vecozo", "filesystem", "memory"}


# -- GGk ---------------------------------------------------------------------------------------------------

def test_ggk_sends_a_di01_with_our_envelope_id_soapaction_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GGK_TOKEN", "geheim-123")
    hub = HubDubbel()
    with draai(hub.app()) as url:
        t = GgkTransport(Verbinding("ggk", f"{url}/ggk", "TEST_GGK_TOKEN"))
        z = _zending()
        r = t.verstuur(z)
        t.close()
    assert r.uitkomst is Uitkomst.OK and r.http_status == 200
    [(headers, body)] = hub.ggk
    assert headers["authorization"] == "Bearer geheim-123"
    assert headers["soapaction"] == f'"{envelope.SOAP_ACTION["Di01"]}"'
    e = envelope.lees(body)
    assert (e.soort, e.referentienummer, e.zender, e.ontvanger, e.functie) == ("Di01", z.envelop_id, GEMEENTE,
                                                                               AANBIEDER, "WMO301")
    assert e.payload == z.payload


def test_ggk_sends_a_retourbericht_as_du01_with_the_crossrefnummer() -> None:
    hub = HubDubbel()
    heen = str(uuid.uuid4())
    with draai(hub.app()) as url:
        r = GgkTransport(Verbinding("ggk", f"{url}/ggk")).verstuur(
            _zending(functie="WMO306", zender=GEMEENTE, ontvanger=AANBIEDER, retour=True, antwoord_op=heen,
                     payload=b"<x/>"))
    assert r.ok
    e = envelope.lees(hub.ggk[0][1])
    assert (e.soort, e.cross_refnummer) == ("Du01", heen)


@pytest.mark.parametrize(("status", "body", "uitkomst", "code"), [
    (503, b"", Uitkomst.TIJDELIJK, None),
    (502, b"", Uitkomst.TIJDELIJK, None),
    (400, b"", Uitkomst.DEFINITIEF, None),
    (500, _fo01("IB005"), Uitkomst.DEFINITIEF, "IB005"),  # unknown gemeentecode: repeating cannot help
    (500, _fo01("IB103", plek="server"), Uitkomst.TIJDELIJK, "IB103"),  # a freeze: try again later
    (500, _fo01("IB016"), Uitkomst.OK, None),  # our id seen before: an earlier attempt arrived
], ids=["503", "502", "400", "fo01-IB005", "fo01-IB103", "fo01-IB016"])  # the bodies hold fresh uuids
def test_ggk_classifies_the_hubs_answers(status: int, body: bytes, uitkomst: Uitkomst, code: str | None) -> None:
    hub = HubDubbel(ggk_antwoorden=[(status, body)])
    with draai(hub.app()) as url:
        r = GgkTransport(Verbinding("ggk", f"{url}/ggk")).verstuur(_zending())
    assert (r.uitkomst, r.code, r.http_status) == (uitkomst, code, status)


def test_ggk_connection_refused_is_transient() -> None:
    r = GgkTransport(Verbinding("ggk", f"http://127.0.0.1:{vrije_poort()}/ggk", timeout=2)).verstuur(_zending())
    assert r.uitkomst is Uitkomst.TIJDELIJK and "ConnectError" in r.detail


def test_ggk_refuses_a_retour_without_the_heenberichts_envelope_id_before_sending() -> None:
    r = GgkTransport(Verbinding("ggk", "http://127.0.0.1:9/ggk")).verstuur(
        _zending(functie="WMO302", zender=AANBIEDER, ontvanger=GEMEENTE, retour=True, antwoord_op=None))
    assert r.uitkomst is Uitkomst.DEFINITIEF and r.code == "IB001" and "crossRefnummer" in r.detail


# -- VECOZO ------------------------------------------------------------------------------------------------

def test_vecozo_push_sends_metadata_and_payload_as_multipart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_VECOZO_TOKEN", "tok-aanbieder")
    hub = HubDubbel(token="tok-aanbieder")
    heen, gesprek = str(uuid.uuid4()), str(uuid.uuid4())
    z = _zending(functie="WMO302", zender=AANBIEDER, ontvanger=GEMEENTE, retour=True, antwoord_op=heen,
                 conversatie_id=gesprek, payload=b"<retour/>")
    with draai(hub.app()) as url:
        r = VecozoTransport(Verbinding("vecozo", url, "TEST_VECOZO_TOKEN")).verstuur(z)
    assert r.ok and r.http_status == 204
    [(meta, bericht, auth)] = hub.push
    assert bericht == b"<retour/>" and auth == "Bearer tok-aanbieder"
    assert meta == {"traceerId": z.envelop_id, "conversatieId": gesprek, "alsAntwoordOp": heen,
                    "afzender": {"rol": "Instelling", "code": AANBIEDER},
                    "geadresseerden": [{"rol": "Gemeente", "code": GEMEENTE}], "berichttype": "WMO302"}


@pytest.mark.parametrize(("status", "body", "uitkomst", "code"), [
    (422, {"code": "BRS33", "omschrijving": "geen routeringsregel"}, Uitkomst.DEFINITIEF, "BRS33"),
    (422, {"meldingen": [{"code": "BRS04", "omschrijving": "geadresseerde niet aangesloten"}]},
     Uitkomst.DEFINITIEF, "BRS04"),
    (400, {"title": "metadata ongeldig"}, Uitkomst.DEFINITIEF, None),
    (503, None, Uitkomst.TIJDELIJK, None),
    (401, None, Uitkomst.TIJDELIJK, None),  # a token to fix; the messages must survive that
    (409, {"code": "BRS114"}, Uitkomst.OK, None),  # our traceerId seen before: delivered earlier
])
def test_vecozo_classifies_push_answers(status: int, body: dict | None, uitkomst: Uitkomst, code: str | None) -> None:  # type: ignore[type-arg]
    hub = HubDubbel(push_antwoorden=[(status, json.dumps(body).encode() if body else b"")])
    with draai(hub.app()) as url:
        r = VecozoTransport(Verbinding("vecozo", url)).verstuur(_zending())
    assert (r.uitkomst, r.code) == (uitkomst, code)


def test_vecozo_pull_lists_downloads_and_deletes_only_when_asked() -> None:
    hub = HubDubbel()
    payloads = {str(uuid.uuid4()): variant("WMO301", f"PULL{i}") for i in range(3)}
    for tid, p in payloads.items():
        hub.wachtrij[tid] = ({"conversatieId": tid, "alsAntwoordOp": None, "berichttype": "WMO301",
                              "afzender": {"rol": "Gemeente", "code": GEMEENTE},
                              "geadresseerden": [{"rol": "Instelling", "code": AANBIEDER}]}, p)
    with draai(hub.app()) as url:
        t = VecozoTransport(Verbinding("vecozo", url))
        eerste = t.ophalen(2)
        assert [o.id for o in eerste] == list(payloads)[:2]
        assert all(o.payload == payloads[o.id] and o.sha256 == hashlib.sha256(o.payload).hexdigest() for o in eerste)
        assert (eerste[0].zender, eerste[0].ontvanger, eerste[0].functie) == (GEMEENTE, AANBIEDER, "WMO301")
        assert len(t.ophalen(250)) == 3  # nothing disappears by being fetched
        t.bevestig(eerste[0].id)
        t.bevestig(eerste[0].id)  # a repeated acknowledgement is harmless
        assert [o.id for o in t.ophalen(250)] == list(payloads)[1:]
    assert hub.verwijderd == [eerste[0].id]


# -- filesystem --------------------------------------------------------------------------------------------

def test_filesystem_writes_whole_files_and_hands_in_files_over_until_acknowledged(tmp_path: Path) -> None:
    t = maak(Verbinding("filesystem", str(tmp_path)))
    assert isinstance(t, FilesystemTransport)
    z = _zending()
    assert t.verstuur(z).ok
    assert sorted(p.name for p in (tmp_path / "uit").iterdir()) == [f"{z.envelop_id}.json", f"{z.envelop_id}.xml"]
    meta = json.loads((tmp_path / "uit" / f"{z.envelop_id}.json").read_text())
    assert meta["sha256"] == hashlib.sha256(z.payload).hexdigest() and meta["functie"] == "WMO301"

    (tmp_path / "in" / "bericht-1.xml").write_bytes(b"<een/>")
    (tmp_path / "in" / ".bericht-2.xml.abc.tmp").write_bytes(b"<half")  # a writer still busy
    [o] = t.ophalen(10)
    assert (o.id, o.envelop_id, o.payload, o.sha256) == ("bericht-1.xml", "bericht-1", b"<een/>", None)
    t.bevestig(o.id)
    assert t.ophalen(10) == [] and (tmp_path / "in" / "verwerkt" / "bericht-1.xml").exists()
    t.bevestig("../../uit/" + o.id)  # cannot reach outside the inbox
    assert (tmp_path / "uit" / f"{z.envelop_id}.xml").exists()


def test_vecozo_asks_the_hub_to_hold_a_pull_only_when_told_and_gives_up_shortly_after_the_wait() -> None:
    """The real VECOZO has no wacht_ms: a plain pull sends none. A held pull whose hub does not answer ends a
    short margin after its wait, not after the connection's 30 s timeout (stopping the worker waits for it)."""
    gevraagd: list[dict[str, str]] = []
    app = FastAPI()

    @app.get("/berichten")
    async def lijst(request: Request) -> JSONResponse:
        gevraagd.append(dict(request.query_params))
        if "wacht_ms" in request.query_params:
            await asyncio.sleep(10)  # a hub that never answers in time
        return JSONResponse({"berichten": []})

    with draai(app) as base:
        t = VecozoTransport(Verbinding("vecozo", base, timeout=30))
        try:
            assert t.ophalen(250) == []
            begin = time.monotonic()
            with pytest.raises(TransportFout):
                t.ophalen(250, wacht_s=0.3)
            assert time.monotonic() - begin < 0.3 + WACHT_MARGE_S + 1.5
        finally:
            t.close()
    assert gevraagd == [{"limit": "250"}, {"limit": "250", "wacht_ms": "300"}]
