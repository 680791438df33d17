"""Delivery and date rules (levering.py): CS058 on StatusAanlevering, TR018 on the stop's period and TR134
(no date after the Dagtekening) on every message type that has it: 301, 305, 307, 315, 323 and 325.
"""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import our_example

MIJN_CODES = {"CS058", "TR018", "TR134"}
DAGTEKENING = "/Bericht/Header/BerichtIdentificatie/Dagtekening"

SP = "Client/StartProducten/StartProduct"
SP_LOC = "/Bericht/Client/StartProducten/StartProduct"
STP = "Client/StopProducten/StopProduct"
STP_LOC = "/Bericht/Client/StopProducten/StopProduct"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def mine(data: bytes) -> list[tuple[str, str | None, list[str]]]:
    return [h for h in hits(data) if h[0] in MIJN_CODES]


def example(naam: str) -> Msg:
    return Msg(our_example(naam))


@pytest.mark.parametrize(
    "naam", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]
)
def test_our_examples_break_none_of_these_rules(naam: str) -> None:
    assert mine(our_example(naam)) == []


# --- CS058 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["2", "9"])
def test_cs058_start_with_status_other_than_1_or_3(status: str) -> None:
    data = example("WMO305").set(f"{SP}[2]/StatusAanlevering", status).bytes()
    assert mine(data) == [("CS058", "0001", [f"{SP_LOC}[2]/StatusAanlevering"])]


def test_cs058_start_removal_status_3_passes() -> None:
    data = example("WMO305").set(f"{SP}[1]/StatusAanlevering", "3").bytes()
    assert hits(data, "CS058") == []


def test_cs058_stop_with_status_2() -> None:
    data = example("WMO307").set(f"{STP}/StatusAanlevering", "2").bytes()
    assert mine(data) == [("CS058", "0001", [f"{STP_LOC}/StatusAanlevering"])]


def test_cs058_names_the_allowed_values_in_the_melding() -> None:
    uitslag = validate(example("WMO307").set(f"{STP}/StatusAanlevering", "9").bytes())
    (finding,) = [f for f in uitslag.errors if f.code == "CS058"]
    assert finding.melding.startswith("CS058: ")
    assert "1 (eerste aanlevering)" in finding.melding and "3 (verwijderen aanlevering)" in finding.melding


# --- TR018 -----------------------------------------------------------------------------------------------


def test_tr018_stop_one_day_before_its_begin() -> None:
    data = example("WMO307").set(f"{STP}/Einddatum", "2026-04-01").bytes()
    assert mine(data) == [("TR018", "0001", [f"{STP_LOC}/Begindatum", f"{STP_LOC}/Einddatum"])]


def test_tr018_stop_on_the_day_care_began_passes() -> None:
    data = example("WMO307").set(f"{STP}/Einddatum", "2026-04-02").bytes()
    assert hits(data, "TR018") == []


def test_tr018_applies_to_every_stop_product() -> None:
    m = example("WMO307").duplicate(STP)
    m.set(f"{STP}[2]/ToewijzingNummer", "260452").set(f"{STP}[2]/Begindatum", "2026-10-01")
    assert mine(m.bytes()) == [("TR018", "0001", [f"{STP_LOC}[2]/Begindatum", f"{STP_LOC}[2]/Einddatum"])]


# --- TR134 -----------------------------------------------------------------------------------------------


def test_tr134_start_date_on_the_dagtekening_passes() -> None:
    data = example("WMO305").set(f"{SP}[2]/Begindatum", "2026-04-07").bytes()
    assert hits(data, "TR134") == []


def test_tr134_start_date_one_day_after_the_dagtekening() -> None:
    data = example("WMO305").set(f"{SP}[2]/Begindatum", "2026-04-08").bytes()
    assert mine(data) == [("TR134", "0001", [DAGTEKENING, f"{SP_LOC}[2]/Begindatum"])]


def test_tr134_stop_date_after_the_dagtekening() -> None:
    data = example("WMO307").set(f"{STP}/Einddatum", "2026-10-06").bytes()
    assert mine(data) == [("TR134", "0001", [DAGTEKENING, f"{STP_LOC}/Einddatum"])]


def test_tr134_stop_date_on_the_dagtekening_passes() -> None:
    data = example("WMO307").set(f"{STP}/Einddatum", "2026-10-05").bytes()
    assert hits(data, "TR134") == []


@pytest.mark.parametrize("naam", ["WMO301", "WMO305", "WMO307", "WMO315"])
def test_tr134_client_born_after_the_dagtekening(naam: str) -> None:
    m = example(naam)
    dagtekening = m.text("Header/BerichtIdentificatie/Dagtekening")
    assert dagtekening is not None
    m.set("Client/Geboortedatum/Datum", f"{int(dagtekening[:4]) + 1}{dagtekening[4:]}")
    assert hits(m.bytes(), "TR134") == [
        ("TR134", "0001", [DAGTEKENING, "/Bericht/Client/Geboortedatum/Datum"])
    ]


def test_tr134_client_born_on_the_dagtekening_passes() -> None:
    data = example("WMO315").set("Client/Geboortedatum/Datum", "2026-03-02").bytes()
    assert hits(data, "TR134") == []


def test_tr134_wmo301_toewijzingsdatum_and_relatie_geboortedatum_in_document_order() -> None:
    m = example("WMO301")
    geboortedatum = etree.Element(f"{{{m.ns}}}Geboortedatum")
    etree.SubElement(geboortedatum, f"{{{BASIS}}}Datum").text = "2026-03-12"
    m.el("Client/Relaties/Relatie/Soort").addnext(geboortedatum)
    m.set("Client/ToegewezenProducten/ToegewezenProduct[2]/Toewijzingsdatum", "2026-03-12")
    assert mine(m.bytes()) == [
        ("TR134", "0001", [DAGTEKENING, "/Bericht/Client/Relaties/Relatie/Geboortedatum/Datum"]),
        (
            "TR134",
            "0001",
            [DAGTEKENING, "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Toewijzingsdatum"],
        ),
    ]


def test_tr134_wmo301_toewijzingsdatum_on_the_dagtekening_passes() -> None:
    data = example("WMO301").set(
        "Client/ToegewezenProducten/ToegewezenProduct[1]/Toewijzingsdatum", "2026-03-11"
    )
    assert hits(data.bytes(), "TR134") == []


def test_tr134_wmo323_declaratieperiode_and_productperiode_begin() -> None:
    m = example("WMO323")
    m.set("Declaratie/DeclaratiePeriode/Begindatum", "2026-05-07")
    m.set("Declaratie/Clienten/Client/Prestaties/Prestatie[2]/ProductPeriode/Begindatum", "2026-05-07")
    # Other rules (the declaratie's period checks) may fire as well; only TR134 is under test here.
    assert hits(m.bytes(), "TR134") == [
        ("TR134", "0001", [DAGTEKENING, "/Bericht/Declaratie/DeclaratiePeriode/Begindatum"]),
        (
            "TR134",
            "0001",
            [
                DAGTEKENING,
                "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie[2]/ProductPeriode/Begindatum",
            ],
        ),
    ]


def test_tr134_wmo323_productperiode_begin_on_the_dagtekening_passes() -> None:
    m = example("WMO323").set(
        "Declaratie/Clienten/Client/Prestaties/Prestatie[1]/ProductPeriode/Begindatum", "2026-05-06"
    )
    assert hits(m.bytes(), "TR134") == []


def test_tr134_wmo325_productperiode_begin_uses_the_berichts_own_dagtekening() -> None:
    # WMO325 has two Dagtekeningen in its header; TR134 compares with the answer's own (2026-05-13),
    # not with the declaratie's (2026-05-06).
    pad = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie/ProductPeriode/Begindatum"
    assert hits(example("WMO325").set(pad, "2026-05-13").bytes(), "TR134") == []
    assert hits(example("WMO325").set(pad, "2026-05-14").bytes(), "TR134") == [
        ("TR134", "0001", [DAGTEKENING, f"/Bericht/{pad}"])
    ]


def test_tr134_does_not_apply_to_wmo317() -> None:
    # A wijziging asks for dates in the future; none of its dates is bounded by the Dagtekening.
    data = example("WMO317").set(
        "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct/GewensteIngangsdatum", "2027-01-01"
    )
    assert hits(data.bytes(), "TR134") == []
