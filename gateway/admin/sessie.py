"""Console sessions: an admin key exchanged for a signed, expiring cookie, and CSRF tokens bound to it.

The cookie carries no secret of its own: key id, role, label, a random session id and the expiry, signed with
HMAC-SHA256 over the server secret. The signature only proves the cookie is ours: whether the session still lives
is the server's record (`sessieregister`), so sign-out, revoking the key or changing its role ends it.
CSRF tokens are an HMAC of the session id, so a form rendered for one session is worthless in another; the
sign-in form, which has no session yet, binds its token to a short-lived random cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "iwmo_beheer"
LOGIN_COOKIE = "iwmo_beheer_login"
LOGIN_GELDIG_S = 15 * 60

# Console roles. An "admin" API key is a beheerder: it may do what an operator does, and what only an administrator
# may (replay by filter, as in the API).
BEHEERDER = "beheerder"
OPERATOR = "operator"
VIEWER = "viewer"
ROL_VAN_SLEUTEL = {"admin": BEHEERDER, "operator": OPERATOR, "viewer": VIEWER}


@dataclass(frozen=True)
class Beheerder:
    sleutel_id: int
    rol: str  # beheerder | operator | viewer
    label: str
    sessie_id: str
    verloopt: int  # unix seconds

    @property
    def actor(self) -> str:
        """How the audit trail names this administrator (same shape as the API's admin actor)."""
        return f"admin:{self.label}"

    @property
    def mag_handelen(self) -> bool:
        return self.rol in (OPERATOR, BEHEERDER)

    @property
    def is_beheerder(self) -> bool:
        return self.rol == BEHEERDER


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _teken(secret: bytes, doel: str, data: str) -> str:
    # `doel` separates the uses of the one secret, so a CSRF token can never pass as a cookie signature.
    return _b64(hmac.new(secret, f"{doel}\x00{data}".encode(), hashlib.sha256).digest())


def maak_cookie(secret: bytes, *, sleutel_id: int, rol: str, label: str, duur_s: int,
                nu: float | None = None) -> tuple[str, Beheerder]:
    nu = time.time() if nu is None else nu
    beheerder = Beheerder(sleutel_id, rol, label, secrets.token_urlsafe(16), int(nu) + duur_s)
    inhoud = _b64(json.dumps([beheerder.sleutel_id, beheerder.rol, beheerder.label, beheerder.sessie_id,
                              beheerder.verloopt], separators=(",", ":")).encode())
    return f"{inhoud}.{_teken(secret, 'sessie', inhoud)}", beheerder


def lees_cookie(secret: bytes, waarde: str | None, *, nu: float | None = None) -> Beheerder | None:
    """The session in a cookie, or None when it is missing, tampered with or expired."""
    if not waarde or "." not in waarde:
        return None
    inhoud, handtekening = waarde.rsplit(".", 1)
    if not hmac.compare_digest(handtekening, _teken(secret, "sessie", inhoud)):
        return None
    try:
        sleutel_id, rol, label, sessie_id, verloopt = json.loads(_unb64(inhoud))
    except (ValueError, TypeError):
        return None
    if (time.time() if nu is None else nu) >= verloopt or rol not in (BEHEERDER, OPERATOR, VIEWER):
        return None
    return Beheerder(int(sleutel_id), str(rol), str(label), str(sessie_id), int(verloopt))


def csrf_token(secret: bytes, binding: str) -> str:
    return _teken(secret, "csrf", binding)


def csrf_klopt(secret: bytes, binding: str | None, token: str | None) -> bool:
    if not binding or not token:
        return False
    return hmac.compare_digest(token, csrf_token(secret, binding))


def nieuwe_login_binding() -> str:
    return secrets.token_urlsafe(16)
