"""Who is calling: an API key bound to one party (gemeentecode / AGB code) or to a management role.

Shared by the API, the console, the transports and the store (which keeps the key hashes), so none of them
needs another's HTTP layer to know a caller."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "iwmo_"


@dataclass(frozen=True, slots=True)
class Principal:
    party: str | None  # 4-digit gemeentecode or 8-digit AGB code; None for an administrator
    admin: bool
    label: str
    role: str = "party"  # party | admin | operator | viewer (the last three read everything)

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"admin:{self.label}" if self.admin else self.party or "onbekend"

    def may_read(self, afzender: str | None, ontvanger: str | None) -> bool:
        return self.admin or (self.party is not None and self.party in (afzender, ontvanger))


def new_key() -> str:
    """A fresh API key: shown once, stored only as its hash."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """The first characters, kept in clear so an administrator can tell keys apart in listings."""
    return key[: len(KEY_PREFIX) + 6]


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
