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

from gateway.standard import catalogue

Klassepad = tuple[str, ...]

HEADER: Klassepad = ("Header",)

# Per kind of retourbericht: its berichtklassen below the Header, outer classes before the classes they contain.
_KLASSEN: dict[str, tuple[Klassepad, ...]] = {
    "302": (
        ("Client",),
        ("Client", "Relaties", "Relatie"),
        ("Client", "Relaties", "Relatie", "Contact"),
        ("Client", "Contactgegevens", "Contact"),
        ("Client", "ToegewezenProducten", "ToegewezenProduct"),
    ),
    "306": (
        ("Client",),
        ("Client", "StartProducten", "StartProduct"),
    ),
    "308": (
        ("Client",),
        ("Client", "StopProducten", "StopProduct"),
    ),
    "316": (
        ("Client",),
        ("Client", "AangevraagdeProducten", "AangevraagdProduct"),
    ),
    "318": (
        ("Client",),
        ("Client", "Verzoek"),
        ("Client", "Verzoek", "OngewijzigdeProducten", "OngewijzigdProduct"),
        ("Client", "Verzoek", "TeWijzigenProducten", "TeWijzigenProduct"),
        ("Client", "Verzoek", "NieuweProducten", "NieuwProduct"),
    ),
    "320": (("Antwoord",),),
}


# Where a profile's retourbericht has classes of its own: iJw's antwoord names the gemeente of the
# woonplaatsbeginsel (TR377) in a class with its own RetourCodes.
_EIGEN: dict[str, tuple[Klassepad, ...]] = {
    "JW320": (("Antwoord",), ("Antwoord", "Woonplaatsbeginsel")),
}


def _van(retour: str) -> tuple[Klassepad, ...]:
    eigen = _EIGEN.get(retour)
    if eigen is not None:
        return eigen
    nummer = catalogue.nummer_van(retour)
    if nummer is None:
        raise KeyError(retour)
    return _KLASSEN[nummer]


def klassen(retour: str) -> tuple[Klassepad, ...]:
    """The berichtklassen of a retourbericht ('WMO302', 'JW302'), Header first."""
    return (HEADER, *_van(retour))


def inhoud(retour: str) -> str:
    """The element after the Header that holds the classes about the client (Client, or Antwoord for 320)."""
    return _van(retour)[0][0]
