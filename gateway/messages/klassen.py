"""The berichtklassen of each retourbericht: the elements that carry their own RetourCodes.

A retourbericht (WMO302, 306, 308, 316, 318, 320) repeats its heenbericht element for element, in the
heenbericht's order, and closes every berichtklasse with a `RetourCodes` element (IV028). Which
elements are classes follows from the retour schemas (the iJw twins JW302 ... JW320 and our
`schemas/iwmo/3.2/wmo3NN.xsd`): exactly the complex types that end in `RetourCodes`. Containers such as
`ToegewezenProducten` or `Contactgegevens` are not classes; they are copied without codes.

Paths are local names from the root, without `Bericht` and without indexes. `tests/test_retour.py`
derives the same table from the retour schemas, so the two cannot drift apart silently.
"""

from __future__ import annotations

Klassepad = tuple[str, ...]

HEADER: Klassepad = ("Header",)

# Per retourbericht: its berichtklassen below the Header, outer classes before the classes they contain.
_KLASSEN: dict[str, tuple[Klassepad, ...]] = {
    "WMO302": (
        ("Client",),
        ("Client", "Relaties", "Relatie"),
        ("Client", "Relaties", "Relatie", "Contact"),
        ("Client", "Contactgegevens", "Contact"),
        ("Client", "ToegewezenProducten", "ToegewezenProduct"),
    ),
    "WMO306": (
        ("Client",),
        ("Client", "StartProducten", "StartProduct"),
    ),
    "WMO308": (
        ("Client",),
        ("Client", "StopProducten", "StopProduct"),
    ),
    "WMO316": (
        ("Client",),
        ("Client", "AangevraagdeProducten", "AangevraagdProduct"),
    ),
    "WMO318": (
        ("Client",),
        ("Client", "Verzoek"),
        ("Client", "Verzoek", "OngewijzigdeProducten", "OngewijzigdProduct"),
        ("Client", "Verzoek", "TeWijzigenProducten", "TeWijzigenProduct"),
        ("Client", "Verzoek", "NieuweProducten", "NieuwProduct"),
    ),
    "WMO320": (("Antwoord",),),
}


def klassen(retour: str) -> tuple[Klassepad, ...]:
    """The berichtklassen of a retourbericht ('WMO302'), Header first."""
    return (HEADER, *_KLASSEN[retour])


def inhoud(retour: str) -> str:
    """The element after the Header that holds the classes about the client (Client, or Antwoord for 320)."""
    return _KLASSEN[retour][0][0]
