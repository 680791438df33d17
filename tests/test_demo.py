"""The demo conversation loads cleanly on both backends, once, with one deliberately rejected start."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.demo.seed import VOLGORDE, seed_conversatie
from gateway.settings import Settings
from gateway.store.models import Bericht


def test_demo_conversation_is_accepted_and_the_extra_start_rejected(migrated_url: str, sessions) -> None:  # type: ignore[no-untyped-def]
    uitkomst = seed_conversatie(Settings(database_url=migrated_url))
    assert [(b, s) for b, s, _ in uitkomst[:-1]] == [(n, "accepted") for n in VOLGORDE]
    assert all(codes == [] for _, _, codes in uitkomst[:-1])
    bericht, status, codes = uitkomst[-1]
    assert (bericht, status) == ("WMO305", "rejected") and "TR019" in codes

    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Bericht))
    assert seed_conversatie(Settings(database_url=migrated_url)) == uitkomst  # same bytes: stored once
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bericht)) == before
        # every heenbericht but the 323 has its retourbericht stored beside it
        retouren = session.scalars(select(Bericht.berichttype).where(Bericht.richting == "uit")).all()
    assert sorted(retouren) == sorted(["WMO316", "WMO318", "WMO302", "WMO320", "WMO306", "WMO308", "WMO306"])
