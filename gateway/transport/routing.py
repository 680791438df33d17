"""The routing table: which transport carries messages to which organisation (config/routes.toml).

Routing looks at the envelope only: the addressee's code and the message type. A table is checked as a
whole when it is loaded, so a gateway with a typo in its routes refuses to start instead of dead-lettering
messages later. Lookup order: the addressee's own code with this message type, its code for any type, then
the catch-all "*" with this type, then "*".

A route may name freeze windows (`bevriezing`): around a release the hubs refuse traffic, so outgoing messages
on that route wait in the outbox and leave when the window ends (the outbox defers them without counting an
attempt).

A pulling route may ask the other side to hold each pull until something arrives (`wacht_ms`, a long poll): only
our hub supports it (the real VECOZO does not), so it is off unless the route names it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gateway.standard import catalogue, profielen
from gateway.standard.gemeenten import bestaat as gemeente_bestaat
from gateway.transport.adapter import WACHTEND_OPHALEN, OnbekendeAdapter, Verbinding, fabriek
from gateway.transport.vecozo import MAX_WACHT_MS

IEDEREEN = "*"
_GEMEENTECODE = re.compile(r"\d{4}")
_AGB_CODE = re.compile(r"\d{8}")
_ENV_NAAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Route:
    naar: tuple[str, ...]
    adapter: str
    endpoint: str
    credentials: str | None = None
    berichten: frozenset[str] = frozenset()  # empty: every message type
    ophalen: bool = False  # the worker pulls inbound envelopes through this route's transport
    bevriezingen: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # [van, tot) windows, timezone-aware
    wacht_ms: int = 0  # > 0: each pull may be held this long by the other side until a message arrives

    @property
    def verbinding(self) -> Verbinding:
        return Verbinding(self.adapter, self.endpoint, self.credentials)


class RouteringFout(ValueError):
    """The routing table cannot be used; `problemen` names every fault with its place in the file."""

    def __init__(self, bron: str, problemen: list[str]):
        self.bron = bron
        self.problemen = problemen
        super().__init__(f"{bron}: de routeringstabel is niet bruikbaar:\n  " + "\n  ".join(problemen))

    def een_regel(self) -> str:
        """The whole refusal on one line, for a command that stops at start-up."""
        return f"{self.bron}: routeringstabel niet bruikbaar: " + "; ".join(self.problemen)


@dataclass
class Routeringstabel:
    routes: list[Route] = field(default_factory=list)
    _index: dict[tuple[str, str | None], Route] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for route in self.routes:
            for code in route.naar:
                for bericht in route.berichten or {None}:
                    self._index.setdefault((code, bericht), route)

    def voor(self, adressaat: str, functie: str | None = None) -> Route | None:
        for sleutel in ((adressaat, functie), (adressaat, None), (IEDEREEN, functie), (IEDEREEN, None)):
            route = self._index.get(sleutel)
            if route is not None:
                return route
        return None

    def bevroren_tot(self, verbinding: Verbinding, nu: dt.datetime) -> dt.datetime | None:
        """When a freeze window of a route over this connection holds at `nu`: when it ends."""
        einde: dt.datetime | None = None
        for route in self.routes:
            if route.verbinding != verbinding:
                continue
            for van, tot in route.bevriezingen:
                if van <= nu < tot and (einde is None or tot > einde):
                    einde = tot
        return einde

    def wachttijd_s(self, verbinding: Verbinding) -> float:
        """How long a pull over this connection may be held (0: not at all), the longest its routes ask for."""
        return max((r.wacht_ms for r in self.routes if r.ophalen and r.verbinding == verbinding), default=0) / 1000

    def verbindingen_om_op_te_halen(self) -> list[Verbinding]:
        """Each distinct transport to pull from, once."""
        gezien: dict[Verbinding, None] = {}
        for route in self.routes:
            if route.ophalen:
                gezien.setdefault(route.verbinding)
        return list(gezien)


def _controleer_code(code: object, plek: str) -> str | None:
    if not isinstance(code, str):
        return f"{plek}: {code!r} is geen tekst; geef een gemeentecode (4 cijfers), AGB-code (8 cijfers) of \"*\""
    if code == IEDEREEN or _AGB_CODE.fullmatch(code):
        return None
    if _GEMEENTECODE.fullmatch(code):
        if not gemeente_bestaat(code):
            return (f"{plek}: gemeentecode {code} staat niet in de CBS-gemeentelijke indeling 2026; "
                    "controleer de code (bijvoorbeeld 0599 voor Rotterdam)")
        return None
    return f"{plek}: {code!r} is geen gemeentecode (4 cijfers) of AGB-code (8 cijfers)"


def _route_regels(tekst: str) -> dict[int, int]:
    """Where each [[route]] block starts: its number (1-based, as the messages count) -> line number."""
    regels = [n for n, regel in enumerate(tekst.splitlines(), start=1)
              if regel.strip().replace(" ", "").startswith("[[route]]")]
    return {i: n for i, n in enumerate(regels, start=1)}


def _bevriezingen(ruw: object, plek: str, problemen: list[str]) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """`bevriezing = [{van = 2027-01-01T00:00:00+01:00, tot = 2027-01-04T08:00:00+01:00}]` (TOML date-times with
    their offset: a window is a moment in time, whatever the machine's zone)."""
    voorbeeld = "bijvoorbeeld bevriezing = [{van = 2027-01-01T00:00:00+01:00, tot = 2027-01-04T08:00:00+01:00}]"
    if not isinstance(ruw, list):
        problemen.append(f"{plek}: 'bevriezing' is een lijst vensters; {voorbeeld}")
        return ()
    vensters = []
    for k, venster in enumerate(ruw, start=1):
        waar = f"{plek} bevriezing[{k}]"
        if not isinstance(venster, dict) or set(venster) != {"van", "tot"}:
            problemen.append(f"{waar}: een venster heeft precies 'van' en 'tot'; {voorbeeld}")
            continue
        van, tot = venster["van"], venster["tot"]
        if not all(isinstance(t, dt.datetime) and t.tzinfo is not None for t in (van, tot)):
            problemen.append(f"{waar}: 'van' en 'tot' zijn TOML-tijdstippen met tijdzone (+01:00 of Z), niet "
                             f"tussen aanhalingstekens; {voorbeeld}")
            continue
        if tot <= van:
            problemen.append(f"{waar}: 'tot' ({tot.isoformat()}) ligt niet na 'van' ({van.isoformat()})")
            continue
        vensters.append((van, tot))
    return tuple(vensters)


def _wacht_ms(blok: dict[str, object], adapter: object, ophalen: bool, plek: str, problemen: list[str]) -> int:
    """`wacht_ms = 1000`: hold each pull up to a second at the other side (our hub's long poll)."""
    if "wacht_ms" not in blok:
        return 0
    waarde = blok["wacht_ms"]
    if not isinstance(waarde, int) or isinstance(waarde, bool) or not 0 <= waarde <= MAX_WACHT_MS:
        problemen.append(f"{plek}: 'wacht_ms' is een geheel aantal milliseconden van 0 tot en met {MAX_WACHT_MS}, "
                         f"niet {waarde!r}; bijvoorbeeld wacht_ms = 1000")
        return 0
    if not ophalen:
        problemen.append(f"{plek}: 'wacht_ms' geldt alleen bij ophalen = true; zet ophalen = true of laat wacht_ms weg")
        return 0
    if isinstance(adapter, str) and adapter not in WACHTEND_OPHALEN:
        problemen.append(f"{plek}: 'wacht_ms' kan alleen met adapter {', '.join(sorted(WACHTEND_OPHALEN))} (de hub "
                         f"houdt het ophalen vast tot er een bericht is); laat wacht_ms weg bij adapter {adapter}")
        return 0
    return waarde


def uit_data(data: dict[str, object], *, bron: str = "routes.toml", eis_geheimen: bool = False,
             regels: dict[int, int] | None = None) -> Routeringstabel:
    problemen: list[str] = []
    ruw = data.get("route", [])
    if not isinstance(ruw, list) or not ruw:
        raise RouteringFout(bron, ["geen [[route]]-blokken gevonden; zie config/routes.example.toml"])
    routes: list[Route] = []
    gezien: dict[tuple[str, str | None], int] = {}
    for i, blok in enumerate(ruw, start=1):
        plek = f"[[route]] nr. {i}" + (f" (regel {regels[i]})" if regels and i in regels else "")
        if not isinstance(blok, dict):
            problemen.append(f"{plek}: verwacht een tabel met naar, adapter en endpoint")
            continue
        onbekend = set(blok) - {"naar", "adapter", "endpoint", "credentials", "berichten", "ophalen", "bevriezing",
                                "wacht_ms"}
        if onbekend:
            problemen.append(f"{plek}: onbekende sleutel(s) {', '.join(sorted(onbekend))}")
        naar = blok.get("naar")
        if isinstance(naar, str):
            naar = [naar]
        if not isinstance(naar, list) or not naar:
            problemen.append(f"{plek}: 'naar' ontbreekt; geef een lijst codes, of [\"*\"] voor iedereen")
            naar = []
        for j, code in enumerate(naar, start=1):
            fout = _controleer_code(code, f"{plek} naar[{j}]")
            if fout:
                problemen.append(fout)
        adapter = blok.get("adapter")
        if not isinstance(adapter, str):
            problemen.append(f"{plek}: 'adapter' ontbreekt (ggk, vecozo, filesystem, memory of een plug-in)")
        else:
            try:
                fabriek(adapter)
            except OnbekendeAdapter as exc:
                problemen.append(f"{plek}: {exc}")
        endpoint = blok.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint.strip():
            problemen.append(f"{plek}: 'endpoint' ontbreekt (een URL of, voor filesystem, een map)")
        credentials = blok.get("credentials")
        if credentials is not None:
            if not isinstance(credentials, str) or not _ENV_NAAM.fullmatch(credentials):
                problemen.append(f"{plek}: 'credentials' is de naam van een omgevingsvariabele, niet het geheim zelf")
            elif eis_geheimen and credentials not in os.environ:
                problemen.append(f"{plek}: omgevingsvariabele {credentials} is niet gezet; zet het token daarin")
        berichten = blok.get("berichten", [])
        namen: set[str] = set()
        if not isinstance(berichten, list):
            problemen.append(f"{plek}: 'berichten' is een lijst zoals [\"WMO301\", \"WMO325\"]")
            berichten = []
        for b in berichten:
            try:
                namen.add(catalogue.get(str(b)).naam)
            except KeyError:
                problemen.append(f"{plek}: berichten bevat {b!r}, geen bericht van {profielen.beschrijving()}")
        bevriezingen = _bevriezingen(blok.get("bevriezing", []), plek, problemen)
        ophalen = blok.get("ophalen", False)
        if not isinstance(ophalen, bool):
            problemen.append(f"{plek}: 'ophalen' is true of false")
        wacht_ms = _wacht_ms(blok, adapter, ophalen is True, plek, problemen)
        for code in naar:
            for b in sorted(namen) or [None]:
                eerder = gezien.setdefault((str(code), b), i)
                if eerder != i:
                    wat = f"{code} ({b})" if b else str(code)
                    problemen.append(f"{plek}: {wat} staat al in [[route]] nr. {eerder}; één route per bestemming")
        if isinstance(adapter, str) and isinstance(endpoint, str):
            routes.append(Route(tuple(str(c) for c in naar), adapter, endpoint.strip(),
                                credentials if isinstance(credentials, str) else None, frozenset(namen),
                                bool(ophalen), bevriezingen, wacht_ms))
    if problemen:
        raise RouteringFout(bron, problemen)
    return Routeringstabel(routes)


def laad(pad: str | Path, *, eis_geheimen: bool = False) -> Routeringstabel:
    pad = Path(pad)
    try:
        tekst = pad.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RouteringFout(str(pad), ["bestand bestaat niet; kopieer config/routes.example.toml en pas het aan "
                                       "(of zet IWMO_ROUTES_FILE)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RouteringFout(str(pad), [f"niet leesbaar ({exc}); geef een UTF-8-tekstbestand dat de gateway mag "
                                       "lezen"]) from None
    try:
        data = tomllib.loads(tekst)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says where: "... (at line 3, column 7)"; say it in the file's terms and what to do.
        raise RouteringFout(str(pad), [f"geen geldige TOML: {exc}; herstel de syntaxis (voorbeeld: "
                                       "config/routes.example.toml)"]) from None
    return uit_data(data, bron=str(pad), eis_geheimen=eis_geheimen, regels=_route_regels(tekst))


def leeg() -> Routeringstabel:
    """No routes: every message stays in the store for the API (a gateway without transport)."""
    return Routeringstabel([])
