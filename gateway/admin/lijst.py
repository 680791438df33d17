"""The console's message list: the store's filters plus a prefix search over every identifier, keyset pages.

The store's own `zoek` covers BerichtIdentificatie, ToewijzingNummer, DeclaratieNummer and the conversation;
an administrator also pastes envelope ids (StUF referentienummer, VECOZO traceerId/conversatieId) from a hub's
screen, so this search adds the outbox and inbox envelopes. Prefixes are matched as ranges (`>= p` and `< p`
followed by the highest code point), which every index can serve, where LIKE often cannot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from gateway.admin import woorden
from gateway.standard import catalogue, profielen
from gateway.store import queries
from gateway.store.lifecycle import Status
from gateway.store.models import Aflevering, Bericht, BerichtSleutel, Bevinding, Ontvangst

PAGINA = 50
MAX_TELLEN = 10_000
_HOOGSTE = "\U0010ffff"


class OngeldigFilter(ValueError):
    """A filter value the console cannot use; the message says which field and what to enter."""


@dataclass(frozen=True)
class Zoekvraag:
    filter: queries.Filter
    cursor: str | None = None
    periode: str = ""  # "", "vandaag", "7", "30" or "eigen"

    def als_query(self, **vervang: Any) -> dict[str, str]:
        """The form fields that reproduce this search (for links, the CSV export and the next page)."""
        f = self.filter
        velden = {
            "status": f.status or "alle", "type": f.type or "", "partner": f.partner or "", "regel": f.regel or "",
            "retourcode": f.retourcode or "", "zoek": f.zoek or "", "periode": self.periode,
            "vanaf": f.vanaf.date().isoformat() if f.vanaf and self.periode == "eigen" else "",
            "tot": (f.tot - dt.timedelta(days=1)).date().isoformat() if f.tot and self.periode == "eigen" else "",
        }
        velden.update({k: str(v) for k, v in vervang.items()})
        return {k: v for k, v in velden.items() if v}


def _datum(veld: str, waarde: str) -> dt.date:
    try:
        return dt.date.fromisoformat(waarde)
    except ValueError:
        raise OngeldigFilter(f"{veld}: '{waarde}' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2026-04-08") from None


def _middernacht(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time.min, tzinfo=dt.UTC)


def lees_zoekvraag(params: dict[str, str], *, vandaag: dt.date | None = None,
                   standaard_status: str = Status.REJECTED) -> Zoekvraag:
    """Query parameters → a search. Without a status the page's own default holds: rejected for the work queue
    (/admin/afgekeurd), every status ("") for the list of all messages (/admin/berichten)."""
    vandaag = vandaag or dt.datetime.now(dt.UTC).date()
    status = params.get("status", standaard_status)
    if status == "alle":
        status = ""
    if status and status not in {s.value for s in Status}:
        keuzes = ", ".join(f"{s.value} ({woorden.status(s)})" for s in Status)
        raise OngeldigFilter(f"status: '{status}' bestaat niet; kies uit {keuzes}")
    type_ = params.get("type", "").strip().upper()
    if type_:
        try:
            catalogue.get(type_)
        except KeyError:
            raise OngeldigFilter(f"type: '{type_}' is geen bericht van {profielen.beschrijving()}; kies "
                                 "bijvoorbeeld WMO305 of JW305") from None
    periode = params.get("periode", "")
    vanaf = tot = None
    if periode == "vandaag":
        vanaf = _middernacht(vandaag)
    elif periode in ("7", "30"):
        vanaf = _middernacht(vandaag - dt.timedelta(days=int(periode) - 1))
    elif periode == "eigen" or params.get("vanaf") or params.get("tot"):
        periode = "eigen"
        if params.get("vanaf"):
            vanaf = _middernacht(_datum("vanaf", params["vanaf"]))
        if params.get("tot"):
            tot = _middernacht(_datum("tot", params["tot"]) + dt.timedelta(days=1))  # up to and including
    elif periode:
        raise OngeldigFilter(f"periode: '{periode}' onbekend; kies vandaag, 7 of 30 dagen of een eigen periode")
    f = queries.Filter(
        type=type_ or None, status=status or None, partner=params.get("partner", "").strip() or None,
        regel=params.get("regel", "").strip().upper() or None,
        retourcode=params.get("retourcode", "").strip() or None, zoek=params.get("zoek", "").strip() or None,
        vanaf=vanaf, tot=tot,
    )
    return Zoekvraag(f, params.get("cursor") or None, periode)


def _begint_met(kolom: Any, prefix: str) -> ColumnElement[bool]:
    return and_(kolom >= prefix, kolom < prefix + _HOOGSTE)


def _zoek(prefix: str) -> ColumnElement[bool]:
    sleutels = select(BerichtSleutel.bericht_id).where(_begint_met(BerichtSleutel.value, prefix),
                                                       BerichtSleutel.kind != "Bsn")
    uit = select(Aflevering.bericht_id).where(or_(_begint_met(Aflevering.envelop_id, prefix),
                                                  _begint_met(Aflevering.conversatie_id, prefix)))
    binnen = select(Ontvangst.bericht_id).where(or_(_begint_met(Ontvangst.envelop_id, prefix),
                                                    _begint_met(Ontvangst.conversatie_id, prefix)))
    return or_(_begint_met(Bericht.identificatie, prefix), _begint_met(Bericht.id, prefix),
               _begint_met(Bericht.conversatie_id, prefix), Bericht.id.in_(sleutels), Bericht.id.in_(uit),
               Bericht.id.in_(binnen))


def gefilterd(stmt: Select[Any], f: queries.Filter) -> Select[Any]:
    # Rule code and retourcode as IN over the findings' own indexes rather than the store's correlated EXISTS:
    # the few messages with a given code are found first, instead of probing the findings of every row.
    stmt = queries.apply(stmt, replace(f, zoek=None, regel=None, retourcode=None))
    if f.regel:
        stmt = stmt.where(Bericht.id.in_(select(Bevinding.bericht_id).where(Bevinding.code == f.regel)))
    if f.retourcode:
        stmt = stmt.where(Bericht.id.in_(select(Bevinding.bericht_id).where(Bevinding.retourcode == f.retourcode)))
    return stmt.where(_zoek(f.zoek)) if f.zoek else stmt


def pagina(session: Session, vraag: Zoekvraag, *, limit: int = PAGINA) -> tuple[list[Bericht], str | None]:
    """Newest first; the cursor continues after the last row shown, so deep pages cost what page 1 costs."""
    stmt = gefilterd(select(Bericht), vraag.filter).order_by(Bericht.created_at.desc(), Bericht.id.desc())
    if vraag.cursor:
        plek = queries._decode_cursor(vraag.cursor)
        if plek is None:
            raise OngeldigFilter("cursor: deze paginaverwijzing is ongeldig; begin opnieuw bij de eerste pagina")
        created, ident = plek
        stmt = stmt.where(or_(Bericht.created_at < created,
                              and_(Bericht.created_at == created, Bericht.id < ident)))
    rijen = list(session.scalars(stmt.limit(limit + 1)))
    meer = len(rijen) > limit
    rijen = rijen[:limit]
    return rijen, (queries._encode_cursor(rijen[-1]) if meer and rijen else None)


def aantal(session: Session, f: queries.Filter, *, tot: int = MAX_TELLEN) -> int:
    """How many rows match, counted up to `tot` (+1, so the page can say "more than"): a count over a
    broad filter on a large store would otherwise cost more than the page itself."""
    binnen = gefilterd(select(Bericht.id), f).limit(tot + 1).subquery()
    return session.scalar(select(func.count()).select_from(binnen)) or 0


def alle(session: Session, f: queries.Filter, *, per: int = 1000) -> Any:
    """Every matching row, newest first, fetched a page at a time (for the CSV export)."""
    cursor: str | None = None
    while True:
        rijen, cursor = pagina(session, Zoekvraag(f, cursor), limit=per)
        yield from rijen
        if cursor is None:
            return


def partners(session: Session) -> list[str]:
    return sorted(p for p in session.scalars(select(Bericht.verzender).distinct()) if p)


def regelcodes_van(session: Session, ids: list[str]) -> dict[str, list[str]]:
    """The rule codes per message for a page of rows, in one query rather than one per row."""
    codes: dict[str, set[str]] = {i: set() for i in ids}
    for bericht_id, code in session.execute(select(Bevinding.bericht_id, Bevinding.code)
                                            .where(Bevinding.bericht_id.in_(ids))):
        codes[bericht_id].add(code)
    return {i: sorted(c) for i, c in codes.items()}
