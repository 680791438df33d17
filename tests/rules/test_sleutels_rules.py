"""TR101 (sleutels.py): no duplicate lines, per berichtklasse and its logical key, in every message type that has it.

Each test duplicates a line of one of our examples (or changes a key field of the copy) and checks that exactly
the duplicates are reported, once per group, at every member.
"""

from __future__ import annotations

import pytest

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import official_example, our_example

TP = "Client/ToegewezenProducten/ToegewezenProduct"
TP_LOC = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"
CONTACT = "Client/Contactgegevens/Contact"
CONTACT_LOC = "/Bericht/Client/Contactgegevens/Contact"
SP = "Client/StartProducten/StartProduct"
SP_LOC = "/Bericht/Client/StartProducten/StartProduct"
STP = "Client/StopProducten/StopProduct"
STP_LOC = "/Bericht/Client/StopProducten/StopProduct"
VERZOEK = "Client/Verzoek"
PRESTATIE_323 = "Declaratie/Clienten/Client/Prestaties/Prestatie"
CLIENT_323 = "Declaratie/Clienten/Client"
CLIENT_325 = "DeclaratieAntwoord/Clienten/Client"
PRESTATIE_325 = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"


def tr101(data: bytes) -> list[list[str]]:
    """The locations of every TR101 finding, in order (other rules may fire on the same edit)."""
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    for f in uitslag.errors:
        if f.code == "TR101":
            assert f.retourcode == "0001"
    return [list(f.locatie) for f in uitslag.errors if f.code == "TR101"]


def example(naam: str) -> Msg:
    return Msg(our_example(naam))


@pytest.mark.parametrize(
    "naam", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]
)
def test_examples_have_no_duplicate_lines(naam: str) -> None:
    assert tr101(our_example(naam)) == []


@pytest.mark.parametrize("naam", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323"])
def test_official_examples_have_no_duplicate_lines(naam: str) -> None:
    # There is no official WMO325 example.
    assert tr101(official_example(naam)) == []


# --- WMO301 ----------------------------------------------------------------------------------------------


def test_wmo301_duplicate_toegewezen_product() -> None:
    data = example("WMO301").duplicate(f"{TP}[1]").bytes()
    assert tr101(data) == [[f"{TP_LOC}[1]", f"{TP_LOC}[2]"]]


def test_wmo301_three_equal_toegewezen_products_give_one_fault_at_all_three() -> None:
    data = example("WMO301").duplicate(f"{TP}[2]").duplicate(f"{TP}[2]").bytes()
    assert tr101(data) == [[f"{TP_LOC}[2]", f"{TP_LOC}[3]", f"{TP_LOC}[4]"]]


def test_wmo301_only_the_toewijzingnummer_is_the_key() -> None:
    # A copy with another ToewijzingNummer is no duplicate (TR302 judges its period; not under test here).
    m = example("WMO301").duplicate(f"{TP}[1]").set(f"{TP}[2]/ToewijzingNummer", "260453")
    assert tr101(m.bytes()) == []


def test_wmo301_key_is_raw_text_so_leading_zero_differs() -> None:
    m = example("WMO301").duplicate(f"{TP}[1]").set(f"{TP}[2]/ToewijzingNummer", "0260451")
    assert tr101(m.bytes()) == []


def test_wmo301_contacts_with_the_same_soort() -> None:
    m = example("WMO301").duplicate(CONTACT).duplicate(CONTACT)
    m.set(f"{CONTACT}[2]/Soort", "02")
    assert tr101(m.bytes()) == [[f"{CONTACT_LOC}[1]", f"{CONTACT_LOC}[3]"]]


def test_wmo301_two_groups_come_out_in_the_order_they_complete() -> None:
    # Soort 01, 02, 02, 01: the 02-group completes at [3], before the 01-group completes at [4].
    m = example("WMO301")
    for _ in range(3):
        m.duplicate(CONTACT)
    m.set(f"{CONTACT}[2]/Soort", "02").set(f"{CONTACT}[3]/Soort", "02")
    assert tr101(m.bytes()) == [
        [f"{CONTACT_LOC}[2]", f"{CONTACT_LOC}[3]"],
        [f"{CONTACT_LOC}[1]", f"{CONTACT_LOC}[4]"],
    ]


def test_wmo301_relaties_with_the_same_nummer() -> None:
    m = example("WMO301").duplicate("Client/Relaties/Relatie").set("Client/Relaties/Relatie[2]/Volgorde", "2")
    assert tr101(m.bytes()) == [
        ["/Bericht/Client/Relaties/Relatie[1]", "/Bericht/Client/Relaties/Relatie[2]"]
    ]


def test_wmo301_relaties_with_different_nummers_pass() -> None:
    m = example("WMO301").duplicate("Client/Relaties/Relatie").set("Client/Relaties/Relatie[2]/Nummer", "2")
    assert tr101(m.bytes()) == []


def test_wmo301_findings_at_contactgegevens_come_before_those_at_toegewezen_producten() -> None:
    m = example("WMO301").duplicate(f"{TP}[1]").duplicate(CONTACT)
    assert tr101(m.bytes()) == [
        [f"{CONTACT_LOC}[1]", f"{CONTACT_LOC}[2]"],
        [f"{TP_LOC}[1]", f"{TP_LOC}[2]"],
    ]


# --- WMO305 / WMO307 -------------------------------------------------------------------------------------


def test_wmo305_duplicate_start() -> None:
    data = example("WMO305").duplicate(f"{SP}[2]").bytes()
    assert tr101(data) == [[f"{SP_LOC}[2]", f"{SP_LOC}[3]"]]


def test_wmo305_toewijzingingangsdatum_and_status_are_not_part_of_the_key() -> None:
    m = example("WMO305").duplicate(f"{SP}[1]")
    m.set(f"{SP}[2]/ToewijzingIngangsdatum", "2026-03-01").set(f"{SP}[2]/StatusAanlevering", "3")
    assert tr101(m.bytes()) == [[f"{SP_LOC}[1]", f"{SP_LOC}[2]"]]


@pytest.mark.parametrize(
    ("veld", "waarde"),
    [
        ("Begindatum", "2026-04-03"),
        ("Product/Code", "02A06"),
        ("Product/Categorie", "03"),
        ("ToewijzingNummer", "0260451"),
    ],
)
def test_wmo305_each_key_field_counts(veld: str, waarde: str) -> None:
    m = example("WMO305").duplicate(f"{SP}[1]").set(f"{SP}[2]/{veld}", waarde)
    assert tr101(m.bytes()) == []


def test_wmo305_absent_key_fields_on_both_sides_are_equal() -> None:
    m = (
        example("WMO305")
        .remove(f"{SP}[1]/ToewijzingNummer")
        .remove(f"{SP}[1]/Product/Code")
        .duplicate(f"{SP}[1]")
    )
    assert tr101(m.bytes()) == [[f"{SP_LOC}[1]", f"{SP_LOC}[2]"]]


def test_wmo305_absent_on_one_side_only_is_not_a_duplicate() -> None:
    m = example("WMO305").duplicate(f"{SP}[1]").remove(f"{SP}[2]/ToewijzingNummer")
    assert tr101(m.bytes()) == []


def test_wmo307_duplicate_stop() -> None:
    data = example("WMO307").duplicate(STP).bytes()
    assert tr101(data) == [[f"{STP_LOC}[1]", f"{STP_LOC}[2]"]]


def test_wmo307_another_reden_beeindiging_is_another_stop() -> None:
    m = example("WMO307").duplicate(STP).set(f"{STP}[2]/RedenBeeindiging", "02")
    assert tr101(m.bytes()) == []


def test_wmo307_another_einddatum_is_another_stop() -> None:
    m = example("WMO307").duplicate(STP).set(f"{STP}[2]/Einddatum", "2026-09-29")
    assert tr101(m.bytes()) == []


# --- WMO315 / WMO317 -------------------------------------------------------------------------------------


def test_wmo315_duplicate_aangevraagd_product() -> None:
    data = example("WMO315").duplicate("Client/AangevraagdeProducten/AangevraagdProduct[3]").bytes()
    loc = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct"
    assert tr101(data) == [[f"{loc}[3]", f"{loc}[4]"]]


def test_wmo317_duplicate_ongewijzigd_product() -> None:
    data = example("WMO317").duplicate(f"{VERZOEK}/OngewijzigdeProducten/OngewijzigdProduct").bytes()
    loc = "/Bericht/Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct"
    assert tr101(data) == [[f"{loc}[1]", f"{loc}[2]"]]


def test_wmo317_duplicate_te_wijzigen_product() -> None:
    data = example("WMO317").duplicate(f"{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct").bytes()
    loc = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
    assert tr101(data) == [[f"{loc}[1]", f"{loc}[2]"]]


def test_wmo317_same_toewijzing_as_ongewijzigd_and_te_wijzigen_is_not_compared() -> None:
    m = example("WMO317").set(
        f"{VERZOEK}/OngewijzigdeProducten/OngewijzigdProduct/ToewijzingNummer", "26000312"
    )
    assert tr101(m.bytes()) == []


def test_wmo317_nieuw_product_key_ignores_einddatum_and_omvang() -> None:
    np = f"{VERZOEK}/NieuweProducten/NieuwProduct"
    m = example("WMO317").duplicate(f"{np}[1]").set(f"{np}[2]/Einddatum", "2026-06-30")
    m.set(f"{np}[2]/Omvang/Volume", "1")
    loc = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct"
    assert tr101(m.bytes()) == [[f"{loc}[1]", f"{loc}[2]"]]


def test_wmo317_nieuw_product_on_another_date_is_another_line() -> None:
    np = f"{VERZOEK}/NieuweProducten/NieuwProduct"
    m = example("WMO317").duplicate(f"{np}[1]").set(f"{np}[2]/GewensteIngangsdatum", "2027-01-01")
    m.set(f"{np}[2]/Einddatum", "2027-06-30")
    assert tr101(m.bytes()) == []


# --- WMO323 / WMO325 -------------------------------------------------------------------------------------


def test_wmo323_duplicate_prestatie() -> None:
    data = example("WMO323").duplicate(f"{PRESTATIE_323}[2]").bytes()
    loc = f"/Bericht/{PRESTATIE_323}"
    assert tr101(data) == [[f"{loc}[2]", f"{loc}[3]"]]


def test_wmo323_credit_line_with_vorig_referentienummer_has_its_own_key() -> None:
    m = example("WMO323").duplicate(f"{PRESTATIE_323}[2]")
    m.append(f"{PRESTATIE_323}[3]/ProductReferentie", "VorigReferentieNummer", "P2026-04-0002", ns=BASIS)
    assert tr101(m.bytes()) == []


def test_wmo323_duplicate_client_is_reported_once_at_client_level() -> None:
    # Both Clients hold the same Prestaties, but children of different parents are never compared.
    data = example("WMO323").duplicate(CLIENT_323).bytes()
    loc = f"/Bericht/{CLIENT_323}"
    assert tr101(data) == [[f"{loc}[1]", f"{loc}[2]"]]


def test_wmo323_duplicate_client_melding_names_the_key_but_never_the_bsn() -> None:
    uitslag = validate(example("WMO323").duplicate(CLIENT_323).bytes())
    (finding,) = [f for f in uitslag.errors if f.code == "TR101"]
    assert "Bsn" in finding.melding and "Client" in finding.melding
    assert "207416035" not in finding.melding


def test_wmo325_duplicate_prestatie_and_client() -> None:
    m = example("WMO325").duplicate(PRESTATIE_325)
    assert tr101(m.bytes()) == [[f"/Bericht/{PRESTATIE_325}[1]", f"/Bericht/{PRESTATIE_325}[2]"]]
    data = example("WMO325").duplicate(CLIENT_325).bytes()
    assert tr101(data) == [[f"/Bericht/{CLIENT_325}[1]", f"/Bericht/{CLIENT_325}[2]"]]


def test_wmo325_clients_with_different_bsn_pass() -> None:
    m = example("WMO325").duplicate(CLIENT_325).set(f"{CLIENT_325}[2]/Bsn", "111222333")
    assert tr101(m.bytes()) == []
