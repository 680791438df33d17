"""The dashboard's figures: counts by type × status × partner, messages per day, the queues that need a
person (rejected, dead letters, overdue answers per OP090), and the banner of what needs action now (the same
conditions as config/alerts.yml, from gateway/transport/signalen.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.admin.grafiek import Dag
from gateway.store import queries
from gateway.store.lifecycle import Status
from gateway.store.models import Bericht
from gateway.transport import signalen, watchdog
from gateway.transport.signalen import AFGEKEURD

PERIODES = {"vandaag": 1, "7": 7, "30": 30}


@dataclass(frozen=True)
class Telling:
    berichttype: str
    partner: str
    per_status: dict[str, int]

    @property
    def totaal(self) -> int:
        return sum(self.per_status.values())


@dataclass(frozen=True)
class Wachtrij:
    naam: str
    aantal: int
    link: str
    uitleg: str


def begin_van(periode: str, vandaag: dt.date) -> dt.datetime:
    dagen = PERIODES[periode]
    return dt.datetime.combine(vandaag - dt.timedelta(days=dagen - 1), dt.time.min, tzinfo=dt.UTC)


def tellingen(session: Session, periode: str, vandaag: dt.date) -> tuple[list[Telling], list[str]]:
    """Rows (type, partner) with a count per status, and the statuses that occur (the columns)."""
    per: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    statussen: set[str] = set()
    for type_, status, partner, n in queries.counts_by(session, since=begin_van(periode, vandaag)):
        per[(type_ or "onleesbaar", partner or "?")][status] = n
        statussen.add(status)
    volgorde = [s.value for s in Status]
    kolommen = sorted(statussen, key=lambda s: volgorde.index(s) if s in volgorde else len(volgorde))
    rijen = [Telling(t, p, c) for (t, p), c in sorted(per.items())]
    return rijen, kolommen


def per_dag(session: Session, vandaag: dt.date, dagen: int = 30) -> list[Dag]:
    """Messages received per day (UTC) with how many of them were refused; days without traffic count as 0."""
    sinds = dt.datetime.combine(vandaag - dt.timedelta(days=dagen - 1), dt.time.min, tzinfo=dt.UTC)
    dag = func.date(Bericht.created_at)
    stmt = (select(dag, Bericht.status, func.count()).where(Bericht.created_at >= sinds)
            .group_by(dag, Bericht.status))
    totaal: dict[str, int] = defaultdict(int)
    afgekeurd: dict[str, int] = defaultdict(int)
    for datum, status, n in session.execute(stmt):
        sleutel = str(datum)[:10]
        totaal[sleutel] += n
        if status in AFGEKEURD:
            afgekeurd[sleutel] += n
    uit = []
    for i in range(dagen):
        d = vandaag - dt.timedelta(days=dagen - 1 - i)
        uit.append(Dag(d, totaal.get(d.isoformat(), 0), afgekeurd.get(d.isoformat(), 0)))
    return uit


def _aantal_met_status(session: Session, status: Status) -> int:
    return session.scalar(select(func.count()).select_from(Bericht).where(Bericht.status == status)) or 0


def wachtrijen(session: Session, vandaag: dt.date | None = None) -> list[Wachtrij]:
    te_laat = watchdog.achterstallig(session, vandaag=vandaag)
    retour = sum(1 for a in te_laat if a.regel == "OP090")
    antwoord_325 = sum(1 for a in te_laat if a.regel != "OP090")
    return [
        Wachtrij("Afgekeurde berichten", _aantal_met_status(session, Status.REJECTED), "/admin/berichten?status=rejected",
                 "Door de gateway afgekeurd en nog niet afgehandeld."),
        Wachtrij("Niet afleverbaar", _aantal_met_status(session, Status.DEAD_LETTER),
                 "/admin/berichten?status=dead_letter", "Niet af te leveren; opnieuw in de wachtrij of afhandelen."),
        Wachtrij("Retourbericht te laat (OP090)", retour, "/admin/achterstallig?regel=OP090",
                 "Verzonden heenbericht zonder retourbericht na 3 werkdagen."),
        Wachtrij("WMO325 te laat (OP090x4)", antwoord_325, "/admin/achterstallig?regel=OP090x4",
                 "Declaratie zonder declaratie-antwoord na 10 werkdagen."),
    ]


@dataclass(frozen=True)
class Melding:
    """One line of the overview's banner: what holds, for which partner, and where to act on it."""

    tekst: str
    partner: str
    link: str


def _lijst(status: str, s: signalen.Signaal) -> str:
    query = {"status": status, "type": s.bericht, "partner": s.partner}
    return "/admin/berichten?" + urlencode({k: v for k, v in query.items() if v and v != signalen.ONBEKEND})


def _melding(s: signalen.Signaal) -> Melding:
    n = int(s.waarde)
    t = watchdog.termijn(s.bericht or "")
    verwacht, regel = (t[0], t[1].regel) if t else ("antwoord", "")
    if s.soort == "te_laat":
        return Melding(f"{n} × {s.bericht} zonder {verwacht} na de termijn ({regel}): vraag de ontvanger om het "
                       "antwoord, of verstuur het bericht opnieuw als het niet is aangekomen.", s.partner,
                       f"/admin/achterstallig?regel={regel}")
    if s.soort == "binnenkort":
        return Melding(f"{n} × {s.bericht}: de {verwacht} moet uiterlijk de volgende werkdag komen ({regel}); "
                       "vraag de ontvanger er nu naar.", s.partner, _lijst("alle", s))
    if s.soort == "onafleverbaar":
        return Melding(f"{n} × {s.bericht} niet afleverbaar: herstel de oorzaak (zie de afleverpogingen) en zet het "
                       "opnieuw in de wachtrij.", s.partner, _lijst(Status.DEAD_LETTER, s))
    if s.soort == "wachtrij":
        return Melding(f"{s.bericht}: de oudste aflevering wacht al {n // 60} minuten: controleer of de worker draait "
                       "en de route naar de ontvanger werkt.", s.partner, _lijst(Status.QUEUED, s))
    return Melding(f"{n} berichten afgekeurd in het afgelopen uur, meer dan {signalen.PIEK_FACTOR} × het "
                   "uurgemiddelde van de afgelopen dag: controleer met de verzender wat er veranderd is.", s.partner,
                   _lijst(Status.REJECTED, s))


def meldingen(session: Session, nu: dt.datetime | None = None) -> list[Melding]:
    return [_melding(s) for s in signalen.signalen(signalen.meet(session, nu))]
