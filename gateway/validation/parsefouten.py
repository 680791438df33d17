"""libxml2's parser errors said in Dutch, with the line and column the sender's editor shows.

lxml raises `XMLSyntaxError` with libxml2's English text ("Couldn't find end of Start Tag Client line 1"). A
sender reads our melding, not libxml2's, so each common error type (`exc.code`, an `xmlParserErrors` value)
gets its own Dutch text and what to do; a type we do not know gets a Dutch text that names only where. Names
quoted from the message (tags, prefixes, entities) pass through `maskeer_cijferreeksen`: a BSN typed as a tag
name must not come back.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from gateway.validation.findings import maskeer_cijferreeksen

# The position lxml appends to its message; the position itself comes from `exc.position`.
_POSITIE = re.compile(r", line \d+, column \d+$")
# libxml2 writes "unparsable" where it could not read the end tag's name: that is no name to show.
_MISMATCH = re.compile(r"Opening and ending tag mismatch: (?P<open>\S+) line (?P<regel>\d+) and "
                       r"(?P<sluit>(?!unparsable\b)\S+)")
_NIET_AF = re.compile(r"Premature end of data in tag (?P<tag>\S+) line (?P<regel>\d+)")
_START_TAG = re.compile(r"Couldn't find end of Start Tag (?P<tag>\S+)")
_PREFIX = re.compile(r"Namespace prefix (?P<prefix>\S+) (?:on|for) (?P<tag>\S+) is not defined")
_ENTITEIT = re.compile(r"Entity '(?P<naam>[^']*)' not defined")
_ATTRIBUUT = re.compile(r"Attribute (?P<naam>\S+) redefined")

_TEKEN_ESCAPEN = "Schrijf een '<' in tekst als &lt; en een '&' als &amp;."
_ONGELDIG_TEKEN = ("Het bericht bevat een teken dat in XML niet is toegestaan (een stuurteken of een ongeldige "
                   "tekenverwijzing). Verwijder het; controleer de software die het bericht maakt.")
_AANHALINGSTEKENS = "Een attribuutwaarde staat niet (of niet afgesloten) tussen aanhalingstekens. Zet haar tussen \" of '."


def _naam(tekst: str) -> str:
    return maskeer_cijferreeksen(tekst)


def _ingevuld(patroon: re.Pattern[str], met: str, zonder: str) -> Callable[[str], str]:
    """`met` with the names libxml2's message quotes filled in ({tag}, {regel}, ...), or `zonder` when the message
    does not have them."""

    def tekst(bericht: str) -> str:
        m = patroon.search(bericht)
        return met.format_map({k: _naam(v) for k, v in m.groupdict().items()}) if m else zonder

    return tekst


def _naam_verwacht(bericht: str) -> str:
    if "attribute" in bericht:
        return ("Een starttag is niet goed afgesloten: na de elementnaam volgt iets dat geen attribuut, '>' of '/>' "
                "is. Sluit de tag af met '>'.")
    if "EntityRef" in bericht:
        return f"Een '&' in de tekst begint geen geldige entiteit. {_TEKEN_ESCAPEN}"
    return f"Na een '<' volgt geen geldige elementnaam. {_TEKEN_ESCAPEN}"


_entiteit = _ingevuld(
    _ENTITEIT,
    f"De entiteit &{{naam}}; bestaat niet (iWmo-berichten kennen geen DTD). {_TEKEN_ESCAPEN}",
    f"Een entiteit bestaat niet (iWmo-berichten kennen geen DTD). {_TEKEN_ESCAPEN}")
_dubbel_attribuut = _ingevuld(_ATTRIBUUT, "Het attribuut {naam} staat twee keer op hetzelfde element. Laat er één staan.",
                              "Een attribuut staat twee keer op hetzelfde element. Laat er één staan.")


def _vast(tekst: str) -> Callable[[str], str]:
    return lambda _bericht: tekst


# xmlParserErrors by name (lxml.etree.ErrorTypes), each to its Dutch text.
_TEKSTEN: dict[str, Callable[[str], str]] = {
    "ERR_DOCUMENT_EMPTY": _vast("Het bericht begint niet met een XML-element ('<' verwacht). Stuur een iWmo "
                                "3.2 XML-bericht."),
    "ERR_DOCUMENT_START": _vast("Het bericht begint niet met een XML-element ('<' verwacht)."),
    "ERR_DOCUMENT_END": _vast("Na het einde van het rootelement staat nog inhoud. Een bericht heeft precies één "
                              "rootelement (Bericht); verwijder wat erna komt."),
    "ERR_TAG_NAME_MISMATCH": _ingevuld(
        _MISMATCH,
        "De eindtag </{sluit}> past niet bij het element <{open}> dat op regel {regel} is geopend. Sluit <{open}> "
        "af met </{open}> voordat een ander element sluit.",
        "Een eindtag past niet bij het element dat open staat. Sluit elk element af met zijn eigen eindtag."),
    "ERR_TAG_NOT_FINISHED": _ingevuld(
        _NIET_AF,
        "Het bericht houdt op terwijl element <{tag}> (geopend op regel {regel}) nog open staat. Is het bericht "
        "volledig? Sluit elk element af.",
        "Het bericht houdt op terwijl een element nog open staat. Is het bericht volledig? Sluit elk element af."),
    "ERR_GT_REQUIRED": _ingevuld(
        _START_TAG,
        "De tag <{tag} is niet met '>' afgesloten. Sluit de tag af met '>' (of '/>' voor een leeg element).",
        "Een tag is niet met '>' afgesloten. Sluit de tag af met '>' (of '/>' voor een leeg element)."),
    "ERR_LTSLASH_REQUIRED": _vast("Hier wordt een eindtag ('</') verwacht. Sluit elk element af."),
    "ERR_NAME_REQUIRED": _naam_verwacht,
    "NS_ERR_UNDEFINED_NAMESPACE": _ingevuld(
        _PREFIX,
        "Het namespacevoorvoegsel {prefix}: van <{tag}> is niet gedeclareerd. Declareer het met "
        "xmlns:{prefix}=\"…\" of gebruik het voorvoegsel van het berichtschema.",
        "Een namespacevoorvoegsel is niet gedeclareerd. Declareer het met xmlns:voorvoegsel=\"…\"."),
    "ERR_UNDECLARED_ENTITY": _entiteit,
    "WAR_UNDECLARED_ENTITY": _entiteit,
    "ERR_ENTITYREF_SEMICOL_MISSING": _vast(f"Een entiteit (zoals &amp;) mist de afsluitende ';'. {_TEKEN_ESCAPEN}"),
    "ERR_INVALID_CHAR": _vast(_ONGELDIG_TEKEN),
    "ERR_INVALID_CHARREF": _vast(_ONGELDIG_TEKEN),
    "ERR_INVALID_DEC_CHARREF": _vast(_ONGELDIG_TEKEN),
    "ERR_INVALID_HEX_CHARREF": _vast(_ONGELDIG_TEKEN),
    "ERR_LT_IN_ATTRIBUTE": _vast("Een attribuutwaarde bevat een '<'. Schrijf het als &lt;."),
    "ERR_ATTRIBUTE_NOT_STARTED": _vast(_AANHALINGSTEKENS),
    "ERR_ATTRIBUTE_NOT_FINISHED": _vast(_AANHALINGSTEKENS),
    "ERR_ATTRIBUTE_WITHOUT_VALUE": _vast("Een attribuut heeft geen waarde. Schrijf naam=\"waarde\"."),
    "ERR_ATTRIBUTE_REDEFINED": _dubbel_attribuut,
    "NS_ERR_ATTRIBUTE_REDEFINED": _dubbel_attribuut,
    "ERR_EQUAL_REQUIRED": _vast("Na een attribuutnaam wordt '=' verwacht. Schrijf naam=\"waarde\"."),
    "ERR_SPACE_REQUIRED": _vast("Tussen twee attributen (of in de XML-declaratie) ontbreekt een spatie."),
    "ERR_STRING_NOT_STARTED": _vast(_AANHALINGSTEKENS),
    "ERR_STRING_NOT_CLOSED": _vast(_AANHALINGSTEKENS),
    "ERR_LITERAL_NOT_STARTED": _vast(_AANHALINGSTEKENS),
    "ERR_LITERAL_NOT_FINISHED": _vast(_AANHALINGSTEKENS),
    "ERR_RESERVED_XML_NAME": _vast("De XML-declaratie (<?xml …?>) mag alleen helemaal aan het begin van het "
                                   "bericht staan, zonder iets ervoor. Verwijder wat ervoor staat."),
    "ERR_XMLDECL_NOT_STARTED": _vast("De XML-declaratie (<?xml version=\"1.0\" encoding=\"UTF-8\"?>) is niet goed "
                                     "begonnen."),
    "ERR_XMLDECL_NOT_FINISHED": _vast("De XML-declaratie is niet met '?>' afgesloten."),
    "ERR_VERSION_MISSING": _vast("De XML-declaratie mist version=\"1.0\"."),
    "ERR_UNKNOWN_VERSION": _vast("De XML-declaratie noemt een onbekende XML-versie; gebruik version=\"1.0\"."),
    "ERR_UNSUPPORTED_ENCODING": _vast("De XML-declaratie noemt een onbekende encoding; iWmo-berichten zijn UTF-8."),
    "ERR_ENCODING_NAME": _vast("De encoding in de XML-declaratie is geen geldige naam; iWmo-berichten zijn UTF-8."),
    "ERR_COMMENT_NOT_FINISHED": _vast("Een commentaar (<!-- … -->) is niet afgesloten met '-->'."),
    "ERR_HYPHEN_IN_COMMENT": _vast("Een commentaar bevat '--'; dat mag in XML niet."),
    "ERR_CDATA_NOT_FINISHED": _vast("Een CDATA-sectie is niet afgesloten met ']]>'."),
    "ERR_PI_NOT_STARTED": _vast("Een verwerkingsinstructie (<? … ?>) is niet goed begonnen."),
    "ERR_PI_NOT_FINISHED": _vast("Een verwerkingsinstructie (<? … ?>) is niet afgesloten met '?>'."),
    "ERR_MISPLACED_CDATA_END": _vast("De tekst bevat ']]>'; schrijf de '>' als &gt;."),
    "ERR_NOT_WELL_BALANCED": _vast("De elementen zijn niet goed genest: een element sluit binnen een ander "
                                   "element dat nog open staat."),
    "ERR_EXTRA_CONTENT": _vast("Na het einde van het rootelement staat nog inhoud; verwijder die."),
    "ERR_PCDATA_REQUIRED": _vast("Hier wordt tekst verwacht."),
}

_TYPENAMEN: dict[int, str] = {
    getattr(etree.ErrorTypes, naam): naam for naam in dir(etree.ErrorTypes) if naam.isupper()
}

ONBEKEND = ("De XML-parser kan het bericht op deze plek niet lezen. "
            f"Controleer of elke tag is afgesloten. {_TEKEN_ESCAPEN}")


def beschrijving(code: int, bericht: str) -> str:
    """The Dutch text for libxml2 error `code` (its English `bericht` only supplies names), without position."""
    tekst = _TEKSTEN.get(_TYPENAMEN.get(code, ""))
    return tekst(_POSITIE.sub("", bericht)) if tekst else ONBEKEND


def melding(exc: etree.XMLSyntaxError) -> str:
    """'Het bericht is geen welgevormde XML (regel L, kolom K): <what and what to do>'."""
    regel, kolom = exc.position if exc.position else (0, 0)
    waar = f" (regel {regel}, kolom {kolom})" if regel else ""
    return f"Het bericht is geen welgevormde XML{waar}: {beschrijving(exc.code, exc.msg or '')}"
