"""Product-line rules shared by WMO301, WMO315 and WMO317 (product.py).

CD041, CD075, CD076, CD077, CD078, CD079, CS003, CS338 on every product class the sheet lists, and their
one-message twins CS343 (WMO315), CD095 (WMO315) and CD096 (WMO317).
"""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.paths import element_path
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import OUR_EXAMPLES, official_example, our_example

MIJN_CODES = {
    "CD041",
    "CD075",
    "CD076",
    "CD077",
    "CD078",
    "CD079",
    "CD095",
    "CD096",
    "CS003",
    "CS338",
    "CS343",
}

AP = "Client/AangevraagdeProducten/AangevraagdProduct"
AP_LOC = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"
TW = "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
TW_LOC = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
NP = "Client/Verzoek/NieuweProducten/NieuwProduct"
NP_LOC = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct"
TP = "Client/ToegewezenProducten/ToegewezenProduct"
TP_LOC = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def mine(data: bytes) -> list[tuple[str, str | None, list[str]]]:
    return [h for h in hits(data) if h[0] in MIJN_CODES]


def wmo315() -> Msg:
    return Msg(our_example("WMO315"))


def wmo317() -> Msg:
    return Msg(our_example("WMO317"))


def wmo301() -> Msg:
    """A WMO301 with exactly one ToegewezenProduct: 02/02A05, 2026-04-01..2026-12-31, 3 uur per week.

    Built from our WMO301 example (another module's) by normalising the product, so these tests do not
    depend on how that example fills its products; falls back to the official example.
    """
    data = our_example("WMO301") if (OUR_EXAMPLES / "WMO301.xml").exists() else official_example("WMO301")
    m = Msg(data)
    producten = m.el("Client/ToegewezenProducten")
    tp = [c for c in producten if isinstance(c.tag, str)]
    for extra in tp[1:]:
        producten.remove(extra)
    product = tp[0]
    for naam in ("Product", "Einddatum", "RedenWijziging", "Omvang", "Budget", "Commentaar"):
        if m.has(f"{TP}/{naam}"):
            m.remove(f"{TP}/{naam}")
    ns = etree.QName(product).namespace
    nieuw_product = etree.Element(f"{{{ns}}}Product")
    etree.SubElement(nieuw_product, f"{{{BASIS}}}Categorie").text = "02"
    etree.SubElement(nieuw_product, f"{{{BASIS}}}Code").text = "02A05"
    m.el(f"{TP}/Toewijzingsdatum").addprevious(nieuw_product)
    m.set(f"{TP}/Ingangsdatum", "2026-04-01")
    m.append(TP, "Einddatum", "2026-12-31", after="Ingangsdatum")
    m.append(TP, "Omvang")
    for naam, waarde in (("Volume", "3"), ("Eenheid", "04"), ("Frequentie", "2")):
        m.append(f"{TP}/Omvang", naam, waarde, ns=BASIS)
    return m


def test_examples_break_none_of_these_rules() -> None:
    assert mine(our_example("WMO315")) == []
    assert mine(our_example("WMO317")) == []
    assert mine(wmo301().bytes()) == []


# --- CD041 -----------------------------------------------------------------------------------------------


def test_cd041_wmo315_code_without_omvang() -> None:
    data = wmo315().remove(f"{AP}[2]/Omvang").bytes()
    assert hits(data) == [("CD041", "0001", [f"{AP_LOC}[2]/Product/Code"])]


def test_cd041_wmo317_nieuw_product() -> None:
    data = wmo317().remove(f"{NP}[1]/Omvang").bytes()
    assert hits(data) == [("CD041", "0001", [f"{NP_LOC}[1]/Product/Code"])]


def test_cd041_wmo301_toegewezen_product() -> None:
    data = wmo301().remove(f"{TP}/Omvang").bytes()
    assert hits(data, "CD041") == [("CD041", "0001", [f"{TP_LOC}/Product/Code"])]


def test_cd041_category_only_product_needs_no_omvang() -> None:
    # [3] is a category-14 budget request without code and without Omvang.
    assert hits(wmo315().bytes(), "CD041") == []


# --- CD075 -----------------------------------------------------------------------------------------------


def test_cd075_wmo315_budget_without_end() -> None:
    data = wmo315().remove(f"{AP}[3]/ToewijzingEinddatum").bytes()
    assert hits(data) == [("CD075", "0001", [f"{AP_LOC}[3]/Budget"])]


def test_cd075_wmo317_te_wijzigen_product() -> None:
    m = wmo317().remove(f"{TW}/Omvang").remove(f"{TW}/Einddatum")
    m.append(TW, "Budget", "2500")
    assert hits(m.bytes()) == [("CD075", "0001", [f"{TW_LOC}/Budget"])]


def test_cd075_wmo317_nieuw_product() -> None:
    data = wmo317().remove(f"{NP}[2]/Einddatum").bytes()
    assert hits(data) == [("CD075", "0001", [f"{NP_LOC}[2]/Budget"])]


def test_cd075_wmo301() -> None:
    m = wmo301().remove(f"{TP}/Omvang").remove(f"{TP}/Einddatum")
    m.append(TP, "Budget", "2500")
    assert hits(m.bytes(), "CD075") == [("CD075", "0001", [f"{TP_LOC}/Budget"])]


# --- CD076 -----------------------------------------------------------------------------------------------


def test_cd076_wmo315_per_week_without_end() -> None:
    data = wmo315().remove(f"{AP}[1]/ToewijzingEinddatum").bytes()
    assert hits(data) == [("CD076", "0001", [f"{AP_LOC}[1]/Omvang/Frequentie"])]


def test_cd076_per_month_without_end_passes() -> None:
    # [2] is 12 uur per maand (Frequentie 4) without an end date.
    assert hits(wmo315().bytes(), "CD076") == []


def test_cd076_wmo317_te_wijzigen_product() -> None:
    data = wmo317().remove(f"{TW}/Einddatum").bytes()
    assert hits(data) == [("CD076", "0001", [f"{TW_LOC}/Omvang/Frequentie"])]


def test_cd076_wmo317_nieuw_product() -> None:
    data = wmo317().remove(f"{NP}[1]/Einddatum").bytes()
    assert hits(data) == [("CD076", "0001", [f"{NP_LOC}[1]/Omvang/Frequentie"])]


def test_cd076_wmo301() -> None:
    data = wmo301().remove(f"{TP}/Einddatum").bytes()
    assert hits(data, "CD076") == [("CD076", "0001", [f"{TP_LOC}/Omvang/Frequentie"])]


# --- CD077 / CD078 ---------------------------------------------------------------------------------------


def test_cd078_then_cd077_wmo315_omvang_and_budget() -> None:
    m = wmo315()
    m.append(f"{AP}[1]", "Budget", "500", after="Omvang")
    loc = [f"{AP_LOC}[1]/Omvang", f"{AP_LOC}[1]/Budget"]
    assert hits(m.bytes()) == [("CD078", "0001", loc), ("CD077", "0001", loc)]


def test_cd078_then_cd077_wmo317_both_classes() -> None:
    m = wmo317()
    m.append(TW, "Budget", "500")
    m.append(f"{NP}[1]", "Budget", "500")
    tw = [f"{TW_LOC}/Omvang", f"{TW_LOC}/Budget"]
    np = [f"{NP_LOC}[1]/Omvang", f"{NP_LOC}[1]/Budget"]
    assert hits(m.bytes()) == [
        ("CD078", "0001", tw),
        ("CD077", "0001", tw),
        ("CD078", "0001", np),
        ("CD077", "0001", np),
    ]


def test_cd078_then_cd077_wmo301() -> None:
    m = wmo301()
    m.append(TP, "Budget", "500", after="Omvang")
    loc = [f"{TP_LOC}/Omvang", f"{TP_LOC}/Budget"]
    assert [h for h in hits(m.bytes()) if h[0] in {"CD077", "CD078"}] == [
        ("CD078", "0001", loc),
        ("CD077", "0001", loc),
    ]


# --- CD079 -----------------------------------------------------------------------------------------------


def test_cd079_wmo315_no_product_no_budget() -> None:
    data = wmo315().remove(f"{AP}[2]/Product").bytes()
    assert hits(data, "CD079") == [("CD079", "0001", [f"{AP_LOC}[2]"])]


def test_cd079_budget_without_product_passes() -> None:
    data = wmo317().remove(f"{NP}[2]/Product").bytes()
    assert hits(data, "CD079") == []


def test_cd079_wmo317_nieuw_product() -> None:
    data = wmo317().remove(f"{NP}[2]/Product").remove(f"{NP}[2]/Budget").bytes()
    assert hits(data, "CD079") == [("CD079", "0001", [f"{NP_LOC}[2]"])]


def test_cd079_wmo301() -> None:
    data = wmo301().remove(f"{TP}/Product").bytes()
    assert hits(data, "CD079") == [("CD079", "0001", [TP_LOC])]


# --- CS003 -----------------------------------------------------------------------------------------------


def test_cs003_wmo315_end_one_day_before_start() -> None:
    data = wmo315().set(f"{AP}[1]/ToewijzingEinddatum", "2026-03-31").bytes()
    assert hits(data) == [
        ("CS003", "0001", [f"{AP_LOC}[1]/ToewijzingIngangsdatum", f"{AP_LOC}[1]/ToewijzingEinddatum"])
    ]


def test_cs003_equal_dates_pass() -> None:
    assert hits(wmo315().set(f"{AP}[1]/ToewijzingEinddatum", "2026-04-01").bytes()) == []


def test_cs003_wmo317_te_wijzigen_and_nieuw_product() -> None:
    m = wmo317().set(f"{TW}/Einddatum", "2026-03-15").set(f"{NP}[1]/Einddatum", "2026-03-31")
    assert hits(m.bytes()) == [
        ("CS003", "0001", [f"{TW_LOC}/GewensteIngangsdatum", f"{TW_LOC}/Einddatum"]),
        ("CS003", "0001", [f"{NP_LOC}[1]/GewensteIngangsdatum", f"{NP_LOC}[1]/Einddatum"]),
    ]


def test_cs003_wmo301_toegewezen_product() -> None:
    data = wmo301().set(f"{TP}/Einddatum", "2026-03-31").bytes()
    assert hits(data, "CS003") == [("CS003", "0001", [f"{TP_LOC}/Ingangsdatum", f"{TP_LOC}/Einddatum"])]


def _periode(m: Msg, contact: str, begin: str | None, eind: str) -> str:
    """Give a Contact a Periode (replacing any); returns the expected path of its Einddatum's parent."""
    if m.has(f"{contact}/Periode"):
        m.remove(f"{contact}/Periode")
    m.append(contact, "Periode")
    if begin is not None:
        m.append(f"{contact}/Periode", "Begindatum", begin, ns=BASIS)
    m.append(f"{contact}/Periode", "Einddatum", eind, ns=BASIS)
    return element_path(m.el(f"{contact}/Periode"))


def test_cs003_wmo301_contact_periode() -> None:
    m = wmo301()
    periode = _periode(m, "Client/Contactgegevens/Contact[1]", "2026-05-01", "2026-04-30")
    assert hits(m.bytes(), "CS003") == [("CS003", "0001", [f"{periode}/Begindatum", f"{periode}/Einddatum"])]


def test_cs003_wmo301_contact_periode_with_only_an_end() -> None:
    m = wmo301()
    periode = _periode(m, "Client/Contactgegevens/Contact[1]", None, "2026-04-30")
    assert hits(m.bytes(), "CS003") == [("CS003", "0001", [f"{periode}/Einddatum"])]


def test_cs003_wmo301_relatie_contact_periode() -> None:
    m = wmo301()
    if not m.has("Client/Relaties/Relatie[1]/Contact"):
        pytest.skip("this WMO301 example has no Relatie")
    periode = _periode(m, "Client/Relaties/Relatie[1]/Contact", "2026-05-01", "2026-05-01")
    assert hits(m.bytes(), "CS003") == []
    m.set("Client/Relaties/Relatie[1]/Contact/Periode/Einddatum", "2026-04-30")
    assert hits(m.bytes(), "CS003") == [("CS003", "0001", [f"{periode}/Begindatum", f"{periode}/Einddatum"])]


# --- CS338 / CS343 ---------------------------------------------------------------------------------------


def test_cs338_wmo317_nieuw_product() -> None:
    data = wmo317().set(f"{NP}[1]/Omvang/Frequentie", "1").bytes()
    loc = [f"{NP_LOC}[1]/Einddatum", f"{NP_LOC}[1]/Omvang/Eenheid", f"{NP_LOC}[1]/Omvang/Frequentie"]
    assert hits(data) == [("CS338", "0001", loc)]


def test_cs338_without_end_date() -> None:
    m = wmo317().set(f"{NP}[1]/Omvang/Frequentie", "1").remove(f"{NP}[1]/Einddatum")
    loc = [f"{NP_LOC}[1]/Omvang/Eenheid", f"{NP_LOC}[1]/Omvang/Frequentie"]
    assert hits(m.bytes(), "CS338") == [("CS338", "0001", loc)]


def test_cs338_ending_in_2020_is_exempt() -> None:
    m = wmo317().set(f"{NP}[1]/Omvang/Frequentie", "1").set(f"{NP}[1]/Einddatum", "2020-12-31")
    assert hits(m.bytes(), "CS338") == []


def test_cs338_ending_on_first_day_of_2021_is_checked() -> None:
    m = wmo317().set(f"{NP}[1]/Omvang/Frequentie", "1").set(f"{NP}[1]/Einddatum", "2021-01-01")
    assert [h[0] for h in hits(m.bytes(), "CS338")] == ["CS338"]


def test_cs338_wmo317_te_wijzigen_product() -> None:
    m = wmo317().set(f"{TW}/Omvang/Eenheid", "83").set(f"{TW}/Omvang/Frequentie", "1")
    loc = [f"{TW_LOC}/Einddatum", f"{TW_LOC}/Omvang/Eenheid", f"{TW_LOC}/Omvang/Frequentie"]
    assert hits(m.bytes()) == [("CS338", "0001", loc)]


def test_cs338_other_units_pass() -> None:
    # Eenheid 04 (uur) per dag is fine.
    assert hits(wmo317().set(f"{TW}/Omvang/Frequentie", "1").bytes()) == []


def test_cs338_wmo301() -> None:
    m = wmo301().set(f"{TP}/Omvang/Eenheid", "84").set(f"{TP}/Omvang/Frequentie", "1")
    loc = [f"{TP_LOC}/Einddatum", f"{TP_LOC}/Omvang/Eenheid", f"{TP_LOC}/Omvang/Frequentie"]
    assert hits(m.bytes(), "CS338") == [("CS338", "0001", loc)]


def test_cs343_wmo315() -> None:
    m = wmo315().set(f"{AP}[1]/Omvang/Eenheid", "14").set(f"{AP}[1]/Omvang/Frequentie", "1")
    loc = [
        f"{AP_LOC}[1]/ToewijzingEinddatum",
        f"{AP_LOC}[1]/Omvang/Eenheid",
        f"{AP_LOC}[1]/Omvang/Frequentie",
    ]
    assert hits(m.bytes()) == [("CS343", "0001", loc)]


def test_cs343_allowed_frequencies_pass() -> None:
    for frequentie in ("2", "4", "6"):
        m = wmo315().set(f"{AP}[1]/Omvang/Eenheid", "16").set(f"{AP}[1]/Omvang/Frequentie", frequentie)
        assert hits(m.bytes()) == []


def test_cs343_ending_in_2020_is_exempt() -> None:
    m = wmo315().set(f"{AP}[1]/Omvang/Eenheid", "14").set(f"{AP}[1]/Omvang/Frequentie", "1")
    m.set(f"{AP}[1]/ToewijzingIngangsdatum", "2020-06-01").set(f"{AP}[1]/ToewijzingEinddatum", "2020-12-31")
    assert hits(m.bytes(), "CS343") == []


def test_cs338_does_not_apply_to_wmo315() -> None:
    m = wmo315().set(f"{AP}[1]/Omvang/Eenheid", "14").set(f"{AP}[1]/Omvang/Frequentie", "1")
    assert hits(m.bytes(), "CS338") == []


# --- CD095 / CD096 ---------------------------------------------------------------------------------------


def test_cd095_omvang_without_code_open_ended() -> None:
    data = wmo315().remove(f"{AP}[2]/Product/Code").bytes()
    assert hits(data) == [("CD095", "0001", [f"{AP_LOC}[2]/Omvang"])]


def test_cd095_with_end_date_lists_it_first() -> None:
    data = wmo315().remove(f"{AP}[1]/Product/Code").bytes()
    assert hits(data) == [("CD095", "0001", [f"{AP_LOC}[1]/ToewijzingEinddatum", f"{AP_LOC}[1]/Omvang"])]


def test_cd095_ending_in_2020_is_exempt() -> None:
    m = wmo315().remove(f"{AP}[1]/Product/Code")
    m.set(f"{AP}[1]/ToewijzingIngangsdatum", "2020-06-01").set(f"{AP}[1]/ToewijzingEinddatum", "2020-12-31")
    assert hits(m.bytes(), "CD095") == []


def test_cd096_wmo317_nieuw_product() -> None:
    data = wmo317().remove(f"{NP}[1]/Product/Code").bytes()
    assert hits(data) == [("CD096", "0001", [f"{NP_LOC}[1]/Einddatum", f"{NP_LOC}[1]/Omvang"])]


def test_cd096_without_product_at_all() -> None:
    m = wmo317().remove(f"{NP}[1]/Product").remove(f"{NP}[1]/Einddatum")
    m.set(f"{NP}[1]/Omvang/Frequentie", "4")  # per week would need an end date (CD076)
    assert hits(m.bytes(), "CD096") == [("CD096", "0001", [f"{NP_LOC}[1]/Omvang"])]


def test_cd096_ending_in_2020_is_exempt() -> None:
    m = wmo317().remove(f"{NP}[1]/Product/Code").set(f"{NP}[1]/Einddatum", "2020-12-31")
    assert hits(m.bytes(), "CD096") == []
