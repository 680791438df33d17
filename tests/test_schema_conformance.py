"""Our own iWmo 3.2 schemas (schemas/iwmo/3.2) must judge every message exactly like the standard's.

1. All 15 XSDs compile, and each message schema carries the namespace and BerichtCode of the catalogue.
2. The 7 official iWmo examples validate against our schema for their namespace.
3. Our hand-written retour/answer examples (tests/data/schema_examples) validate against our schemas and,
   rewritten to iJw, against their iJw twin: there is no official iWmo XSD for those 7 messages.
4. Mutants of the official examples (tests/schema_mutations.py) get the same verdict from our schema and the
   official XSD; mutants of our retour examples the same verdict from our schema and the iJw twin.
5. The facts in each schema (names, order, cardinality, types, facets) equal the official ones, so the parts no
   example reaches are covered too.

Everything that needs ../shared/reference skips when it is absent (override with IWMO_SHARED_REFERENCE).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from lxml import etree

from gateway.standard import catalogue
from gateway.standard.profielen import IWMO_32
from tests.schema_facts import facts
from tests.schema_mutations import Mutation, bericht_van, mutations, retour_mutations

OUR_SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "iwmo" / catalogue.get("WMO301").profiel.release
OUR_EXAMPLES = Path(__file__).resolve().parent / "data" / "schema_examples"
SHARED = Path(
    os.environ.get("IWMO_SHARED_REFERENCE") or Path(__file__).resolve().parents[2] / "shared" / "reference"
)
SHARED_PRESENT = (SHARED / "iwmo-3.2" / "xsd").is_dir() and (SHARED / "ijw-3.2" / "xsd").is_dir()

# BerichtCode of the iJw twin (COD002). The first seven are the retour/answer messages that have no official
# iWmo XSD; the rest only feed the "twin code by mistake" mutants.
IJW_CODE: dict[str, str] = {
    "WMO302": "437", "WMO306": "439", "WMO308": "441", "WMO316": "447", "WMO318": "487", "WMO320": "489",
    "WMO325": "491",
    "WMO301": "436", "WMO305": "438", "WMO307": "440", "WMO315": "446", "WMO317": "486", "WMO319": "488",
    "WMO323": "490",
}  # fmt: skip
RETOUR = ("WMO302", "WMO306", "WMO308", "WMO316", "WMO318", "WMO320", "WMO325")
HEEN = tuple(b.naam for b in catalogue.alle(IWMO_32) if b.naam not in RETOUR)

# Elements only iJw has (JW315/JW316 Client/GezagsdragerBekend, JW319/JW320 Antwoord/Woonplaatsbeginsel).
IJW_ONLY = frozenset({"GezagsdragerBekend", "Woonplaatsbeginsel"})
# Enumerations the two basisschemas define differently; an iJw placeholder keeps our examples comparable.
IJW_PRODUCTCATEGORIE = "45"

XS = "http://www.w3.org/2001/XMLSchema"


def shared() -> Path:
    if not SHARED_PRESENT:
        pytest.skip(f"../shared/reference not present: {SHARED} (set IWMO_SHARED_REFERENCE to its location)")
    return SHARED


def our_xsd(naam: str) -> Path:
    return OUR_SCHEMAS / catalogue.get(naam).schema_file


def official_xsd(naam: str) -> Path:
    """The official iWmo XSD, or for a retour/answer message the iJw twin."""
    b = catalogue.get(naam)
    if naam in RETOUR:
        return SHARED / "ijw-3.2" / "xsd" / f"jw{b.nummer}.xsd"
    return SHARED / "iwmo-3.2" / "xsd" / b.schema_file


@cache
def schema(path: Path) -> etree.XMLSchema:
    """Compiled once per test session; the basisschema is re-read by every importing message schema."""
    return etree.XMLSchema(etree.parse(str(path)))


def to_ijw(naam: str, data: bytes) -> bytes:
    """Rewrite an iWmo retour message into its iJw twin: namespaces, BerichtCode, ProductCategorie values.

    ProductCategorie has no value in common between the two standards, so every iWmo category becomes one iJw
    category. RedenBeeindiging lists differ too; our WMO308 example uses only codes both lists have.
    """
    text = re.sub(
        rb"http://www\.istandaarden\.nl/iwmo/3_2/(?:wmo(\d{3})|basisschema)/schema",
        lambda m: (
            b"http://www.istandaarden.nl/ijw/3_2/" + (b"jw" + m[1] if m[1] else b"basisschema") + b"/schema"
        ),
        data,
    )
    root = etree.fromstring(text)
    iwmo_code, categorieen = catalogue.get(naam).berichtcode, _iwmo_productcategorieen()
    for el in root.iter(etree.Element):
        local = etree.QName(el).localname
        if local == "BerichtCode" and el.text == iwmo_code:
            el.text = IJW_CODE[naam]
        elif local in {"Categorie", "ProductCategorie"} and el.text in categorieen:
            el.text = IJW_PRODUCTCATEGORIE
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@cache
def _iwmo_productcategorieen() -> frozenset[str]:
    basis = etree.parse(str(OUR_SCHEMAS / "basisschema.xsd"))
    return frozenset(
        basis.xpath(
            "//xs:simpleType[@name='LDT_ProductCategorie']//xs:enumeration/@value", namespaces={"xs": XS}
        )
    )


def _errors(s: etree.XMLSchema) -> str:
    return "; ".join(f"line {e.line}: {e.message}" for e in list(s.error_log)[:3])


# --- 1. compile ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["basisschema.xsd", *(b.schema_file for b in catalogue.alle(IWMO_32))])
def test_our_schema_compiles(filename: str) -> None:
    assert schema(OUR_SCHEMAS / filename) is not None


@pytest.mark.parametrize("naam", [b.naam for b in catalogue.alle(IWMO_32)])
def test_our_schema_matches_catalogue(naam: str) -> None:
    """Namespace, BerichtCode and the appinfo versions that XsdVersie is filled from (IV034)."""
    b = catalogue.get(naam)
    tree = etree.parse(str(our_xsd(naam)))
    ns = {"xs": XS}
    assert tree.getroot().get("targetNamespace") == b.namespace
    code = tree.xpath(
        "//xs:complexType[@name='Header']//xs:element[@name='BerichtCode']//xs:pattern/@value", namespaces=ns
    )
    assert code == [b.berichtcode]
    appinfo = tree.getroot().find("xs:annotation/xs:appinfo", ns)
    versies = {etree.QName(el).localname: el.text for el in appinfo.iter(etree.Element)}
    assert versies["BerichtXsdVersie"] == versies["BasisschemaXsdVersie"] == catalogue.get("WMO301").profiel.xsd_versie


# --- 2. official examples ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("naam", HEEN)
def test_official_example_valid_against_our_schema(naam: str) -> None:
    data = (shared() / "iwmo-3.2" / "examples" / f"{naam}.xml").read_bytes()
    doc = etree.fromstring(data)
    assert catalogue.by_namespace(etree.QName(doc).namespace) is catalogue.get(naam)
    s = schema(our_xsd(naam))
    assert s.validate(doc), f"{naam}: {_errors(s)}"


# --- 3. our retour/answer examples ---------------------------------------------------------------------------------


def our_example(naam: str) -> bytes:
    return (OUR_EXAMPLES / f"{naam}.xml").read_bytes()


@pytest.mark.parametrize("naam", RETOUR)
def test_our_retour_example_valid(naam: str) -> None:
    doc = etree.fromstring(our_example(naam))
    assert catalogue.by_namespace(etree.QName(doc).namespace) is catalogue.get(naam)
    s = schema(our_xsd(naam))
    assert s.validate(doc), f"{naam}: {_errors(s)}"


@pytest.mark.parametrize("naam", RETOUR)
def test_our_retour_example_valid_against_ijw_twin(naam: str) -> None:
    shared()
    s = schema(official_xsd(naam))
    assert s.validate(etree.fromstring(to_ijw(naam, our_example(naam)))), f"{naam} as JW: {_errors(s)}"


# --- 4. mutants ----------------------------------------------------------------------------------------------------


def _official_mutants() -> dict[str, Mutation]:
    if not SHARED_PRESENT:
        return {}
    found: dict[str, Mutation] = {}
    for naam in HEEN:
        source = (SHARED / "iwmo-3.2" / "examples" / f"{naam}.xml").read_bytes()
        found.update((m.name, m) for m in mutations(naam, source, ijw_code=IJW_CODE[naam]))
    return found


OFFICIAL_MUTANTS = _official_mutants()
RETOUR_MUTANTS = {m.name: m for naam in RETOUR for m in retour_mutations(naam, our_example(naam))}
# Without ../shared there is nothing to compare with: one placeholder case that skips.
_NO_SHARED = [pytest.param("", id="shared-reference-absent")]


class Verdict(NamedTuple):
    ours: bool
    reference: bool
    errors: str


@cache
def verdict(name: str) -> Verdict:
    """Our verdict and the reference verdict for one mutant, computed once (the summary test reuses them)."""
    naam = bericht_van(name)
    if name in OFFICIAL_MUTANTS:
        data = OFFICIAL_MUTANTS[name].data
        ref_data = data
    else:
        data = RETOUR_MUTANTS[name].data
        ref_data = to_ijw(naam, data)
    ours, ref = schema(our_xsd(naam)), schema(official_xsd(naam))
    ours_ok, ref_ok = ours.validate(etree.fromstring(data)), ref.validate(etree.fromstring(ref_data))
    return Verdict(
        ours_ok, ref_ok, f"ours: {_errors(ours) or 'valid'} | reference: {_errors(ref) or 'valid'}"
    )


@pytest.mark.parametrize("name", list(OFFICIAL_MUTANTS) or _NO_SHARED)
def test_official_mutant_same_verdict(name: str) -> None:
    shared()
    v = verdict(name)
    assert v.ours == v.reference, f"{name}: ours valid={v.ours}, official valid={v.reference}. {v.errors}"


@pytest.mark.parametrize("name", list(RETOUR_MUTANTS))
def test_retour_mutant_same_verdict_as_ijw_twin(name: str) -> None:
    shared()
    v = verdict(name)
    assert v.ours == v.reference, f"{name}: ours valid={v.ours}, iJw twin valid={v.reference}. {v.errors}"


def test_mutation_set_covers_both_verdicts() -> None:
    shared()
    official = [verdict(n).reference for n in OFFICIAL_MUTANTS]
    retour = [verdict(n).reference for n in RETOUR_MUTANTS]
    summary = (
        f"{len(official)} mutants of the 7 official examples: {sum(official)} valid, "
        f"{len(official) - sum(official)} invalid; {len(retour)} mutants of our retour examples: "
        f"{sum(retour)} valid, {len(retour) - sum(retour)} invalid"
    )
    assert len(official) >= 150 and len(official) - sum(official) >= 100 and sum(official) > 0, summary
    assert 0 < sum(retour) < len(retour), summary
    assert {bericht_van(n) for n in OFFICIAL_MUTANTS} == set(HEEN), summary
    print(summary)  # visible with -s or -rP


# --- 5. schema facts -----------------------------------------------------------------------------------------------


def _as_iwmo(facts_: dict[str, str], naam: str) -> dict[str, str]:
    b = catalogue.get(naam)

    def fix(s: str) -> str:
        s = s.replace(
            f"{catalogue.get('WMO301').profiel.namespace_root.replace('iwmo', 'ijw')}/jw{b.nummer}/",
            f"{catalogue.get('WMO301').profiel.namespace_root}/wmo{b.nummer}/",
        )
        s = s.replace(catalogue.get("WMO301").basisschema_namespace.replace("iwmo", "ijw"), catalogue.get("WMO301").basisschema_namespace)
        return s.replace(f"('pattern', '{IJW_CODE[naam]}')", f"('pattern', '{b.berichtcode}')")

    return {fix(k): fix(v) for k, v in facts_.items()}


@pytest.mark.parametrize("naam", ["basisschema", *HEEN, *RETOUR])
def test_schema_facts_equal_standard(naam: str) -> None:
    ref = shared()
    if naam == "basisschema":
        ours, theirs = (
            facts(OUR_SCHEMAS / "basisschema.xsd"),
            facts(ref / "iwmo-3.2" / "xsd" / "basisschema.xsd"),
        )
    elif naam in RETOUR:
        ours, theirs = facts(our_xsd(naam)), _as_iwmo(facts(official_xsd(naam), drop=IJW_ONLY), naam)
    else:
        ours, theirs = facts(our_xsd(naam)), facts(official_xsd(naam))
    differences = {
        k: (ours.get(k), theirs.get(k)) for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)
    }
    assert not differences, f"{naam}: (ours, standard) per component: {differences}"
