"""WMO317 rules specific to the verzoek om wijziging: TR352, TR353, TR380, TR410.

The product-line rules that WMO317 shares with WMO301/315 (CD041, CD075-CD079, CD096, CS003, CS338) are
tested in test_product_rules.py.
"""

from __future__ import annotations

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import official_example, our_example

DAGTEKENING = "/Bericht/Header/BerichtIdentificatie/Dagtekening"
VERZOEK = "/Bericht/Client/Verzoek"
NIEUW = f"{VERZOEK}/NieuweProducten/NieuwProduct"
NP = "Client/Verzoek/NieuweProducten/NieuwProduct"


def hits(data: bytes, code: str | None = None) -> list[tuple[str, str | None, list[str]]]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def msg() -> Msg:
    return Msg(our_example("WMO317"))


def test_our_example_is_clean() -> None:
    assert hits(our_example("WMO317")) == []


def test_official_example_breaks_only_tr380() -> None:
    assert hits(official_example("WMO317")) == [
        (
            "TR380",
            "0001",
            [DAGTEKENING, "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum"],
        )
    ]


# --- TR352 / TR353 ---------------------------------------------------------------------------------------


def test_tr352_only_new_products() -> None:
    data = (
        msg()
        .remove("Client/Verzoek/OngewijzigdeProducten")
        .remove("Client/Verzoek/TeWijzigenProducten")
        .bytes()
    )
    assert hits(data) == [("TR352", "0001", [VERZOEK])]


def test_tr352_one_unchanged_product_is_enough() -> None:
    data = msg().remove("Client/Verzoek/TeWijzigenProducten").bytes()
    assert hits(data, "TR352") == []


def test_tr352_one_product_to_change_is_enough() -> None:
    data = msg().remove("Client/Verzoek/OngewijzigdeProducten").bytes()
    assert hits(data, "TR352") == []


def test_tr353_nothing_to_change() -> None:
    data = msg().remove("Client/Verzoek/TeWijzigenProducten").remove("Client/Verzoek/NieuweProducten").bytes()
    assert hits(data) == [("TR353", "0001", [VERZOEK])]


def test_tr353_new_product_alone_is_enough() -> None:
    data = msg().remove("Client/Verzoek/TeWijzigenProducten").bytes()
    assert hits(data, "TR353") == []


def test_tr352_and_tr353_both_at_verzoek_in_code_order() -> None:
    data = (
        msg()
        .remove("Client/Verzoek/OngewijzigdeProducten")
        .remove("Client/Verzoek/TeWijzigenProducten")
        .remove("Client/Verzoek/NieuweProducten")
        .bytes()
    )
    assert hits(data) == [("TR352", "0001", [VERZOEK]), ("TR353", "0001", [VERZOEK])]


# --- TR380 -----------------------------------------------------------------------------------------------


def test_tr380_same_day_is_a_fault() -> None:
    data = msg().set(f"{NP}[1]/GewensteIngangsdatum", "2026-03-09").bytes()
    assert hits(data) == [("TR380", "0001", [DAGTEKENING, f"{NIEUW}[1]/GewensteIngangsdatum"])]


def test_tr380_earlier_day_is_a_fault() -> None:
    data = msg().set(f"{NP}[2]/GewensteIngangsdatum", "2026-02-01").bytes()
    assert hits(data) == [("TR380", "0001", [DAGTEKENING, f"{NIEUW}[2]/GewensteIngangsdatum"])]


def test_tr380_next_day_passes() -> None:
    assert hits(msg().set(f"{NP}[1]/GewensteIngangsdatum", "2026-03-10").bytes()) == []


def test_tr380_does_not_check_te_wijzigen_product() -> None:
    data = msg().set(
        "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct/GewensteIngangsdatum", "2026-01-05"
    )
    assert hits(data.bytes()) == []


# --- TR410 -----------------------------------------------------------------------------------------------


def _tweede_als_eerste(m: Msg, begin: str, eind: str | None) -> Msg:
    """Make NieuwProduct[2] the same product as [1] (07/07A03, with an Omvang) over begin..eind."""
    m.append(f"{NP}[2]/Product", "Code", "07A03", ns=BASIS)
    m.set(f"{NP}[2]/Product/Categorie", "07")
    m.remove(f"{NP}[2]/Budget")
    m.set(f"{NP}[2]/GewensteIngangsdatum", begin)
    if eind is None:
        m.remove(f"{NP}[2]/Einddatum")
    else:
        m.set(f"{NP}[2]/Einddatum", eind)
    m.append(f"{NP}[2]", "Omvang")
    for naam, waarde in (("Volume", "1"), ("Eenheid", "16"), ("Frequentie", "4")):
        m.append(f"{NP}[2]/Omvang", naam, waarde, ns=BASIS)
    return m


def test_tr410_same_product_same_period() -> None:
    data = _tweede_als_eerste(msg(), "2026-06-01", "2026-08-31").bytes()
    assert hits(data) == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_shared_day_is_an_overlap() -> None:
    data = _tweede_als_eerste(msg(), "2026-12-31", "2027-03-31").bytes()
    assert hits(data, "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_adjacent_periods_pass() -> None:
    assert hits(_tweede_als_eerste(msg(), "2027-01-01", "2027-03-31").bytes()) == []


def test_tr410_open_ended_later_product_overlaps() -> None:
    data = _tweede_als_eerste(msg(), "2026-12-01", None).bytes()
    assert hits(data, "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_open_ended_earlier_product_overlaps_later_one() -> None:
    m = _tweede_als_eerste(msg(), "2027-02-01", "2027-03-31").remove(f"{NP}[1]/Einddatum")
    assert hits(m.bytes(), "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_category_only_product_is_the_same_product() -> None:
    # NieuwProduct[2] asks for category 07 without a code: same product as 07/07A03 on category level.
    m = _tweede_als_eerste(msg(), "2026-06-01", "2026-08-31").remove(f"{NP}[2]/Product/Code")
    m.remove(f"{NP}[2]/Omvang")
    m.append(f"{NP}[2]", "Budget", "400")
    assert hits(m.bytes(), "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_different_code_in_same_category_passes() -> None:
    m = _tweede_als_eerste(msg(), "2026-06-01", "2026-08-31").set(f"{NP}[2]/Product/Code", "07A04")
    assert hits(m.bytes()) == []


def test_tr410_product_without_product_element_is_the_same_as_any() -> None:
    # NieuwProduct[2] keeps its Budget but loses Product: "the same" as [1], which it overlaps.
    data = msg().remove(f"{NP}[2]/Product").bytes()
    assert hits(data, "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"])]


def test_tr410_hulpmiddelen_categories_are_exempt() -> None:
    # Categorie 14 on either side: the pair is never a fault, also not against a product without Product.
    m = msg().set(f"{NP}[2]/Product/Categorie", "14").duplicate(f"{NP}[2]")
    m.remove(f"{NP}[3]/Product")
    assert hits(m.bytes(), "TR410") == [("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[3]"])]


def test_tr410_three_equal_products_give_three_faults() -> None:
    m = _tweede_als_eerste(msg(), "2026-04-01", "2026-12-31").duplicate(f"{NP}[2]")
    m.set(f"{NP}[3]/GewensteIngangsdatum", "2026-05-01")  # keeps TR101 (same key) out of the picture
    m.set(f"{NP}[2]/GewensteIngangsdatum", "2026-04-15")
    assert hits(m.bytes(), "TR410") == [
        ("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[2]"]),
        ("TR410", "0001", [f"{NIEUW}[1]", f"{NIEUW}[3]"]),
        ("TR410", "0001", [f"{NIEUW}[2]", f"{NIEUW}[3]"]),
    ]


def test_tr410_ignores_te_wijzigen_products() -> None:
    # Only NieuwProduct siblings are compared; a single NieuwProduct never conflicts.
    data = msg().remove(f"{NP}[2]").bytes()
    assert hits(data) == []
