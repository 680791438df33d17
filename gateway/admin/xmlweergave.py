"""The stored XML as numbered lines, exactly as the sender wrote it, with the elements that findings name marked.

Findings locate elements with paths such as `/Bericht/Client/StartProducten/StartProduct[2]/ToewijzingNummer`
(gateway/validation/paths.py) and a line number taken from the parser (`regel`, what the CLI and the sender's
own validator print). So the console shows the stored bytes themselves, never a re-serialisation: a comment, a
blank line or a CRLF moves nothing, and "regel 21" in a melding is line 21 on the screen. Start lines come from
the same parser the validator uses; end lines from expat, which reports where each end tag is (lxml does not).
Pure: bytes in, lines out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

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
# XML's line ends (XML 1.0 §2.11), as libxml2 and expat count them; str.splitlines would also split on
# characters such as U+0085 and U+2028, which are not line ends in XML 1.0, and shift every line after them.
_REGELEINDE = re.compile(r"\r\n|\r|\n")
# A Bsn element's content, also inside a comment or CDATA (masking too much is the safe side).
_BSN = re.compile(r"(<(?:[\w.-]+:)?Bsn(?:\s[^>]*)?>)(.*?)(</(?:[\w.-]+:)?Bsn\s*>)", re.DOTALL)


def _kleur(tekst: str) -> Markup:
    # Only tag names get a class: enough to read the structure, with no chance of breaking the escaping.
    veilig = str(escape(tekst))
    return Markup(_TAG.sub(r'\1<span class="tag">\2</span>', veilig))


def masker(bsn: str | None) -> str:
    """A BSN as the console shows it until someone asks (audited) to see it."""
    if not bsn:
        return ""
    return "*" * max(len(bsn) - 2, 0) + bsn[-2:]


def _maskeer_inhoud(inhoud: str) -> str:
    """A Bsn element's content masked in place: same length and the same line ends, so no line moves."""
    kern = inhoud.strip()
    if kern and not _REGELEINDE.search(kern) and "&" not in kern:
        begin = inhoud.index(kern)
        return inhoud[:begin] + masker(kern) + inhoud[begin + len(kern):]
    # A BSN spread over lines or written with character references: hide all of it.
    return re.sub(r"[^\s]", "*", inhoud)


def maskeer_bsns(tekst: str) -> str:
    return _BSN.sub(lambda m: m.group(1) + _maskeer_inhoud(m.group(2)) + m.group(3), tekst)


def regels_van(tekst: str) -> list[str]:
    regels = _REGELEINDE.split(tekst)
    if len(regels) > 1 and regels[-1] == "":
        regels.pop()  # the line end after the last line starts no line of its own
    return regels


def _eindregels(data: bytes) -> list[int] | None:
    """The line of each element's end tag, elements in document order (None when expat cannot read it)."""
    lezer = expat.ParserCreate()
    einden: list[int] = []
    open_: list[int] = []

    def begin(_naam: str, _attributen: object) -> None:
        open_.append(len(einden))
        einden.append(0)

    def eind(_naam: str) -> None:
        einden[open_.pop()] = lezer.CurrentLineNumber

    lezer.StartElementHandler = begin
    lezer.EndElementHandler = eind
    try:
        lezer.Parse(data, True)
    except expat.ExpatError:
        return None
    return einden


def _bereik(root: etree._Element, data: bytes) -> dict[str, tuple[int, int]]:
    """Element path -> (line of its start tag, line of its end tag), in the stored bytes."""
    elementen = [el for el in root.iter() if isinstance(el.tag, str)]
    einden = _eindregels(data)
    if einden is None or len(einden) != len(elementen):
        einden = [max([el.sourceline or 0, *(k.sourceline or 0 for k in el.iterdescendants())])
                  for el in elementen]
    return {element_path(el): (el.sourceline or 1, max(eind, el.sourceline or 1))
            for el, eind in zip(elementen, einden, strict=True)}


def weergave(data: bytes, locaties: list[list[str]], *, bsn_zichtbaar: bool = False) -> Weergave:
    """`locaties[i]` are the paths finding i names. Bsn elements are masked unless `bsn_zichtbaar`."""
    try:
        root = parse(data).root  # the stored bytes were read once already; this only says they still are
    except XmlRefused:
        # Unreadable bytes cannot be searched for a Bsn element reliably, so nothing is shown unless asked.
        tekst = data.decode("utf-8", errors="replace") if bsn_zichtbaar else "(onleesbaar bericht; toon de inhoud om de bytes te zien)"
        regels = [Regel(i, Markup(escape(t))) for i, t in enumerate(regels_van(tekst), 1)]
        return Weergave(regels, False, [p for ps in locaties for p in ps], {})
    tekst = data.decode("utf-8-sig", errors="replace")  # parse() accepted it as UTF-8
    if not bsn_zichtbaar:
        tekst = maskeer_bsns(tekst)
    regels = [Regel(i, _kleur(t)) for i, t in enumerate(regels_van(tekst), 1)]
    bereik = _bereik(root, data)
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
