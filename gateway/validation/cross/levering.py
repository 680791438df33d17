"""Start (WMO305) and stop (WMO307) against the toewijzingen and the earlier starts and stops.

Logical keys (regels op berichten, StatusAanlevering; Sleutelelement in the element table): a StartProduct is
identified by (ToewijzingNummer, Product, Begindatum); a StopProduct by (ToewijzingNummer, Product,
Begindatum, RedenBeeindiging, Einddatum); both within one client, gemeente and aanbieder. A delivery with
StatusAanlevering 3 removes the earlier one with the same key; what is left is "standing".

Corrections (IV008) delete and re-send in one message. So a new line (status 1) is judged against the history,
minus every deletion in its own message, plus the new lines before it in that message. Deletions themselves
are judged against the history alone.

Where we read the rule text in a particular way:
- TR019 also fails when the toewijzing belongs to another client (another Bsn): a start for client A on
  client B's ToewijzingNummer is not "related" to that toewijzing. Like TR063's toelichting says, lines
  with StatusAanlevering 3 get no further content checks, so TR019 skips them (TR063 covers them).
- TR074 also checks uniqueness inside the message ("niet alleen uniek binnen het bericht zelf"), because
  the in-message TR101 is not implemented: a second line with the key of another line in the message
  fails, including a delete and re-send of the same key in one message (IV008 point 2).
- TR326: a start stops being "actueel" with any stop for it, temporary (reden 20) or definitive
  (OP289, OP379: after a (tijdelijke) stop a new start may follow). A second new start for the same
  toegewezen product in one message fails as well.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.standard.codelijsten import REDEN_TIJDELIJK, STATUS_NIEUW, STATUS_VERWIJDEREN
from gateway.validation.cross.common import child, client_bekend, partijen, text, toewijzing
from gateway.validation.cross.history import Feit, levering, sleutel
from gateway.validation.cross.registry import CrossContext, cross_rule
from gateway.validation.paths import alle
from gateway.validation.rules.registry import Fault

START_SLEUTEL = ("bsn", "toewijzingnummer", "categorie", "code", "begindatum")
STOP_SLEUTEL = (*START_SLEUTEL, "reden", "einddatum")
SLEUTELS = {"start": START_SLEUTEL, "stop": STOP_SLEUTEL}


def _eigen_soort(ctx: CrossContext) -> str:
    return "start" if ctx.bericht.is_soort("305") else "stop"


def _lines(ctx: CrossContext) -> list[tuple[etree._Element, Feit]]:
    def build() -> list[tuple[etree._Element, Feit]]:
        name = "StartProduct" if _eigen_soort(ctx) == "start" else "StopProduct"
        gemeente, aanbieder = partijen(ctx)
        bsn = text(ctx.root, "Client", "Bsn")
        return [(line, levering(line, bsn, gemeente, aanbieder)) for line in alle(ctx.root, name)]

    return ctx.memo("regels", build)  # type: ignore[no-any-return]


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


def _staand(ctx: CrossContext, soort: str, nummer: str | None, *, voor: int | None = None) -> list[Feit]:
    """Deliveries of `soort` for toewijzing `nummer` that stand. With `voor` (the index of a new line of this
    message) the message's own deletions apply first and its new lines before `voor` count as earlier."""
    facts = list(_earlier(ctx, soort, nummer))
    if voor is not None and soort == _eigen_soort(ctx):
        lines = _lines(ctx)
        facts += [f for _, f in lines if f["status"] == STATUS_VERWIJDEREN and f["toewijzingnummer"] == nummer]
        facts += [f for _, f in lines[:voor] if f["status"] != STATUS_VERWIJDEREN and f["toewijzingnummer"] == nummer]
    return _current(facts, SLEUTELS[soort])


def _same_start(stop: Feit, start: Feit) -> bool:
    """TR413-TR415 compare Bsn, ToewijzingNummer and Begindatum; facts are already per ToewijzingNummer."""
    return stop.get("bsn") == start.get("bsn") and stop.get("begindatum") == start.get("begindatum")


@cross_rule(
    "TR019", retourcode="9019", berichten=["WMO305", "WMO307"],
    melding="Er is geen toewijzing voor deze cliënt bekend met dit ToewijzingNummer voor deze gemeente en "
            "aanbieder. Neem het ToewijzingNummer over uit de WMO301 waarmee de ondersteuning aan deze cliënt "
            "is toegewezen.",
    omschrijving="Start/stop hoort bij een bekende toewijzing (ToewijzingNummer) van dezelfde cliënt.",
)
def tr019(ctx: CrossContext) -> Iterator[Fault]:
    for line, feit in _lines(ctx):
        if feit["status"] == STATUS_VERWIJDEREN:
            continue
        tw = toewijzing(ctx, feit["toewijzingnummer"])
        if tw is None:
            if ctx.strict or client_bekend(ctx, feit["bsn"]):
                yield Fault([child(line, "ToewijzingNummer")])
        elif tw.get("bsn") != feit["bsn"]:
            yield Fault([child(line, "ToewijzingNummer")], detail="de toewijzing hoort bij een andere cliënt")


@cross_rule(
    "TR063", retourcode="9063", berichten=["WMO305", "WMO307"],
    melding="StatusAanlevering 3 verwijdert een eerdere aanlevering, maar er is geen eerdere aanlevering met "
            "dezelfde logische sleutel ontvangen. Controleer ToewijzingNummer, Product en Begindatum (en bij een "
            "stop RedenBeeindiging en Einddatum) tegen de oorspronkelijke melding.",
    omschrijving="Verwijderen (status 3) kan alleen een eerder ontvangen aanlevering met dezelfde sleutel.",
)
def tr063(ctx: CrossContext) -> Iterator[Fault]:
    soort = _eigen_soort(ctx)
    for line, feit in _lines(ctx):
        if feit["status"] != STATUS_VERWIJDEREN:
            continue
        earlier = _staand(ctx, soort, feit["toewijzingnummer"])
        if any(_key(e, SLEUTELS[soort]) == _key(feit, SLEUTELS[soort]) for e in earlier):
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
        if any(_same_start(s, feit) for s in _staand(ctx, "stop", feit["toewijzingnummer"])):
            yield Fault([child(line, "StatusAanlevering")])


@cross_rule(
    "TR074", retourcode="9074", berichten=["WMO305", "WMO307"],
    melding="Deze logische sleutel is al gebruikt, in een eerder ontvangen bericht of elders in dit bericht. "
            "Een correctie stuurt eerst de oude aanlevering met StatusAanlevering 3 en daarna de nieuwe; valt "
            "de correctie buiten de sleutel (zoals ToewijzingIngangsdatum), stuur de nieuwe dan in een apart "
            "bericht.",
    omschrijving="Met StatusAanlevering 1 is de sleutel nieuw, in het bericht en tegen eerder ontvangen berichten.",
)
def tr074(ctx: CrossContext) -> Iterator[Fault]:
    soort = _eigen_soort(ctx)
    fields = SLEUTELS[soort]
    lines = _lines(ctx)
    for i, (line, feit) in enumerate(lines):
        if feit["status"] != STATUS_NIEUW:
            continue
        k = _key(feit, fields)
        in_bericht = any(_key(f, fields) == k and (j < i or f["status"] == STATUS_VERWIJDEREN)
                         for j, (_, f) in enumerate(lines) if j != i)
        eerder = any(_key(e, fields) == k for e in _staand(ctx, soort, feit["toewijzingnummer"]))
        if in_bericht or eerder:
            yield Fault([child(line, "ToewijzingNummer"), child(line, "Begindatum")],
                        detail="elders in dit bericht" if in_bericht and not eerder else None)


@cross_rule(
    "TR326", retourcode="9326", berichten=["WMO305"],
    melding="Voor dit toegewezen product loopt nog een levering die niet is gestopt. Stuur eerst een "
            "stopbericht (WMO307) voor de lopende levering, of verwijder de onjuiste start (StatusAanlevering 3).",
    omschrijving="Geen nieuwe start zolang er een actuele start (zonder stop) bij de toewijzing is.",
)
def tr326(ctx: CrossContext) -> Iterator[Fault]:
    for i, (line, feit) in enumerate(_lines(ctx)):
        if feit["status"] != STATUS_NIEUW:
            continue
        stops = _staand(ctx, "stop", feit["toewijzingnummer"])
        for start in _staand(ctx, "start", feit["toewijzingnummer"], voor=i):
            if _key(start, START_SLEUTEL) == _key(feit, START_SLEUTEL):
                continue  # the same delivery again is TR074's finding
            if start.get("bsn") == feit["bsn"] and not any(_same_start(s, start) for s in stops):
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
        # Lenient: skip only when no start for this toewijzing was ever seen here. A start seen and then deleted
        # (StatusAanlevering 3) is evidence: the gateway knows this toewijzing's starts, and none stands.
        if not ctx.strict and not _earlier(ctx, "start", feit["toewijzingnummer"]):
            continue
        starts = _staand(ctx, "start", feit["toewijzingnummer"])
        wanted = _key(feit, START_SLEUTEL)
        if not any(_key(s, START_SLEUTEL) == wanted for s in starts):
            yield Fault([child(line, "ToewijzingNummer"), child(line, "Product"), child(line, "Begindatum")])


def _eerdere_stops(ctx: CrossContext, i: int, feit: Feit) -> list[Feit]:
    """Standing stops for the same start, except this very stop sent again (that is TR074's finding)."""
    return [s for s in _staand(ctx, "stop", feit["toewijzingnummer"], voor=i)
            if _same_start(s, feit) and _key(s, STOP_SLEUTEL) != _key(feit, STOP_SLEUTEL)]


@cross_rule(
    "TR413", retourcode="9413", berichten=["WMO307"],
    melding="Voor deze levering is al een tijdelijke stop (RedenBeeindiging 20) gemeld. Meld een volgende stop "
            "met een definitieve reden, of verwijder eerst de eerdere stop.",
    omschrijving="Geen tweede tijdelijke stop (reden 20) voor dezelfde Bsn, toewijzing en begindatum.",
)
def tr413(ctx: CrossContext) -> Iterator[Fault]:
    for i, (line, feit) in enumerate(_lines(ctx)):
        if feit["status"] == STATUS_VERWIJDEREN or feit["reden"] != REDEN_TIJDELIJK:
            continue
        if any(s.get("reden") == REDEN_TIJDELIJK for s in _eerdere_stops(ctx, i, feit)):
            yield Fault([child(line, "RedenBeeindiging")])


@cross_rule(
    "TR414", retourcode="9414", berichten=["WMO307"],
    melding="De Einddatum ligt voor de Einddatum van de eerdere stop van deze levering. Een latere stop mag de "
            "einddatum niet terugzetten; verwijder anders eerst de eerdere stop.",
    omschrijving="Een latere stop voor dezelfde sleutel zet de einddatum niet terug.",
)
def tr414(ctx: CrossContext) -> Iterator[Fault]:
    for i, (line, feit) in enumerate(_lines(ctx)):
        if feit["status"] == STATUS_VERWIJDEREN or not feit["einddatum"]:
            continue
        earlier = [s["einddatum"] for s in _eerdere_stops(ctx, i, feit) if s.get("einddatum")]
        if earlier and feit["einddatum"] < max(earlier):
            yield Fault([child(line, "Einddatum")])


@cross_rule(
    "TR415", retourcode="9415", berichten=["WMO307"],
    melding="Deze levering is al definitief gestopt (RedenBeeindiging anders dan 20). Er kan geen nieuwe stop "
            "volgen; verwijder eerst de eerdere stop als die onjuist was.",
    omschrijving="Geen nieuwe stop na een definitieve stop voor dezelfde sleutel.",
)
def tr415(ctx: CrossContext) -> Iterator[Fault]:
    for i, (line, feit) in enumerate(_lines(ctx)):
        if feit["status"] == STATUS_VERWIJDEREN:
            continue
        if any(s.get("reden") != REDEN_TIJDELIJK for s in _eerdere_stops(ctx, i, feit)):
            yield Fault([child(line, "RedenBeeindiging")])
