"""A brake on sign-in guessing: failed attempts counted per client address and per key prefix, in a sliding window.

Only failed attempts count (an unknown, revoked or party key); while either window is full every attempt is
refused with 429 before the key is looked at, so guessing cannot go on behind the refusal. The per-prefix window
protects one key whose prefix is known (prefixes show in key listings) against guesses from many addresses.

The counts live in this process's memory: with several gateway processes each keeps its own, so the effective
limit is that many times higher, and a restart forgets them. A proxy in front can limit across processes. The
client address is the one the ASGI server reports (`serve` takes no X-Forwarded-For, so it is the peer).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Grens:
    pogingen: int  # failed attempts allowed in the window
    venster_s: float


PER_ADRES = Grens(10, 15 * 60)
PER_PREFIX = Grens(10, 15 * 60)
MAX_BIJGEHOUDEN = 10_000  # addresses and prefixes remembered, so a flood of fresh ones cannot fill memory


@dataclass(frozen=True)
class Wachten:
    seconden: int
    waarop: str  # "adres" | "sleutel"


class Venster:
    """Failed attempts per key in the last `grens.venster_s` seconds."""

    def __init__(self, grens: Grens, klok: Callable[[], float]):
        self.grens = grens
        self._klok = klok
        self._pogingen: dict[str, deque[float]] = {}

    def _verse(self, sleutel: str, nu: float) -> deque[float]:
        rij = self._pogingen.get(sleutel, deque())
        while rij and rij[0] <= nu - self.grens.venster_s:
            rij.popleft()
        return rij

    def wacht_s(self, sleutel: str) -> float:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        nu = self._klok()
        rij = self._verse(sleutel, nu)
        if len(rij) < self.grens.pogingen:
            return 0.0
        return rij[len(rij) - self.grens.pogingen] + self.grens.venster_s - nu

    def mislukt(self, sleutel: str) -> None:
        nu = self._klok()
        rij = self._verse(sleutel, nu)
        rij.append(nu)
        self._pogingen.pop(sleutel, None)
        self._pogingen[sleutel] = rij  # most recent last, so the oldest go first when memory is full
        if len(self._pogingen) > MAX_BIJGEHOUDEN:
            for oud in [k for k, r in self._pogingen.items() if not self._verse(k, nu)]:
                del self._pogingen[oud]
            while len(self._pogingen) > MAX_BIJGEHOUDEN:
                del self._pogingen[next(iter(self._pogingen))]


class Inlogrem:
    def __init__(self, per_adres: Grens = PER_ADRES, per_prefix: Grens = PER_PREFIX,
                 klok: Callable[[], float] = time.monotonic):
        self._adres = Venster(per_adres, klok)
        self._prefix = Venster(per_prefix, klok)

    def wachten(self, adres: str, prefix: str) -> Wachten | None:
        """How long this attempt must wait and why, or None when it may go ahead."""
        for venster, waarop, sleutel in ((self._adres, "adres", adres), (self._prefix, "sleutel", prefix)):
            s = venster.wacht_s(sleutel)
            if s > 0:
                return Wachten(max(1, math.ceil(s)), waarop)
        return None

    def mislukt(self, adres: str, prefix: str) -> None:
        self._adres.mislukt(adres)
        self._prefix.mislukt(prefix)
