"""Which rules iJw 3.2 declares: the codes of its specification (regels/condities-constraints, regels/technische-
regels/xslt, .../berichtoverstijgend and .../externe-bron). The profile in `profielen.py` enables exactly these;
`VERGELIJKING` says per code how the iJw text compares with its iWmo namesake and with what our iWmo
implementation checks (the README's rule table per profile). The rules only iJw has, and the iJw variants, live in
`gateway/validation/rules/ijw.py`.
"""

from __future__ import annotations

# In-message: conditions and constraints (CD/CS) and the technical rules checked inside one message.
IJW_REGELS: frozenset[str] = frozenset({
    "CD005", "CD007", "CD009", "CD025", "CD034", "CD041", "CD043", "CD060", "CD066", "CD067", "CD068",
    "CD075", "CD076", "CD077", "CD078", "CD079", "CD080", "CD085", "CD086", "CD087", "CD095", "CD096",
    "CS002", "CS003", "CS015", "CS025", "CS050", "CS058", "CS089", "CS100", "CS139", "CS318", "CS319",
    "CS325", "CS335", "CS336", "CS337", "CS338", "CS339", "CS340", "CS343",
    "TR002", "TR006", "TR018", "TR061", "TR101", "TR134", "TR137", "TR302", "TR315", "TR316", "TR335",
    "TR342", "TR352", "TR353", "TR358", "TR377", "TR380", "TR383", "TR386", "TR409", "TR410", "TR416",
    # Filed under berichtoverstijgend (retourcode 9319) in iJw exactly as in iWmo, but it compares the
    # ProductPeriode with the DeclaratiePeriode of the same message: the iWmo registry checks it in-message, as
    # the official validator does, and iJw is checked the same way (there is no cross-message TR319).
    "TR319",
})

# Rules that need more than the message itself: earlier messages (berichtoverstijgend) or an external source
# (externe-bron: today's date, the contract's tarieven, CBS and productcode lists); `gateway/validation/cross`.
IJW_KRUISREGELS: frozenset[str] = frozenset({
    "TR019", "TR056", "TR063", "TR071", "TR074", "TR304", "TR307", "TR308", "TR314", "TR318",
    "TR321", "TR322", "TR323", "TR326", "TR332", "TR333", "TR337", "TR338", "TR339", "TR340", "TR341",
    "TR347", "TR349", "TR350", "TR351", "TR355", "TR357", "TR359", "TR360", "TR361", "TR365", "TR366",
    "TR367", "TR369", "TR371", "TR373", "TR374", "TR375", "TR376", "TR379", "TR382", "TR384", "TR385",
    "TR387", "TR388", "TR389", "TR390", "TR411", "TR412", "TR413", "TR414", "TR415", "TR418",
    "TR135", "TR346", "TR378", "TR381",  # externe-bron
})

GELIJK = "gelijk aan iWmo"
WIJKT_AF = "wijkt af"
ALLEEN_IJW = "alleen iJw"

# Declared by both standards with the same text; the iWmo registry does not implement them either.
_NIET_GEBOUWD = f"{GELIJK}: niet geïmplementeerd, zoals voor iWmo"
# The iWmo texts exempt the hulpmiddelen categories; JZ020 has no such categories.
_GEEN_HULPMIDDELEN = (
    f"{WIJKT_AF} (alleen de tekst): geen vrijstelling voor ProductCategorie 11-14 (hulpmiddelen); JZ020 kent die "
    "categorieën niet en de XSD weigert ze, dus de iWmo-controle oordeelt over elk geldig JW-bericht als de iJw-tekst"
)

# Code -> how iJw 3.2 compares with iWmo 3.2: GELIJK (same text, same check), WIJKT_AF (and how) or ALLEEN_IJW.
# Texts compared: definition, toelichting, messages and retourcode (docs/regels of both releases), and the
# elements the check reads in the official iJw XSDs (the same, apart from GezagsdragerBekend in JW315 and
# Woonplaatsbeginsel in JW319; the codelists JZ020 ProductCategorie and JZ588 RedenBeeindiging differ).
VERGELIJKING: dict[str, str] = {
    **{code: GELIJK for code in (
        "CD005", "CD007", "CD009", "CD025", "CD034", "CD041", "CD043", "CD060", "CD066", "CD067", "CD068",
        "CD075", "CD076", "CD077", "CD078", "CD079", "CD080", "CD085", "CD086", "CD087", "CD095", "CD096",
        "CS002", "CS003", "CS050", "CS058", "CS089", "CS100", "CS139", "CS325", "CS335", "CS336", "CS337",
        "CS338", "CS339", "CS340", "CS343",
        "TR002", "TR006", "TR018", "TR061", "TR101", "TR134", "TR137", "TR315", "TR316", "TR335", "TR342",
        "TR352", "TR353", "TR358", "TR380", "TR383", "TR416",
        "TR019", "TR056", "TR063", "TR071", "TR074", "TR304", "TR307", "TR308", "TR314", "TR318", "TR322",
        "TR323", "TR333", "TR338", "TR339", "TR340", "TR369", "TR382", "TR384", "TR387", "TR388", "TR389",
        "TR390", "TR413", "TR414", "TR415", "TR418", "TR135", "TR346",
    )},
    "CS015": f"{GELIJK}: BerichtSubversie 2 is een patroon in de XSD (ook de officiële iJw-XSD's), geen aparte regel",
    "CS025": f"{GELIJK}: BerichtVersie 3 is een patroon in de XSD (ook de officiële iJw-XSD's), geen aparte regel",
    "CS319": f"{GELIJK}: DeclaratieNummer ([a-zA-Z0-9])+ is een patroon in de XSD van JW323, geen aparte regel",
    "CS318": (
        f"{WIJKT_AF}: NaamGebruik 6 (niet-natuurlijk persoon) bij de cliënt in JW301 wordt gemeld; voor iWmo niet, "
        "want de officiële iWmo-validator controleert CS318 niet (CS050 keurt 6 in beide al af; CS318 noemt de reden)"
    ),
    "TR302": _GEEN_HULPMIDDELEN,
    "TR386": _GEEN_HULPMIDDELEN,
    "TR410": _GEEN_HULPMIDDELEN,
    "TR319": f"{GELIJK}: in beide specificaties berichtoverstijgend (9319), voor beide in het bericht gecontroleerd",
    "TR377": f"{ALLEEN_IJW}: bij RedenAfwijzingVerzoek 8 (Woonplaatsbeginsel) is Woonplaatsbeginsel verplicht (JW319)",
    "TR409": f"{ALLEEN_IJW}: Woonplaatsbeginsel alleen bij RedenAfwijzingVerzoek 8 (JW319)",
    "TR321": (
        f"{WIJKT_AF} (alleen de tekst): geen ruimte tot 6x het weekvolume voor categorie 01 (huishoudelijke hulp, "
        "IV077); JZ020 kent categorie 01 niet, dus de iWmo-controle oordeelt over elk geldig JW323 als de iJw-tekst"
    ),
    "TR326": f"{GELIJK} (alleen de woordkeus verschilt)",
    "TR341": f"{GELIJK} (de iJw-toelichting verwijst niet naar IV081; minuten op een toewijzing in uren mogen ook hier)",
    "TR361": f"{_GEEN_HULPMIDDELEN.split(';')[0]}; niet geïmplementeerd, zoals voor iWmo",
    **{code: _NIET_GEBOUWD for code in (
        "TR332", "TR337", "TR347", "TR349", "TR350", "TR351", "TR355", "TR357", "TR359", "TR360", "TR365",
        "TR366", "TR367", "TR371", "TR373", "TR374", "TR375", "TR376", "TR379", "TR385", "TR411", "TR412",
        "TR378", "TR381",
    )},
}
