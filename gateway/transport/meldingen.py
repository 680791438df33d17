"""Deadlines and alert conditions told as events (issue 14), each once.

The worker calls `Meldingen.werk` every round; it looks at most once per `INTERVAL`:

- a sent heenbericht whose answer (OP090: retourbericht within 3 working days, OP090x4: WMO325 within 10) is due
  by the next working day gives `termijn.bijna`, one that is overdue `termijn.verstreken`, each once per message,
  for the party that sent it (and any administrator's subscription);
- an alert condition of gateway/transport/signalen.py — a stuck queue, dead letters, a rejection spike — gives
  `signaal.…` for administrators, once per episode: told when it begins, told again only after it cleared.
  The deadline conditions there are told per message above instead.

What was told is kept in `melding` (one row per key, the key its primary key), in the transaction that records the
event: a restarted worker does not repeat it, and of two workers looking at once one commits and the other's
insert of the same key fails and is rolled back whole.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.gebeurtenissen import vastleggen
from gateway.gebeurtenissen.vastleggen import Type
from gateway.standard import catalogue
from gateway.store.models import Aflevering, Bericht, Gebeurtenis, Melding, utcnow
from gateway.transport import signalen
from gateway.transport.watchdog import NL, termijn, wacht_op_antwoord
from gateway.transport.werkdagen import werkdagen_na

log = logging.getLogger("gateway.transport.meldingen")

INTERVAL = dt.timedelta(minutes=1)

# The conditions of signalen.signalen told as `signaal.…`; "te_laat" and "binnenkort" are the per-message
# `termijn.…` events.
SIGNAAL_TYPES: dict[str, Type] = {"wachtrij": Type.SIGNAAL_WACHTRIJ, "onafleverbaar": Type.SIGNAAL_ONAFLEVERBAAR,
                                  "afkeuringen": Type.SIGNAAL_AFKEURINGEN}
_SIGNAAL_PREFIX = "signaal."
_IN_CHUNKS = 500  # keys per IN (...): well under every backend's limit on bound parameters


@dataclass(frozen=True)
class Termijnstand:
    """A waiting heenbericht whose answer is due by the next working day or overdue."""

    type: Type
    bericht: dict[str, str | None]
    submitted_by: str | None
    verwacht: str
    regel: str
    uiterlijk: dt.date

    @property
    def sleutel(self) -> str:
        return f"{self.type}:{self.bericht['id']}"


def stand(verzonden_op: dt.date, werkdagen: int, vandaag: dt.date) -> tuple[Type, dt.date] | None:
    """Whether an answer due `werkdagen` working days after `verzonden_op` is overdue or due by the next working
    day, as the watchdog and the gauges of signalen.py count it; None while neither."""
    uiterlijk = werkdagen_na(verzonden_op, werkdagen)
    if vandaag > uiterlijk:
        return Type.TERMIJN_VERSTREKEN, uiterlijk
    if uiterlijk <= werkdagen_na(vandaag, 1):
        return Type.TERMIJN_BIJNA, uiterlijk
    return None


def termijnen(session: Session, nu: dt.datetime) -> list[Termijnstand]:
    """The waiting heenberichten due by the next working day or overdue. SQL keeps only those sent before the
    last moment that can be due by then (signalen.grens), so the ones far from their deadline are not read."""
    vandaag = nu.astimezone(NL).date()
    na_morgen = werkdagen_na(vandaag, 1) + dt.timedelta(days=1)
    per_termijn: dict[int, list[str]] = {}
    for b in catalogue.alle():
        if (t := termijn(b.naam)) is not None:
            per_termijn.setdefault(t[1].werkdagen, []).append(b.naam)
    sinds = (select(Aflevering.bericht_id, func.min(Aflevering.created_at).label("sinds"))
             .group_by(Aflevering.bericht_id).subquery())
    stmt = (select(Bericht.id, Bericht.berichttype, Bericht.identificatie, Bericht.verzender, Bericht.adressaat,
                   Bericht.submitted_by, sinds.c.sinds)
            .join(sinds, sinds.c.bericht_id == Bericht.id)
            .where(*wacht_op_antwoord(),
                   or_(*[and_(Bericht.berichttype.in_(types), sinds.c.sinds < signalen.grens(n, na_morgen))
                         for n, types in per_termijn.items()]))
            .order_by(sinds.c.sinds))
    uit: list[Termijnstand] = []
    for bericht_id, berichttype, identificatie, verzender, adressaat, submitted_by, verzonden in session.execute(stmt):
        verwacht, t = termijn(berichttype)  # type: ignore[misc]
        verzonden_op = _aware(verzonden).astimezone(NL).date()
        if (s := stand(verzonden_op, t.werkdagen, vandaag)) is None:
            continue
        bericht = {"id": bericht_id, "berichttype": berichttype, "identificatie": identificatie,
                   "verzender": verzender, "adressaat": adressaat}
        uit.append(Termijnstand(s[0], bericht, submitted_by, verwacht, t.regel, s[1]))
    return uit


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def signaal_sleutel(s: signalen.Signaal) -> str:
    return f"{SIGNAAL_TYPES[s.soort]}:{s.partner}:{s.bericht or ''}"


def _bekend(session: Session, sleutels: Iterable[str]) -> set[str]:
    lijst = list(sleutels)
    uit: set[str] = set()
    for i in range(0, len(lijst), _IN_CHUNKS):
        uit.update(session.scalars(select(Melding.sleutel).where(Melding.sleutel.in_(lijst[i:i + _IN_CHUNKS]))))
    return uit


def leg_vast(session: Session, nu: dt.datetime) -> int:
    """Record the events for the conditions that hold now and were not told yet; end the episodes of signals
    that cleared. Returns the number of events recorded (in the caller's transaction)."""
    nu = _aware(nu)
    standen = termijnen(session, nu)
    nieuw: list[tuple[str, Gebeurtenis]] = []
    bekend = _bekend(session, (s.sleutel for s in standen))
    for s in standen:
        if s.sleutel in bekend:
            continue
        g = vastleggen.termijn(session, s.type, bericht=s.bericht, submitted_by=s.submitted_by, verwacht=s.verwacht,
                               regel=s.regel, uiterlijk=s.uiterlijk.isoformat())
        nieuw.append((s.sleutel, g))
    nu_geldend = {signaal_sleutel(s): s for s in signalen.signalen(signalen.meet(session, nu))
                  if s.soort in SIGNAAL_TYPES}
    open_ = set(session.scalars(select(Melding.sleutel).where(Melding.sleutel.startswith(_SIGNAAL_PREFIX))))
    voorbij = open_ - set(nu_geldend)
    if voorbij:
        session.execute(delete(Melding).where(Melding.sleutel.in_(voorbij)))
    for sleutel, s in nu_geldend.items():
        if sleutel in open_:
            continue
        g = vastleggen.signaal(session, SIGNAAL_TYPES[s.soort], partner=s.partner,
                               berichttype=None if s.bericht in (None, signalen.ONBEKEND) else s.bericht,
                               waarde=s.waarde)
        nieuw.append((sleutel, g))
    session.flush()  # the events' ids
    session.add_all(Melding(sleutel=sleutel, gebeurtenis_id=g.id, created_at=nu) for sleutel, g in nieuw)
    return len(nieuw)


class Meldingen:
    """The worker's check, at most once per `interval` of its clock."""

    def __init__(self, sessions: sessionmaker[Session], *, klok: Callable[[], dt.datetime] = utcnow,
                 interval: dt.timedelta = INTERVAL):
        self.sessions = sessions
        self.klok = klok
        self.interval = interval
        self._volgende: dt.datetime | None = None

    def werk(self) -> int:
        nu = _aware(self.klok())
        if self._volgende is not None and nu < self._volgende:
            return 0
        # Set before looking: a check that fails waits for the next interval instead of slowing every round.
        self._volgende = nu + self.interval
        try:
            with self.sessions() as session, session.begin():
                return leg_vast(session, nu)
        except IntegrityError:
            # Another worker recorded the same condition at the same moment; its events stand, ours are rolled back.
            log.info("meldingen al vastgelegd door een andere worker")
            return 0
