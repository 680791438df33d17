"""Parsing untrusted XML: no DTD, no entities, no network, bounded size and shape, clear errors."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from gateway.validation import parsefouten
from gateway.validation.findings import TE_GROOT, XML, Finding, maskeer_cijferreeksen
from gateway.validation.paths import element_path, local

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# -- What one message may cost -----------------------------------------------------------------------------
# Checked while parsing, before the XSD step, so a hostile message never builds a huge tree or thousands of
# findings. The limits come from the standard, with wide room: the largest legitimate message (a WMO323 of
# 20 MB, 38 000 prestaties) must pass untouched. They are constants on purpose: no setting can open them.
#
# Elements: the generated 20 MB WMO323 averages 35 bytes per element, and a short iWmo element with its
# closing tag (`<Eenheid>04</Eenheid>`) takes 21; so one element per 16 bytes of the size limit never refuses
# a real message, and caps `<a/><a/>…` (4 bytes each) at a quarter of the tree it would otherwise build.
BYTES_PER_ELEMENT = 16
MIN_ELEMENTEN = 1_000  # a floor for deliberately tiny size limits (tests)
# Depth: the deepest element in iWmo 3.2 is 8 levels down (/Bericht/Client/…/ToegewezenProduct/Omvang/…).
MAX_DIEPTE = 32
# Attributes: the iWmo XSDs declare none; a message carries only namespace declarations (and perhaps
# xsi:schemaLocation), a StUF-GGk envelope a few dozen. Namespace declarations count as attributes here.
MAX_ATTRIBUTEN_PER_ELEMENT = 64
MAX_ATTRIBUTEN = 10_000
# Text: the longest iWmo value is 200 characters (LDT_Commentaar); 4 096 leaves room for mistakes while
# keeping any value an XSD melding quotes small. Envelopes (huge_tree) carry the payload as one base64 text
# node and are exempt; the payload is parsed again on its own, under these limits.
MAX_TEKST = 4_096

_CHUNK = 1 << 16
# Every text and attribute value lies between two `<` (CDATA aside), so a value of more than MAX_TEKST
# characters is a run of more than MAX_TEKST bytes without `<`. Such a run covers at least one whole window of
# MAX_TEKST // 2 bytes aligned on a multiple of it; when every such window holds a `<`, no value is too long.
# That takes one `find` per window (a few ms for 20 MB), where a regex over every tag took a tenth of a second.
_VENSTER = MAX_TEKST // 2
# Comments, CDATA and processing instructions may hold a `<` that starts no element.
_GEEN_ELEMENT = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_TE_DIEP = etree.XPath("boolean(" + "/*" * (MAX_DIEPTE + 1) + ")")
_EERSTE_TE_DIEP = etree.XPath("(" + "/*" * (MAX_DIEPTE + 1) + ")[1]")
_TE_LANGE_TEKST = etree.XPath(f"(//text()[string-length() > {MAX_TEKST}])[1]")
_TE_LANGE_WAARDE = etree.XPath(f"(//@*[string-length() > {MAX_TEKST}])[1]")


def max_bytes_from_env() -> int:
    raw = os.environ.get("IWMO_MAX_BERICHT_BYTES")
    return int(raw) if raw and raw.isdigit() else DEFAULT_MAX_BYTES


def max_elementen(max_bytes: int) -> int:
    return max(max_bytes // BYTES_PER_ELEMENT, MIN_ELEMENTEN)


class XmlRefused(Exception):
    """The input is not an XML message we are willing to read."""

    def __init__(self, finding: Finding):
        super().__init__(finding.melding)
        self.finding = finding


def _opties(huge_tree: bool) -> dict[str, bool]:
    # resolve_entities=False leaves entity references unexpanded; no_network and load_dtd=False keep the
    # parser off the disk and the network; huge_tree stays off by default so libxml2's own limits hold.
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "remove_comments": False,
        "remove_pis": False,
        "huge_tree": huge_tree,
        "collect_ids": False,
    }


def _parser(huge_tree: bool = False) -> etree.XMLParser:
    return etree.XMLParser(**_opties(huge_tree))


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: etree._ElementTree
    root: etree._Element


def _refuse(melding: str, code: str = XML, regel: int | None = None, locatie: tuple[str, ...] = ()) -> XmlRefused:
    return XmlRefused(Finding(code=code, melding=melding, regel=regel, locatie=locatie))


def _getal(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def te_groot(limit: int, grootte: int | None = None) -> XmlRefused:
    """TE_GROOT; `grootte` None when reading stopped at the limit (a pipe, /dev/zero) and the size is unknown."""
    hoeveel = f"{grootte} bytes" if grootte is not None else f"groter dan {limit} bytes (verder niet gelezen)"
    return _refuse(
        f"Het bericht is {hoeveel}; de grens is {limit} bytes. Splits het bericht (bijvoorbeeld een declaratie "
        "per periode) of verhoog IWMO_MAX_BERICHT_BYTES.",
        TE_GROOT,
    )


def lees_begrensd(bron: BinaryIO, max_bytes: int | None = None) -> bytes:
    """Read a message from a file or pipe, stopping as soon as it passes the size limit (raises TE_GROOT)."""
    limit = max_bytes if max_bytes is not None else max_bytes_from_env()
    delen: list[bytes] = []
    gelezen = 0
    while gelezen <= limit:
        deel = bron.read(min(_CHUNK * 16, limit + 1 - gelezen))
        if not deel:
            return b"".join(delen)
        delen.append(deel)
        gelezen += len(deel)
    try:
        grootte: int | None = os.fstat(bron.fileno()).st_size or None  # a regular file knows its size
    except (OSError, AttributeError, ValueError):
        grootte = None
    raise te_groot(limit, grootte if grootte and grootte > limit else None)


# -- the shape limits -----------------------------------------------------------------------------------------


def _plek(el: etree._Element) -> str:
    # The parent's path plus the name: the full path would scan every sibling, which for a flat bomb of
    # many siblings is exactly the cost we are refusing.
    parent = el.getparent()
    return "/" + local(el.tag) if parent is None else f"{element_path(parent)}/{local(el.tag)}"


def _over_grens(el: etree._Element, wat: str, doe: str) -> XmlRefused:
    plek = _plek(el)
    return _refuse(f"Grens overschreden bij {plek}: {wat} {doe}", regel=el.sourceline, locatie=(plek,))


def _tel_elementen(data: bytes) -> int:
    """The number of start tags (= elements) in well-formed XML, from byte counts alone, without a parse."""
    instructies = data.count(b"<?")  # the XML declaration, if any
    if instructies > 1 or b"<!" in data:
        data, instructies = _GEEN_ELEMENT.sub(b"", data), 0
    return data.count(b"<") - data.count(b"</") - instructies


def _zeker_binnen_elementgrens(data: bytes, grens: int) -> bool:
    """True proves the message has at most `grens` elements, with as little scanning as will do.

    Each bound holds for any input and costs a pass more than the one before, so a message is counted exactly
    (`_tel_elementen`, four passes) only when it comes near the limit: an element takes at least four bytes
    (`<a/>`), and every start tag has a `<` that no `/` follows."""
    if len(data) // 4 <= grens:
        return True
    kleiner_dan = data.count(b"<")
    return kleiner_dan <= grens or kleiner_dan - data.count(b"</") <= grens


def _misschien_veel_attributen(data: bytes) -> bool:
    """False proves both attribute limits hold: every attribute and namespace declaration has its own `=`."""
    totaal = data.count(b"=")
    if totaal <= MAX_ATTRIBUTEN_PER_ELEMENT:
        return False
    # A tag and the text after it, up to the next `<`: text may hold `=` too, so this still only bounds.
    return totaal > MAX_ATTRIBUTEN or max(deel.count(b"=") for deel in data.split(b"<")) > MAX_ATTRIBUTEN_PER_ELEMENT


def _misschien_lange_tekst(data: bytes) -> bool:
    """False proves no text or attribute value is longer than MAX_TEKST (see _VENSTER); CDATA may hold `<`."""
    if len(data) <= MAX_TEKST:
        return False
    vind = data.find
    return b"<![CDATA[" in data or any(vind(b"<", begin, begin + _VENSTER) < 0
                                      for begin in range(0, len(data) - _VENSTER + 1, _VENSTER))


def _parse_attributen_bewaakt(data: bytes, huge_tree: bool) -> etree._Element:
    """Parse with attribute counters, refusing at the first limit passed, before the rest is read."""
    parser = etree.XMLPullParser(events=("start-ns", "start"), **_opties(huge_tree))
    totaal = namespaces = 0
    for begin in range(0, len(data), _CHUNK):
        parser.feed(data[begin:begin + _CHUNK])
        for event, item in parser.read_events():
            if event == "start-ns":
                namespaces += 1  # declared on the element whose start follows
                continue
            eigen = len(item.attrib) + namespaces
            namespaces = 0
            totaal += eigen
            if eigen > MAX_ATTRIBUTEN_PER_ELEMENT:
                raise _over_grens(item, f"het element heeft {_getal(eigen)} attributen en namespacedeclaraties; de "
                                        f"grens is {MAX_ATTRIBUTEN_PER_ELEMENT} per element.", _GEEN_ATTRIBUTEN)
            if totaal > MAX_ATTRIBUTEN:
                raise _over_grens(item, f"het bericht heeft meer dan {_getal(MAX_ATTRIBUTEN)} attributen en "
                                        "namespacedeclaraties.", _GEEN_ATTRIBUTEN)
    return parser.close()


_GEEN_ATTRIBUTEN = "iWmo-berichten hebben geen attributen, alleen namespacedeclaraties; verwijder ze."
_KORT_IN = f"De langste waarde in iWmo 3.2 is 200 tekens; de grens is {_getal(MAX_TEKST)}. Kort de waarde in."
_NESTING = "Het diepste iWmo-element ligt 8 niveaus diep; controleer de nesting van het bericht."


def _bewaak_vorm(root: etree._Element, *, tekst: bool) -> None:
    """Depth always (libxml2 alone allows 256), text and attribute values when the byte scan flagged them."""
    if _TE_DIEP(root):
        diep = _EERSTE_TE_DIEP(root)[0]
        raise _over_grens(diep, f"het element ligt dieper dan {MAX_DIEPTE} niveaus.", _NESTING)
    if not tekst:
        return
    for lang in _TE_LANGE_TEKST(root):
        wat = "de tekst na het element" if lang.is_tail else "de tekst"
        raise _over_grens(lang.getparent(), f"{wat} is {_getal(len(lang))} tekens.", _KORT_IN)
    for lang in _TE_LANGE_WAARDE(root):
        raise _over_grens(lang.getparent(), f"attribuut {local(lang.attrname)} is {_getal(len(lang))} tekens.",
                          _KORT_IN)


def parse(data: bytes, *, max_bytes: int | None = None, huge_tree: bool = False) -> Parsed:
    """Parse a message or raise XmlRefused with a finding that says what is wrong.

    huge_tree lifts libxml2's 10 MB text-node limit and our text limit, for envelopes whose base64 payload is
    one text node; the max_bytes check above still bounds the input.
    """
    limit = max_bytes if max_bytes is not None else max_bytes_from_env()
    if len(data) > limit:
        raise te_groot(limit, len(data))
    if not data or data.isspace():  # not `strip()`: that copies the whole message to look at its first bytes
        raise _refuse("Het bericht is leeg. Stuur een iWmo 3.2 XML-bericht.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise _refuse("Het bericht is geen UTF-8 (UTF-16 gevonden). iWmo-berichten zijn UTF-8.")
    try:
        if not data.isascii():  # ASCII is UTF-8; only other bytes need the decode (and its copy of the message)
            data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"Het bericht is geen geldige UTF-8 (ongeldige byte op positie {exc.start}). "
            "Sla het bericht op als UTF-8."
        ) from None
    # A DOCTYPE is the vehicle for entity expansion and external entities; iWmo never uses one. Both markers
    # start with `<!`, so a message without one in its first 64 KiB is not copied and upper-cased to look.
    begin = data[: 1 << 16]
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<!" in begin and (b"<!DOCTYPE" in begin.upper() or b"<!ENTITY" in head.upper()):
        raise _refuse("Het bericht bevat een DOCTYPE/DTD; dat is in iWmo-berichten niet toegestaan. Verwijder het.")
    elementen = max_elementen(limit)
    if not _zeker_binnen_elementgrens(data, elementen) and (aantal := _tel_elementen(data)) > elementen:
        raise _refuse(f"Grens overschreden: het bericht heeft {_getal(aantal)} elementen; de grens is "
                      f"{_getal(elementen)} (één per {BYTES_PER_ELEMENT} bytes van de groottegrens). Een iWmo-bericht "
                      "heeft er nooit zoveel; controleer de software die het maakt.")
    try:
        if _misschien_veel_attributen(data):
            root = _parse_attributen_bewaakt(data, huge_tree)
        else:
            root = etree.fromstring(data, _parser(huge_tree))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        if "Excessive depth" in (exc.msg or ""):  # libxml2's own limit (256), far past ours
            raise _refuse(f"Grens overschreden: het bericht is dieper genest dan {MAX_DIEPTE} niveaus. {_NESTING}",
                          regel=line) from None
        raise _refuse(parsefouten.melding(exc), regel=line) from None
    _bewaak_vorm(root, tekst=not huge_tree and _misschien_lange_tekst(data))
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise _refuse("Het bericht bevat een DOCTYPE/DTD; dat is in iWmo-berichten niet toegestaan. Verwijder het.")
    encoding = (tree.docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding not in ("UTF-8", "UTF8", "US-ASCII", "ASCII"):
        raise _refuse(f"Het bericht verklaart encoding {maskeer_cijferreeksen(encoding)}; iWmo-berichten zijn UTF-8.")
    return Parsed(tree=tree, root=root)
