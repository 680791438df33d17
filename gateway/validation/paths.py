"""Element locations in the format the official validator reports them.

`/Bericht/Client/Contactgegevens/Contact[2]/Adres/Postcode`: local names only; a step carries `[n]`
only when its parent has another child element with the same local name.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree


def local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def kind(el: etree._Element, name: str) -> etree._Element | None:
    """The first child element with this local name, in any namespace (lxml's `{*}` matches in C: a Python loop
    over the children comparing `local()` cost the cross rules a tenth of a writer's time)."""
    return next(el.iterchildren(f"{{*}}{name}"), None)


def alle(root: etree._Element, name: str) -> Iterator[etree._Element]:
    """Every element with this local name under `root` (itself included), in document order."""
    return root.iter(f"{{*}}{name}")


def element_path(el: etree._Element) -> str:
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        name = local(node.tag)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if local(c.tag) == name]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def element_naam(el: etree._Element) -> str:
    """An element's name for a melding: 'Foo in namespace urn:x' or 'Foo (zonder namespace)', never lxml's
    Clark notation ('{None}Foo', '{urn:x}Foo') that a sender does not write."""
    qname = etree.QName(el)
    if qname.namespace is None:
        return f"{qname.localname} (zonder namespace)"
    return f"{qname.localname} in namespace {qname.namespace}"
