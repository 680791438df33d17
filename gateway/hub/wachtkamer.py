"""Held pulls: an aanbieder's `GET /berichten?wacht_ms=…` waits here until a message for it is stored.

An extension of our hub (the real VECOZO has no such parameter): instead of asking once per interval, a gateway
asks once and the hub answers as soon as there is something, so a message reaches a pulling party within
milliseconds. The wait is asynchronous (an event on the request's own event loop), so a held request occupies
no threadpool thread; the hub's store runs in threads, so they signal with `call_soon_threadsafe`. Each party
has room for a few held requests; beyond that a pull is answered at once, as without the parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator

# Held pulls per party. A gateway holds one per pulling connection; more means several gateway instances or a
# client that does not wait for its answers, which must not pile up requests in the hub.
MAX_PER_PARTIJ = 4


class Plek:
    """One held request: woken, from any thread, when a message for its party is stored."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._signaal = asyncio.Event()

    def wek(self) -> None:
        # The loop may have ended already (its request is gone); then nobody is left to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._signaal.set)

    async def wacht(self, seconden: float, weg: Callable[[], Awaitable[object]]) -> bool:
        """Until woken, until `weg` returns (the client went away) or `seconden` passed, whichever comes first;
        True when the client went away (nobody to answer)."""
        signaal = asyncio.ensure_future(self._signaal.wait())
        vertrek = asyncio.ensure_future(weg())
        try:
            await asyncio.wait({signaal, vertrek}, timeout=seconden, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for taak in (signaal, vertrek):
                taak.cancel()
        if not vertrek.done() or vertrek.cancelled():
            return False
        vertrek.exception()  # a broken connection counts as gone too; retrieved, so asyncio does not warn of it
        return True


class Wachtkamer:
    def __init__(self, per_partij: int = MAX_PER_PARTIJ):
        self.per_partij = per_partij
        self._slot = threading.Lock()  # the store signals from threadpool threads, requests enter on the loop
        self._plekken: dict[str, set[Plek]] = {}
        self._gesloten = False

    @contextlib.contextmanager
    def plek(self, partij: str) -> Iterator[Plek | None]:
        """A place to wait for `partij`'s next message; None when its room is full or the hub is stopping. Enter
        it *before* looking in the store, so a message stored in between still wakes it. Leaving frees the place,
        however the request ends."""
        plek: Plek | None = None
        with self._slot:
            if not self._gesloten and len(self._plekken.get(partij, ())) < self.per_partij:
                plek = Plek()
                self._plekken.setdefault(partij, set()).add(plek)
        try:
            yield plek
        finally:
            if plek is not None:
                with self._slot:
                    wachtend = self._plekken[partij]
                    wachtend.discard(plek)
                    if not wachtend:
                        del self._plekken[partij]

    def meld(self, partij: str) -> None:
        """A message for `partij` is committed: wake every request held for it (callable from any thread)."""
        with self._slot:
            plekken = list(self._plekken.get(partij, ()))
        for plek in plekken:
            plek.wek()

    def sluit(self) -> None:
        """The hub stops: answer every held request now and hold no new ones, so shutdown waits for none."""
        with self._slot:
            self._gesloten = True
            plekken = [p for wachtend in self._plekken.values() for p in wachtend]
        for plek in plekken:
            plek.wek()

    def aantal(self, partij: str) -> int:
        """Requests held for `partij` now."""
        with self._slot:
            return len(self._plekken.get(partij, ()))

    def tellingen(self) -> dict[str, int]:
        """Requests held now, per party that has any (the health page)."""
        with self._slot:
            return {partij: len(wachtend) for partij, wachtend in self._plekken.items()}
