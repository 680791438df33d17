"""Partners by name: gemeenten from the CBS list, aanbieders from the names an administrator gave them.

A message names its parties by code (gemeentecode, AGB code). The CBS list names every gemeente; no public
list in the gateway names aanbieders, so the console keeps a small table (`partner`, migration 0008) that an
operator fills in on /admin/partners. Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from gateway.standard import gemeenten
from gateway.store import audit, partnerprofielen
from gateway.store.models import Bericht, Partner, PartnerProfiel, utcnow

MAX_NAAM = 200


class NaamOngeldig(ValueError):
    """A name the console cannot store; the message says which field and what to enter."""


@dataclass(frozen=True)
class Partnerregel:
    code: str
    soort: str  # gemeente | aanbieder | onbekend
    naam: str | None
    bron: str  # "CBS", "beheer" or "" (no name yet)
    profielen: tuple[str, ...] = ()  # pinned profile keys (store.partnerprofielen); empty: every installed one


def soort(code: str) -> str:
    if len(code) == 4 and code.isdigit():
        return "gemeente"
    if len(code) == 8 and code.isdigit():
        return "aanbieder"
    return "onbekend"


def aanbiedernamen(session: Session) -> dict[str, str]:
    return {code: naam for code, naam in session.execute(select(Partner.code, Partner.naam))}


def naam(code: str | None, aanbieders: dict[str, str]) -> str | None:
    if not code:
        return None
    if soort(code) == "gemeente":
        return gemeenten.gemeenten().get(code)
    return aanbieders.get(code)


def label(code: str | None, aanbieders: dict[str, str]) -> str:
    """How the console names a party: `Rotterdam (0599)`, or the code alone while it has no name."""
    if not code:
        return "?"
    gevonden = naam(code, aanbieders)
    return f"{gevonden} ({code})" if gevonden else code


def overzicht(session: Session) -> list[Partnerregel]:
    """Every party the store has seen or an administrator named, gemeenten first, then by code."""
    gezien = union(select(Bericht.verzender.label("code")), select(Bericht.adressaat.label("code")),
                   select(Partner.code.label("code")), select(PartnerProfiel.code.label("code")))
    codes = {c for c in session.scalars(select(gezien.subquery().c.code)) if c}
    aanbieders = aanbiedernamen(session)
    pins = partnerprofielen.alle(session)
    uit = []
    for code in sorted(codes, key=lambda c: (soort(c) != "gemeente", c)):
        gevonden = naam(code, aanbieders)
        bron = ("CBS" if soort(code) == "gemeente" else "beheer") if gevonden else ""
        uit.append(Partnerregel(code, soort(code), gevonden, bron, tuple(sorted(pins.get(code, ())))))
    return uit


def benoem(session: Session, code: str, nieuwe_naam: str, *, actor: str) -> None:
    """Give an aanbieder a name (or a new one); audited with who did it."""
    code, nieuwe_naam = code.strip(), " ".join(nieuwe_naam.split())
    if soort(code) == "gemeente":
        raise NaamOngeldig(f"AGB-code: {code} is een gemeentecode; gemeenten heten zoals in de CBS-lijst "
                           f"({gemeenten.BESTAND.name}) en krijgen hier geen naam.")
    if soort(code) != "aanbieder":
        raise NaamOngeldig(f"AGB-code: '{code}' is geen AGB-code; vul de 8 cijfers in, zoals 12345678.")
    if not nieuwe_naam:
        raise NaamOngeldig("Naam: vul de naam van de aanbieder in, zoals die op de overeenkomst staat.")
    if len(nieuwe_naam) > MAX_NAAM:
        raise NaamOngeldig(f"Naam: {len(nieuwe_naam)} tekens is te lang; houd het onder {MAX_NAAM}.")
    rij = session.get(Partner, code)
    vorige = rij.naam if rij else None
    if rij is None:
        session.add(Partner(code=code, naam=nieuwe_naam, bijgewerkt_door=actor[:80], bijgewerkt_at=utcnow()))
    else:
        rij.naam, rij.bijgewerkt_door, rij.bijgewerkt_at = nieuwe_naam, actor[:80], utcnow()
    audit.append(session, actor=actor, action="partner_benoemd",
                 details={"partner": code, "naam": nieuwe_naam, "was": vorige})
