"""What an operator may do to a message. The lifecycle decides what is allowed; every change is audited
(the transition itself writes the event, with the administrator as actor)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.admin import woorden
from gateway.store.lifecycle import IllegalTransition, Status, allowed, transition
from gateway.store.models import Bericht
from gateway.transport import outbox
from gateway.transport.routing import Routeringstabel

MAX_OPMERKING = 2000


class Geweigerd(Exception):
    """An action the console refuses; `melding` says why and what would be allowed."""

    def __init__(self, melding: str):
        super().__init__(melding)
        self.melding = melding


_NAMEN = {"afgehandeld": "afhandelen", "opnieuw_in_wachtrij": "opnieuw in de wachtrij zetten",
          "opnieuw_verzenden": "opnieuw verzenden"}


def _bericht(session: Session, bericht_id: str) -> Bericht:
    bericht = session.get(Bericht, bericht_id)
    if bericht is None:
        raise Geweigerd(f"Bericht {bericht_id} bestaat niet (meer); ververs de lijst.")
    return bericht


def _geweigerd(actie: str, fout: IllegalTransition) -> Geweigerd:
    return Geweigerd(f"{_NAMEN[actie].capitalize()} kan niet: het bericht heeft status '{woorden.status(fout.current)}' "
                     f"en de overgang naar '{woorden.status(fout.target)}' is niet toegestaan.")


def afhandelen(session: Session, bericht_id: str, *, actor: str, opmerking: str) -> None:
    """An administrator dealt with a rejected message (or gave up on a dead letter) outside the gateway."""
    opmerking = opmerking.strip()
    if not opmerking:
        raise Geweigerd("Afhandelen vraagt een opmerking: schrijf wat er met het bericht is gedaan.")
    if len(opmerking) > MAX_OPMERKING:
        raise Geweigerd(f"De opmerking is te lang ({len(opmerking)} tekens); houd het onder {MAX_OPMERKING}.")
    bericht = _bericht(session, bericht_id)
    try:
        transition(session, bericht, Status.HANDLED, actor=actor, action="afgehandeld",
                   details={"opmerking": opmerking})
    except IllegalTransition as fout:
        raise _geweigerd("afgehandeld", fout) from None


def opnieuw_in_wachtrij(session: Session, bericht_id: str, *, actor: str,
                        routes: Routeringstabel | None = None) -> None:
    """`routes`: the routing table as it is now (an administrator may have fixed the route that failed)."""
    _bericht(session, bericht_id)
    try:
        outbox.requeue(session, bericht_id, actor=actor, routes=routes)
    except IllegalTransition as fout:
        raise _geweigerd("opnieuw_in_wachtrij", fout) from None


def opnieuw_verzenden(session: Session, bericht_id: str, *, actor: str,
                      routes: Routeringstabel | None = None) -> None:
    _bericht(session, bericht_id)
    try:
        outbox.resend(session, bericht_id, actor=actor, routes=routes)
    except IllegalTransition as fout:
        raise _geweigerd("opnieuw_verzenden", fout) from None


def mogelijk(bericht: Bericht, heeft_aflevering: bool) -> dict[str, bool]:
    """Which buttons to offer; the server checks again when one is pressed."""
    return {
        "afgehandeld": allowed(bericht.status, Status.HANDLED),
        "opnieuw_in_wachtrij": bericht.status == Status.DEAD_LETTER and heeft_aflevering,
        "opnieuw_verzenden": heeft_aflevering and bericht.status in (Status.DEAD_LETTER, Status.DELIVERED,
                                                                     Status.ANSWERED),
    }
