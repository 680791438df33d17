"""Which messages a replay takes: a filter over status, berichttype, partner, rule code, retourcode and period of
receipt. Read from the API's JSON and the console's form alike; every value is checked against what the store can
hold, so a typo is a Dutch refusal naming the field and what it takes, never an empty or a too-wide batch."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select

from gateway.standard import catalogue
from gateway.standard.codelijsten import WJ001
from gateway.store import queries
from gateway.store.lifecycle import Status
from gateway.store.models import Bericht
from gateway.validation.findings import BEPERKT, TRANSPORT_CODES

VELDEN = ("status", "berichttype", "partner", "regel", "retourcode", "vanaf", "tot")
_PARTIJ = re.compile(r"\d{4}(\d{4})?")


class OngeldigeSelectie(ValueError):
    """One or more filter values the replay cannot use: (veld, melding) per problem."""

    def __init__(self, problemen: list[tuple[str, str]]):
        super().__init__("; ".join(f"{veld}: {melding}" for veld, melding in problemen))
        self.problemen = problemen


@dataclass(frozen=True)
class Selectie:
    status: str | None = None
    berichttype: str | None = None
    partner: str | None = None  # sends or receives the message (verzender or adressaat)
    regel: str | None = None  # a finding with this rule code
    retourcode: str | None = None  # a finding with this WJ001 retourcode
    vanaf: dt.date | None = None  # received on or after this day (UTC)
    tot: dt.date | None = None  # received on or before this day (inclusive)

    def als_json(self) -> dict[str, str | None]:
        return {v: (w.isoformat() if isinstance(w := getattr(self, v), dt.date) else w) for v in VELDEN}

    @property
    def leeg(self) -> bool:
        return all(getattr(self, v) is None for v in VELDEN)

    def query(self, *kolommen: Any) -> Select[Any]:
        """The selected messages (or these columns of them), oldest first: a batch replays them in the order they
        arrived."""
        f = queries.Filter(
            status=self.status, type=self.berichttype, partner=self.partner, regel=self.regel,
            retourcode=self.retourcode, vanaf=_middernacht(self.vanaf) if self.vanaf else None,
            tot=_middernacht(self.tot + dt.timedelta(days=1)) if self.tot else None)
        return queries.apply(select(*(kolommen or (Bericht,))), f).order_by(Bericht.created_at, Bericht.id)


def _middernacht(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time.min, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def regelcodes() -> frozenset[str]:
    """Every code a stored finding can carry: the in-message and cross-message rules, and the gateway's own."""
    from gateway.store.repository import AFZENDER
    from gateway.validation.cross.registry import all_cross_rules
    from gateway.validation.rules.registry import all_rules

    return frozenset({r.code for r in all_rules()} | {c.code for c in all_cross_rules()} | set(TRANSPORT_CODES)
                     | {AFZENDER, BEPERKT})


def _tekst(waarde: Any) -> str | None:
    if waarde is None:
        return None
    tekst = str(waarde).strip()
    return tekst or None


def _datum(veld: str, waarde: Any, problemen: list[tuple[str, str]]) -> dt.date | None:
    if isinstance(waarde, dt.datetime):
        return waarde.date()
    if isinstance(waarde, dt.date):
        return waarde
    tekst = _tekst(waarde)
    if tekst is None:
        return None
    try:
        return dt.date.fromisoformat(tekst)
    except ValueError:
        problemen.append((veld, f"'{tekst}' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2026-04-08"))
        return None


def lees(velden: Mapping[str, Any]) -> Selectie:
    """A filter from the API's JSON or the console's form; raises OngeldigeSelectie naming every bad value."""
    problemen: list[tuple[str, str]] = []
    onbekend = sorted(set(velden) - set(VELDEN))
    if onbekend:
        problemen.append((onbekend[0], f"bestaat niet in een filter; kies uit {', '.join(VELDEN)}"))
    status = _tekst(velden.get("status"))
    if status is not None and status not in {s.value for s in Status}:
        problemen.append(("status", f"'{status}' bestaat niet; kies uit {', '.join(s.value for s in Status)}"))
    berichttype = _tekst(velden.get("berichttype"))
    if berichttype is not None:
        berichttype = berichttype.upper()
        if berichttype not in catalogue.BERICHTEN:
            problemen.append(("berichttype", f"'{berichttype}' is geen iWmo-bericht; kies uit "
                                             f"{', '.join(sorted(catalogue.BERICHTEN))}"))
    partner = _tekst(velden.get("partner"))
    if partner is not None and not _PARTIJ.fullmatch(partner):
        problemen.append(("partner", "moet een gemeentecode (4 cijfers) of AGB-code (8 cijfers) zijn"))
    regel = _tekst(velden.get("regel"))
    if regel is not None:
        regel = regel.upper()
        if regel not in regelcodes():
            problemen.append(("regel", f"'{regel[:40]}' is geen regelcode van de gateway; zie iwmo-gateway regels "
                                       "(bijvoorbeeld TR019, CS002 of XSD)"))
    retourcode = _tekst(velden.get("retourcode"))
    if retourcode is not None and retourcode not in WJ001:
        problemen.append(("retourcode", f"'{retourcode[:40]}' staat niet in codelijst WJ001; gebruik vier cijfers, "
                                        "bijvoorbeeld 9019 of 0001"))
    vanaf = _datum("vanaf", velden.get("vanaf"), problemen)
    tot = _datum("tot", velden.get("tot"), problemen)
    if vanaf and tot and tot < vanaf:
        problemen.append(("tot", f"{tot.isoformat()} ligt voor vanaf ({vanaf.isoformat()}); tot is de laatste dag "
                                 "van de periode"))
    if problemen:
        raise OngeldigeSelectie(problemen)
    return Selectie(status, berichttype, partner, regel, retourcode, vanaf, tot)
