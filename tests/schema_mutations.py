"""Mutated iWmo messages: small, readable edits of an example message, for schema conformance tests.

Every mutant is a `Mutation(name, data)`. The name says which message it came from, what kind of edit it is and
where: ``WMO301/verwijder/Client/Relaties`` or ``WMO323/waarde/Declaratie/DeclaratieNummer=streepje``. The first
step is always the message name, so a test knows which schema to use even when the edit breaks the namespace.

The generator does not decide whether a mutant is valid: the conformance test asks both our schema and the
official one and requires the same verdict. Many edits are meant to stay valid (removing an optional element,
a value on the edge of a range, a comment between elements), so agreement is tested in both directions.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from gateway.standard import catalogue

IJW_ROOT = "http://www.istandaarden.nl/ijw/3_2"


class Mutation(NamedTuple):
    name: str
    data: bytes


def bericht_van(mutation_name: str) -> str:
    """The message a mutant was made from, e.g. 'WMO301'."""
    return mutation_name.split("/", 1)[0]


# ---------------------------------------------------------------------------------------------------------------
# Values to try per element (local name). Each pair is (label, value); the label ends up in the mutant's name.
# The lists mix values the standard forbids with values it allows, on purpose: a schema that is too strict fails
# the test just as well as one that is too lax.
# ---------------------------------------------------------------------------------------------------------------

_DATUM = (
    ("30-februari", "2025-02-30"),
    ("schrikkeldag", "2024-02-29"),
    ("geen-schrikkeldag", "2023-02-29"),
    ("maand-13", "2023-13-01"),
    ("met-Z", "2023-08-13Z"),
    ("met-tijdzone", "2023-08-13+02:00"),
    ("nl-volgorde", "13-08-2023"),
    ("zonder-voorloopnul", "2023-8-13"),
    ("met-tijd", "2023-08-13T10:00:00"),
)
# Every other date element gets the one impossible date; the full list runs once per message on Dagtekening.
_DATUM_KORT = (("30-februari", "2025-02-30"), ("31-juni", "2025-06-31"))


def _geheel(maximum: int) -> tuple[tuple[str, str], ...]:
    """xs:integer with a 0..maximum range: sign, fraction, bounds and whitespace (collapsed for integers)."""
    return (
        ("negatief", "-1"),
        ("decimaal", "1.5"),
        ("exponent", "1e3"),
        ("plusteken", "+7"),
        ("spaties", " 12 "),
        ("maximum", str(maximum)),
        ("boven-maximum", str(maximum + 1)),
        ("letters", "twaalf"),
    )


def _tekst(max_len: int) -> tuple[tuple[str, str], ...]:
    """String of at most max_len characters that must hold a non-blank character (pattern .*[^\\s].*)."""
    return (
        ("maxlengte", "x" * max_len),
        ("te-lang", "x" * (max_len + 1)),
        ("alleen-spatie", " "),
        ("regelovergang", "a\nb"),
    )


WAARDEN: dict[str, tuple[tuple[str, str], ...]] = {
    # Kop
    "BerichtCode": (("ander-iwmo-bericht", "414"), ("voorloopnul", "0418"), ("spatie", " 418")),
    "BerichtVersie": (("versie-2", "2"), ("voorloopnul", "03"), ("decimaal", "3.0"), ("spaties", " 3 ")),
    "BerichtSubversie": (("subversie-1", "1"), ("voorloopnul", "02"), ("plusteken", "+2")),
    "Afzender": (
        ("5-cijfers", "03840"),
        ("3-cijfers", "384"),
        ("7-cijfers", "4242000"),
        ("9-cijfers", "424200011"),
        ("gemeentecode", "0518"),
        ("agb-code", "12345678"),
        ("letters", "ABCD"),
    ),
    "Ontvanger": (
        ("5-cijfers", "03630"),
        ("7-cijfers", "6565605"),
        ("gemeentecode", "0518"),
        ("agb-code", "12345678"),
        ("spatie-erin", "1234 678"),
    ),
    "Identificatie": (("12-tekens", "ABCDEFGHIJKL"), ("13-tekens", "ABCDEFGHIJKLM"), ("alleen-spatie", " ")),
    "Dagtekening": _DATUM,
    "BasisschemaXsdVersie": (("twee-delen", "1.0"), ("voorloopnul", "01.0.0"), ("vier-delen", "1.0.0.0")),
    "BerichtXsdVersie": (("meercijferig", "10.20.30"), ("letter", "1.0.a")),
    # Client en relaties
    "Bsn": (
        ("letters", "99990000A"),
        ("8-cijfers", "99990000"),
        ("10-cijfers", "9999000060"),
        ("spatie", " 999900006"),
    ),
    "Datum": _DATUM_KORT,
    "DatumGebruik": (("buiten-lijst", "4"), ("jaar-bekend", "2")),
    "Geslacht": (("buiten-lijst", "3"), ("onbekend", "0"), ("letter", "M")),
    "Achternaam": _tekst(200),
    "Voorvoegsel": (("te-lang", "van der den"), ("maxlengte", "van den de")),
    "Voornamen": (("te-lang", "x" * 201), ("alleen-spaties", "   ")),
    "Voorletters": (
        ("met-punt", "T."),
        ("7-letters", "ABCDEFG"),
        ("accent", "\u00c9"),
        ("grens-bereik", "\u1ef3"),
        ("buiten-bereik", "\u1ef9"),
        ("cijfer", "T1"),
    ),
    "NaamGebruik": (("buiten-lijst", "7"), ("niet-natuurlijk-persoon", "6")),
    "Vorm": (("buiten-lijst", "4"), ("code-2", "2")),
    "Taal": _tekst(25),
    "JuridischeStatus": (("buiten-lijst", "06"), ("code-12", "12")),
    "WettelijkeVertegenwoordiging": (("buiten-lijst", "05"), ("code-10", "10")),
    "Commentaar": (
        ("alleen-spaties", "   "),
        ("lange-tekst", "Lang commentaar. " * 300),
        ("puntjes", ". ."),
        ("regelovergangen", "regel 1\nregel 2"),
    ),
    "Nummer": (("21-tekens", "x" * 21), ("20-tekens", "x" * 20)),
    "Volgorde": _geheel(99),
    # "Soort" is SoortRelatie onder Relatie en AdresSoort onder Contact: de waarden raken beide lijsten.
    "Soort": (("code-02", "02"), ("alleen-relatie", "05"), ("in-beide", "04"), ("een-cijfer", "3")),
    # Adres en contact
    "Huisnummer": _geheel(99999),
    "Huisletter": (("twee-letters", "AB"), ("alleen-spatie", " ")),
    "HuisnummerToevoeging": (("5-tekens", "BOVEN"), ("4-tekens", "BOVN")),
    "AanduidingWoonadres": (("buiten-lijst", "XX"), ("kleine-letters", "ab"), ("woonwagen", "WW")),
    "Postcode": (("9-tekens", "1234 AB C"), ("met-spatie", "1234 AB"), ("buitenlands", "B-1000")),
    "Straatnaam": _tekst(24),
    "Plaatsnaam": _tekst(80),
    "LandCode": (
        ("buiten-lijst", "XX"),
        ("kleine-letters", "nl"),
        ("drie-letters", "NLD"),
        ("nederland", "NL"),
    ),
    "Organisatie": _tekst(35),
    "Telefoonnummer": (("streepje", "010-1234567"), ("16-cijfers", "0" * 16), ("plus", "+31101234567")),
    "Landnummer": (("5-tekens", "00311"), ("plus", "+31")),
    "Emailadres": _tekst(80),
    # Toewijzing, product, omvang
    "ToewijzingNummer": _geheel(999999999),
    "BeschikkingNummer": _geheel(999999999),
    "ReferentieAanbieder": _tekst(36),
    "Categorie": (("buiten-lijst", "19"), ("ijw-categorie", "45"), ("een-cijfer", "1"), ("code-18", "18")),
    "ProductCategorie": (("buiten-lijst", "00"), ("ijw-categorie", "54"), ("code-15", "15")),
    "Code": (("6-tekens", "01A011"), ("met-spatie", "01 A"), ("alleen-spatie", " ")),
    "ProductCode": (("6-tekens", "01A030"), ("alleen-spaties", "  ")),
    "Toewijzingsdatum": _DATUM_KORT,
    "Toewijzingstijd": (
        ("met-Z", "12:34:56Z"),
        ("met-tijdzone", "12:34:56+01:00"),
        ("uur-25", "25:00:00"),
        ("zonder-seconden", "12:34"),
        ("met-fractie", "12:34:56.789"),
    ),
    "Ingangsdatum": _DATUM_KORT,
    "Einddatum": _DATUM_KORT,
    "RedenWijziging": (("buiten-lijst", "15"), ("verwijderd", "13"), ("een-cijfer", "1")),
    "Volume": _geheel(99999999),
    "Eenheid": (("buiten-lijst", "02"), ("euro", "83")),
    "Frequentie": (("buiten-lijst", "3"), ("totaal", "6")),
    "Budget": _geheel(99999999),
    "Raamcontract": (("buiten-lijst", "3"), ("nee", "2")),
    # Start, stop
    "ToewijzingIngangsdatum": _DATUM_KORT,
    "Begindatum": _DATUM_KORT,
    "StatusAanlevering": (("buiten-lijst", "4"), ("niet-van-toepassing", "9")),
    "RedenBeeindiging": (("alleen-ijw", "32"), ("alleen-iwmo", "19"), ("buiten-lijst", "01")),
    # Verzoeken en antwoord
    "BeschikkingIngangsdatum": _DATUM_KORT,
    "ToewijzingEinddatum": _DATUM_KORT,
    "GewensteIngangsdatum": _DATUM_KORT,
    "Type": (("buiten-lijst", "07"), ("rechter", "08")),
    "Naam": (("65-tekens", "x" * 65), ("64-tekens", "x" * 64)),  # alleen de Naam van de Verwijzer is een blad
    "RedenVerzoek": (("buiten-lijst", "3"),),
    "VerzoekAntwoord": (("buiten-lijst", "3"), ("in-onderzoek", "2")),
    "RedenAfwijzingVerzoek": (("buiten-lijst", "10"), ("voorloopnul", "08"), ("code-9", "9")),
    # Declaratie
    "DeclaratieNummer": (
        ("streepje", "DN-001"),
        ("13-tekens", "DN00000000001"),
        ("12-tekens", "DN0000000001"),
    ),
    "DeclaratieDagtekening": _DATUM_KORT,
    "TotaalBedrag": _geheel(999999999999),
    "DebetCredit": (("buiten-lijst", "X"), ("kleine-letter", "d"), ("credit", "C")),
    "ReferentieNummer": (("21-tekens", "R" * 21), ("20-tekens", "R" * 20), ("spatie", " ")),
    "VorigReferentieNummer": (("21-tekens", "R" * 21),),
    "GeleverdVolume": _geheel(99999999),
    "ProductTarief": _geheel(99999999),
    "Bedrag": _geheel(99999999),
    # Retourberichten
    "RetourCode": (("onbekend", "9999"), ("gemeentecode-fout", "S300"), ("drie-tekens", "020")),
    "IdentificatieRetour": (("13-tekens", "R" * 13),),
    "DagtekeningRetour": _DATUM_KORT,
    "XsltVersie": (("twee-delen", "2.10"),),
}


# ---------------------------------------------------------------------------------------------------------------
# Navigation: an element is found again in a fresh copy by its child indices, so every mutant starts from the
# untouched example and carries exactly one edit.
# ---------------------------------------------------------------------------------------------------------------

Index = tuple[int, ...]


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _child(el: etree._Element, local: str) -> etree._Element:
    return next(c for c in _children(el) if _local(c) == local)


def _first_per_path(root: etree._Element) -> dict[str, Index]:
    """The first element of every distinct local-name path below the root, in document order."""
    found: dict[str, Index] = {}

    def walk(el: etree._Element, path: str, index: Index) -> None:
        for i, child in enumerate(_children(el)):
            child_path = f"{path}/{_local(child)}" if path else _local(child)
            found.setdefault(child_path, index + (i,))
            walk(child, child_path, index + (i,))

    walk(root, "", ())
    return found


def _at(root: etree._Element, index: Index) -> etree._Element:
    el = root
    for i in index:
        el = _children(el)[i]
    return el


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class _Maker:
    """The parsed example plus the first element of each distinct path; every mutant edits a fresh copy."""

    def __init__(self, bericht: str, source: bytes, *, own_elements_only: bool = False):
        self.bericht = bericht
        self.root = etree.fromstring(source)
        self.ns = etree.QName(self.root).namespace or ""
        self.paths = _first_per_path(self.root)
        if own_elements_only:
            # Leave out the children of basisschema types (Naam/Geslachtsnaam/Achternaam, ...).
            self.paths = {
                p: i for p, i in self.paths.items() if etree.QName(_at(self.root, i)).namespace == self.ns
            }

    def fresh(self) -> etree._Element:
        return copy.deepcopy(self.root)

    def name(self, kind: str, detail: str) -> str:
        return f"{self.bericht}/{kind}/{detail}"


def _structure(m: _Maker) -> Iterator[Mutation]:
    """Remove, duplicate, empty and reorder elements, one distinct path at a time."""
    for path, index in m.paths.items():
        root = m.fresh()
        el = _at(root, index)
        el.getparent().remove(el)  # required -> invalid, optional -> still valid
        yield Mutation(m.name("verwijder", path), _serialize(root))

        root = m.fresh()
        el = _at(root, index)
        el.addnext(copy.deepcopy(el))  # maxOccurs=1 -> invalid, unbounded -> still valid
        yield Mutation(m.name("dubbel", path), _serialize(root))

        root = m.fresh()
        el = _at(root, index)
        if not _children(el):
            el.text = ""  # every simple type of the standard needs at least one character
            yield Mutation(m.name("leeg", path), _serialize(root))
        elif "/" not in path:
            # Element-only content: a comment is fine, text between the children is not. The rule is the
            # same for every complex type, so the classes directly under the root suffice.
            _children(el)[0].addprevious(etree.Comment("commentaar mag overal"))
            yield Mutation(m.name("commentaar", path), _serialize(root))
            root = m.fresh()
            _children(_at(root, index))[-1].tail = "losse tekst"
            yield Mutation(m.name("gemengd", path), _serialize(root))

    # Swap the first two neighbouring siblings with different names under every distinct parent.
    for path, index in [("", ()), *m.paths.items()]:
        kids = _children(_at(m.root, index))
        pair = next((i for i in range(len(kids) - 1) if _local(kids[i]) != _local(kids[i + 1])), None)
        if pair is None:
            continue
        root = m.fresh()
        kids = _children(_at(root, index))
        kids[pair].addprevious(kids[pair + 1])  # moves the second one in front of the first
        label = f"{path or 'Bericht'}:{_local(kids[pair])}<->{_local(kids[pair + 1])}"
        yield Mutation(m.name("volgorde", label), _serialize(root))


def _unknown(m: _Maker) -> Iterator[Mutation]:
    """An element the schema does not know, as last child of every distinct complex element."""
    for path, index in [("", ()), *m.paths.items()]:
        if not _children(_at(m.root, index)):
            continue
        root = m.fresh()
        parent = _at(root, index)
        ns = etree.QName(_children(parent)[0]).namespace
        etree.SubElement(parent, f"{{{ns}}}Onbekend").text = "1"
        yield Mutation(m.name("onbekend-element", path or "Bericht"), _serialize(root))

    root = m.fresh()
    root.set("extra", "1")  # no attributes are declared anywhere
    yield Mutation(m.name("onbekend-attribuut", "Bericht"), _serialize(root))


def _namespaces(m: _Maker) -> Iterator[Mutation]:
    """The right local names in the wrong namespace."""
    b = catalogue.get(m.bericht)
    other = catalogue.get("WMO302" if m.bericht != "WMO302" else "WMO301")
    wrong_root = {
        "ijw-tweeling": f"{IJW_ROOT}/jw{b.nummer}/schema",
        "ander-bericht": other.namespace,
        "basisschema": catalogue.get("WMO301").basisschema_namespace,
        "versie-3_1": b.namespace.replace("/3_2/", "/3_1/"),
        "geen": None,
    }
    for label, ns in wrong_root.items():
        root = m.fresh()
        root.tag = f"{{{ns}}}Bericht" if ns else "Bericht"
        yield Mutation(m.name("namespace", f"Bericht={label}"), _serialize(root))

    root = m.fresh()
    _child(root, "Header").tag = f"{{{catalogue.get('WMO301').basisschema_namespace}}}Header"
    yield Mutation(m.name("namespace", "Header=basisschema"), _serialize(root))

    # A basisschema element (child of a CDT) in the message namespace, and the other way round.
    root = m.fresh()
    _child(
        _child(_child(root, "Header"), "BerichtIdentificatie"), "Identificatie"
    ).tag = f"{{{m.ns}}}Identificatie"
    yield Mutation(m.name("namespace", "Header/BerichtIdentificatie/Identificatie=bericht"), _serialize(root))

    root = m.fresh()
    _child(_child(root, "Header"), "BerichtCode").tag = f"{{{catalogue.get('WMO301').basisschema_namespace}}}BerichtCode"
    yield Mutation(m.name("namespace", "Header/BerichtCode=basisschema"), _serialize(root))


def _values(m: _Maker, only: frozenset[str] | None, ijw_code: str | None) -> Iterator[Mutation]:
    """Table-driven values for every leaf whose local name is in WAARDEN (and in `only`, when given)."""
    for path, index in m.paths.items():
        el = _at(m.root, index)
        local = _local(el)
        if _children(el) or local not in WAARDEN or (only is not None and local not in only):
            continue
        for label, value in WAARDEN[local]:
            root = m.fresh()
            _at(root, index).text = value
            yield Mutation(m.name("waarde", f"{path}={label}"), _serialize(root))

    # The code of the twin message in the other standard is a tempting mistake for a mapping bug.
    if ijw_code:
        root = m.fresh()
        _child(_child(root, "Header"), "BerichtCode").text = ijw_code
        yield Mutation(m.name("waarde", f"Header/BerichtCode=ijw-code-{ijw_code}"), _serialize(root))
    answer = catalogue.get(m.bericht).beantwoord_door
    if answer and (only is None or "BerichtCode" in only):
        root = m.fresh()
        _child(_child(root, "Header"), "BerichtCode").text = catalogue.get(answer).berichtcode
        yield Mutation(m.name("waarde", "Header/BerichtCode=code-van-antwoord"), _serialize(root))


def mutations(
    bericht: str,
    source: bytes,
    *,
    ijw_code: str | None = None,
    values_for: frozenset[str] | None = None,
    own_elements_only: bool = False,
) -> list[Mutation]:
    """All mutants of one example message.

    `ijw_code` is the BerichtCode of the iJw twin (adds a mutant that uses it by mistake); `values_for` limits
    the value edits to these local names (default: every name in WAARDEN); `own_elements_only` edits only
    elements of the message's own namespace, not the insides of basisschema types.
    """
    m = _Maker(catalogue.get(bericht).naam, source, own_elements_only=own_elements_only)
    found = [*_structure(m), *_unknown(m), *_namespaces(m), *_values(m, values_for, ijw_code)]
    duplicates = [n for n, count in Counter(x.name for x in found).items() if count > 1]
    if duplicates:
        raise AssertionError(f"mutation names must be unique: {sorted(duplicates)[:5]}")
    return found


# The retour examples are compared with the iJw twin, which checks the structure of our retour schemas; the
# basisschema types inside them are already compared with the official iWmo XSD through the heen examples. So
# only the message's own elements are edited, and values only where the retour messages add elements.
# ProductCategorie, RedenBeeindiging and BerichtCode are meant to differ between iWmo and iJw anyway: edits of
# those say nothing once a retour example is rewritten to iJw.
RETOUR_WAARDEN = frozenset({"RetourCode", "IdentificatieRetour", "DagtekeningRetour", "XsltVersie"})


def retour_mutations(bericht: str, source: bytes) -> list[Mutation]:
    """Mutants of one of our retour examples that keep their meaning after rewriting to iJw."""
    return [
        x
        for x in mutations(bericht, source, values_for=RETOUR_WAARDEN, own_elements_only=True)
        # An iJw root namespace becomes the right one after the rewrite.
        if "/namespace/Bericht=ijw-tweeling" not in x.name
    ]
