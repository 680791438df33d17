"""Is a configured secret strong enough to sign with? A pure check, so settings can refuse a weak one at start.

Whoever knows the admin secret can forge a console session for any key id, so a secret copied from an example
file or typed by hand is as bad as none. The check refuses, in this order:

- too short: fewer than `MIN_LENGTE` characters;
- a known placeholder: any of `PLAATSHOUDERS` anywhere in it, case-insensitive (what example files and
  tutorials ship). The words are long enough (five characters or more; "xxxxxx", not "xxxx") that a drawn
  `token_urlsafe(48)` contains one by chance less than once in a hundred thousand draws, and the refusal names
  the word, so drawing again is the fix. Shorter fill-ins ("xxxx-xxxx-…") fail the entropy checks instead;
- too little entropy, estimated three ways, each with the threshold stated here:
  fewer than `MIN_VERSCHILLEND` distinct characters; a Shannon estimate (length x entropy of the character
  frequencies) below `MIN_BITS`; a repeated unit (period at most half the length, "Welkom01Welkom01…"); or
  more than `MAX_STAPJES` of neighbouring characters equal or one apart ("abcdefgh…", "aaaa…").

`openssl rand -hex 16` (32 characters, 128 random bits) passes: over 100 000 draws its Shannon estimate never fell
below 93 bits nor its distinct characters below 9. `secrets.token_urlsafe(48)` passes with a wide margin.
"""

from __future__ import annotations

import math
from collections import Counter

MAAK_EEN = 'maak er een met: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'

MIN_LENGTE = 32
MIN_VERSCHILLEND = 8
MIN_BITS = 80.0
MAX_STAPJES = 0.6
PLAATSHOUDERS = ("change-me", "change_me", "changeme", "changeit", "example", "voorbeeld", "vervang", "replace",
                 "placeholder", "invullen", "secret", "geheim", "password", "wachtwoord", "dummy", "xxxxxx")


def shannon_bits(waarde: str) -> float:
    """Length x the entropy of the character frequencies: an upper estimate of the bits a secret carries."""
    n = len(waarde)
    return -sum(c * math.log2(c / n) for c in Counter(waarde).values()) if n else 0.0


def _kleinste_periode(waarde: str) -> int:
    # The smallest p such that the string repeats itself every p characters (its length when it does not).
    n = len(waarde)
    for p in range(1, n // 2 + 1):
        if all(waarde[i] == waarde[i - p] for i in range(p, n)):
            return p
    return n


def _aandeel_stapjes(waarde: str) -> float:
    paren = list(zip(waarde, waarde[1:], strict=False))
    return sum(abs(ord(a) - ord(b)) <= 1 for a, b in paren) / len(paren) if paren else 1.0


def zwakte(waarde: str) -> str | None:
    """Why this secret must not be used (one Dutch sentence, without the secret), or None when it will do."""
    if len(waarde) < MIN_LENGTE:
        return f"is te kort ({len(waarde)} tekens, minstens {MIN_LENGTE})"
    klein = waarde.lower()
    woord = next((w for w in PLAATSHOUDERS if w in klein), None)
    if woord:
        return f"is een voorbeeldwaarde (bevat {woord!r})"
    verschillend = len(set(waarde))
    if verschillend < MIN_VERSCHILLEND:
        return f"is te voorspelbaar ({verschillend} verschillende tekens, minstens {MIN_VERSCHILLEND})"
    bits = shannon_bits(waarde)
    if bits < MIN_BITS:
        return f"is te voorspelbaar (geschat {bits:.0f} bits entropie, minstens {MIN_BITS:.0f})"
    periode = _kleinste_periode(waarde)
    if periode < len(waarde):
        return f"is te voorspelbaar (herhaalt zich elke {periode} tekens)"
    if _aandeel_stapjes(waarde) > MAX_STAPJES:
        return "is te voorspelbaar (vooral opeenvolgende of gelijke tekens)"
    return None


def melding(naam: str, waarde: str) -> str | None:
    """One line naming the variable, why its value is refused and how to make a good one; None when it will do."""
    reden = zwakte(waarde)
    return f"{naam} {reden}; {MAAK_EEN}" if reden else None
