"""Parsing untrusted XML: no DTD, no entities, no network, bounded size, clear errors."""

from __future__ import annotations

import os
from dataclasses import dataclass

from lxml import etree

from gateway.validation.findings import TE_GROOT, XML, Finding

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes_from_env() -> int:
    raw = os.environ.get("IWMO_MAX_BERICHT_BYTES")
    return int(raw) if raw and raw.isdigit() else DEFAULT_MAX_BYTES


class XmlRefused(Exception):
    """The input is not an XML message we are willing to read."""

    def __init__(self, finding: Finding):
        super().__init__(finding.melding)
        self.finding = finding


def _parser(huge_tree: bool = False) -> etree.XMLParser:
    # resolve_entities=False leaves entity references unexpanded; no_network and load_dtd=False keep the
    # parser off the disk and the network; huge_tree stays off by default so libxml2's own limits hold.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=False,
        remove_pis=False,
        huge_tree=huge_tree,
        collect_ids=False,
    )


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: etree._ElementTree
    root: etree._Element


def _refuse(melding: str, code: str = XML, regel: int | None = None) -> XmlRefused:
    return XmlRefused(Finding(code=code, melding=melding, regel=regel))


def parse(data: bytes, *, max_bytes: int | None = None, huge_tree: bool = False) -> Parsed:
    """Parse a message or raise XmlRefused with a finding that says what is wrong.

    huge_tree lifts libxml2's 10 MB text-node limit, for envelopes whose base64 payload is one text node;
    the max_bytes check above still bounds the input.
    """
    limit = max_bytes if max_bytes is not None else max_bytes_from_env()
    if len(data) > limit:
        raise _refuse(
            f"Het bericht is {len(data)} bytes; de grens is {limit} bytes. Splits het bericht "
            "(bijvoorbeeld een declaratie per periode) of verhoog IWMO_MAX_BERICHT_BYTES.",
            TE_GROOT,
        )
    if not data.strip():
        raise _refuse("Het bericht is leeg. Stuur een iWmo 3.2 XML-bericht.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise _refuse("Het bericht is geen UTF-8 (UTF-16 gevonden). iWmo-berichten zijn UTF-8.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"Het bericht is geen geldige UTF-8 (ongeldige byte op positie {exc.start}). "
            "Sla het bericht op als UTF-8."
        ) from None
    # A DOCTYPE is the vehicle for entity expansion and external entities; iWmo never uses one.
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<!DOCTYPE" in data[: min(len(data), 1 << 16)].upper() or b"<!ENTITY" in head.upper():
        raise _refuse("Het bericht bevat een DOCTYPE/DTD; dat is in iWmo-berichten niet toegestaan. Verwijder het.")
    try:
        root = etree.fromstring(data, _parser(huge_tree))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise _refuse(f"Het bericht is geen welgevormde XML: {exc.msg}.", regel=line) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise _refuse("Het bericht bevat een DOCTYPE/DTD; dat is in iWmo-berichten niet toegestaan. Verwijder het.")
    encoding = (tree.docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding not in ("UTF-8", "UTF8", "US-ASCII", "ASCII"):
        raise _refuse(f"Het bericht verklaart encoding {encoding}; iWmo-berichten zijn UTF-8.")
    return Parsed(tree=tree, root=root)
