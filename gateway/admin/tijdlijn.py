"""One client's story on one time axis: verzoeken, toewijzingen, starts, stops, declaraties and the answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.standard import catalogue
from gateway.store import queries
from gateway.store.models import Bericht

# What a message is in the client's story; retourberichten are shown with the message they answer.
_SOORT = {"315": "verzoek", "317": "verzoek", "319": "antwoord", "301": "toewijzing", "305": "start", "307": "stop",
          "323": "declaratie", "325": "declaratie-antwoord"}
SOORT = {b.naam: _SOORT[b.nummer] for b in catalogue.alle() if b.nummer in _SOORT}


@dataclass(frozen=True)
class Gebeurtenis:
    datum: dt.date | None
    bericht: Bericht
    soort: str
    omschrijving: str
    antwoorden: list[Bericht]


def bsn_fout(bsn: str) -> str:
    """Why this is not a BSN (empty when it is one): nine digits that pass the elfproef."""
    if not bsn.isdigit() or len(bsn) != 9:
        return "Een BSN bestaat uit precies 9 cijfers; controleer het nummer en probeer opnieuw."
    som = sum(int(c) * w for c, w in zip(bsn[:8], range(9, 1, -1), strict=True)) - int(bsn[8])
    if som % 11:
        return "Dit nummer voldoet niet aan de elfproef en is dus geen BSN; controleer het op typefouten."
    return ""


def tijdlijn(session: Session, bsn: str) -> list[Gebeurtenis]:
    berichten = queries.client_timeline(session, bsn)
    antwoorden: dict[str, list[Bericht]] = {}
    heen: list[Bericht] = []
    for b in berichten:
        soort = catalogue.BERICHTEN.get(b.berichttype or "")
        if b.antwoord_op_id and soort is not None and soort.soort is catalogue.Soort.RETOUR:
            antwoorden.setdefault(b.antwoord_op_id, []).append(b)
        else:
            heen.append(b)
    uit = []
    for b in heen:
        soort = catalogue.BERICHTEN.get(b.berichttype or "")
        uit.append(Gebeurtenis(b.dagtekening, b, SOORT.get(b.berichttype or "", "bericht"),
                               soort.omschrijving if soort else "onleesbaar bericht", antwoorden.get(b.id, [])))
    return uit
