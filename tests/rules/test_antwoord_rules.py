"""WMO319 rules (CD085, CD086) on our example antwoordbericht, plus the official example as a clean case."""

from __future__ import annotations

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import Msg
from tests.reference import official_example, our_example

VERZOEK_ANTWOORD = "/Bericht/Antwoord/VerzoekAntwoord"
REDEN = "/Bericht/Antwoord/RedenAfwijzingVerzoek"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def msg() -> Msg:
    return Msg(our_example("WMO319"))


def test_our_example_is_clean() -> None:
    assert hits(our_example("WMO319")) == []


def test_official_example_is_clean() -> None:
    assert hits(official_example("WMO319")) == []


def test_cd085_rejection_without_reason() -> None:
    data = msg().remove("Antwoord/RedenAfwijzingVerzoek").bytes()
    assert hits(data) == [("CD085", "0001", [VERZOEK_ANTWOORD])]


def test_cd085_rejection_with_reason_passes() -> None:
    assert hits(msg().set("Antwoord/RedenAfwijzingVerzoek", "9").bytes(), "CD085") == []


def test_cd085_in_onderzoek_without_reason_passes() -> None:
    data = msg().set("Antwoord/VerzoekAntwoord", "2").remove("Antwoord/RedenAfwijzingVerzoek").bytes()
    assert hits(data) == []


def test_cd086_in_onderzoek_with_reason() -> None:
    data = msg().set("Antwoord/VerzoekAntwoord", "2").bytes()
    assert hits(data) == [("CD086", "0001", [VERZOEK_ANTWOORD, REDEN])]


def test_melding_says_what_to_do() -> None:
    uitslag = validate(msg().set("Antwoord/VerzoekAntwoord", "2").bytes())
    assert uitslag.errors[0].melding.startswith("CD086: ")
    assert "Verwijder" in uitslag.errors[0].melding
