"""Mutated iJw 3.2 messages, for the conformance test of our iJw schemas against the official ones.

Built on the iWmo generator (tests/schema_mutations.py): the same edits of one example at a time (remove,
duplicate, empty, reorder, an unknown element or attribute, text between children, values from its table),
plus what only iJw has:

* values for the iJw code lists (JZ020 product categories, JZ588 RedenBeeindiging), GezagsdragerBekend and the
  gemeente of the Woonplaatsbeginsel, and the iWmo twin's BerichtCode by mistake;
* the iJw-only Woonplaatsbeginsel added where an example lacks it (JW320), right and wrong;
* namespace edits towards the iWmo twin, another JW message, the basisschema and release 3.1;
* a seeded, deterministic batch of random edits per message (random leaf with a random value, random move of
  an element among its siblings), so the set reaches corners no table lists.

Nothing here knows a BerichtCode or namespace by heart: they are read from the example itself and from our
iWmo twin schema. The generator does not decide the verdict; the test asks both schemas.
"""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from tests.schema_mutations import (
    WAARDEN,
    Mutation,
    _at,
    _child,
    _children,
    _local,
    _Maker,
    _serialize,
    _structure,
    _unknown,
)

REPO = Path(__file__).resolve().parents[1]
OUR_IWMO_SCHEMAS = REPO / "schemas" / "iwmo" / "3.2"
XS = "http://www.w3.org/2001/XMLSchema"
# Every mutant name starts with the message name; the seed makes the random batch the same on every run.
SEED = 20260415
WILLEKEURIG_PER_BERICHT = 60

# iJw additions to the iWmo value table (same shape: label, value). Values the other standard allows are the
# interesting ones: a schema copied from the wrong standard passes them or refuses them.
IJW_WAARDEN: dict[str, tuple[tuple[str, str], ...]] = {
    **WAARDEN,
    "Categorie": (
        ("eerste-jz020", "31"),
        ("gat-39", "39"),
        ("laatste-jz020", "55"),
        ("na-laatste", "56"),
        ("wmo-categorie", "02"),
        ("een-cijfer", "4"),
    ),
    "ProductCategorie": (
        ("jeugd-ggz", "54"),
        ("wmo-categorie", "15"),
        ("gat-39", "39"),
        ("spatie-ervoor", " 45"),
    ),
    "RedenBeeindiging": (
        ("voortijdig-client", "32"),
        ("externe-oorzaak", "35"),
        ("alleen-wmo-19", "19"),
        ("alleen-wmo-23", "23"),
        ("buiten-lijst", "01"),
    ),
    "GezagsdragerBekend": (("ja", "1"), ("nee", "2"), ("buiten-lijst", "3"), ("nul", "0"), ("tekst", "ja")),
    "Gemeente": (
        ("3-cijfers", "384"),
        ("5-cijfers", "03840"),
        ("letters", "ABCD"),
        ("andere-gemeente", "0518"),
    ),
}


# ---------------------------------------------------------------------------------------------------------------
# The two official examples that are invalid in the source, repaired so their mutants say something.
# ---------------------------------------------------------------------------------------------------------------


def herstel(naam: str, source: bytes) -> bytes:
    """JW315 with a real date for 31 June, JW318 with its bare RetourCode moved into the RetourCodes of its class.

    Raises when the known defect is not there (a newer reference): the caller should then look again.
    """
    root = etree.fromstring(source)
    ns = etree.QName(root).namespace
    fixed = 0
    if naam == "JW315":
        for el in root.iter(f"{{{ns}}}ToewijzingEinddatum"):
            if el.text and el.text.endswith("-06-31"):
                el.text = el.text[:-2] + "30"
                fixed += 1
    elif naam == "JW318":
        for el in list(root.iter(f"{{{ns}}}RetourCode")):
            parent = el.getparent()
            if _local(parent) == "RetourCodes":
                continue
            # A class's RetourCodes is its last child; the stray code joins it (or starts one there).
            wrapper = next((c for c in _children(parent) if _local(c) == "RetourCodes"), None)
            if wrapper is None:
                wrapper = etree.SubElement(parent, f"{{{ns}}}RetourCodes")
            wrapper.append(el)
            fixed += 1
    if not fixed:
        raise ValueError(f"{naam}: the known defect of the official example was not found")
    return _serialize(root)


# ---------------------------------------------------------------------------------------------------------------
# Facts read from the messages and our own iWmo schemas, not spelled here.
# ---------------------------------------------------------------------------------------------------------------


def berichtcode(root: etree._Element) -> str:
    return _child(_child(root, "Header"), "BerichtCode").text or ""


def iwmo_twin_code(nummer: str) -> str:
    """The BerichtCode of the iWmo twin (WMO301 for JW301), from our iWmo schema."""
    tree = etree.parse(str(OUR_IWMO_SCHEMAS / f"wmo{nummer}.xsd"))
    (code,) = tree.xpath(
        "//xs:complexType[@name='Header']//xs:element[@name='BerichtCode']//xs:pattern/@value",
        namespaces={"xs": XS},
    )
    return str(code)


def _basisschema_ns(message_ns: str) -> str:
    return re.sub(r"/jw\d{3}/schema$", "/basisschema/schema", message_ns)


def _iwmo_ns(ijw_ns: str) -> str:
    return re.sub(r"/ijw/(\d+_\d+)/jw(\d{3})/", r"/iwmo/\1/wmo\2/", ijw_ns)


# ---------------------------------------------------------------------------------------------------------------
# Edits
# ---------------------------------------------------------------------------------------------------------------


def _namespaces(m: _Maker, other_ns: str) -> Iterator[Mutation]:
    """The right local names in the wrong namespace."""
    basis = _basisschema_ns(m.ns)
    wrong_root = {
        "iwmo-tweeling": _iwmo_ns(m.ns),
        "ander-bericht": other_ns,
        "basisschema": basis,
        "versie-3_1": m.ns.replace("/3_2/", "/3_1/"),
        "geen": None,
    }
    for label, ns in wrong_root.items():
        root = m.fresh()
        root.tag = f"{{{ns}}}Bericht" if ns else "Bericht"
        yield Mutation(m.name("namespace", f"Bericht={label}"), _serialize(root))

    root = m.fresh()
    _child(root, "Header").tag = f"{{{basis}}}Header"
    yield Mutation(m.name("namespace", "Header=basisschema"), _serialize(root))

    root = m.fresh()
    ident = _child(_child(_child(root, "Header"), "BerichtIdentificatie"), "Identificatie")
    ident.tag = f"{{{m.ns}}}Identificatie"
    yield Mutation(m.name("namespace", "Header/BerichtIdentificatie/Identificatie=bericht"), _serialize(root))

    root = m.fresh()
    _child(_child(root, "Header"), "BerichtCode").tag = f"{{{basis}}}BerichtCode"
    yield Mutation(m.name("namespace", "Header/BerichtCode=basisschema"), _serialize(root))


def _values(m: _Maker, codes: dict[str, str]) -> Iterator[Mutation]:
    """Table-driven values for every leaf the table names, and the BerichtCodes of other messages."""
    for path, index in m.paths.items():
        el = _at(m.root, index)
        local = _local(el)
        if _children(el) or local not in IJW_WAARDEN or local == "BerichtCode":
            continue
        for label, value in IJW_WAARDEN[local]:
            root = m.fresh()
            _at(root, index).text = value
            yield Mutation(m.name("waarde", f"{path}={label}"), _serialize(root))

    for label, value in codes.items():
        root = m.fresh()
        _child(_child(root, "Header"), "BerichtCode").text = value
        yield Mutation(m.name("waarde", f"Header/BerichtCode={label}"), _serialize(root))


def _woonplaatsbeginsel(m: _Maker) -> Iterator[Mutation]:
    """Add the iJw-only Woonplaatsbeginsel to an Antwoord that lacks it (the official JW320 example does).

    With its own RetourCodes (as a retour class needs), without them, and after the Antwoord's RetourCodes.
    """
    antwoord = m.paths.get("Antwoord")
    if antwoord is None or any(_local(c) == "Woonplaatsbeginsel" for c in _children(_at(m.root, antwoord))):
        return
    header = _child(m.root, "Header")
    gemeente = next(
        _child(header, k).text for k in ("Afzender", "Ontvanger") if len(_child(header, k).text) == 4
    )
    for label in ("met-retourcodes", "zonder-retourcodes", "na-retourcodes"):
        root = m.fresh()
        parent = _at(root, antwoord)
        wpb = etree.Element(f"{{{m.ns}}}Woonplaatsbeginsel")
        etree.SubElement(wpb, f"{{{m.ns}}}Gemeente").text = gemeente
        codes = next((c for c in _children(parent) if _local(c) == "RetourCodes"), None)
        if label != "zonder-retourcodes" and codes is not None:
            wpb.append(copy.deepcopy(codes))
        if label == "na-retourcodes" or codes is None:
            parent.append(wpb)
        else:
            codes.addprevious(wpb)
        yield Mutation(m.name("aanvullen", f"Antwoord/Woonplaatsbeginsel={label}"), _serialize(root))


def _random_value(rng: random.Random, original: str) -> tuple[str, str]:
    """One value of a random kind, with a label that says the kind."""
    kind = rng.choice(("cijfers", "letters", "tekst", "datum", "geheel", "verdubbeld", "witruimte", "leeg"))
    if kind == "cijfers":
        n = rng.randint(1, 14)
        return f"cijfers-{n}", "".join(rng.choice("0123456789") for _ in range(n))
    if kind == "letters":
        n = rng.randint(1, 8)
        return f"letters-{n}", "".join(rng.choice("ABCXYZabcxyz") for _ in range(n))
    if kind == "tekst":
        n = rng.choice((1, 9, 12, 13, 20, 21, 25, 26, 35, 36, 37, 64, 65, 80, 81, 200, 201, 300))
        return f"tekst-{n}", "t" * n
    if kind == "datum":
        y, mo, d = rng.randint(1899, 2101), rng.randint(0, 13), rng.randint(0, 32)
        return f"datum-{y}-{mo}-{d}", f"{y:04d}-{mo:02d}-{d:02d}"
    if kind == "geheel":
        value = rng.choice((-1, 0, 1, 99, 100, 99999, 100000, 999999999, 1000000000, 10**12))
        return f"geheel-{value}", str(value)
    if kind == "verdubbeld":
        return "verdubbeld", original * 2
    if kind == "witruimte":
        return "witruimte", f" {original}\t"
    return "leeg", ""


def _random(m: _Maker, count: int) -> Iterator[Mutation]:
    """A seeded batch of random edits: mostly leaf values, some moves of an element among its siblings."""
    rng = random.Random(f"{SEED}:{m.bericht}")
    leaves = [(p, i) for p, i in m.paths.items() if not _children(_at(m.root, i))]
    parents = [(p, i) for p, i in [("", ()), *m.paths.items()] if len(_children(_at(m.root, i))) > 1]
    for n in range(count):
        root = m.fresh()
        if rng.random() < 0.8:
            path, index = rng.choice(leaves)
            el = _at(root, index)
            label, el.text = _random_value(rng, el.text or "")
            detail = f"{path}={label}"
        else:
            path, index = rng.choice(parents)
            kids = _children(_at(root, index))
            src, dst = rng.sample(range(len(kids)), 2)
            if src > dst:
                kids[dst].addprevious(kids[src])
            else:
                kids[dst].addnext(kids[src])
            detail = f"{path or 'Bericht'}:{_local(kids[src])}->{dst}"
        yield Mutation(m.name("willekeurig", f"{n:02d}/{detail}"), _serialize(root))


def ijw_mutations(naam: str, source: bytes, *, other: bytes) -> list[Mutation]:
    """All mutants of one iJw example; `other` is another iJw example (its namespace and code are mistakes)."""
    m = _Maker(naam, source)
    other_root = etree.fromstring(other)
    code = berichtcode(m.root)
    codes = {
        f"iwmo-tweeling-{iwmo_twin_code(naam[2:])}": iwmo_twin_code(naam[2:]),
        f"ander-jw-bericht-{berichtcode(other_root)}": berichtcode(other_root),
        "voorloopnul": "0" + code,
        "spatie": f" {code}",
        "vier-cijfers": code + "0",
    }
    found = [
        *_structure(m),
        *_unknown(m),
        *_namespaces(m, etree.QName(other_root).namespace or ""),
        *_values(m, codes),
        *_woonplaatsbeginsel(m),
        *_random(m, WILLEKEURIG_PER_BERICHT),
    ]
    duplicates = [n for n, c in Counter(x.name for x in found).items() if c > 1]
    if duplicates:
        raise AssertionError(f"mutation names must be unique: {sorted(duplicates)[:5]}")
    return found
