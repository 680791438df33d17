"""Judging a message (`gateway.ingest.oordeel`): the retourbericht's Kop comes from the tree the builder wrote,
and equals what parsing the retourbericht's bytes gives; header fields and keys read as before."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from gateway.ingest.oordeel import beoordeel
from gateway.messages import klassen as kl
from gateway.standard import catalogue
from gateway.store.keys import SLEUTEL_ELEMENTEN, Kop, extract
from gateway.validation.findings import Finding
from gateway.validation.paths import local
from tests.msgedit import Msg
from tests.reference import our_example

HEEN = ("WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319")
DAG = dt.date(2026, 3, 20)


def gelezen(xml: bytes | None) -> Kop | None:
    return extract(etree.fromstring(xml)) if xml is not None else None


def klassefout(heen: str) -> Finding:
    """A finding in the client's first berichtklasse below the Header, as a cross-message rule gives one: the
    retourbericht then repeats the client's classes, with their keys."""
    retour = catalogue.retourbericht_voor(heen)
    assert retour is not None
    pad = "/Bericht/" + "/".join(kl.klassen(retour.naam)[1])
    return Finding(code="TR999", melding="kruisregel", locatie=(pad,), retourcode="9019")


@pytest.mark.parametrize("heen", HEEN)
def test_retour_kop_of_an_approved_message_is_the_kop_of_its_retourbericht(heen: str) -> None:
    oordeel = beoordeel(our_example(heen), retour_dagtekening=DAG)
    assert oordeel.uitslag.valid and oordeel.retour is not None
    kop = oordeel.retour_kop(oordeel.uitslag.errors)
    assert kop == gelezen(oordeel.retour)
    assert kop is not None and kop.berichtcode == catalogue.retourbericht_voor(heen).berichtcode  # type: ignore[union-attr]
    assert kop.identificatie_retour and kop.identificatie == oordeel.kop.identificatie  # type: ignore[union-attr]


@pytest.mark.parametrize("heen", HEEN)
def test_retour_kop_of_a_class_rejection_carries_the_keys_of_the_repeated_classes(heen: str) -> None:
    data = our_example(heen)
    oordeel = beoordeel(data, retour_dagtekening=DAG)
    errors = [*oordeel.uitslag.errors, klassefout(heen)]
    xml = oordeel.retourbericht(errors)
    kop = oordeel.retour_kop(errors)
    assert xml is not None and xml != oordeel.retour
    assert kop == gelezen(xml)
    assert kop is not None and kop.sleutels  # the client's classes came along, and with them its keys
    assert oordeel.retourbericht(errors) == xml  # asked again: the same retourbericht, not a fresh one


def test_retour_kop_of_a_technically_rejected_message_is_that_of_its_header_only_retour() -> None:
    data = Msg(our_example("WMO301")).set("Client/Bsn", "123456789").bytes()  # fails the elfproef: CS002
    oordeel = beoordeel(data, retour_dagtekening=DAG)
    assert [f.code for f in oordeel.uitslag.errors] == ["CS002"]
    assert oordeel.retour is not None and b"<wmo302:Client" not in oordeel.retour
    kop = oordeel.retour_kop(oordeel.uitslag.errors)
    assert kop == gelezen(oordeel.retour)
    assert kop is not None and not kop.sleutels


@pytest.mark.parametrize("naam", ["WMO323", "WMO325"])
def test_a_message_without_retourbericht_has_no_retour_kop(naam: str) -> None:
    oordeel = beoordeel(our_example(naam))
    assert oordeel.kop is not None
    assert oordeel.retourbericht(oordeel.uitslag.errors) is None
    assert oordeel.retour_kop(oordeel.uitslag.errors) is None


def test_a_message_for_another_organisation_has_no_retour_kop() -> None:
    oordeel = beoordeel(our_example("WMO301"), namens=frozenset({"nobody"}))
    assert not oordeel.beantwoorden
    assert oordeel.retour_kop(oordeel.uitslag.errors) is None


def _sleutels_elk_element(root: etree._Element) -> set[tuple[str, str]]:
    """`extract`'s keys as a walk over every node finds them: the definition the fast walk must keep."""
    return {(local(el.tag), el.text.strip()[:64]) for el in root.iter()
            if isinstance(el.tag, str) and local(el.tag) in SLEUTEL_ELEMENTEN and el.text and el.text.strip()}


@pytest.mark.parametrize("naam", [*HEEN, "WMO323", "WMO325", "JW301", "JW323"])
def test_extract_finds_every_key_element_in_any_namespace(naam: str) -> None:
    msg = Msg(our_example(naam))
    msg.root.append(etree.Comment("ToewijzingNummer"))
    zonder_ns = etree.SubElement(msg.root, "Bsn")  # no namespace: still a key element by its local name
    zonder_ns.text = " 999999999 "
    root = etree.fromstring(msg.bytes())
    alleen_header = etree.fromstring(msg.bytes())
    for el in alleen_header[1:]:
        alleen_header.remove(el)
    uit_header = extract(alleen_header).sleutels  # a WMO325's DeclaratieIdentificatie names the 323 it answers
    sleutels = extract(root).sleutels
    assert sleutels == _sleutels_elk_element(root) | uit_header
    assert ("Bsn", "999999999") in sleutels
