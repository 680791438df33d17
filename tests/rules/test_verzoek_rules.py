"""WMO315 rules specific to the verzoek om toewijzing: CD043, CD066, CD067, CD068, TR383, TR386.

The product-line rules that WMO315 shares with WMO301/317 (CD041, CD075-CD079, CD095, CS003, CS343) are
tested in test_product_rules.py.
"""

from __future__ import annotations

import pytest

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import official_example, our_example

AP = "Client/AangevraagdeProducten/AangevraagdProduct"
LOC = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def msg() -> Msg:
    return Msg(our_example("WMO315"))


def test_our_example_is_clean() -> None:
    assert hits(our_example("WMO315")) == []


def test_official_example_is_clean() -> None:
    assert hits(official_example("WMO315")) == []


# --- CD043 -----------------------------------------------------------------------------------------------


def test_cd043_nummer_without_ingangsdatum() -> None:
    data = msg().remove(f"{AP}[1]/BeschikkingIngangsdatum").bytes()
    assert hits(data) == [("CD043", "0001", [f"{LOC}[1]/BeschikkingNummer"])]


def test_cd043_ingangsdatum_without_nummer() -> None:
    data = msg().remove(f"{AP}[1]/BeschikkingNummer").bytes()
    assert hits(data) == [("CD043", "0001", [f"{LOC}[1]/BeschikkingIngangsdatum"])]


def test_cd043_neither_passes() -> None:
    m = msg().remove(f"{AP}[1]/BeschikkingNummer").remove(f"{AP}[1]/BeschikkingIngangsdatum")
    assert hits(m.bytes()) == []


# --- CD066 / CD067 / CD068 -------------------------------------------------------------------------------

VERWIJZER = f"{LOC}[1]/Verwijzer"


def test_cd066_naam_next_to_zorgverlenercode() -> None:
    m = msg()
    m.append(f"{AP}[1]/Verwijzer", "Naam", "Huisartsenpraktijk De Linde", ns=BASIS, after="Type")
    assert hits(m.bytes()) == [
        ("CD066", "0001", [f"{VERWIJZER}/Type", f"{VERWIJZER}/Naam", f"{VERWIJZER}/ZorgverlenerCode"])
    ]


@pytest.mark.parametrize("type_", ["02", "03", "04", "05"])
def test_cd067_zorgverlener_type_without_code_or_naam(type_: str) -> None:
    m = msg().set(f"{AP}[1]/Verwijzer/Type", type_).remove(f"{AP}[1]/Verwijzer/ZorgverlenerCode")
    assert hits(m.bytes()) == [("CD067", "0001", [f"{VERWIJZER}/Type"])]


def test_cd067_naam_instead_of_code_passes() -> None:
    m = msg().remove(f"{AP}[1]/Verwijzer/ZorgverlenerCode")
    m.append(f"{AP}[1]/Verwijzer", "Naam", "Huisartsenpraktijk De Linde", ns=BASIS)
    assert hits(m.bytes()) == []


@pytest.mark.parametrize("type_", ["01", "06", "08"])
def test_cd068_zorgverlenercode_for_other_types(type_: str) -> None:
    m = msg().set(f"{AP}[1]/Verwijzer/Type", type_)
    assert hits(m.bytes()) == [("CD068", "0001", [f"{VERWIJZER}/Type", f"{VERWIJZER}/ZorgverlenerCode"])]


def test_cd068_does_not_look_at_naam() -> None:
    # Type 08 (justitie) with a Naam and no ZorgverlenerCode: no CD066/CD067/CD068.
    m = msg().set(f"{AP}[3]/Verwijzer/Type", "08")
    assert hits(m.bytes()) == []


def test_cd068_other_type_without_either_passes() -> None:
    m = msg().set(f"{AP}[2]/Verwijzer/Type", "06")
    assert hits(m.bytes()) == []


# --- TR383 -----------------------------------------------------------------------------------------------


def test_tr383_reports_only_the_earlier_referentie() -> None:
    data = msg().set(f"{AP}[2]/ReferentieAanbieder", "VOT-2026-0042-1").bytes()
    assert hits(data, "TR383") == [("TR383", "0001", [f"{LOC}[1]/ReferentieAanbieder"])]


def test_tr383_three_copies_give_three_faults() -> None:
    m = msg().set(f"{AP}[2]/ReferentieAanbieder", "VOT-2026-0042-1")
    m.set(f"{AP}[3]/ReferentieAanbieder", "VOT-2026-0042-1")
    assert hits(m.bytes(), "TR383") == [
        ("TR383", "0001", [f"{LOC}[1]/ReferentieAanbieder"]),
        ("TR383", "0001", [f"{LOC}[1]/ReferentieAanbieder"]),
        ("TR383", "0001", [f"{LOC}[2]/ReferentieAanbieder"]),
    ]


def test_tr383_trims_the_current_side_only() -> None:
    later_padded = msg().set(f"{AP}[2]/ReferentieAanbieder", " VOT-2026-0042-1").bytes()
    assert hits(later_padded, "TR383") == [("TR383", "0001", [f"{LOC}[1]/ReferentieAanbieder"])]
    earlier_padded = msg().set(f"{AP}[1]/ReferentieAanbieder", " VOT-2026-0042-2").bytes()
    assert hits(earlier_padded, "TR383") == []


# --- TR386 -----------------------------------------------------------------------------------------------


def _tweede_als_eerste(m: Msg, begin: str, eind: str | None) -> Msg:
    """Make AangevraagdProduct[2] the same product as [1] (02/02A05) over begin..eind."""
    m.set(f"{AP}[2]/Product/Categorie", "02").set(f"{AP}[2]/Product/Code", "02A05")
    m.set(f"{AP}[2]/ToewijzingIngangsdatum", begin)
    if eind is not None:
        m.append(f"{AP}[2]", "ToewijzingEinddatum", eind, after="ToewijzingIngangsdatum")
    return m


def test_tr386_same_product_same_period() -> None:
    data = _tweede_als_eerste(msg(), "2026-04-01", "2026-12-31").bytes()
    assert hits(data) == [("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"])]


def test_tr386_shared_day_is_an_overlap() -> None:
    data = _tweede_als_eerste(msg(), "2026-12-31", "2027-06-30").bytes()
    assert hits(data) == [("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"])]


def test_tr386_adjacent_periods_pass() -> None:
    assert hits(_tweede_als_eerste(msg(), "2027-01-01", "2027-06-30").bytes()) == []


def test_tr386_open_ended_later_product_after_the_end_passes() -> None:
    assert hits(_tweede_als_eerste(msg(), "2027-01-01", None).bytes()) == []


def test_tr386_open_ended_later_product_inside_the_period_overlaps() -> None:
    data = _tweede_als_eerste(msg(), "2026-12-31", None).bytes()
    assert hits(data) == [("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"])]


def test_tr386_two_open_ended_products_always_overlap() -> None:
    m = _tweede_als_eerste(msg(), "2030-01-01", None).remove(f"{AP}[1]/ToewijzingEinddatum")
    m.set(f"{AP}[1]/Omvang/Frequentie", "4")  # per week needs an end date (CD076)
    assert hits(m.bytes()) == [("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"])]


def test_tr386_category_only_request_is_the_same_product() -> None:
    # AangevraagdProduct[2] on category 02 without code; Omvang must then go (CD095) and a Budget comes in.
    m = _tweede_als_eerste(msg(), "2026-05-01", "2026-08-31").remove(f"{AP}[2]/Product/Code")
    m.remove(f"{AP}[2]/Omvang")
    m.append(f"{AP}[2]", "Budget", "900", after="ToewijzingEinddatum")
    assert hits(m.bytes()) == [("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"])]


def test_tr386_different_code_in_the_same_category_passes() -> None:
    data = _tweede_als_eerste(msg(), "2026-04-01", "2026-12-31").set(f"{AP}[2]/Product/Code", "02A06").bytes()
    assert hits(data) == []


def test_tr386_request_without_product_is_the_same_as_any_other() -> None:
    # [3] (budget, category 14) loses its Product: the same as [1] and [2], which it overlaps. Only the
    # hulpmiddelen exemption could save it, and that needs a category 11-14 on one side.
    m = msg().remove(f"{AP}[3]/Product")
    assert hits(m.bytes()) == [
        ("TR386", "0001", [f"{LOC}[1]", f"{LOC}[3]"]),
        ("TR386", "0001", [f"{LOC}[2]", f"{LOC}[3]"]),
    ]


@pytest.mark.parametrize("categorie", ["11", "12", "13", "14"])
def test_tr386_hulpmiddelen_categories_are_exempt(categorie: str) -> None:
    m = msg().set(f"{AP}[3]/Product/Categorie", categorie).duplicate(f"{AP}[3]")
    m.set(f"{AP}[4]/ReferentieAanbieder", "VOT-2026-0042-4")
    assert hits(m.bytes()) == []


def test_tr386_category_15_is_not_exempt() -> None:
    m = msg().set(f"{AP}[3]/Product/Categorie", "15").duplicate(f"{AP}[3]")
    m.set(f"{AP}[4]/ReferentieAanbieder", "VOT-2026-0042-4")
    assert hits(m.bytes()) == [("TR386", "0001", [f"{LOC}[3]", f"{LOC}[4]"])]


def test_tr386_three_equal_products_give_three_faults() -> None:
    m = _tweede_als_eerste(msg(), "2026-05-01", "2026-05-31").duplicate(f"{AP}[2]")
    m.set(f"{AP}[3]/ReferentieAanbieder", "VOT-2026-0042-9")
    assert hits(m.bytes(), "TR386") == [
        ("TR386", "0001", [f"{LOC}[1]", f"{LOC}[2]"]),
        ("TR386", "0001", [f"{LOC}[1]", f"{LOC}[3]"]),
        ("TR386", "0001", [f"{LOC}[2]", f"{LOC}[3]"]),
    ]
