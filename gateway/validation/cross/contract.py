"""The prestatie's tarief and amount against the contract: TR346 and TR418, controles tegen een externe bron.

The external source is the tarieven table an administrator loads (tarieven.py, `IWMO_TARIEVEN_FILE`).

Where we read the rule text in a particular way:
- TR418 applies only to gemeente–aanbieder pairs the table names. For such a pair, a declared product without
  a tarief on the ProductPeriode's Begindatum fails too (there is no contractual tarief to match). Against a
  tarief per uur, a prestatie in minuten carries that tarief divided by 60 and rounded half up to whole
  eurocent (IV081).
- TR346 (Eenheid not 83, ProductTarief present): IngediendBedrag = GeleverdVolume × the unrounded ProductTarief
  (WJ001 9346). That is the prestatie's own ProductTarief, except for minutes against an hourly contract
  tarief: then (uurtarief × minuten) / 60, rounded half up (IV081). Without that tarief at hand (no table, or
  none for this product) a prestatie in minutes passes when its ProductTarief per minute or some hourly
  tarief that rounds to it gives the IngediendBedrag, as the gateway cannot know which the parties agreed.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.standard import codelijsten as cl
from gateway.validation.cross.common import child, partijen
from gateway.validation.cross.declaratie import datum, prestaties
from gateway.validation.cross.history import Feit
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.cross.tarieven import Tarief
from gateway.validation.rules.registry import Fault


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def afgerond(teller: int, noemer: int) -> int:
    """teller / noemer rounded half up to a whole number (eurocent), for non-negative teller (IV081)."""
    return (2 * teller + noemer) // (2 * noemer)


def _contract(ctx: CrossContext, feit: Feit) -> Tarief | None:
    gemeente, aanbieder = partijen(ctx)
    return ctx.tarieven.voor(gemeente, aanbieder, feit["categorie"], feit["code"], datum(feit["begindatum"]))


def _per_minuut_uit_uurtarief(feit: Feit, tarief: Tarief | None) -> bool:
    return tarief is not None and tarief.eenheid == cl.EENHEID_UUR and feit["eenheid"] == cl.EENHEID_MINUUT


@cross_rule(
    "TR346", retourcode="9346", berichten=["WMO323"],
    melding="Het IngediendBedrag is niet GeleverdVolume maal ProductTarief. Reken het bedrag opnieuw uit; bij "
            "minuten tegen een uurtarief: (uurtarief × minuten) / 60, afgerond op hele eurocenten (IV081).",
    omschrijving="IngediendBedrag is GeleverdVolume × (onafgerond) ProductTarief, behalve bij Eenheid 83 (Euro's).",
)
def tr346(ctx: CrossContext) -> Iterator[Fault]:
    for p, feit in prestaties(ctx):
        volume, tarief, bedrag = _int(feit["volume"]), _int(feit["tarief"]), _int(feit["bedrag"])
        if feit["eenheid"] == cl.EENHEID_EURO or volume is None or tarief is None or bedrag is None:
            continue
        contract = _contract(ctx, feit)
        if _per_minuut_uit_uurtarief(feit, contract):
            verwacht = afgerond(contract.tarief * volume, 60)  # type: ignore[union-attr]
            goed = bedrag == verwacht
        elif feit["eenheid"] == cl.EENHEID_MINUUT and contract is None:
            verwacht = volume * tarief
            # Every hourly tarief u with round(u / 60) == ProductTarief lies in [60t - 30, 60t + 30).
            goed = bedrag == verwacht or any(afgerond(u * volume, 60) == bedrag
                                             for u in range(max(0, 60 * tarief - 30), 60 * tarief + 30))
        else:
            verwacht = volume * tarief
            goed = bedrag == verwacht
        if not goed:
            yield Fault([child(p, "IngediendBedrag", "Bedrag")], detail=f"verwacht {verwacht}")


@cross_rule(
    "TR418", retourcode="0611", berichten=["WMO323"],
    melding="Het ProductTarief is niet het contractuele tarief voor deze ProductCode. Gebruik het tarief uit de "
            "contractafspraken met de gemeente (per minuut: het uurtarief gedeeld door 60, afgerond, IV081).",
    omschrijving="ProductTarief is het contractuele tarief van de ProductCode (alleen met geladen tarieventabel).",
)
def tr418(ctx: CrossContext) -> Iterator[Fault]:
    gemeente, aanbieder = partijen(ctx)
    if not ctx.tarieven.heeft_contract(gemeente, aanbieder):
        return
    for p, feit in prestaties(ctx):
        tarief = _int(feit["tarief"])
        if tarief is None:
            continue
        contract = _contract(ctx, feit)
        if contract is None:
            yield Fault([child(p, "ProductCode")], detail="geen contractueel tarief voor dit product op de "
                                                          "begindatum van de ProductPeriode")
            continue
        if _per_minuut_uit_uurtarief(feit, contract):
            verwacht = afgerond(contract.tarief, 60)
        elif feit["eenheid"] == contract.eenheid:
            verwacht = contract.tarief
        else:
            yield Fault([child(p, "ProductTarief")], detail=f"het contracttarief is per eenheid {contract.eenheid}")
            continue
        if tarief != verwacht:
            yield Fault([child(p, "ProductTarief")], detail=f"contractueel {verwacht}")
