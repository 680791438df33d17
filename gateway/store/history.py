"""The cross-message rules' History over the database: facts filed per accepted message, looked up by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store.models import Feit
from gateway.validation.cross.history import feiten_uit_bericht
from gateway.validation.cross.registry import run_cross_rules
from gateway.validation.findings import Finding

# The column's width: a key is cut the same way when filed and when looked up, so the two always meet.
SLEUTEL_LENGTE = 160


class SqlHistory:
    """Reads facts inside the caller's transaction (so a message sees everything committed before it)."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def feiten(self, soort: str, sleutel: str) -> list[dict[str, Any]]:
        key = (soort, sleutel[:SLEUTEL_LENGTE])
        if key not in self._cache:
            self._cache[key] = list(self.session.scalars(
                select(Feit.data).where(Feit.soort == key[0], Feit.sleutel == key[1]).order_by(Feit.id)))
        return self._cache[key]

    def bekend(self, soort: str, sleutel: str) -> bool:
        return bool(self.feiten(soort, sleutel))


def file_facts(session: Session, bericht_id: str, bericht: catalogue.Berichttype, root: etree._Element) -> None:
    session.add_all(Feit(bericht_id=bericht_id, soort=s, sleutel=k[:SLEUTEL_LENGTE], data=f)
                    for s, k, f in feiten_uit_bericht(bericht, root))


CrossRules = Callable[[catalogue.Berichttype, etree._Element, Session], list[Finding]]


def cross_rules_for(settings: Settings, today: dt.date | None = None) -> CrossRules:
    """The callable `repository.receive` runs after the in-message rules, in the configured mode."""

    def run(bericht: catalogue.Berichttype, root: etree._Element, session: Session) -> list[Finding]:
        return run_cross_rules(bericht, root, SqlHistory(session), mode=settings.mode, today=today)

    return run
