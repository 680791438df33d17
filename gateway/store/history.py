"""The cross-message rules' History over the database: facts filed per accepted message, looked up by key."""

from __future__ import annotations

import datetime as dt

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store.models import Feit
from gateway.validation.cross.history import feiten_uit_bericht
from gateway.validation.cross.registry import run_cross_rules
from gateway.validation.findings import Finding


class SqlHistory:
    """Reads facts inside the caller's transaction (so a message sees everything committed before it)."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[tuple[str, str], list[dict]] = {}  # type: ignore[type-arg]

    def feiten(self, soort: str, sleutel: str) -> list[dict]:  # type: ignore[type-arg]
        key = (soort, sleutel)
        if key not in self._cache:
            self._cache[key] = list(self.session.scalars(
                select(Feit.data).where(Feit.soort == soort, Feit.sleutel == sleutel).order_by(Feit.id)))
        return self._cache[key]

    def bekend(self, soort: str, sleutel: str) -> bool:
        return bool(self.feiten(soort, sleutel))


def file_facts(session: Session, bericht_id: str, bericht: catalogue.Berichttype, root: etree._Element) -> None:
    session.add_all(Feit(bericht_id=bericht_id, soort=s, sleutel=k[:160], data=f)
                    for s, k, f in feiten_uit_bericht(bericht, root))


def cross_rules_for(settings: Settings, today: dt.date | None = None):  # type: ignore[no-untyped-def]
    """The callable `repository.receive` runs after the in-message rules, in the configured mode."""

    def run(bericht: catalogue.Berichttype, root: etree._Element, session: Session) -> list[Finding]:
        return run_cross_rules(bericht, root, SqlHistory(session), mode=settings.mode, today=today)

    return run
