"""The missing-retour watchdog: heenberichten we sent whose answer is overdue.

The sender must notice a missing answer (OP090): a retourbericht is due within 3 working days of its
heenbericht, a WMO325 within 10 working days of its WMO323 (OP090x4; linked by DeclaratieIdentificatie, which
the store resolves into `antwoord_op_id`). Only answers that arrived from outside count: a gateway that
serves a fixed set of parties builds no retourbericht for its own outgoing messages (the partner answers),
and one that serves everybody answers itself and keeps no watch on that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from gateway.standard import catalogue
from gateway.store.lifecycle import Status
from gateway.store.models import Aflevering, Bericht
from gateway.transport.werkdagen import werkdagen_na, werkdagen_tussen

NL = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Termijn:
    regel: str
    werkdagen: int


def termijn(berichttype: str) -> tuple[str, Termijn] | None:
    """(expected answer, deadline) for a heenbericht type; None for messages nobody answers."""
    b = catalogue.BERICHTEN.get(berichttype)
    if b is None or not b.beantwoord_door:
        return None
    antwoord = catalogue.BERICHTEN[b.beantwoord_door]
    if antwoord.soort is catalogue.Soort.RETOUR:
        return antwoord.naam, Termijn("OP090", 3)
    return antwoord.naam, Termijn("OP090x4", 10)


@dataclass(frozen=True)
class Achterstallig:
    bericht_id: str
    bericht: str
    identificatie: str | None
    verzender: str | None
    adressaat: str | None
    verzonden_op: dt.date
    verwacht: str
    regel: str
    uiterlijk: dt.date
    werkdagen_te_laat: int


def _datum(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(NL).date()


def wacht_op_antwoord() -> list[ColumnElement[bool]]:
    """The conditions on `Bericht` of a sent heenbericht still waiting for its answer from outside (shared with
    the per-partner gauges of gateway/transport/signalen.py)."""
    types = [b.naam for b in catalogue.alle() if termijn(b.naam)]
    antwoord = aliased(Bericht)
    return [Bericht.berichttype.in_(types), Bericht.status.in_((Status.QUEUED, Status.DELIVERED)),
            ~exists().where(and_(antwoord.antwoord_op_id == Bericht.id, antwoord.richting == "in"))]


def achterstallig(session: Session, *, vandaag: dt.date | None = None, partij: str | None = None
                  ) -> list[Achterstallig]:
    vandaag = vandaag or dt.datetime.now(NL).date()
    verzonden = (select(Aflevering.bericht_id, func.min(Aflevering.created_at).label("sinds"))
                 .group_by(Aflevering.bericht_id).subquery())
    stmt = (select(Bericht, verzonden.c.sinds).join(verzonden, verzonden.c.bericht_id == Bericht.id)
            .where(*wacht_op_antwoord())
            .order_by(verzonden.c.sinds))
    if partij is not None:
        stmt = stmt.where(Bericht.verzender == partij)
    uit: list[Achterstallig] = []
    for row, sinds in session.execute(stmt):
        verwacht, t = termijn(row.berichttype)  # type: ignore[misc]
        verzonden_op = _datum(sinds)
        uiterlijk = werkdagen_na(verzonden_op, t.werkdagen)
        if vandaag > uiterlijk:
            uit.append(Achterstallig(row.id, row.berichttype, row.identificatie, row.verzender, row.adressaat,
                                     verzonden_op, verwacht, t.regel, uiterlijk, werkdagen_tussen(uiterlijk, vandaag)))
    return uit


class AchterstalligCollector(Collector):
    """`iwmo_achterstallige_antwoorden{regel}`: computed from the store at each scrape."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("iwmo_achterstallige_antwoorden",
                                  "Verzonden heenberichten waarvan het retourbericht (OP090) of de WMO325 "
                                  "(OP090x4) te laat is", labels=["regel"])
        tellingen = {"OP090": 0, "OP090x4": 0}
        with self.sessions() as session:
            for a in achterstallig(session):
                tellingen[a.regel] += 1
        for regel, n in tellingen.items():
            gauge.add_metric([regel], n)
        yield gauge
