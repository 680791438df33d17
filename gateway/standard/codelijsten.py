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

# COD467 StatusAanlevering
STATUS_NIEUW = "1"
STATUS_VERWIJDEREN = "3"

# WMO020 Productcategorie 01: huishoudelijke hulp (IV077: weekly volume may be exceeded up to 6×).
CATEGORIE_HUISHOUDELIJKE_HULP = "01"
