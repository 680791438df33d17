"""Freeze windows per route: around a release the hubs refuse traffic, so outgoing messages on a frozen route
wait in the outbox (no attempt counted, audited once) and leave when the window ends; other routes go on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gateway.store.models import Aflevering, AuditEvent, Bericht
from gateway.transport.memory import MemoryTransport
from gateway.transport.outbox import Beleid, Outbox, plan
from gateway.transport.routing import RouteringFout, Routeringstabel, uit_data
from tests.transport.helpers import GEMEENTE, Klok, opgeslagen

BELEID = Beleid(horizon=dt.timedelta(hours=1), basis=dt.timedelta(seconds=30), maximum=dt.timedelta(minutes=5),
                lease=dt.timedelta(minutes=5))
CET = dt.timezone(dt.timedelta(hours=1))
VAN = dt.datetime(2026, 5, 4, 10, 0, tzinfo=CET)  # 09:00 UTC, the test clock's start
TOT = dt.datetime(2026, 5, 6, 8, 0, tzinfo=CET)  # two days: longer than the delivery horizon


def _tabel() -> Routeringstabel:
    return uit_data({"route": [
        {"naar": ["12345678"], "adapter": "memory", "endpoint": "hub", "bevriezing": [{"van": VAN, "tot": TOT}]},
        {"naar": ["*"], "adapter": "memory", "endpoint": "ander"},
    ]})


def test_a_message_on_a_frozen_route_waits_for_the_window_to_end_and_then_leaves(sessions) -> None:  # type: ignore[no-untyped-def]
    klok, tabel, transport = Klok(), _tabel(), MemoryTransport()
    bericht_id = opgeslagen(sessions, "WMO301", "FREEZE1")  # to aanbieder 12345678: over the frozen route
    with sessions() as session, session.begin():
        route = tabel.voor("12345678", "WMO301")
        assert route is not None and route.bevriezingen == ((VAN, TOT),)
        aflevering_id = plan(session, session.get(Bericht, bericht_id), route, actor=GEMEENTE, nu=klok()).id
    outbox = Outbox(sessions, BELEID, klok=klok)
    assert outbox.werk(lambda _: transport, routes=tabel) == 1
    assert transport.verzonden == []  # nothing left during the window
    with sessions() as session:
        a = session.get(Aflevering, aflevering_id)
        assert (a.status, a.pogingen) == ("pending", 0)
        assert a.volgende_poging_at.replace(tzinfo=dt.UTC) == TOT.astimezone(dt.UTC)
        acties = list(session.scalars(select(AuditEvent.action).where(AuditEvent.bericht_id == bericht_id)))
    assert acties.count("uitgesteld_bevriezing") == 1
    klok.verder(hours=24)  # still frozen: not even claimed (its next attempt is the window's end)
    assert outbox.werk(lambda _: transport, routes=tabel) == 0
    klok.nu = TOT.astimezone(dt.UTC)  # the window ends; the two days do not count against the 1 h horizon
    assert outbox.werk(lambda _: transport, routes=tabel) == 1
    assert [z.functie for z in transport.verzonden] == ["WMO301"]
    with sessions() as session:
        assert session.get(Bericht, bericht_id).status == "delivered"


def test_a_window_does_not_hold_another_route(sessions) -> None:  # type: ignore[no-untyped-def]
    klok, tabel, transport = Klok(), _tabel(), MemoryTransport()
    bericht_id = opgeslagen(sessions, "WMO305", "FREEZE2")  # to gemeente 0599: over the "*" route
    with sessions() as session, session.begin():
        plan(session, session.get(Bericht, bericht_id), tabel.voor(GEMEENTE, "WMO305"), actor="12345678", nu=klok())
    assert Outbox(sessions, BELEID, klok=klok).werk(lambda _: transport, routes=tabel) == 1
    assert len(transport.verzonden) == 1


@pytest.mark.parametrize(("venster", "fout"), [
    ({"van": "2027-01-01T00:00", "tot": "2027-01-02T00:00"}, "met tijdzone"),
    ({"van": dt.datetime(2027, 1, 1), "tot": dt.datetime(2027, 1, 2)}, "met tijdzone"),
    ({"van": TOT, "tot": VAN}, "ligt niet na"),
    ({"van": VAN}, "precies 'van' en 'tot'"),
])
def test_a_bad_window_is_refused_when_the_table_loads_with_what_to_write(venster: dict[str, object], fout: str) -> None:
    with pytest.raises(RouteringFout) as exc:
        uit_data({"route": [{"naar": ["*"], "adapter": "memory", "endpoint": "x", "bevriezing": [venster]}]})
    assert fout in str(exc.value) and "bevriezing[1]" in str(exc.value)
