"""Signals before deadlines: per partner and berichttype, what an administrator must act on.

Read from the store at each Prometheus scrape (`SignalenCollector`) and on the console's overview (the banner in
gateway/admin/dashboard.py), so both say the same from one set of queries (`meet`):

- the oldest delivery still in the outbox (pending, being sent or waiting for a retry);
- the oldest sent heenbericht still waiting for its retourbericht or WMO325 (the watchdog's conditions);
- dead letters; rejections in the last hour and the last day;
- answers due within one working day and answers overdue (OP090: 3 working days, OP090x4: 10).

Every figure is one aggregate query: a scrape costs the same with ten or a million stored messages, apart from
the rows the indexes find (status and created_at of a message, status of a delivery). A deadline is a working
day, so "due within a day" and "overdue" are turned into the last sending moment that falls under them
(`grens`) and counted in SQL, instead of computing each message's deadline in Python.

config/alerts.yml holds the Prometheus rules on these gauges; the thresholds the banner uses are the constants
below, and tests/alerts check that the rules use the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.standard import catalogue
from gateway.store.lifecycle import Status
from gateway.store.models import Aflevering, Bericht, utcnow
from gateway.transport.outbox import AfleveringStatus
from gateway.transport.watchdog import NL, termijn, wacht_op_antwoord
from gateway.transport.werkdagen import werkdagen_na

# A delivery waiting longer than this is a stuck queue (config/alerts.yml: IwmoWachtrijTeOud).
WACHTRIJ_TE_OUD = dt.timedelta(minutes=30)
# A partner's rejections are a spike when the last hour holds at least this many and more than this factor
# times its hourly average over the last day (config/alerts.yml: IwmoAfkeuringenPiek).
PIEK_MINIMUM = 5
PIEK_FACTOR = 3

# Messages the gateway refused; "handled" ones were refused too (an administrator dealt with them since).
AFGEKEURD = (Status.REJECTED, Status.HANDLED)
IN_WACHTRIJ = (AfleveringStatus.PENDING, AfleveringStatus.SENDING, AfleveringStatus.FAILED)
ONBEKEND = "onbekend"  # a label value for a message without a readable partner or type

Sleutel = tuple[str, str]  # (partner, bericht)


@dataclass(frozen=True)
class Wachtend:
    """Sent heenberichten of one type to one partner that wait for their answer."""

    oudste_s: float
    binnenkort: int  # due today or on the next working day, not yet overdue
    te_laat: int


@dataclass(frozen=True)
class Meting:
    wachtrij_oudste_s: dict[Sleutel, float] = field(default_factory=dict)
    onbeantwoord: dict[Sleutel, Wachtend] = field(default_factory=dict)
    onafleverbaar: dict[Sleutel, int] = field(default_factory=dict)
    afgekeurd_uur: dict[Sleutel, int] = field(default_factory=dict)
    afgekeurd_dag: dict[Sleutel, int] = field(default_factory=dict)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def _sleutel(partner: str | None, bericht: str | None) -> Sleutel:
    return partner or ONBEKEND, bericht or ONBEKEND


def laatste_verzenddag(werkdagen: int, uiterlijk_voor: dt.date) -> dt.date:
    """The last day of sending whose deadline (`werkdagen` working days later) falls before `uiterlijk_voor`.
    A later sending day never has an earlier deadline, so a message is under it exactly when sent on or before
    that day."""
    dag = uiterlijk_voor - dt.timedelta(days=1)
    while werkdagen_na(dag, werkdagen) >= uiterlijk_voor:
        dag -= dt.timedelta(days=1)
    return dag


def grens(werkdagen: int, uiterlijk_voor: dt.date) -> dt.datetime:
    """The first moment (UTC) whose sending no longer has its deadline before `uiterlijk_voor`: deadlines count
    in Amsterdam calendar days."""
    volgende = laatste_verzenddag(werkdagen, uiterlijk_voor) + dt.timedelta(days=1)
    return dt.datetime.combine(volgende, dt.time.min, tzinfo=NL).astimezone(dt.UTC)


def _wachtrij(session: Session, nu: dt.datetime) -> dict[Sleutel, float]:
    stmt = (select(Aflevering.ontvanger, Aflevering.functie, func.min(Aflevering.wachtrij_sinds))
            .where(Aflevering.status.in_(IN_WACHTRIJ)).group_by(Aflevering.ontvanger, Aflevering.functie))
    return {_sleutel(p, b): max((nu - _aware(sinds)).total_seconds(), 0.0) for p, b, sinds in session.execute(stmt)}


def _onbeantwoord(session: Session, nu: dt.datetime) -> dict[Sleutel, Wachtend]:
    vandaag = nu.astimezone(NL).date()
    morgen = werkdagen_na(vandaag, 1)
    sinds = (select(func.min(Aflevering.created_at)).where(Aflevering.bericht_id == Bericht.id)
             .correlate(Bericht).scalar_subquery())
    wachtend = (select(Bericht.adressaat, Bericht.berichttype, sinds.label("sinds"))
                .where(*wacht_op_antwoord()).subquery())
    per_termijn: dict[int, list[str]] = {}
    for b in catalogue.alle():
        if (t := termijn(b.naam)) is not None:
            per_termijn.setdefault(t[1].werkdagen, []).append(b.naam)

    def tel(uiterlijk_voor: Callable[[int], dt.date]):  # type: ignore[no-untyped-def]
        return func.sum(case(*[(and_(wachtend.c.berichttype.in_(types),
                                     wachtend.c.sinds < grens(n, uiterlijk_voor(n))), 1)
                               for n, types in per_termijn.items()], else_=0))

    stmt = (select(wachtend.c.adressaat, wachtend.c.berichttype, func.min(wachtend.c.sinds),
                   tel(lambda n: vandaag), tel(lambda n: morgen + dt.timedelta(days=1)))
            .where(wachtend.c.sinds.is_not(None)).group_by(wachtend.c.adressaat, wachtend.c.berichttype))
    uit: dict[Sleutel, Wachtend] = {}
    for partner, bericht, oudste, te_laat, tot_morgen in session.execute(stmt):
        te_laat, tot_morgen = int(te_laat or 0), int(tot_morgen or 0)
        uit[_sleutel(partner, bericht)] = Wachtend(max((nu - _aware(oudste)).total_seconds(), 0.0),
                                                   tot_morgen - te_laat, te_laat)
    return uit


def _onafleverbaar(session: Session) -> dict[Sleutel, int]:
    stmt = (select(Bericht.adressaat, Bericht.berichttype, func.count()).where(Bericht.status == Status.DEAD_LETTER)
            .group_by(Bericht.adressaat, Bericht.berichttype))
    return {_sleutel(p, b): n for p, b, n in session.execute(stmt)}


def _afgekeurd(session: Session, nu: dt.datetime) -> tuple[dict[Sleutel, int], dict[Sleutel, int]]:
    uur = nu - dt.timedelta(hours=1)
    stmt = (select(Bericht.verzender, Bericht.berichttype, func.sum(case((Bericht.created_at >= uur, 1), else_=0)),
                   func.count())
            .where(Bericht.status.in_(AFGEKEURD), Bericht.created_at >= nu - dt.timedelta(days=1))
            .group_by(Bericht.verzender, Bericht.berichttype))
    per_uur: dict[Sleutel, int] = {}
    per_dag: dict[Sleutel, int] = {}
    for p, b, n_uur, n_dag in session.execute(stmt):
        per_uur[_sleutel(p, b)] = int(n_uur or 0)
        per_dag[_sleutel(p, b)] = int(n_dag)
    return per_uur, per_dag


def meet(session: Session, nu: dt.datetime | None = None) -> Meting:
    nu = _aware(nu or utcnow())
    uur, dag = _afgekeurd(session, nu)
    return Meting(_wachtrij(session, nu), _onbeantwoord(session, nu), _onafleverbaar(session), uur, dag)


# -- the conditions an administrator must act on (the banner; config/alerts.yml says the same) --------------

@dataclass(frozen=True)
class Signaal:
    soort: str  # wachtrij | onafleverbaar | binnenkort | te_laat | afkeuringen
    partner: str
    bericht: str | None
    waarde: float  # seconds for wachtrij, a count otherwise


def _piek(meting: Meting) -> list[Signaal]:
    uur: dict[str, int] = {}
    dag: dict[str, int] = {}
    for (p, _), n in meting.afgekeurd_uur.items():
        uur[p] = uur.get(p, 0) + n
    for (p, _), n in meting.afgekeurd_dag.items():
        dag[p] = dag.get(p, 0) + n
    return [Signaal("afkeuringen", p, None, n) for p, n in sorted(uur.items())
            if n >= PIEK_MINIMUM and n > PIEK_FACTOR * dag.get(p, 0) / 24]


def signalen(meting: Meting) -> list[Signaal]:
    """What holds now, most urgent first: overdue answers, dead letters, a stuck queue, answers due, spikes."""
    uit = [Signaal("te_laat", p, b, w.te_laat) for (p, b), w in sorted(meting.onbeantwoord.items()) if w.te_laat]
    uit += [Signaal("onafleverbaar", p, b, n) for (p, b), n in sorted(meting.onafleverbaar.items()) if n]
    uit += [Signaal("wachtrij", p, b, s) for (p, b), s in sorted(meting.wachtrij_oudste_s.items())
            if s > WACHTRIJ_TE_OUD.total_seconds()]
    uit += [Signaal("binnenkort", p, b, w.binnenkort) for (p, b), w in sorted(meting.onbeantwoord.items())
            if w.binnenkort]
    return uit + _piek(meting)


# -- Prometheus --------------------------------------------------------------------------------------------

def _families() -> dict[str, GaugeMetricFamily]:
    pb = ["partner", "bericht"]
    return {
        "wachtrij": GaugeMetricFamily(
            "iwmo_wachtrij_oudste_seconden", "Leeftijd in seconden van de oudste aflevering in de wachtrij "
            "(nog te verzenden of wachtend op een nieuwe poging), naar ontvanger en berichttype", labels=pb),
        "onbeantwoord": GaugeMetricFamily(
            "iwmo_onbeantwoord_oudste_seconden", "Leeftijd in seconden van het oudste verzonden heenbericht zonder "
            "retourbericht of WMO325, naar ontvanger en berichttype", labels=pb),
        "onafleverbaar": GaugeMetricFamily(
            "iwmo_onafleverbare_berichten", "Berichten die niet af te leveren waren (dead letter), naar ontvanger en "
            "berichttype", labels=pb),
        "uur": GaugeMetricFamily(
            "iwmo_afgekeurde_berichten_laatste_uur", "Door de gateway afgekeurde berichten ontvangen in het "
            "afgelopen uur, naar verzender en berichttype", labels=pb),
        "dag": GaugeMetricFamily(
            "iwmo_afgekeurde_berichten_laatste_dag", "Door de gateway afgekeurde berichten ontvangen in de "
            "afgelopen 24 uur, naar verzender en berichttype", labels=pb),
        "binnenkort": GaugeMetricFamily(
            "iwmo_antwoorden_binnenkort_verwacht", "Verzonden heenberichten waarvan het retourbericht (OP090) of de "
            "WMO325 (OP090x4) uiterlijk de volgende werkdag moet komen en nog niet te laat is", labels=[*pb, "regel"]),
        "te_laat": GaugeMetricFamily(
            "iwmo_antwoorden_te_laat", "Verzonden heenberichten waarvan het retourbericht (OP090) of de WMO325 "
            "(OP090x4) te laat is, naar ontvanger en berichttype", labels=[*pb, "regel"]),
    }


def _regel(bericht: str) -> str:
    t = termijn(bericht)
    return t[1].regel if t else ONBEKEND


def metriek(meting: Meting) -> list[GaugeMetricFamily]:
    f = _families()
    for (p, b), s in meting.wachtrij_oudste_s.items():
        f["wachtrij"].add_metric([p, b], s)
    for (p, b), w in meting.onbeantwoord.items():
        f["onbeantwoord"].add_metric([p, b], w.oudste_s)
        f["binnenkort"].add_metric([p, b, _regel(b)], w.binnenkort)
        f["te_laat"].add_metric([p, b, _regel(b)], w.te_laat)
    for (p, b), n in meting.onafleverbaar.items():
        f["onafleverbaar"].add_metric([p, b], n)
    for (p, b), n in meting.afgekeurd_dag.items():
        f["uur"].add_metric([p, b], meting.afgekeurd_uur.get((p, b), 0))
        f["dag"].add_metric([p, b], n)
    return list(f.values())


class SignalenCollector(Collector):
    """The gauges above, measured in the store at each scrape."""

    def __init__(self, sessions: sessionmaker[Session], klok: Callable[[], dt.datetime] = utcnow):
        self.sessions = sessions
        self.klok = klok

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only, so the registry refuses a second collector that would expose the same families.
        yield from _families().values()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.sessions() as session:
            meting = meet(session, self.klok())
        yield from metriek(meting)
