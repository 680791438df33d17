"""Codelists the gateway's own logic reasons with (the XSD enumerations hold the complete value sets)."""

from __future__ import annotations

# WMO757 Frequentie
FREQUENTIE_PER_DAG = "1"
FREQUENTIE_PER_WEEK = "2"
FREQUENTIE_PER_MAAND = "4"
FREQUENTIE_TOTAAL = "6"  # totaal binnen geldigheidsduur toewijzing

# WJ756 Eenheid
EENHEID_MINUUT = "01"
EENHEID_UUR = "04"
EENHEID_EURO = "83"

# Volumes in minutes may be declared against an allocation in hours (TR341/IV081): the factor between them.
MINUTEN_PER = {EENHEID_MINUUT: 1, EENHEID_UUR: 60}

# WMO588 RedenBeeindiging 20: tijdelijke stop (a later stop for the same start may follow).
REDEN_TIJDELIJK = "20"

# WJ759 RedenAfwijzingVerzoek 8: the gemeente is not the one the woonplaatsbeginsel of the Jeugdwet names (iJw).
REDEN_WOONPLAATSBEGINSEL = "8"

# COD700 NaamGebruik 6: the name is that of a niet-natuurlijk persoon (an organisation), never a client's.
NAAMGEBRUIK_NIET_NATUURLIJK_PERSOON = "6"

# COD467 StatusAanlevering
STATUS_NIEUW = "1"
STATUS_VERWIJDEREN = "3"

# WMO020 Productcategorie 01: huishoudelijke hulp (IV077: weekly volume may be exceeded up to 6×).
CATEGORIE_HUISHOUDELIJKE_HULP = "01"

# WMO002 RedenWijziging 13 (Verwijderd): the toewijzing is deleted; nothing may be declared on it any more (TR384).
REDEN_WIJZIGING_VERWIJDERD = "13"

# WJ001 codes in a WMO325 that grant rather than refuse: a prestatie listed with only these is not refused.
RETOURCODES_TOEGEKEND = frozenset({"0200", "8001"})

# WJ001 codes whose Berichttypen include WMO323: the codes a 325 can give when it answers a declaratie.
RETOURCODES_323 = frozenset({
    "0001", "0200", "0233", "8848", "9056", "S300", "S329", "0611", "8001", "8017", "8021", "8187", "8214",
    "9307", "9308", "9319", "9321", "9322", "9333", "9338", "9339", "9340", "9341", "9346", "9369", "9384",
    "9387", "9388", "9389", "9390",
})


# Codelist WJ001 (retourcode), in our own words: the codes our rules give plus the general ones a console
# user meets in retourberichten.
WJ001: dict[str, str] = {
    "0001": "Het bericht is om technische redenen afgekeurd.",
    "0200": "Geen opmerkingen over deze berichtklasse.",
    "0233": "Deze berichtklasse is niet beoordeeld.",
    "8001": "De declaratie is helemaal toegekend.",
    "8017": "Voor deze creditprestatie is geen debetprestatie bekend.",
    "8021": "Het referentienummer van de prestatie is al eerder aangeleverd.",
    "8187": "De prestatie hoort niet bij deze cliënt.",
    "8848": "De dagtekening ligt na de systeemdatum; die mag niet in de toekomst liggen.",
    "9019": "Het start- of stopbericht hoort bij geen enkele bekende toewijzing.",
    "0611": "Het ingediende tarief komt niet overeen met het contractuele tarief.",
    "8214": "De DeclaratiePeriode ligt voor de laatst ingediende DeclaratiePeriode.",
    "9056": "De berichtidentificatie is niet uniek.",
    "9063": "Er is nog geen eerder bericht ontvangen waarop dit bericht kan volgen.",
    "9069": "Er is geen actueel startbericht met dezelfde sleutel.",
    "9071": "De start kan niet worden verwijderd: de zorg is al beëindigd.",
    "9074": "Er is al eerder een bericht met dezelfde sleutel ontvangen.",
    "9307": "De begindatum van de prestatie valt buiten de looptijd van de toewijzing.",
    "9308": "De einddatum van de prestatie valt buiten de looptijd van de toewijzing.",
    "9319": "De ProductPeriode valt niet (geheel) binnen de DeclaratiePeriode of een eerdere periode.",
    "9321": "Het gedeclareerde volume is groter dan het toegewezen volume.",
    "9322": "Alle gedeclareerde volumes samen zijn groter dan het toegewezen volume.",
    "9326": "De lopende levering is nog niet met een stopbericht beëindigd.",
    "9333": "Het declaratienummer is niet uniek.",
    "9338": "Niet elke prestatie hoort via het ToewijzingNummer bij een toegewezen product.",
    "9339": "De ProductCategorie van de prestatie is niet die van het toegewezen product.",
    "9340": "De ProductCode van de prestatie is niet die van het toegewezen product.",
    "9341": "De Eenheid van de prestatie past niet bij de Eenheid van het toegewezen product.",
    "9346": "Het IngediendBedrag is niet GeleverdVolume maal het (onafgeronde) ProductTarief.",
    "9369": "Alle gedeclareerde prestaties samen passen niet binnen het toegewezen Budget.",
    "9384": "Er is gedeclareerd op een verwijderde toewijzing (RedenWijziging 13).",
    "9387": "De ProductPeriode begint niet op de eerste van de maand of op de latere ingangsdatum van de toewijzing.",
    "9388": "De ProductPeriode eindigt niet op de laatste van de maand of op de eerdere einddatum van de toewijzing.",
    "9389": "Voor deze ProductPeriode en dit product is al een debetprestatie zonder creditprestatie ingediend.",
    "9390": "Deze debetprestatie is al eerder gecrediteerd.",
    "9413": "Er is al een stop met reden 20 (tijdelijk) voor dezelfde Bsn, ToewijzingNummer en Begindatum.",
    "9414": "De einddatum ligt vóór de einddatum van de actuele stop met dezelfde sleutel.",
    "9415": "Er is al een definitieve stop met dezelfde Bsn, ToewijzingNummer en Begindatum.",
}


def betekenis(retourcode: str | None) -> str:
    """What a retourcode means (WJ001), in words a user reads next to the code."""
    if not retourcode:
        return ""
    return WJ001.get(retourcode, f"Retourcode {retourcode} (zie codelijst WJ001).")
