"""Toewijzing rules (toewijzing.py): CD080, CS335, CS336 and TR302 on the ToegewezenProducten of a WMO301.

Our WMO301 example has two products: [1] 02/02A05 2026-04-01..2026-12-31 (3 uur per week) and [2] 01/01B02 from
2026-04-01 without an end (12 uur per maand).
"""

from __future__ import annotations

from datetime import date, timedelta

from lxml import etree

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import Msg
from tests.reference import official_example, our_example

MIJN_CODES = {"CD080", "CS335", "CS336", "TR302"}
TP = "Client/ToegewezenProducten/ToegewezenProduct"
TP_LOC = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def mine(data: bytes) -> list[tuple[str, str | None, list[str]]]:
    return [h for h in hits(data) if h[0] in MIJN_CODES]


def wmo301() -> Msg:
    return Msg(our_example("WMO301"))


def tweede_toewijzing(m: Msg, van: int, nummer: str, ingang: str, eind: str | None) -> Msg:
    """Append a copy of ToegewezenProduct[van] with its own ToewijzingNummer (so TR101 stays quiet) and period."""
    origineel = m.el(f"{TP}[{van}]")
    kopie = etree.fromstring(etree.tostring(origineel))
    origineel.getparent().append(kopie)
    n = len(m.el("Client/ToegewezenProducten"))
    m.set(f"{TP}[{n}]/ToewijzingNummer", nummer).set(f"{TP}[{n}]/Ingangsdatum", ingang)
    if eind is None:
        if m.has(f"{TP}[{n}]/Einddatum"):
            m.remove(f"{TP}[{n}]/Einddatum")
    elif m.has(f"{TP}[{n}]/Einddatum"):
        m.set(f"{TP}[{n}]/Einddatum", eind)
    else:
        m.append(f"{TP}[{n}]", "Einddatum", eind, after="Ingangsdatum")
    return m


def reden_wijziging(m: Msg, index: int, reden: str) -> Msg:
    after = "Einddatum" if m.has(f"{TP}[{index}]/Einddatum") else "Ingangsdatum"
    m.append(f"{TP}[{index}]", "RedenWijziging", reden, after=after)
    return m


def test_examples_break_none_of_these_rules() -> None:
    assert mine(our_example("WMO301")) == []
    assert mine(official_example("WMO301")) == []


# --- CD080 -----------------------------------------------------------------------------------------------


def test_cd080_omvang_without_code_lists_einddatum_and_omvang() -> None:
    data = wmo301().remove(f"{TP}[1]/Product/Code").bytes()
    assert mine(data) == [("CD080", "0001", [f"{TP_LOC}[1]/Einddatum", f"{TP_LOC}[1]/Omvang"])]


def test_cd080_open_ended_product_lists_only_omvang() -> None:
    data = wmo301().remove(f"{TP}[2]/Product/Code").bytes()
    assert mine(data) == [("CD080", "0001", [f"{TP_LOC}[2]/Omvang"])]


def test_cd080_without_product_at_all() -> None:
    data = wmo301().remove(f"{TP}[2]/Product").bytes()
    assert hits(data, "CD080") == [("CD080", "0001", [f"{TP_LOC}[2]/Omvang"])]


def test_cd080_ending_on_last_day_of_2020_is_exempt() -> None:
    m = wmo301().remove(f"{TP}[1]/Product/Code")
    m.set(f"{TP}[1]/Ingangsdatum", "2020-06-01").set(f"{TP}[1]/Einddatum", "2020-12-31")
    assert hits(m.bytes(), "CD080") == []


def test_cd080_ending_on_first_day_of_2021_is_checked() -> None:
    m = wmo301().remove(f"{TP}[1]/Product/Code")
    m.set(f"{TP}[1]/Ingangsdatum", "2020-06-01").set(f"{TP}[1]/Einddatum", "2021-01-01")
    assert hits(m.bytes(), "CD080") == [("CD080", "0001", [f"{TP_LOC}[1]/Einddatum", f"{TP_LOC}[1]/Omvang"])]


def test_cd080_category_only_budget_passes() -> None:
    m = wmo301().remove(f"{TP}[1]/Product/Code").remove(f"{TP}[1]/Omvang")
    m.append(f"{TP}[1]", "Budget", "2500")
    assert mine(m.bytes()) == []


# --- CS335 -----------------------------------------------------------------------------------------------


def test_cs335_verwijderd_with_different_dates() -> None:
    data = reden_wijziging(wmo301(), 1, "13").bytes()
    assert mine(data) == [("CS335", "0001", [f"{TP_LOC}[1]/Ingangsdatum", f"{TP_LOC}[1]/Einddatum"])]


def test_cs335_verwijderd_with_equal_dates_passes() -> None:
    m = reden_wijziging(wmo301(), 1, "13").set(f"{TP}[1]/Einddatum", "2026-04-01")
    assert mine(m.bytes()) == []


def test_cs335_verwijderd_without_einddatum_passes() -> None:
    data = reden_wijziging(wmo301(), 2, "13").bytes()
    assert hits(data, "CS335") == []


def test_cs335_other_reason_with_different_dates_passes() -> None:
    data = reden_wijziging(wmo301(), 1, "05").bytes()
    assert mine(data) == []


# --- CS336 -----------------------------------------------------------------------------------------------


def test_cs336_administratieve_correctie_is_not_allowed() -> None:
    data = reden_wijziging(wmo301(), 2, "01").bytes()
    assert mine(data) == [("CS336", "0001", [f"{TP_LOC}[2]/RedenWijziging"])]


def test_cs336_other_reasons_pass() -> None:
    data = reden_wijziging(wmo301(), 2, "02").bytes()
    assert hits(data, "CS336") == []


# --- TR302 -----------------------------------------------------------------------------------------------


def test_tr302_same_product_sharing_one_day() -> None:
    data = tweede_toewijzing(wmo301(), 1, "260453", "2026-12-31", "2027-06-30").bytes()
    assert mine(data) == [("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"])]


def test_tr302_adjacent_periods_pass() -> None:
    data = tweede_toewijzing(wmo301(), 1, "260453", "2027-01-01", "2027-06-30").bytes()
    assert mine(data) == []


def test_tr302_later_product_before_the_earlier_one_overlaps_too() -> None:
    data = tweede_toewijzing(wmo301(), 1, "260453", "2026-01-01", "2026-04-01").bytes()
    assert mine(data) == [("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"])]


def test_tr302_open_ended_products_always_overlap() -> None:
    data = tweede_toewijzing(wmo301(), 2, "260453", "2030-01-01", None).bytes()
    assert mine(data) == [("TR302", "0001", [f"{TP_LOC}[2]", f"{TP_LOC}[3]"])]


def test_tr302_open_ended_earlier_product_and_a_later_one_before_it_pass() -> None:
    # [2] runs from 2026-04-01; a copy that ends the day before does not touch it.
    data = tweede_toewijzing(wmo301(), 2, "260453", "2025-01-01", "2026-03-31").bytes()
    assert mine(data) == []


def test_tr302_different_code_in_the_same_category_passes() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-12-31")
    m.set(f"{TP}[3]/Product/Code", "02A06")
    assert mine(m.bytes()) == []


def test_tr302_category_only_product_is_the_same_as_any_code_in_its_category() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-12-31")
    m.remove(f"{TP}[3]/Product/Code").remove(f"{TP}[3]/Omvang")
    m.append(f"{TP}[3]", "Budget", "2500")
    assert mine(m.bytes()) == [("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"])]


def test_tr302_product_without_product_element_overlaps_with_every_product() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-12-31")
    m.remove(f"{TP}[3]/Product").remove(f"{TP}[3]/Omvang")
    m.append(f"{TP}[3]", "Budget", "2500")
    assert hits(m.bytes(), "TR302") == [
        ("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"]),
        ("TR302", "0001", [f"{TP_LOC}[2]", f"{TP_LOC}[3]"]),
    ]


def test_tr302_hulpmiddelen_may_overlap() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-12-31")
    for index in (1, 3):
        m.set(f"{TP}[{index}]/Product/Categorie", "11").set(f"{TP}[{index}]/Product/Code", "11A01")
    assert mine(m.bytes()) == []


def test_tr302_hulpmiddel_is_exempt_even_against_a_product_without_product_element() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-12-31")
    m.set(f"{TP}[1]/Product/Categorie", "11").set(f"{TP}[1]/Product/Code", "11A01")
    m.set(f"{TP}[2]/Product/Categorie", "12").set(f"{TP}[2]/Product/Code", "12A01")
    m.remove(f"{TP}[3]/Product").remove(f"{TP}[3]/Omvang")
    m.append(f"{TP}[3]", "Budget", "2500")
    assert hits(m.bytes(), "TR302") == []


def test_tr302_withdrawn_toewijzing_does_not_stack_as_the_later_product() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-06-01")
    assert hits(reden_wijziging(m, 3, "13").bytes(), "TR302") == []


def test_tr302_withdrawn_toewijzing_does_not_stack_as_the_earlier_product() -> None:
    m = wmo301().set(f"{TP}[1]/Einddatum", "2026-04-01")
    reden_wijziging(m, 1, "13")
    tweede_toewijzing(m, 1, "260453", "2026-04-01", "2026-12-31")
    m.remove(f"{TP}[3]/RedenWijziging")
    assert mine(m.bytes()) == []


def test_tr302_administratieve_correctie_with_equal_dates_is_skipped_too() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-06-01")
    assert mine(reden_wijziging(m, 3, "01").bytes()) == [("CS336", "0001", [f"{TP_LOC}[3]/RedenWijziging"])]


def test_tr302_other_reason_with_equal_dates_still_stacks() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-06-01")
    assert mine(reden_wijziging(m, 3, "05").bytes()) == [("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"])]


def test_tr302_verwijderd_with_different_dates_is_not_skipped() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-06-01", "2026-07-01")
    assert mine(reden_wijziging(m, 3, "13").bytes()) == [
        ("CS335", "0001", [f"{TP_LOC}[3]/Ingangsdatum", f"{TP_LOC}[3]/Einddatum"]),
        ("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"]),
    ]


def test_tr302_three_equal_products_give_one_fault_per_pair() -> None:
    m = tweede_toewijzing(wmo301(), 1, "260453", "2026-05-01", "2026-12-31")
    tweede_toewijzing(m, 1, "260454", "2026-06-01", "2026-12-31")
    assert mine(m.bytes()) == [
        ("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[3]"]),
        ("TR302", "0001", [f"{TP_LOC}[1]", f"{TP_LOC}[4]"]),
        ("TR302", "0001", [f"{TP_LOC}[3]", f"{TP_LOC}[4]"]),
    ]


def test_tr302_long_series_of_adjacent_toewijzingen_gives_only_the_real_overlap() -> None:
    # 400 one-day toewijzingen of the same product on consecutive days touch but never overlap; a final one
    # spanning days 100-101 overlaps exactly two of them.
    m = wmo301()
    m.remove(f"{TP}[2]")
    producten = m.el("Client/ToegewezenProducten")
    sjabloon = m.el(TP)
    producten.remove(sjabloon)
    eerste = date(2026, 4, 1)
    for i in range(401):
        begin = eerste + timedelta(days=i if i < 400 else 100)
        eind = begin + timedelta(days=0 if i < 400 else 1)
        kopie = etree.fromstring(etree.tostring(sjabloon))
        kopie.find(f"{{{m.ns}}}ToewijzingNummer").text = str(300000 + i)
        kopie.find(f"{{{m.ns}}}Ingangsdatum").text = begin.isoformat()
        kopie.find(f"{{{m.ns}}}Einddatum").text = eind.isoformat()
        producten.append(kopie)
    assert mine(m.bytes()) == [
        ("TR302", "0001", [f"{TP_LOC}[101]", f"{TP_LOC}[401]"]),
        ("TR302", "0001", [f"{TP_LOC}[102]", f"{TP_LOC}[401]"]),
    ]
