"""Rules on the client as a person: BSN (CS002), name use (CS050), birth date (CS139, TR002), interpreter (CD007).

The rules on contacts and addresses (CD005, CD009, CD025, CD034, CS089, TR006, TR061) live in `adres.py`.
Anchors follow rule-semantics §3/§5: the official validator matches `Bsn`, `NaamGebruik` and `Geboortedatum`
wherever they occur, which in iWmo 3.2 is the Client (and in WMO301 also the Relatie).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.validation import values as v
from gateway.validation.rules.registry import Fault, RuleContext, rule

# --- CS002: BSN 11-proef ------------------------------------------------------------------------------------

# Weights of the nine digits, most significant first; the last digit counts negatively (the "-1" of the 11-proef).
_BSN_GEWICHTEN = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def elfproef(tekst: str | None) -> bool:
    """Whether a BSN passes the 11-proef, read as the validator reads it (rule-semantics CS002).

    The text is read as a number and its nine lowest digits are weighed, so leading zeros are harmless
    and `000000000` passes; text that is not a number never passes.
    """
    getal = v.num(tekst)
    if getal != getal:  # NaN: the validator's arithmetic yields NaN, and NaN mod 11 is never 0
        return False
    cijfers = f"{int(getal) % 10**9:09d}"
    som = sum(g * int(c) for g, c in zip(_BSN_GEWICHTEN, cijfers, strict=True))
    return som % 11 == 0


@rule(
    "CS002",
    retourcode="0001",
    berichten=["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO323", "WMO325"],
    anchor=".//m:Bsn",
    melding=(
        "Het burgerservicenummer voldoet niet aan de 11-proef. "
        "Controleer het BSN van de cliënt in de eigen administratie (bijvoorbeeld op een tikfout) en verstuur "
        "het bericht opnieuw met het juiste BSN."
    ),
    omschrijving="Bsn voldoet aan de 11-proef.",
)
def cs002(ctx: RuleContext, bsn: etree._Element) -> Iterator[Fault]:
    # The detail never repeats the number itself: a BSN must not end up in logs or retourberichten.
    if not elfproef(v.raw(bsn)):
        yield Fault([bsn])


# --- CS050: NaamGebruik and Partnernaam ------------------------------------------------------------------

# Name uses that combine the own name with the partner's (eigen, partner, partner-eigen, eigen-partner).
_NAAMGEBRUIK_MET_PARTNER = frozenset({"1", "2", "3", "4"})
_NAAMGEBRUIK_ZONDER_PARTNER = frozenset({"1"})


@rule(
    "CS050",
    retourcode="0001",
    berichten=["WMO301"],
    anchor="m:Client/m:Naam/b:NaamGebruik | m:Client/m:Relaties/m:Relatie/m:Naam/b:NaamGebruik",
    melding=(
        "NaamGebruik past niet bij de Partnernaam. Met een Partnernaam is NaamGebruik 1, 2, 3 of 4; "
        "zonder Partnernaam is NaamGebruik 1 (eigen naam). Vul de Partnernaam in of kies NaamGebruik 1."
    ),
    omschrijving="NaamGebruik 1-4 met een Partnernaam, anders 1.",
)
def cs050(ctx: RuleContext, naamgebruik: etree._Element) -> Iterator[Fault]:
    partnernaam = ctx.find(naamgebruik.getparent(), "b:Partnernaam")
    # Differs from the rule text ("anders 1 of 6"): the official validator only accepts 1 without a
    # Partnernaam, and a natural person's name never uses 6 (CS318), so 6 is a fault either way.
    toegestaan = _NAAMGEBRUIK_MET_PARTNER if partnernaam is not None else _NAAMGEBRUIK_ZONDER_PARTNER
    if v.code(naamgebruik) not in toegestaan:
        yield Fault([partnernaam, naamgebruik])


# --- CS139 / TR002: Geboortedatum -----------------------------------------------------------------------

GEBOORTEDATUM = ".//m:Geboortedatum"
BERICHTEN_MET_GEBOORTEDATUM = ["WMO301", "WMO305", "WMO307", "WMO315"]
# DatumGebruik 3 with this date means "birth date unknown" (COD170).
ONBEKENDE_DATUM = "1900-01-01"


def _na(tekst: str, scheiding: str) -> str:
    """XPath substring-after: the text after the first separator, '' when there is none."""
    _, gevonden, rest = tekst.partition(scheiding)
    return rest if gevonden else ""


def datum_past_bij_gebruik(datum: str, gebruik: str) -> bool:
    """Whether the raw Datum fits the raw DatumGebruik (COD170); unknown parts are filled with 01.

    1: day unknown (day is 01); 2: day and month unknown (01-01); 3: whole date unknown (1900-01-01).
    Raw text on purpose: the validator does not trim, so a padded date does not fit.
    """
    if gebruik == "1":
        return _na(_na(datum, "-"), "-") == "01"
    if gebruik == "2":
        return _na(datum, "-") == "01-01"
    if gebruik == "3":
        return datum == ONBEKENDE_DATUM
    return True


@rule(
    "CS139",
    retourcode="0001",
    berichten=BERICHTEN_MET_GEBOORTEDATUM,
    anchor=GEBOORTEDATUM,
    melding=(
        "De Datum van de Geboortedatum past niet bij DatumGebruik. Bij DatumGebruik 1 (dag onbekend) is de "
        "dag 01, bij 2 (dag en maand onbekend) is het 01-01, bij 3 (datum onbekend) is de Datum 1900-01-01. "
        "Vul de onbekende delen zo in, of laat DatumGebruik weg als de datum volledig bekend is."
    ),
    omschrijving="DatumGebruik en Datum van de Geboortedatum zijn met elkaar in overeenstemming.",
)
def cs139(ctx: RuleContext, geboortedatum: etree._Element) -> Iterator[Fault]:
    datum = ctx.find(geboortedatum, "b:Datum")
    gebruik = ctx.find(geboortedatum, "b:DatumGebruik")
    if datum is None or gebruik is None:
        return
    if not datum_past_bij_gebruik(v.raw(datum) or "", v.raw(gebruik) or ""):
        yield Fault([datum, gebruik])


# Adding this to a yyyymmdd number moves the year on by 120 (rule-semantics TR002).
_HONDERDTWINTIG_JAAR = 1_200_000


@rule(
    "TR002",
    retourcode="0001",
    berichten=BERICHTEN_MET_GEBOORTEDATUM,
    anchor=f"{GEBOORTEDATUM}/b:Datum",
    melding=(
        "De geboortedatum ligt meer dan 120 jaar voor de Dagtekening van het bericht. "
        "Controleer de geboortedatum; is die onbekend, vul dan Datum 1900-01-01 met DatumGebruik 3."
    ),
    omschrijving="Geboortedatum ligt niet meer dan 120 jaar voor de Dagtekening, tenzij onbekend.",
)
def tr002(ctx: RuleContext, datum: etree._Element) -> Iterator[Fault]:
    gebruik = ctx.find(datum.getparent(), "b:DatumGebruik")
    if v.raw(gebruik) == "3" and v.raw(datum) == ONBEKENDE_DATUM:
        return
    dagtekening = ctx.dagtekening
    # Exactly 120 years (same month and day) still passes; one day more is a fault.
    if v.lt(v.date_num(datum) + _HONDERDTWINTIG_JAAR, v.date_num10(dagtekening)):
        yield Fault([dagtekening, datum])


# --- CD007: Taal only with an interpreter -----------------------------------------------------------------

# Communicatievorm 1 is a tolk in a spoken language; only then does Taal say which one.
_VORM_TOLK = "1"


@rule(
    "CD007",
    retourcode="0001",
    berichten=["WMO301"],
    anchor="m:Client/m:Communicatie",
    melding=(
        "Taal hoort alleen bij Communicatie Vorm 1 (tolk): bij Vorm 1 is Taal verplicht, bij andere vormen "
        "blijft Taal leeg. Vul de Taal in bij Vorm 1, of laat Taal weg bij een doventolk of doofblindentolk."
    ),
    omschrijving="Taal is verplicht bij Communicatie Vorm 1 (tolk), anders leeg.",
)
def cd007(ctx: RuleContext, communicatie: etree._Element) -> Iterator[Fault]:
    vorm = ctx.find(communicatie, "b:Vorm")
    taal = ctx.find(communicatie, "b:Taal")
    if (v.code(vorm) == _VORM_TOLK) != v.filled(taal):
        yield Fault([vorm, taal])
