"""Messages the gateway writes itself: the retourbericht that answers a heenbericht (IV028)."""

from gateway.messages.retour import (
    Beoordeling,
    GeenRetourbericht,
    RetourOngeldig,
    beoordeel,
    build_retourbericht,
    validate_and_build,
)

__all__ = [
    "Beoordeling",
    "GeenRetourbericht",
    "RetourOngeldig",
    "beoordeel",
    "build_retourbericht",
    "validate_and_build",
]
