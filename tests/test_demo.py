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
        # every heenbericht but the 323s has its retourbericht stored beside it, iJw's too
        retouren = session.scalars(select(Bericht.berichttype).where(Bericht.richting == "uit")).all()
    assert sorted(retouren) == sorted(["WMO316", "WMO318", "WMO302", "WMO320", "WMO306", "WMO308", "WMO306",
                                       "JW302", "JW306"])


def test_the_example_325_comment_names_every_retourcode_in_it_with_its_wj001_meaning() -> None:
    import re

    from gateway.standard.codelijsten import WJ001
    from gateway.transport.demo import retourcodes
    from tests.reference import our_example

    xml = our_example("WMO325")
    commentaar = " ".join(" ".join(re.findall(r"<!--(.*?)-->", xml.decode(), re.DOTALL)).split())
    codes = retourcodes(xml)
    assert codes  # the example refuses a prestatie
    for code in codes:
        assert f'{code} (WJ001: "{WJ001[code]}"' in commentaar, code
