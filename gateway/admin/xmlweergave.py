"""The stored XML as numbered lines, with the elements that findings name marked.

Findings locate elements with paths such as `/Bericht/Client/StartProducten/StartProduct[2]/ToewijzingNummer`
(gateway/validation/paths.py). We pretty-print the message, parse the printed text again so every element
knows its line, and mark the lines from an element's start tag to its end tag. Pure: bytes in, lines out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from markupsafe import Markup, escape

from gateway.validation.paths import element_path
from gateway.validation.safe_xml import XmlRefused, parse


@dataclass
class Regel:
    nummer: int
    html: Markup
    bevindingen: list[int] = field(default_factory=list)  # indexes into the finding list


@dataclass
class Weergave:
    regels: list[Regel]
    leesbaar: bool  # False: shown as stored text, nothing could be marked
    niet_gevonden: list[str]  # locaties that name no element in this message
    eerste_regel: dict[int, int]  # finding index -> first marked line, for the "toon" links


_TAG = re.compile(r"(&lt;/?)([\w.:-]+)")


def _kleur(tekst: str) -> Markup:
    # Only tag names get a class: enough to read the structure, with no chance of breaking the escaping.
    veilig = str(escape(tekst))
    return Markup(_TAG.sub(r'\1<span class="tag">\2</span>', veilig))


def masker(bsn: str | None) -> str:
    """A BSN as the console shows it until someone asks (audited) to see it."""
    if not bsn:
        return ""
    return "*" * max(len(bsn) - 2, 0) + bsn[-2:]


def _mooi(data: bytes, bsn_zichtbaar: bool) -> bytes:
    root = parse(data).root
    for el in root.iter():
        if not bsn_zichtbaar and isinstance(el.tag, str) and etree.QName(el).localname == "Bsn" and el.text:
            el.text = masker(el.text.strip())
        if len(el) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _eindregel(el: etree._Element) -> int:
    laatste = el.sourceline or 0
    for kind in el.iterdescendants():
        laatste = max(laatste, kind.sourceline or 0)
    # After indenting, an element with children closes on the line after its last descendant.
    return laatste + 1 if len(el) else laatste


def weergave(data: bytes, locaties: list[list[str]], *, bsn_zichtbaar: bool = False) -> Weergave:
    """`locaties[i]` are the paths finding i names. Bsn elements are masked unless `bsn_zichtbaar`."""
    try:
        mooi = _mooi(data, bsn_zichtbaar)
    except XmlRefused:
        # Unreadable bytes cannot be searched for a Bsn element reliably, so nothing is shown unless asked.
        tekst = data.decode("utf-8", errors="replace") if bsn_zichtbaar else "(onleesbaar bericht; toon de inhoud om de bytes te zien)"
        regels = [Regel(i, Markup(escape(t))) for i, t in enumerate(tekst.splitlines(), 1)]
        return Weergave(regels, False, [p for ps in locaties for p in ps], {})
    tekst = mooi.decode("utf-8")
    regels = [Regel(i, _kleur(t)) for i, t in enumerate(tekst.splitlines(), 1)]
    # The printed text is our own output of a document that already passed the safe parser.
    herleest = etree.fromstring(mooi, etree.XMLParser(resolve_entities=False, no_network=True))
    bereik: dict[str, tuple[int, int]] = {}
    for el in herleest.iter():
        if isinstance(el.tag, str):
            bereik[element_path(el)] = (el.sourceline or 1, _eindregel(el))
    niet_gevonden: list[str] = []
    eerste: dict[int, int] = {}
    for index, paden in enumerate(locaties):
        for pad in paden:
            if pad not in bereik:
                niet_gevonden.append(pad)
                continue
            van, tot = bereik[pad]
            eerste[index] = min(eerste.get(index, van), van)
            for n in range(van, min(tot, len(regels)) + 1):
                if index not in regels[n - 1].bevindingen:
                    regels[n - 1].bevindingen.append(index)
    return Weergave(regels, True, niet_gevonden, eerste)
