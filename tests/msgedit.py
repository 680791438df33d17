"""Small, readable edits on a message, so a test shows exactly how its message differs from an example.

Paths are local-name steps below the root, e.g. "Client/Verzoek/NieuweProducten/NieuwProduct[2]/Einddatum";
`[n]` is 1-based among same-named siblings. Namespaces are taken from the element's parent (or, for the
basisschema elements, copied from a sibling that already uses it).
"""

from __future__ import annotations

import copy

from lxml import etree

from gateway.standard import catalogue


class Msg:
    def __init__(self, data: bytes):
        self.root = etree.fromstring(data)
        self.ns = etree.QName(self.root).namespace

    # -- navigation -------------------------------------------------------------------------------
    def _step(self, parent: etree._Element, step: str) -> etree._Element:
        name, _, rest = step.partition("[")
        index = int(rest.rstrip("]")) if rest else 1
        matches = [c for c in parent if isinstance(c.tag, str) and etree.QName(c).localname == name]
        if len(matches) < index:
            raise KeyError(f"no {step} under {etree.QName(parent).localname}")
        return matches[index - 1]

    def el(self, path: str) -> etree._Element:
        node = self.root
        for step in path.strip("/").split("/"):
            node = self._step(node, step)
        return node

    def has(self, path: str) -> bool:
        try:
            self.el(path)
        except KeyError:
            return False
        return True

    def text(self, path: str) -> str | None:
        return self.el(path).text

    # -- edits ------------------------------------------------------------------------------------
    def set(self, path: str, value: str) -> Msg:
        """Set the text of an existing element, or create it (appended to its parent) if absent."""
        if self.has(path):
            self.el(path).text = value
            return self
        parent_path, _, name = path.rpartition("/")
        parent = self.el(parent_path) if parent_path else self.root
        self.append(parent_path, name, value, ns=self._guess_ns(parent, name))
        return self

    def remove(self, path: str) -> Msg:
        el = self.el(path)
        el.getparent().remove(el)
        return self

    def duplicate(self, path: str) -> Msg:
        """Insert a deep copy of the element directly after it."""
        el = self.el(path)
        el.addnext(copy.deepcopy(el))
        return self

    def append(self, parent_path: str, name: str, value: str | None = None, *, ns: str | None = None,
               after: str | None = None) -> etree._Element:
        parent = self.el(parent_path) if parent_path else self.root
        new = etree.Element(f"{{{ns or self.ns}}}{name}")
        new.text = value
        if after is not None:
            self._step(parent, after).addnext(new)
        else:
            parent.append(new)
        return new

    def _guess_ns(self, parent: etree._Element, name: str) -> str:
        for sib in parent:
            if isinstance(sib.tag, str) and etree.QName(sib).localname == name:
                return etree.QName(sib).namespace
        return self.ns

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")


BASIS = catalogue.get("WMO301").basisschema_namespace
