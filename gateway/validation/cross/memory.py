"""A history held in memory: for tests, and for checking a batch of files against each other."""

from __future__ import annotations

from collections import defaultdict

from gateway.validation.cross.history import Feit, feiten_uit_bericht
from gateway.validation.validator import validate


class InMemoryHistory:
    def __init__(self) -> None:
        self._facts: dict[tuple[str, str], list[Feit]] = defaultdict(list)

    def feiten(self, soort: str, sleutel: str) -> list[Feit]:
        return list(self._facts.get((soort, sleutel), ()))

    def bekend(self, soort: str, sleutel: str) -> bool:
        return bool(self._facts.get((soort, sleutel)))

    def file(self, soort: str, sleutel: str, feit: Feit) -> None:
        """File one fact that comes from elsewhere than a message (e.g. the gateway's own refusal)."""
        self._facts[(soort, sleutel)].append(feit)

    def add(self, data: bytes) -> None:
        """File the facts of a message as if it had been accepted."""
        uitslag = validate(data, rules=False)
        if uitslag.bericht is None or uitslag.tree is None:
            raise ValueError("alleen XSD-geldige iWmo-berichten kunnen in de historie")
        for soort, sleutel, feit in feiten_uit_bericht(uitslag.bericht, uitslag.tree.getroot()):
            self._facts[(soort, sleutel)].append(feit)
