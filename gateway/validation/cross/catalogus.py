"""The cross-message rules as a list for documentation: code, retourcode, berichten, omschrijving and how each
behaves in strict and lenient mode (setting `IWMO_MODE`; see registry.py for why the modes exist)."""

from __future__ import annotations

from typing import NamedTuple

from gateway.validation.cross.registry import all_cross_rules

# Rules that need an earlier message the gateway may never have seen; every other rule fires only on positive
# evidence in the history (or, TR135, on today's date) and so behaves the same in both modes.
_ONBEKEND = {
    "TR019": "strict: onbekende toewijzing is een fout; lenient: alleen als de cliënt bij deze aanbieder bekend is",
    "TR338": "strict: onbekende toewijzing is een fout; lenient: alleen als de cliënt bij deze aanbieder bekend is",
    "TR063": "strict: onbekende te verwijderen aanlevering is een fout; lenient: alleen als de toewijzing bekend is",
    "TR382": "strict: onbekende start is een fout; lenient: alleen als er starts bij de toewijzing bekend zijn",
    "TR304": "strict: onbekende cliënt is een fout; lenient: alleen als er toewijzingen tussen beide partijen "
             "bekend zijn",
    "TR323": "strict: onbekende debetprestatie is een fout; lenient: alleen als er eerdere declaraties van deze "
             "aanbieder bekend zijn",
}
_OVERGESLAGEN = "overgeslagen zonder bekende toewijzing (TR338 meldt dat), in beide modi gelijk"
_BEWIJS = "alleen op grond van eerder ontvangen berichten, in beide modi gelijk"
_CONTRACT = ("zonder tarieventabel (IWMO_TARIEVEN_FILE, zie config/tarieven.example.toml) of zonder tarieven voor deze gemeente en aanbieder "
             "overgeslagen; in beide modi gelijk")
_MODUS = {
    **_ONBEKEND,
    **dict.fromkeys(("TR307", "TR308", "TR321", "TR322", "TR339", "TR340", "TR341", "TR369", "TR384", "TR387",
                     "TR388"), _OVERGESLAGEN),
    "TR323": _ONBEKEND["TR323"] + ", of als de debetprestatie is afgewezen",
    "TR382": _ONBEKEND["TR382"] + " (ook als die starts verwijderd zijn)",
    "TR346": "controleert GeleverdVolume × ProductTarief; het contractuele uurtarief (IWMO_TARIEVEN_FILE) "
             "beslist bij minuten, zonder tarief telt elk uurtarief dat op het ProductTarief afrondt; in beide "
             "modi gelijk",
    "TR418": _CONTRACT,
    "TR135": "vergelijkt met de datum van vandaag, in beide modi gelijk",
}


class CrossRegel(NamedTuple):
    code: str
    retourcode: str
    berichten: tuple[str, ...]
    omschrijving: str
    modus: str


def modus_gedrag(code: str) -> str:
    return _MODUS.get(code, _BEWIJS)


def hangt_af_van_modus(code: str) -> bool:
    """Whether strict and lenient give different verdicts when the earlier message is unknown."""
    return code in _ONBEKEND


def regels() -> list[CrossRegel]:
    """Every cross-message rule, in code order; `berichten` as message names (WMO301 …)."""
    return [CrossRegel(r.code, r.retourcode, tuple(sorted(r.berichten)), r.omschrijving, modus_gedrag(r.code))
            for r in all_cross_rules()]


def markdown_table() -> str:
    """The cross rules as a Markdown table in the README's style (berichten as 301 305 …)."""
    lines = ["| Code | Retourcode | Berichten (WMO…) | Regel | strict / lenient |", "|---|---|---|---|---|"]
    lines += [f"| {r.code} | {r.retourcode} | {' '.join(b[3:] for b in r.berichten)} | {r.omschrijving} | {r.modus} |"
              for r in regels()]
    return "\n".join(lines)
