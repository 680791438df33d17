"""Small helpers shared by the cross-message rule modules."""

from __future__ import annotations

from lxml import etree

from gateway.validation.cross.history import Feit, sleutel
from gateway.validation.cross.registry import CrossContext
from gateway.validation.paths import kind


def child(el: etree._Element | None, *names: str) -> etree._Element | None:
    node = el
    for name in names:
        if node is None:
            return None
        node = kind(node, name)
    return node


def text(el: etree._Element | None, *names: str) -> str | None:
    node = child(el, *names) if names else el
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def partijen(ctx: CrossContext) -> tuple[str | None, str | None]:
    """(gemeente, aanbieder) of the message, from the header and the message's direction."""
    afzender, ontvanger = ctx.kop["afzender"], ctx.kop["ontvanger"]
    return (afzender, ontvanger) if ctx.bericht.verzonden_door_gemeente else (ontvanger, afzender)


def toewijzing(ctx: CrossContext, nummer: str | None) -> Feit | None:
    """The current version of a toewijzing: the one with the latest Toewijzingsdatum/-tijd."""
    gemeente, aanbieder = partijen(ctx)

    def lookup() -> Feit | None:
        versions = ctx.history.feiten("toewijzing", sleutel(gemeente, aanbieder, nummer))
        return max(versions, key=lambda f: f.get("toewijzingsmoment") or "") if versions else None

    return ctx.memo(f"toewijzing:{nummer}", lookup)  # type: ignore[no-any-return]


def client_bekend(ctx: CrossContext, bsn: str | None) -> bool:
    gemeente, aanbieder = partijen(ctx)
    return bool(ctx.memo(f"client:{bsn}", lambda: ctx.history.bekend("client", sleutel(gemeente, aanbieder, bsn))))


def relatie_bekend(ctx: CrossContext) -> bool:
    """Whether the gateway has seen any toewijzing between these two parties (for lenient mode)."""
    gemeente, aanbieder = partijen(ctx)
    return bool(ctx.memo("relatie", lambda: ctx.history.bekend("relatie", sleutel(gemeente, aanbieder))))
