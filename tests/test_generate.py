"""Generated declaraties are valid messages whose totals add up, also by the official XSD."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.demo.generate import bsn, declaratie
from gateway.standard import catalogue
from gateway.validation.validator import validate
from tests.reference import official_xsd_dir

NS = {"m": catalogue.get("WMO323").namespace, "b": catalogue.get("WMO301").basisschema_namespace}


@pytest.mark.parametrize("n", [1, 9, 10, 11, 250])
def test_generated_declaratie_is_valid_with_n_prestaties_and_matching_total(n: int) -> None:
    data = declaratie(n, seed=n)
    uitslag = validate(data)
    assert uitslag.bericht is not None and uitslag.bericht.naam == "WMO323"
    assert uitslag.errors == []
    root = etree.fromstring(data)
    bedragen = [int(b) for b in root.xpath("//m:Prestatie/m:IngediendBedrag/b:Bedrag/text()", namespaces=NS)]
    assert len(bedragen) == n
    totaal = root.xpath("string(m:Declaratie/m:TotaalIngediendBedrag/b:TotaalBedrag)", namespaces=NS)
    assert int(totaal) == sum(bedragen)


def test_same_seed_same_message_other_seed_other_message() -> None:
    assert declaratie(20, seed=1) == declaratie(20, seed=1)
    assert declaratie(20, seed=1) != declaratie(20, seed=2)


def test_generated_bsns_pass_the_elfproef() -> None:
    import random

    rng = random.Random(7)
    for _ in range(500):
        nummer = bsn(rng)
        som = sum(int(d) * w for d, w in zip(nummer[:8], range(9, 1, -1), strict=True)) - int(nummer[8])
        assert len(nummer) == 9 and som % 11 == 0


def test_generated_declaratie_valid_against_official_xsd() -> None:
    schema = etree.XMLSchema(etree.parse(str(official_xsd_dir() / "wmo323.xsd")))
    assert schema.validate(etree.fromstring(declaratie(40, seed=5))), schema.error_log
