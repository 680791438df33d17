"""Start (WMO305) and stop (WMO307) against the toewijzingen and the earlier starts and stops.

Logical keys (regels op berichten, StatusAanlevering): a StartProduct is identified by (ToewijzingNummer,
Product, Begindatum); a StopProduct by (ToewijzingNummer, Product, Begindatum, RedenBeeindiging,
Einddatum); both within one client, gemeente and aanbieder. A delivery with StatusAanlevering 3 removes
the earlier one with the same key.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.standard.codelijsten import REDEN_TIJDELIJK, STATUS_NIEUW, STATUS_VERWIJDEREN
from gateway.validation.cross.common import child, client_bekend, elements, partijen, text, toewijzing
from gateway.validation.cross.history import Feit, levering, sleutel
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.rules.registry import Fault

START_SLEUTEL = ("bsn", "toewijzingnummer", "categorie", "code", "begindatum")
STOP_SLEUTEL = (*START_SLEUTEL, "reden", "einddatum")


def _lines(ctx: CrossContext) -> Iterator[tuple[etree._Element, Feit]]:
    name = "StartProduct" if ctx.bericht.naam == "WMO305" else "StopProduct"
    gemeente, aanbieder = partijen(ctx)
    bsn = text(ctx.root, "Client", "Bsn")
    for line in elements(ctx.root, name):
        yield line, levering(line, bsn, gemeente, aanbieder)


def _earlier(ctx: CrossContext, soort: str, nummer: str | None) -> list[Feit]:
    gemeente, aanbieder = partijen(ctx)
    return ctx.memo(f"{soort}:{nummer}",  # type: ignore[no-any-return]
                    lambda: ctx.history.feiten(soort, sleutel(gemeente, aanbieder, nummer)))


def _key(feit: Feit, fields: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(feit.get(f) for f in fields)


def _current(facts: list[Feit], fields: tuple[str, ...]) -> list[Feit]:
    """Deliveries still standing: status 1 and not removed later by a status 3 with the same key."""
    standing: dict[tuple[object, ...], Feit] = {}
    for f in facts:
        k = _key(f, fields)
        if f.get("status") == STATUS_VERWIJDEREN:
            standing.pop(k, None)
        else:
            standing[k] = f
    return list(standing.values())


def _same_start(stop: Feit, start: Feit) -> bool:
    return stop.get("bsn") == start.get("bsn") and stop.get("begindatum") == start.get("begindatum")


@cross_rule(
    "TR019", retourcode="9019", berichten=["WMO305", "WMO307"],
    melding="Er is geen toewijzing bekend met dit ToewijzingNummer voor deze gemeente en aanbieder. "
            "Neem het ToewijzingNummer over uit de WMO301 waarmee de ondersteuning is toegewezen.",
    omschrijving="Start/stop hoort bij een bekende toewijzing (ToewijzingNummer).",
)
def tr019(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if toewijzing(ctx, feit["toewijzingnummer"]) is None and (ctx.strict or client_bekend(ctx, feit["bsn"])):
            yield Fault([child(line, "ToewijzingNummer")])


@cross_rule(
    "TR063", retourcode="9063", berichten=["WMO305", "WMO307"],
    melding="StatusAanlevering 3 verwijdert een eerdere aanlevering, maar er is geen eerdere aanlevering met "
            "dezelfde logische sleutel ontvangen. Controleer ToewijzingNummer, Product en Begindatum (en bij een "
            "stop RedenBeeindiging en Einddatum) tegen de oorspronkelijke melding.",
    omschrijving="Verwijderen (status 3) kan alleen een eerder ontvangen aanlevering met dezelfde sleutel.",
)
def tr063(ctx: CrossContext) -> Iterator[Fault]:
    soort, fields = ("start", START_SLEUTEL) if ctx.bericht.naam == "WMO305" else ("stop", STOP_SLEUTEL)
    for line, feit in _lines(ctx):
        if feit["status"] != STATUS_VERWIJDEREN:
            continue
        earlier = _current(_earlier(ctx, soort, feit["toewijzingnummer"]), fields)
        if any(_key(e, fields) == _key(feit, fields) for e in earlier):
            continue
        if ctx.strict or toewijzing(ctx, feit["toewijzingnummer"]) is not None:
            yield Fault([child(line, "StatusAanlevering")])


@cross_rule(
    "TR071", retourcode="9071", berichten=["WMO305"],
    melding="Deze start kan niet meer verwijderd worden: er is al een stop voor verstuurd. Verwijder eerst de "
            "stop (WMO307 met StatusAanlevering 3).",
    omschrijving="Een start met een verstuurde stop kan niet verwijderd worden.",
)
def tr071(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] != STATUS_VERWIJDEREN:
            continue
        stops = _current(_earlier(ctx, "stop", feit["toewijzingnummer"]), STOP_SLEUTEL)
        if any(_same_start(s, feit) for s in stops):
            yield Fault([child(line, "StatusAanlevering")])


@cross_rule(
    "TR074", retourcode="9074", berichten=["WMO305", "WMO307"],
    melding="Er is al eerder een aanlevering met dezelfde logische sleutel ontvangen. Een correctie stuurt eerst "
            "de oude aanlevering met StatusAanlevering 3 en daarna de nieuwe.",
    omschrijving="Met StatusAanlevering 1 is de sleutel nieuw, ook tegen eerder ontvangen berichten.",
)
def tr074(ctx: CrossContext) -> Iterator[Fault]:
    soort, fields = ("start", START_SLEUTEL) if ctx.bericht.naam == "WMO305" else ("stop", STOP_SLEUTEL)
    for line, feit in _lines(ctx):
        if feit["status"] != STATUS_NIEUW:
            continue
        earlier = _current(_earlier(ctx, soort, feit["toewijzingnummer"]), fields)
        if any(_key(e, fields) == _key(feit, fields) for e in earlier):
            yield Fault([child(line, "ToewijzingNummer"), child(line, "Begindatum")])


@cross_rule(
    "TR326", retourcode="9326", berichten=["WMO305"],
    melding="Voor dit toegewezen product loopt nog een levering die niet is gestopt. Stuur eerst een "
            "stopbericht (WMO307) voor de lopende levering.",
    omschrijving="Geen nieuwe start zolang er een actuele start (zonder stop) bij de toewijzing is.",
)
def tr326(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] != STATUS_NIEUW:
            continue
        starts = _current(_earlier(ctx, "start", feit["toewijzingnummer"]), START_SLEUTEL)
        stops = _current(_earlier(ctx, "stop", feit["toewijzingnummer"]), STOP_SLEUTEL)
        for start in starts:
            if _key(start, START_SLEUTEL) == _key(feit, START_SLEUTEL):
                continue  # the same delivery again is TR074's finding
            stopped_for_good = any(_same_start(s, start) and s.get("reden") != REDEN_TIJDELIJK for s in stops)
            if start.get("bsn") == feit["bsn"] and not stopped_for_good:
                yield Fault([child(line, "ToewijzingNummer"), child(line, "Begindatum")])
                break


@cross_rule(
    "TR382", retourcode="9069", berichten=["WMO307"],
    melding="Er is geen actueel startbericht met dezelfde sleutel. Neem ToewijzingNummer, Product en Begindatum "
            "ongewijzigd over uit het startbericht (WMO305).",
    omschrijving="Een stop neemt de sleutelelementen van de start ongewijzigd over.",
)
def tr382(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] == STATUS_VERWIJDEREN:
            continue
        starts = _current(_earlier(ctx, "start", feit["toewijzingnummer"]), START_SLEUTEL)
        if not starts and not ctx.strict:
            continue  # lenient: the start was never seen here
        wanted = _key(feit, START_SLEUTEL)
        if not any(_key(s, START_SLEUTEL) == wanted for s in starts):
            yield Fault([child(line, "ToewijzingNummer"), child(line, "Product"), child(line, "Begindatum")])


def _earlier_stops_same_start(ctx: CrossContext, feit: Feit) -> list[Feit]:
    stops = _current(_earlier(ctx, "stop", feit["toewijzingnummer"]), STOP_SLEUTEL)
    return [s for s in stops if _same_start(s, feit)]


@cross_rule(
    "TR413", retourcode="9413", berichten=["WMO307"],
    melding="Voor deze levering is al een tijdelijke stop (RedenBeeindiging 20) gemeld. Meld een volgende stop "
            "met een definitieve reden, of verwijder eerst de eerdere stop.",
    omschrijving="Geen tweede tijdelijke stop (reden 20) voor dezelfde Bsn, toewijzing en begindatum.",
)
def tr413(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] == STATUS_VERWIJDEREN or feit["reden"] != REDEN_TIJDELIJK:
            continue
        if any(s.get("reden") == REDEN_TIJDELIJK for s in _earlier_stops_same_start(ctx, feit)):
            yield Fault([child(line, "RedenBeeindiging")])


@cross_rule(
    "TR414", retourcode="9414", berichten=["WMO307"],
    melding="De Einddatum ligt voor de Einddatum van de eerdere stop van deze levering. Een latere stop mag de "
            "einddatum niet terugzetten; verwijder anders eerst de eerdere stop.",
    omschrijving="Een latere stop voor dezelfde sleutel zet de einddatum niet terug.",
)
def tr414(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] == STATUS_VERWIJDEREN or not feit["einddatum"]:
            continue
        earlier = [s["einddatum"] for s in _earlier_stops_same_start(ctx, feit) if s.get("einddatum")]
        if earlier and feit["einddatum"] < max(earlier):
            yield Fault([child(line, "Einddatum")])


@cross_rule(
    "TR415", retourcode="9415", berichten=["WMO307"],
    melding="Deze levering is al definitief gestopt (RedenBeeindiging anders dan 20). Er kan geen nieuwe stop "
            "volgen; verwijder eerst de eerdere stop als die onjuist was.",
    omschrijving="Geen nieuwe stop na een definitieve stop voor dezelfde sleutel.",
)
def tr415(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] == STATUS_VERWIJDEREN:
            continue
        if any(s.get("reden") != REDEN_TIJDELIJK for s in _earlier_stops_same_start(ctx, feit)):
            yield Fault([child(line, "RedenBeeindiging")])
