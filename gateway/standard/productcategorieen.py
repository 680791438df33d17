"""Productcategorie per standard, code → meaning: WMO020 for iWmo, JZ020 for iJw. For what a person reads (the
console names a product "45 Jeugdhulp ambulant · 45A05"); the valid codes are the XSD enumerations'.
"""

from __future__ import annotations

from gateway.standard.profielen import Profiel

WMO020: dict[str, str] = {
    "01": "Hulp bij het huishouden",
    "02": "Begeleiding",
    "03": "Persoonlijke verzorging",
    "04": "Kortdurend verblijf",
    "05": "Woondiensten",
    "06": "Overige ondersteuning gericht op het individu of huishouden/gezin",
    "07": "Dagbesteding",
    "08": "Vervoerdiensten",
    "09": "Overige groepsgerichte ondersteuning",
    "10": "Overige maatwerk arrangementen",
    "11": "Rolstoelen",
    "12": "Vervoervoorzieningen",
    "13": "Woonvoorzieningen",
    "14": "Overige hulpmiddelen",
    "15": "Beschermd wonen",
    "16": "Opvang",
    "17": "Spoedopvang",
    "18": "Overige beschermd wonen en opvang",
}

JZ020: dict[str, str] = {
    "31": "(2015) Zonder verblijf: uitgevoerd door wijk- of buurtteam",
    "32": "(2015) Zonder verblijf: ambulante jeugdhulp op locatie van de aanbieder",
    "33": "(2015) Zonder verblijf: daghulp op locatie van de aanbieder",
    "34": "(2015) Zonder verblijf: jeugdhulp in het netwerk van de jeugdige",
    "35": "(2015) Met verblijf: pleegzorg",
    "36": "(2015) Met verblijf: gezinsgericht",
    "37": "(2015) Met verblijf: gesloten plaatsing",
    "38": "(2015) Met verblijf: overig residentieel",
    "40": "Persoonlijke verzorging",
    "41": "Dagbehandeling",
    "42": "Vervoerdiensten",
    "43": "Jeugdhulp verblijf (incl. behandeling)",
    "44": "Jeugdhulp verblijf (excl. behandeling)",
    "45": "Jeugdhulp ambulant",
    "46": "Jeugdhulp crisis",
    "47": "Jeugdreclassering",
    "48": "Jeugdbescherming",
    "49": "Activiteiten in het preventief justitieel kader",
    "50": "Maatwerkarrangementen jeugd",
    "51": "Generalistische basis-ggz",
    "52": "Specialistische ggz",
    "53": "Kindergeneeskunde",
    "54": "Jeugd-ggz",
    "55": "Landelijk ingekochte zorg",
}

_PER_STANDAARD = {"iWmo": WMO020, "iJw": JZ020}


def betekenis(profiel: Profiel | None, categorie: str) -> str | None:
    """The meaning of a ProductCategorie in its message's standard; None when unknown."""
    return _PER_STANDAARD.get(profiel.standaard, {}).get(categorie) if profiel is not None else None
