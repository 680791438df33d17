"""Client, name, birth date, contact and address rules (client.py, adres.py).

CS002, CS050, CS139, TR002, CD007 on the client; CD005, CD009, CD025, CD034, CS089, TR006, TR061 on the
contacts of a WMO301. Every message is one of our examples with a small edit, so each test shows what differs.
"""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.validation.findings import TRANSPORT_CODES
from gateway.validation.rules.adres import nederlandse_postcode
from gateway.validation.rules.client import datum_past_bij_gebruik, elfproef
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import official_example, our_example

MIJN_CODES = {
    "CD005",
    "CD007",
    "CD009",
    "CD025",
    "CD034",
    "CS002",
    "CS050",
    "CS089",
    "CS139",
    "TR002",
    "TR006",
    "TR061",
}

DAGTEKENING = "/Bericht/Header/BerichtIdentificatie/Dagtekening"
CONTACT = "Client/Contactgegevens/Contact"
CONTACT_LOC = "/Bericht/Client/Contactgegevens/Contact"
RELATIE = "Client/Relaties/Relatie"
RELATIE_LOC = "/Bericht/Client/Relaties/Relatie"
ADRES = f"{CONTACT}/Adres"
ADRES_LOC = f"{CONTACT_LOC}/Adres"
# A BSN that fails the 11-proef: 9+16+21+24+25+24+21+16-9 = 147, and 147 mod 11 = 4.
FOUT_BSN = "123456789"

Hit = tuple[str, str | None, list[str]]


def hits(data: bytes, code: str | None = None) -> list[Hit]:
    uitslag = validate(data)
    transport = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
    assert not transport, f"the edited message must stay XSD-valid: {transport}"
    return [(f.code, f.retourcode, list(f.locatie)) for f in uitslag.errors if code in (None, f.code)]


def mine(data: bytes) -> list[Hit]:
    return [h for h in hits(data) if h[0] in MIJN_CODES]


def wmo(naam: str) -> Msg:
    return Msg(our_example(naam))


def wmo301() -> Msg:
    """Our toewijzing: one client Contact (Soort 01, NL address with Huis and Postcode) and one Relatie whose
    Contact is Soort 02 with only a Telefoon and an e-mail address; Dagtekening 2026-03-11."""
    return wmo("WMO301")


def _voeg_in(m: Msg, path: str, element: etree._Element, *, na: str) -> None:
    """Insert a built element right after the child `na` of `path` (the XSD fixes the order)."""
    m.el(f"{path}/{na}").addnext(element)


def _telefoon(ns: str) -> etree._Element:
    telefoon = etree.Element(f"{{{ns}}}Telefoon")
    nummer = etree.SubElement(telefoon, f"{{{BASIS}}}Telefoon01")
    etree.SubElement(nummer, f"{{{BASIS}}}Telefoonnummer").text = "0101234567"
    etree.SubElement(nummer, f"{{{BASIS}}}Landnummer").text = "0031"
    return telefoon


def _partnernaam(achternaam: str = "Jansen") -> etree._Element:
    partner = etree.Element(f"{{{BASIS}}}Partnernaam")
    etree.SubElement(partner, f"{{{BASIS}}}Achternaam").text = achternaam
    return partner


def _geboortedatum(m: Msg, path: str, datum: str, gebruik: str | None = None) -> None:
    """Set the Geboortedatum under `path` to this Datum and DatumGebruik (None: no DatumGebruik)."""
    m.set(f"{path}/Geboortedatum/Datum", datum)
    if m.has(f"{path}/Geboortedatum/DatumGebruik"):
        m.remove(f"{path}/Geboortedatum/DatumGebruik")
    if gebruik is not None:
        m.append(f"{path}/Geboortedatum", "DatumGebruik", gebruik, ns=BASIS)


# --- every example stays clean -----------------------------------------------------------------------------

ALLE_BERICHTEN = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]


@pytest.mark.parametrize("naam", ALLE_BERICHTEN)
def test_our_examples_break_none_of_these_rules(naam: str) -> None:
    assert mine(our_example(naam)) == []


@pytest.mark.parametrize("naam", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323"])
def test_official_examples_break_none_of_these_rules(naam: str) -> None:
    assert mine(official_example(naam)) == []


# --- CS002: BSN 11-proef -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bsn", "goed"),
    [
        ("207416035", True),
        ("111222333", True),
        ("000000000", True),  # the validator lets the all-zero number pass
        (FOUT_BSN, False),
        ("207416036", False),
        ("", False),
        ("+20741603", False),  # not a number the way XPath reads it
    ],
)
def test_elfproef(bsn: str, goed: bool) -> None:
    assert elfproef(bsn) is goed


@pytest.mark.parametrize("naam", ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317"])
def test_cs002_client_bsn_failing_the_elfproef_is_rejected(naam: str) -> None:
    data = wmo(naam).set("Client/Bsn", FOUT_BSN).bytes()
    assert hits(data, "CS002") == [("CS002", "0001", ["/Bericht/Client/Bsn"])]


def test_cs002_bsn_passing_the_elfproef_is_accepted() -> None:
    assert hits(wmo301().set("Client/Bsn", "111222333").bytes(), "CS002") == []
    assert hits(wmo301().set("Client/Bsn", "000000000").bytes(), "CS002") == []


def test_cs002_wmo323_second_client_is_located_by_index() -> None:
    m = wmo("WMO323").duplicate("Declaratie/Clienten/Client")
    m.set("Declaratie/Clienten/Client[2]/Bsn", FOUT_BSN)
    assert hits(m.bytes(), "CS002") == [("CS002", "0001", ["/Bericht/Declaratie/Clienten/Client[2]/Bsn"])]


def test_cs002_wmo325_declaratie_antwoord_client() -> None:
    data = wmo("WMO325").set("DeclaratieAntwoord/Clienten/Client/Bsn", FOUT_BSN).bytes()
    assert hits(data, "CS002") == [("CS002", "0001", ["/Bericht/DeclaratieAntwoord/Clienten/Client/Bsn"])]


def test_cs002_melding_says_what_to_do_and_never_shows_the_bsn() -> None:
    uitslag = validate(wmo301().set("Client/Bsn", FOUT_BSN).bytes())
    [finding] = [f for f in uitslag.errors if f.code == "CS002"]
    assert finding.melding.startswith("CS002: ")
    assert "11-proef" in finding.melding and "opnieuw" in finding.melding
    assert FOUT_BSN not in finding.melding


# --- CS050: NaamGebruik and Partnernaam -------------------------------------------------------------------

NAAMGEBRUIK_LOC = "/Bericht/Client/Naam/NaamGebruik"
PARTNERNAAM_LOC = "/Bericht/Client/Naam/Partnernaam"


@pytest.mark.parametrize("waarde", ["2", "3", "4", "5", "6"])
def test_cs050_without_partnernaam_only_eigen_naam_is_allowed(waarde: str) -> None:
    data = wmo301().set("Client/Naam/NaamGebruik", waarde).bytes()
    assert hits(data) == [("CS050", "0001", [NAAMGEBRUIK_LOC])]


@pytest.mark.parametrize("waarde", ["1", "2", "3", "4"])
def test_cs050_with_partnernaam_values_one_to_four_are_allowed(waarde: str) -> None:
    m = wmo301()
    _voeg_in(m, "Client/Naam", _partnernaam(), na="Geslachtsnaam")
    m.set("Client/Naam/NaamGebruik", waarde)
    assert mine(m.bytes()) == []


@pytest.mark.parametrize("waarde", ["5", "6"])
def test_cs050_with_partnernaam_five_and_six_are_rejected_at_both(waarde: str) -> None:
    m = wmo301()
    _voeg_in(m, "Client/Naam", _partnernaam(), na="Geslachtsnaam")
    m.set("Client/Naam/NaamGebruik", waarde)
    assert hits(m.bytes()) == [("CS050", "0001", [PARTNERNAAM_LOC, NAAMGEBRUIK_LOC])]


def test_cs050_applies_to_the_relatie_name_too() -> None:
    data = wmo301().set(f"{RELATIE}/Naam/NaamGebruik", "2").bytes()
    assert hits(data) == [("CS050", "0001", [f"{RELATIE_LOC}/Naam/NaamGebruik"])]


# --- CS139: DatumGebruik fits Datum -----------------------------------------------------------------------

GEBOORTE_LOC = ["/Bericht/Client/Geboortedatum/Datum", "/Bericht/Client/Geboortedatum/DatumGebruik"]


@pytest.mark.parametrize(
    ("datum", "gebruik", "past"),
    [
        ("1948-11-01", "1", True),
        ("1948-11-13", "1", False),
        ("1948-11-01 ", "1", False),  # untrimmed, as the validator compares
        ("1948-01-01", "2", True),
        ("1948-08-01", "2", False),
        ("1948-01-02", "2", False),
        ("1900-01-01", "3", True),
        ("1900-01-02", "3", False),
        ("1948-11-23", "", True),  # not a DatumGebruik the rule knows: nothing to check
    ],
)
def test_datum_past_bij_gebruik(datum: str, gebruik: str, past: bool) -> None:
    assert datum_past_bij_gebruik(datum, gebruik) is past


@pytest.mark.parametrize(
    ("datum", "gebruik"), [("1948-11-01", "1"), ("1948-01-01", "2"), ("1900-01-01", "3")]
)
def test_cs139_date_that_fits_its_datumgebruik_passes(datum: str, gebruik: str) -> None:
    m = wmo301()
    _geboortedatum(m, "Client", datum, gebruik)
    assert mine(m.bytes()) == []


@pytest.mark.parametrize(("datum", "gebruik"), [("1948-11-13", "1"), ("1948-08-01", "2")])
def test_cs139_date_that_does_not_fit_is_rejected_at_datum_and_datumgebruik(datum: str, gebruik: str) -> None:
    m = wmo301()
    _geboortedatum(m, "Client", datum, gebruik)
    assert hits(m.bytes()) == [("CS139", "0001", GEBOORTE_LOC)]


def test_cs139_whitespace_padded_date_does_not_fit() -> None:
    m = wmo301()
    _geboortedatum(m, "Client", "1948-11-01 ", "1")
    assert hits(m.bytes(), "CS139") == [("CS139", "0001", GEBOORTE_LOC)]


def test_cs139_without_datumgebruik_nothing_is_checked() -> None:
    m = wmo301()
    _geboortedatum(m, "Client", "1948-11-13")
    assert mine(m.bytes()) == []


def test_cs139_unknown_date_that_is_not_1900_also_gets_tr002_first() -> None:
    # TR002 is anchored at Datum, CS139 at Geboortedatum: post-order puts TR002 first.
    m = wmo301()
    _geboortedatum(m, "Client", "1900-01-02", "3")
    assert hits(m.bytes()) == [
        ("TR002", "0001", [DAGTEKENING, "/Bericht/Client/Geboortedatum/Datum"]),
        ("CS139", "0001", GEBOORTE_LOC),
    ]


def test_cs139_relatie_geboortedatum() -> None:
    m = wmo301()
    geboorte = etree.Element(f"{{{m.ns}}}Geboortedatum")
    etree.SubElement(geboorte, f"{{{BASIS}}}Datum").text = "1975-06-15"
    etree.SubElement(geboorte, f"{{{BASIS}}}DatumGebruik").text = "2"
    _voeg_in(m, RELATIE, geboorte, na="Soort")
    assert hits(m.bytes()) == [
        ("CS139", "0001", [f"{RELATIE_LOC}/Geboortedatum/Datum", f"{RELATIE_LOC}/Geboortedatum/DatumGebruik"])
    ]


@pytest.mark.parametrize("naam", ["WMO305", "WMO307", "WMO315"])
def test_cs139_other_messages_with_a_geboortedatum(naam: str) -> None:
    m = wmo(naam)
    _geboortedatum(m, "Client", "1948-11-23", "1")
    assert hits(m.bytes()) == [("CS139", "0001", GEBOORTE_LOC)]


# --- TR002: at most 120 years before Dagtekening -----------------------------------------------------------

DATUM_LOC = "/Bericht/Client/Geboortedatum/Datum"


def test_tr002_exactly_120_years_before_dagtekening_passes() -> None:
    m = wmo301()  # Dagtekening 2026-03-11
    _geboortedatum(m, "Client", "1906-03-11")
    assert mine(m.bytes()) == []


def test_tr002_one_day_more_than_120_years_is_rejected() -> None:
    m = wmo301()
    _geboortedatum(m, "Client", "1906-03-10")
    assert hits(m.bytes()) == [("TR002", "0001", [DAGTEKENING, DATUM_LOC])]


def test_tr002_wmo307_boundary() -> None:
    goed = wmo("WMO307")  # Dagtekening 2026-10-05
    _geboortedatum(goed, "Client", "1906-10-05")
    assert hits(goed.bytes(), "TR002") == []
    fout = wmo("WMO307")
    _geboortedatum(fout, "Client", "1906-10-04")
    assert hits(fout.bytes(), "TR002") == [("TR002", "0001", [DAGTEKENING, DATUM_LOC])]


@pytest.mark.parametrize("naam", ["WMO305", "WMO315"])
def test_tr002_other_messages(naam: str) -> None:
    m = wmo(naam)
    _geboortedatum(m, "Client", "1890-05-05")
    assert hits(m.bytes(), "TR002") == [("TR002", "0001", [DAGTEKENING, DATUM_LOC])]


def test_tr002_unknown_birth_date_is_exempt() -> None:
    m = wmo301()
    _geboortedatum(m, "Client", "1900-01-01", "3")
    assert mine(m.bytes()) == []


def test_tr002_1900_01_01_without_datumgebruik_3_is_checked() -> None:
    m = wmo301()
    _geboortedatum(m, "Client", "1900-01-01")
    assert hits(m.bytes()) == [("TR002", "0001", [DAGTEKENING, DATUM_LOC])]


def test_tr002_relatie_birth_date() -> None:
    m = wmo301()
    geboorte = etree.Element(f"{{{m.ns}}}Geboortedatum")
    etree.SubElement(geboorte, f"{{{BASIS}}}Datum").text = "1901-01-01"
    _voeg_in(m, RELATIE, geboorte, na="Soort")
    assert hits(m.bytes()) == [("TR002", "0001", [DAGTEKENING, f"{RELATIE_LOC}/Geboortedatum/Datum"])]


# --- CD007: Taal if and only if Vorm 1 --------------------------------------------------------------------

VORM_LOC = "/Bericht/Client/Communicatie/Vorm"
TAAL_LOC = "/Bericht/Client/Communicatie/Taal"


def test_cd007_interpreter_without_taal_is_rejected_at_vorm() -> None:
    data = wmo301().remove("Client/Communicatie/Taal").bytes()
    assert hits(data) == [("CD007", "0001", [VORM_LOC])]


@pytest.mark.parametrize("vorm", ["2", "3"])
def test_cd007_taal_with_another_vorm_is_rejected_at_both(vorm: str) -> None:
    data = wmo301().set("Client/Communicatie/Vorm", vorm).bytes()
    assert hits(data) == [("CD007", "0001", [VORM_LOC, TAAL_LOC])]


def test_cd007_other_vorm_without_taal_passes() -> None:
    m = wmo301().remove("Client/Communicatie/Taal").set("Client/Communicatie/Vorm", "2")
    assert mine(m.bytes()) == []


# --- CD005: Postcode and LandCode together ------------------------------------------------------------------


def test_cd005_postcode_without_landcode_is_rejected_at_postcode() -> None:
    data = wmo301().remove(f"{ADRES}/LandCode").bytes()
    assert hits(data) == [("CD005", "0001", [f"{ADRES_LOC}/Postcode"])]


def test_cd005_landcode_without_postcode_is_rejected_at_landcode_then_cs089() -> None:
    # Without Postcode the Soort 01 contact also misses CD034 and (no Telefoon) TR006's postcode check.
    data = wmo301().remove(f"{ADRES}/Postcode").bytes()
    assert hits(data) == [
        ("CD005", "0001", [f"{ADRES_LOC}/LandCode"]),
        ("CS089", "0001", [f"{ADRES_LOC}/LandCode"]),
        ("CD034", "0001", [f"{CONTACT_LOC}/Soort"]),
        ("TR006", "0001", [CONTACT_LOC]),
    ]


def test_cd005_foreign_address_with_both_passes() -> None:
    m = wmo301().set(f"{ADRES}/LandCode", "BE").set(f"{ADRES}/Postcode", "1000")
    assert mine(m.bytes()) == []


def test_cd005_relatie_address_with_postcode_only() -> None:
    m = wmo301()
    adres = etree.Element(f"{{{m.ns}}}Adres")
    etree.SubElement(adres, f"{{{BASIS}}}Postcode").text = "3011AB"
    _voeg_in(m, f"{RELATIE}/Contact", adres, na="Soort")
    assert hits(m.bytes()) == [("CD005", "0001", [f"{RELATIE_LOC}/Contact/Adres/Postcode"])]


# --- CD009: Periode only for Soort 04 -----------------------------------------------------------------------


def test_cd009_periode_on_a_brp_address_is_rejected() -> None:
    m = wmo301()
    m.append(CONTACT, "Periode")
    m.append(f"{CONTACT}/Periode", "Begindatum", "2026-01-01", ns=BASIS)
    assert hits(m.bytes()) == [("CD009", "0001", [f"{CONTACT_LOC}/Soort", f"{CONTACT_LOC}/Periode"])]


def test_cd009_an_empty_periode_counts_too() -> None:
    m = wmo301()
    m.append(f"{RELATIE}/Contact", "Periode")
    loc = [f"{RELATIE_LOC}/Contact/Soort", f"{RELATIE_LOC}/Contact/Periode"]
    assert hits(m.bytes()) == [("CD009", "0001", loc)]


def test_cd009_periode_on_a_temporary_address_passes() -> None:
    m = wmo301().set(f"{RELATIE}/Contact/Soort", "04")
    m.append(f"{RELATIE}/Contact", "Periode")
    m.append(f"{RELATIE}/Contact/Periode", "Begindatum", "2026-03-01", ns=BASIS)
    m.append(f"{RELATIE}/Contact/Periode", "Einddatum", "2026-06-30", ns=BASIS)
    assert mine(m.bytes()) == []


# --- CD025: Huis for a Dutch address ----------------------------------------------------------------------


def test_cd025_dutch_address_without_huis_is_rejected_at_landcode() -> None:
    data = wmo301().remove(f"{ADRES}/Huis").bytes()
    assert hits(data) == [
        ("CD025", "0001", [f"{ADRES_LOC}/LandCode"]),
        ("TR006", "0001", [CONTACT_LOC]),
    ]


def test_cd025_foreign_address_without_huis_needs_no_huisnummer() -> None:
    m = wmo301().remove(f"{ADRES}/Huis").set(f"{ADRES}/LandCode", "DE").set(f"{ADRES}/Postcode", "10115")
    _voeg_in(m, CONTACT, _telefoon(m.ns), na="Adres")
    assert mine(m.bytes()) == []


# --- CD034: Postcode for Soort 01 and 03 -----------------------------------------------------------------


def _zonder_postcode(m: Msg, soort: str) -> Msg:
    """The client contact with this Soort, a Telefoon, and an address without Postcode and LandCode."""
    m.set(f"{CONTACT}/Soort", soort).remove(f"{ADRES}/Postcode").remove(f"{ADRES}/LandCode")
    _voeg_in(m, CONTACT, _telefoon(m.ns), na="Adres")
    return m


@pytest.mark.parametrize("soort", ["01", "03"])
def test_cd034_brp_or_verblijf_address_without_postcode_is_rejected_at_soort(soort: str) -> None:
    data = _zonder_postcode(wmo301(), soort).bytes()
    assert hits(data) == [("CD034", "0001", [f"{CONTACT_LOC}/Soort"])]


def test_cd034_correspondence_address_without_postcode_passes() -> None:
    assert mine(_zonder_postcode(wmo301(), "02").bytes()) == []


def test_cd034_missing_adres_counts_as_missing_postcode() -> None:
    m = wmo301().set(f"{RELATIE}/Contact/Soort", "01")
    assert hits(m.bytes()) == [("CD034", "0001", [f"{RELATIE_LOC}/Contact/Soort"])]


# --- CS089: Dutch postcode format -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "goed"),
    [
        ("3011AB", True),
        ("1234ab", True),
        ("9999ZZ", True),
        ("1234 AB", False),
        ("0234AB", False),
        (" 1234AB", False),
        ("1234AB ", False),
        ("12345A", False),
        ("1234A", False),
        (None, False),
    ],
)
def test_nederlandse_postcode(postcode: str | None, goed: bool) -> None:
    assert nederlandse_postcode(postcode) is goed


@pytest.mark.parametrize("postcode", ["1234 AB", "0234AB", " 1234AB", "ABCD12"])
def test_cs089_dutch_address_with_a_foreign_postcode_format_is_rejected(postcode: str) -> None:
    data = wmo301().set(f"{ADRES}/Postcode", postcode).bytes()
    assert hits(data) == [("CS089", "0001", [f"{ADRES_LOC}/Postcode", f"{ADRES_LOC}/LandCode"])]


def test_cs089_lower_case_letters_pass() -> None:
    assert mine(wmo301().set(f"{ADRES}/Postcode", "3011ab").bytes()) == []


def test_cs089_only_for_landcode_nl() -> None:
    assert mine(wmo301().set(f"{ADRES}/LandCode", "BE").set(f"{ADRES}/Postcode", "B-1000").bytes()) == []


# --- TR006: Telefoon, or Huis and Postcode ----------------------------------------------------------------


def test_tr006_contact_with_only_an_email_address_gets_two_faults() -> None:
    data = wmo301().remove(f"{RELATIE}/Contact/Telefoon").bytes()
    contact = f"{RELATIE_LOC}/Contact"
    assert hits(data) == [("TR006", "0001", [contact]), ("TR006", "0001", [contact])]


def test_tr006_huis_without_postcode_gets_one_fault() -> None:
    m = wmo301().set(f"{CONTACT}/Soort", "02").remove(f"{ADRES}/Postcode").remove(f"{ADRES}/LandCode")
    assert hits(m.bytes()) == [("TR006", "0001", [CONTACT_LOC])]


def test_tr006_postcode_without_huis_gets_one_fault() -> None:
    m = wmo301().remove(f"{ADRES}/Huis").set(f"{ADRES}/LandCode", "BE").set(f"{ADRES}/Postcode", "1000")
    assert hits(m.bytes()) == [("TR006", "0001", [CONTACT_LOC])]


def test_tr006_telefoon_alone_is_enough() -> None:
    m = wmo301().remove(f"{CONTACT}/Adres").set(f"{CONTACT}/Soort", "02")
    _voeg_in(m, CONTACT, _telefoon(m.ns), na="Soort")
    assert mine(m.bytes()) == []


# --- TR061: at least one address of Soort 01, 02 or 03 ----------------------------------------------------


def test_tr061_only_temporary_addresses_is_rejected_at_every_contact() -> None:
    m = wmo301().set(f"{CONTACT}/Soort", "04").duplicate(CONTACT)
    assert hits(m.bytes(), "TR061") == [("TR061", "0001", [f"{CONTACT_LOC}[1]", f"{CONTACT_LOC}[2]"])]


def test_tr061_relatie_contacts_do_not_count() -> None:
    # The Relatie's contact is Soort 02, but only the client's own Contactgegevens are looked at.
    m = wmo301().set(f"{CONTACT}/Soort", "04")
    assert hits(m.bytes()) == [("TR061", "0001", [CONTACT_LOC])]


@pytest.mark.parametrize("soort", ["01", "02", "03"])
def test_tr061_one_fixed_address_among_temporary_ones_is_enough(soort: str) -> None:
    m = wmo301().set(f"{CONTACT}/Soort", "04").duplicate(CONTACT).set(f"{CONTACT}[2]/Soort", soort)
    assert hits(m.bytes(), "TR061") == []
