"""What an XSD says about messages, as a dict to compare two schemas by, without layout or comments.

Shared by the iWmo and the iJw schema conformance tests: our schemas must state the same facts (names, order,
cardinality, types, facets) as the official ones, so the parts no example reaches are covered too.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"


def facts(path: Path, *, drop: frozenset[str] = frozenset()) -> dict[str, str]:
    """What a schema says about messages, without layout, comments, documentation or appinfo.

    Keyed by global component; QNames are resolved to {namespace}local so prefixes do not matter. Element
    particles and types named in `drop` are left out.
    """
    root = etree.parse(str(path)).getroot()

    def qname(el: etree._Element, value: str) -> str:
        prefix, _, local = value.rpartition(":")
        return f"{{{el.nsmap.get(prefix or None)}}}{local}"

    def kids(el: etree._Element) -> list[etree._Element]:
        return [c for c in el.iterchildren(etree.Element) if etree.QName(c).localname != "annotation"]

    def simple(st: etree._Element) -> str:
        (r,) = kids(st)  # only xs:restriction is expected; anything else shows up as a difference
        facets = sorted((etree.QName(f).localname, f.get("value")) for f in kids(r))
        return f"{etree.QName(r).localname} {qname(r, r.get('base'))} {facets}"

    def particle(e: etree._Element) -> str:
        inline = e.find(f"{{{XS}}}simpleType")
        typ = simple(inline) if inline is not None else qname(e, e.get("type"))
        other = sorted(
            (k, v) for k, v in e.attrib.items() if k not in {"name", "type", "minOccurs", "maxOccurs"}
        )
        return f"{e.get('name')}:{typ}[{e.get('minOccurs', '1')}..{e.get('maxOccurs', '1')}]{other or ''}"

    def complex_(ct: etree._Element) -> str:
        # Our schemas (and the standard's) use one xs:sequence of xs:element per complex type; any other
        # content model, attribute or wildcard is kept by its kind so it cannot slip through unnoticed.
        parts: list[str] = []
        for child in kids(ct):
            if etree.QName(child).localname != "sequence":
                parts.append(f"<{etree.QName(child).localname}>")
                continue
            for e in kids(child):
                if etree.QName(e).localname != "element":
                    parts.append(f"<{etree.QName(e).localname}>")
                elif e.get("name") not in drop:
                    parts.append(particle(e))
        return f"{sorted(ct.attrib.items())} {parts}"

    found = {"@schema": str(sorted(root.attrib.items()))}
    for c in root.iterchildren(etree.Element):
        if c.get("name") in drop:
            continue
        kind = etree.QName(c).localname
        if kind == "import":
            found[f"import {c.get('namespace')}"] = c.get("schemaLocation")
        elif kind == "element":
            found[f"element {c.get('name')}"] = qname(c, c.get("type"))
        elif kind == "simpleType":
            found[f"type {c.get('name')}"] = simple(c)
        elif kind == "complexType":
            found[f"type {c.get('name')}"] = complex_(c)
        elif kind != "annotation":
            found[f"{kind} {c.get('name')}"] = "unexpected top-level component"
    return found
