"""What the console says for the store's own values: statuses in Dutch, audit details as plain text.

The store keeps its states as stable English identifiers (the API and the database use them; filters in URLs
too). A person reads Dutch: `afgekeurd`, not `rejected`. One table here, used by every page through the
`status` filter, so no template spells a translation of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.store.lifecycle import Status

STATUS: dict[str, str] = {
    # A message's lifecycle (gateway/store/lifecycle.py).
    Status.RECEIVED: "ontvangen",
    Status.ACCEPTED: "geaccepteerd",
    Status.REJECTED: "afgekeurd",
    Status.QUEUED: "in wachtrij",
    Status.DELIVERED: "afgeleverd",
    Status.ANSWERED: "beantwoord",
    Status.DEAD_LETTER: "niet afleverbaar",
    Status.HANDLED: "afgehandeld",
    # An envelope in the outbox (gateway/store/models.py, Aflevering).
    "pending": "wacht op verzending",
    "sending": "wordt verzonden",
    "failed": "mislukt, volgt opnieuw",
    # How a WMO323 was processed (IV087) and what became of a prestatie (gateway/messages/declaratie_antwoord.py).
    "volledig": "volledig verwerkt",
    "gedeeltelijk": "gedeeltelijk verwerkt",
    "niet_verwerkt": "niet verwerkt",
    "toegekend": "toegekend",
    "afgewezen": "afgewezen",
    "niet_beoordeeld": "niet beoordeeld (0233)",
    "open": "wacht op beslissing",
}


def status(waarde: str | None) -> str:
    """The Dutch word for a stored state; an unknown one as written, without underscores."""
    if not waarde:
        return ""
    return STATUS.get(waarde, waarde.replace("_", " "))


def waarde(w: object) -> str:
    """An audit detail as text: lists comma-separated, mappings as `sleutel: waarde`, never Python syntax."""
    if w is None:
        return "—"
    if isinstance(w, bool):
        return "ja" if w else "nee"
    if isinstance(w, Mapping):
        return "; ".join(f"{k}: {waarde(v)}" for k, v in w.items())
    if isinstance(w, list | tuple | set | frozenset):
        return ", ".join(waarde(v) for v in w) if w else "—"
    return str(w)
