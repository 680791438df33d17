"""The cross-message rules' History over the database: facts filed per accepted message, looked up by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from lxml import etree
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.settings import Settings
from gateway.standard import catalogue
from gateway.store.models import Feit
from gateway.store.voorbereid import Invoegen, Voorbereid, json_waarde
from gateway.validation.cross.history import afwijzing_feit, feiten_uit_bericht, header, in_ruimte_gezet
from gateway.validation.cross.registry import run_cross_rules
from gateway.validation.findings import Finding

# The column's width: a key is cut the same way when filed and when looked up, so the two always meet.
SLEUTEL_LENGTE = 160

# Compiled once: a receive asks several of these (see store.voorbereid).
_FEITEN = Voorbereid(
    select(Feit.__table__.c.data)
    .where(Feit.__table__.c.soort == bindparam("soort"), Feit.__table__.c.sleutel == bindparam("sleutel"))
    .order_by(Feit.__table__.c.id))
_INSERT_FEIT = Invoegen(Feit.__table__)


class SqlHistory:
    """Reads facts inside the caller's transaction (so a message sees everything committed before it).

    One instance serves a whole transaction (`history_van`): look-ups are cached, and the facts that this
    transaction files are added in memory, so a group of messages written together sees its earlier members
    without a flush per message."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._nieuw: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._te_schrijven: list[dict[str, Any]] = []

    def feiten(self, soort: str, sleutel: str) -> list[dict[str, Any]]:
        key = (soort, sleutel[:SLEUTEL_LENGTE])
        if key not in self._cache:
            # What this transaction files stays in memory until `schrijf_weg`, so the database holds only
            # what was there before it: the two never overlap.
            self._cache[key] = [json_waarde(r[0]) for r in _FEITEN.rijen(self.session, soort=key[0], sleutel=key[1])]
        nieuw = self._nieuw.get(key)
        return self._cache[key] + nieuw if nieuw else self._cache[key]

    def bekend(self, soort: str, sleutel: str) -> bool:
        return bool(self.feiten(soort, sleutel))

    def gearchiveerd(self, soort: str, sleutel: str, data: dict[str, Any]) -> None:
        self._nieuw.setdefault((soort, sleutel[:SLEUTEL_LENGTE]), []).append(data)

    def archiveer(self, bericht_id: str, soort: str, sleutel: str, data: dict[str, Any]) -> None:
        """File a fact of this transaction: visible to its later look-ups now, written by `schrijf_weg`."""
        self.gearchiveerd(soort, sleutel, data)
        self._te_schrijven.append({"bericht_id": bericht_id, "soort": soort, "sleutel": sleutel[:SLEUTEL_LENGTE],
                                   "data": data})

    def schrijf_weg(self) -> None:
        """Insert the facts filed so far in one statement; their messages must have been flushed."""
        if self._te_schrijven:
            _INSERT_FEIT.voer_uit(self.session, self._te_schrijven)
            self._te_schrijven = []


_HISTORY = "iwmo_history"


def history_van(session: Session) -> SqlHistory:
    """The transaction's history (one per session; sessions here live for one unit of work)."""
    history = session.info.get(_HISTORY)
    if history is None or history.session is not session:
        history = session.info[_HISTORY] = SqlHistory(session)
    return history


def vergeet_history(session: Session) -> None:
    session.info.pop(_HISTORY, None)


def schrijf_feiten_weg(session: Session) -> None:
    """Write the facts the transaction's history holds (after the session was flushed)."""
    history = session.info.get(_HISTORY)
    if history is not None:
        history.schrijf_weg()


# The facts of one prestatie of a WMO323: left out for a prestatie the gateway refused (IV085/IV087).
_PRESTATIE_FEITEN = frozenset({"prestatie", "volume", "debet", "credit"})


def file_facts(session: Session, bericht_id: str, bericht: catalogue.Berichttype, root: etree._Element, *,
               geweigerd: Collection[str] = (), afwijzingen: Mapping[str, Sequence[str]] | None = None) -> None:
    """File what later rules need to know of an accepted message. For a partly processed WMO323: the
    prestaties in `geweigerd` (ReferentieNummers) are not filed as declared, and `afwijzingen` are filed as
    refused (IV085: never to be credited)."""
    history = session.info.get(_HISTORY)
    feiten = feiten_uit_bericht(bericht, root)
    if geweigerd:
        feiten = [f for f in feiten if not (f[0] in _PRESTATIE_FEITEN and f[2].get("referentienummer") in geweigerd)]
    if afwijzingen:
        aanbieder = header(root)["afzender"]
        feiten += in_ruimte_gezet(bericht, [afwijzing_feit(aanbieder, ref, list(codes), bericht.naam)
                                            for ref, codes in afwijzingen.items()])
    for s, k, f in feiten:
        if history is not None:
            history.archiveer(bericht_id, s, k, f)
        else:
            session.add(Feit(bericht_id=bericht_id, soort=s, sleutel=k[:SLEUTEL_LENGTE], data=f))


CrossRules = Callable[[catalogue.Berichttype, etree._Element, Session], list[Finding]]


def cross_rules_for(settings: Settings, today: dt.date | None = None) -> CrossRules:
    """The callable the receive use case (gateway.ingest) runs after the in-message rules, in the configured mode."""

    def run(bericht: catalogue.Berichttype, root: etree._Element, session: Session) -> list[Finding]:
        return run_cross_rules(bericht, root, history_van(session), mode=settings.mode, today=today)

    return run
