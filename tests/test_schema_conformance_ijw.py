"""Our own iJw 3.2 schemas (schemas/ijw/3.2) must judge every message exactly like the official iJw XSDs.

1. All 15 XSDs compile without network or entity resolution, import only from their own folder, and each message
   schema carries the official namespace and BerichtCode.
2. The 14 official examples get the same verdict from our schema and the official one. JW315 and JW318 are
   invalid in the source (a 31 June, a bare RetourCode): invalid under both, and valid under both once repaired.
3. Mutants of the examples (tests/ijw_mutations.py; JW315 and JW318 repaired first) get the same verdict from
   both; at least 1 000 of them, both verdicts well represented, every message type covered.
4. The facts in each schema (names, order, cardinality, types, facets) equal the official ones.

Everything that needs ../shared/reference skips when it is absent (override with IWMO_SHARED_REFERENCE). Our
schemas are loaded by file path, not through the validator, so this stands apart from the profile wiring.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from lxml import etree

from tests.ijw_mutations import Mutation, herstel, ijw_mutations
from tests.reference import AFWEZIG, REPO, reference_path
from tests.schema_facts import facts

OUR_SCHEMAS = REPO / "schemas" / "ijw" / "3.2"
REFERENCE = reference_path() / "ijw-3.2"
REFERENCE_PRESENT = (REFERENCE / "xsd").is_dir() and (REFERENCE / "examples").is_dir()
BASISSCHEMA = "basisschema.xsd"
# Invalid in the source (../shared/reference/README.md, "Validation"); every other example is valid.
KNOWN_INVALID = frozenset({"JW315", "JW318"})
XS = "http://www.w3.org/2001/XMLSchema"

# The message types are the ones we wrote a schema for; test_same_message_set_as_official pins them.
BERICHTEN = tuple(sorted(p.stem.upper() for p in OUR_SCHEMAS.glob("jw*.xsd")))


def reference() -> Path:
    if not REFERENCE_PRESENT:
        pytest.skip(f"{AFWEZIG} at {REFERENCE.parent}: official iJw XSDs/examples unavailable")
    return REFERENCE


def our_xsd(naam: str) -> Path:
    return OUR_SCHEMAS / f"{naam.lower()}.xsd"


def official_xsd(naam: str) -> Path:
    return REFERENCE / "xsd" / f"{naam.lower()}.xsd"


def official_example(naam: str) -> bytes:
    return (reference() / "examples" / f"{naam}.xml").read_bytes()


@cache
def schema(path: Path) -> etree.XMLSchema:
    """Compiled once per session, the way the validator compiles: no network, no entities."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


def _errors(s: etree.XMLSchema) -> str:
    return "; ".join(f"line {e.line}: {e.message}" for e in list(s.error_log)[:3])


class Verdict(NamedTuple):
    ours: bool
    official: bool
    errors: str


def judge(naam: str, data: bytes) -> Verdict:
    ours, official = schema(our_xsd(naam)), schema(official_xsd(naam))
    ours_ok, official_ok = ours.validate(etree.fromstring(data)), official.validate(etree.fromstring(data))
    return Verdict(
        ours_ok, official_ok, f"ours: {_errors(ours) or 'valid'} | official: {_errors(official) or 'valid'}"
    )


# --- 1. compile --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", [BASISSCHEMA, *(f"{n.lower()}.xsd" for n in BERICHTEN)])
def test_our_schema_compiles_offline(filename: str) -> None:
    path = OUR_SCHEMAS / filename
    assert schema(path) is not None
    tree = etree.parse(str(path))
    assert tree.docinfo.doctype == "", f"{filename}: a DOCTYPE could declare entities"
    # Imports stay inside the folder, so compiling never reaches the network or another release.
    locations = tree.xpath(
        "//xs:import/@schemaLocation | //xs:include/@schemaLocation", namespaces={"xs": XS}
    )
    assert all(loc == BASISSCHEMA and (OUR_SCHEMAS / loc).is_file() for loc in locations), locations


def test_same_message_set_as_official() -> None:
    ref = reference()
    assert len(BERICHTEN) == 14, BERICHTEN
    assert {p.stem.upper() for p in (ref / "xsd").glob("jw*.xsd")} == set(BERICHTEN)
    assert {p.stem for p in (ref / "examples").glob("JW*.xml")} == set(BERICHTEN)


@pytest.mark.parametrize("naam", BERICHTEN)
def test_namespace_and_berichtcode_equal_official(naam: str) -> None:
    reference()
    ns = {"xs": XS}
    code = "//xs:complexType[@name='Header']//xs:element[@name='BerichtCode']//xs:pattern/@value"
    ours, official = etree.parse(str(our_xsd(naam))), etree.parse(str(official_xsd(naam)))
    assert ours.getroot().get("targetNamespace") == official.getroot().get("targetNamespace")
    assert ours.xpath(code, namespaces=ns) == official.xpath(code, namespaces=ns)
    # The example's root namespace is the one our schema declares: a message finds its schema by it.
    root = etree.fromstring(official_example(naam))
    assert etree.QName(root).namespace == ours.getroot().get("targetNamespace")


@pytest.mark.parametrize("naam", BERICHTEN)
def test_appinfo_versions_are_those_the_examples_carry(naam: str) -> None:
    """XsdVersie of the official examples is what our appinfo states (the official XSDs say 0.1.0 there)."""
    root = etree.fromstring(official_example(naam))
    header = root.find(f"{{{etree.QName(root).namespace}}}Header")
    carried = {
        etree.QName(el).localname: el.text
        for el in header.find(f"{{{etree.QName(root).namespace}}}XsdVersie")
    }
    appinfo = etree.parse(str(our_xsd(naam))).getroot().find("xs:annotation/xs:appinfo", {"xs": XS})
    stated = {etree.QName(el).localname: el.text for el in appinfo.iter(etree.Element)}
    assert stated["BerichtXsdVersie"] == carried["BerichtXsdVersie"]
    assert stated["BasisschemaXsdVersie"] == carried["BasisschemaXsdVersie"]


# --- 2. official examples ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("naam", BERICHTEN)
def test_official_example_same_verdict(naam: str) -> None:
    v = judge(naam, official_example(naam))
    assert v.ours == v.official, f"{naam}: ours valid={v.ours}, official valid={v.official}. {v.errors}"
    expected = naam not in KNOWN_INVALID
    assert v.official is expected, f"{naam}: the reference changed? official valid={v.official}. {v.errors}"


@pytest.mark.parametrize("naam", sorted(KNOWN_INVALID))
def test_repaired_invalid_example_valid_under_both(naam: str) -> None:
    """The repair touches only the known defect: afterwards both schemas accept the example."""
    v = judge(naam, herstel(naam, official_example(naam)))
    assert v.ours and v.official, f"{naam} repaired: {v.errors}"


# --- 3. mutants --------------------------------------------------------------------------------------------------


def _bron(naam: str) -> bytes:
    data = (REFERENCE / "examples" / f"{naam}.xml").read_bytes()
    return herstel(naam, data) if naam in KNOWN_INVALID else data


def _mutants() -> dict[str, tuple[str, Mutation]]:
    if not REFERENCE_PRESENT:
        return {}
    found: dict[str, tuple[str, Mutation]] = {}
    for i, naam in enumerate(BERICHTEN):
        other = BERICHTEN[(i + 1) % len(BERICHTEN)]  # its namespace and code are the "other message" mistakes
        for m in ijw_mutations(naam, _bron(naam), other=_bron(other)):
            found[m.name] = (naam, m)
    return found


MUTANTS = _mutants()
# Without ../shared there is nothing to compare with: one placeholder case that skips.
_NO_REFERENCE = [pytest.param("", id="shared-reference-absent")]


@cache
def verdict(name: str) -> Verdict:
    naam, m = MUTANTS[name]
    return judge(naam, m.data)


@pytest.mark.parametrize("name", list(MUTANTS) or _NO_REFERENCE)
def test_mutant_same_verdict(name: str) -> None:
    reference()
    v = verdict(name)
    assert v.ours == v.official, f"{name}: ours valid={v.ours}, official valid={v.official}. {v.errors}"


def test_mutation_set_covers_both_verdicts_and_every_message() -> None:
    reference()
    official = {name: verdict(name).official for name in MUTANTS}
    valid = sum(official.values())
    kinds = Counter(name.split("/")[1] for name in MUTANTS)
    per_bericht = Counter(naam for naam, _ in MUTANTS.values())
    summary = (
        f"{len(official)} mutants of the 14 official iJw examples: {valid} valid, {len(official) - valid} invalid; "
        f"per kind {dict(sorted(kinds.items()))}"
    )
    assert len(official) >= 1000, summary
    assert valid >= 200 and len(official) - valid >= 500, summary
    assert set(per_bericht) == set(BERICHTEN) and min(per_bericht.values()) >= 40, summary
    print(summary)  # visible with -s or -rP


# --- 4. schema facts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("naam", ["basisschema", *BERICHTEN])
def test_schema_facts_equal_official(naam: str) -> None:
    ref = reference()
    filename = f"{naam.lower()}.xsd"
    ours, theirs = facts(OUR_SCHEMAS / filename), facts(ref / "xsd" / filename)
    differences = {
        k: (ours.get(k), theirs.get(k)) for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)
    }
    assert not differences, f"{naam}: (ours, official) per component: {differences}"
