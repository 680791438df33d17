"""What a sender reads about an unreadable or XSD-invalid message: Dutch, with line and column, and advice that
fits the fault — never libxml2's English or lxml's `{None}foo`."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from gateway.cli import main
from gateway.validation import parsefouten, safe_xml
from gateway.validation.validator import validate
from tests.msgedit import Msg
from tests.reference import our_example

# Words of libxml2's parser messages; none belongs in a Dutch melding.
ENGELS = re.compile(r"Couldn't|expected|mismatch|Premature|not defined|Extra content|StartTag|EntityRef|"
                    r"AttValue|redefined|invalid|error|line \d|column \d|Start Tag|not finished|terminated")


@pytest.mark.parametrize(("data", "regel", "kolom", "fragment"), [
    (b"<Bericht><Client\n<Bsn>1</Bsn></Bericht>", 2, 1, "Een starttag is niet goed afgesloten"),
    (b"<Bericht>\n<Bsn>1</Foo></Bericht>", 2, 13, "De eindtag </Foo> past niet bij het element <Bsn> dat op regel 2"),
    (b"<a/><b/>", 1, 5, "precies één rootelement"),
    (b"<Bericht>\n  <a>", 2, 6, "element <a> (geopend op regel 2) nog open staat"),
    (b"<x:a/>", 1, 5, "namespacevoorvoegsel x: van <a> is niet gedeclareerd"),
    (b"<a>&foo;</a>", 1, 9, "De entiteit &foo; bestaat niet"),
    (b"<a>a & b</a>", 1, 7, "Een '&' in de tekst begint geen geldige entiteit"),
    (b"<a>a < b</a>", 1, 7, "Na een '<' volgt geen geldige elementnaam"),
    (b"<a b=1/>", 1, 6, "tussen aanhalingstekens"),
    (b"<a b='1' b='2'/>", 1, 15, "Het attribuut b staat twee keer"),
    (b"<a>\x01</a>", 1, 4, "niet is toegestaan (een stuurteken"),
    (b"hallo", 1, 1, "begint niet met een XML-element"),
    (b"\n<?xml version='1.0'?><a/>", 2, 6, "XML-declaratie (<?xml …?>) mag alleen helemaal aan het begin"),
    (b"<a><!-- x</a>", 1, 14, "commentaar (<!-- … -->) is niet afgesloten"),
    (b"<a></ a>", 1, 7, "Een tag is niet met '>' afgesloten"),
])
def test_a_parser_error_is_told_in_dutch_with_line_and_column(data: bytes, regel: int, kolom: int,
                                                              fragment: str) -> None:
    with pytest.raises(safe_xml.XmlRefused) as refused:
        safe_xml.parse(data)
    finding = refused.value.finding
    assert finding.melding.startswith(f"Het bericht is geen welgevormde XML (regel {regel}, kolom {kolom}): ")
    assert fragment in finding.melding, finding.melding
    assert not ENGELS.search(finding.melding), finding.melding
    assert finding.regel == regel


def test_an_error_type_without_a_text_of_its_own_gets_the_dutch_fallback() -> None:
    assert parsefouten.beschrijving(10_000, "Something libxml2 says") == parsefouten.ONBEKEND
    assert not ENGELS.search(parsefouten.ONBEKEND)


@pytest.mark.parametrize(("soort", "begin"), [
    ("ERR_UNDECLARED_ENTITY", "Een entiteit bestaat niet"),
    ("ERR_TAG_NAME_MISMATCH", "Een eindtag past niet"),
    ("ERR_GT_REQUIRED", "Een tag is niet met '>' afgesloten"),
    ("NS_ERR_UNDEFINED_NAMESPACE", "Een namespacevoorvoegsel is niet gedeclareerd"),
    ("ERR_ATTRIBUTE_REDEFINED", "Een attribuut staat twee keer"),
])
def test_a_message_without_the_names_gets_a_whole_dutch_sentence_without_them(soort: str, begin: str) -> None:
    assert parsefouten.beschrijving(getattr(etree.ErrorTypes, soort), "iets anders").startswith(begin)


def test_every_mapped_error_type_exists_in_libxml2() -> None:
    # A misspelt name would never match and silently fall back.
    assert all(hasattr(etree.ErrorTypes, naam) for naam in parsefouten._TEKSTEN)


def test_a_tag_name_that_is_a_bsn_is_masked_in_the_dutch_melding() -> None:
    with pytest.raises(safe_xml.XmlRefused) as refused:
        safe_xml.parse(b"<Bericht>\n<Bsn>1</B207416035></Bericht>")
    assert "207416035" not in refused.value.finding.melding and "</B*********>" in refused.value.finding.melding


@pytest.mark.parametrize("root", [b"<foo/>", b"<foo xmlns='urn:x'/>"])
def test_an_unknown_root_element_is_named_without_clark_notation(root: bytes,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    [fout] = validate(root).errors
    assert fout.code == "ONBEKEND_BERICHT"
    assert "{" not in fout.melding.partition("Verwacht")[0] and "None" not in fout.melding
    assert "foo (zonder namespace)" in fout.melding or "foo in namespace urn:x" in fout.melding
    pad = tmp_path / "foo.xml"
    pad.write_bytes(root)
    assert main(["retour", str(pad)]) == 1
    fout_retour = capsys.readouterr().err
    assert "{" not in fout_retour and "None" not in fout_retour and "foo" in fout_retour


# -- XSD meldingen: the advice fits the facet -------------------------------------------------------------------


def _xsd(pad: str, waarde: str) -> list[str]:
    data = Msg(our_example("WMO315")).set(pad, waarde).bytes()
    return [f.melding for f in validate(data).errors if f.code == "XSD"]


def _over(meldingen: list[str], facet: str) -> str:
    [melding] = [m for m in meldingen if f"[facet '{facet}']" in m]
    return melding


def test_a_value_too_long_is_told_to_be_shortened_not_that_empty_elements_are_forbidden() -> None:
    melding = _over(_xsd("Header/BerichtCode", "4" * 30), "maxLength")
    assert melding.endswith("Kort de waarde in tot ten hoogste 3 tekens.")
    assert "leeg" not in melding.lower()


def test_an_empty_value_is_told_that_empty_elements_are_forbidden() -> None:
    meldingen = _xsd("Header/BerichtCode", "")
    for facet in ("minLength", "pattern"):
        assert "Een leeg element is niet toegestaan" in _over(meldingen, facet)


def test_a_value_off_the_pattern_is_pointed_at_the_format_and_not_at_empty_elements() -> None:
    melding = _over(_xsd("Header/BerichtCode", "445"), "pattern")
    assert "formaat" in melding and "leeg" not in melding.lower()


def test_a_code_outside_its_codelist_is_told_to_pick_one_from_it() -> None:
    melding = _over(_xsd("Client/Geslacht", "7"), "enumeration")
    assert melding.endswith("Kies een code uit de codelijst van dit element.")


@pytest.mark.parametrize(("waarde", "facet", "advies"), [
    ("100", "maxInclusive", "Gebruik een waarde van ten hoogste 99."),
    ("-1", "minInclusive", "Gebruik een waarde van minstens 0."),
])
def test_a_number_out_of_range_is_told_the_bound(waarde: str, facet: str, advies: str) -> None:
    assert _over(_xsd("Header/BerichtVersie", waarde), facet).endswith(advies)


def test_a_date_that_does_not_exist_is_told_the_date_format() -> None:
    [melding] = _xsd("Header/BerichtIdentificatie/Dagtekening", "2026-02-30")
    assert melding.endswith("Gebruik een bestaande datum JJJJ-MM-DD.")
