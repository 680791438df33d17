"""`iwmo-gateway demo`: the whole berichtenverkeer on one machine, step by step.

It starts the chain (gemeente gateway, hub, aanbieder gateway; `gateway.transport.keten`) and walks the
example conversation in gateway/demo/berichten through it the way two back-offices would: each heenbericht
is submitted to its sender's REST API with that party's key, and the answer is awaited at the sender, where
the partner's retourbericht (or the gemeente's WMO325) arrives through the hub.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from gateway.standard import catalogue, profielen
from gateway.standard.codelijsten import betekenis
from gateway.transport.keten import (
    TOKEN_AANBIEDER,
    TOKEN_GEMEENTE,
    Gateway,
    Keten,
    KetenFout,
    opzetten,
)

BERICHTEN = Path(__file__).resolve().parents[1] / "demo" / "berichten"
WACHTTIJD_S = 90.0


@dataclass(frozen=True)
class Stap:
    heen: str
    zender: str  # "gemeente" or "aanbieder"
    antwoord: str


# The order of a real case: the aanbieder asks, the gemeente assigns, care starts and stops, a change is
# asked and answered, and the declaratie is settled. Then the same parties' youth-care case under iJw 3.2,
# over the same hub: assigned, started and declared.
STAPPEN = (
    Stap("WMO315", "aanbieder", "WMO316"),
    Stap("WMO301", "gemeente", "WMO302"),
    Stap("WMO305", "aanbieder", "WMO306"),
    Stap("WMO307", "aanbieder", "WMO308"),
    Stap("WMO317", "aanbieder", "WMO318"),
    Stap("WMO319", "gemeente", "WMO320"),
    Stap("WMO323", "aanbieder", "WMO325"),
    Stap("JW301", "gemeente", "JW302"),
    Stap("JW305", "aanbieder", "JW306"),
    Stap("JW323", "aanbieder", "JW325"),
)


class StapMislukt(Exception):
    pass


def retourcodes(xml: bytes) -> list[str]:
    """Every RetourCode in a retourbericht or WMO325, in document order, each once."""
    from gateway.validation import safe_xml

    codes: dict[str, None] = {}
    for el in safe_xml.parse(xml).root.iter("{*}RetourCode"):
        if el.text:
            codes.setdefault(el.text.strip())
    return list(codes)


def _wacht(beschrijving: str, conditie: Callable[[], object], keten: Keten, seconden: float = WACHTTIJD_S) -> object:
    einde = time.monotonic() + seconden
    while True:
        uitkomst = conditie()
        if uitkomst:
            return uitkomst
        if time.monotonic() > einde:
            raise StapMislukt(f"na {seconden:g} s nog niet: {beschrijving} (logs in {keten.map})")
        time.sleep(0.05)


def _status(gw: Gateway, bericht_id: str, client: httpx.Client) -> str:
    r = gw.get(f"/api/v1/berichten/{bericht_id}", client=client)
    r.raise_for_status()
    return str(r.json()["status"])


# The gemeente's decision in the demo, per declaratie: refuse its second prestatie (the 01B02 one of the WMO323,
# see gateway/demo/berichten/WMO325.xml; the 40B02 one of the JW323).
DEMO_BESLISSING = {
    "WMO323": {"afgewezen": [{"ReferentieNummer": "P2026-04-0002", "retourcodes": ["9308"]}]},
    "JW323": {"afgewezen": [{"ReferentieNummer": "PJ2026-04-0002", "retourcodes": ["9308"]}]},
}


def _beantwoord_declaratie(keten: Keten, declaratie: str, client: httpx.Client) -> None:
    """The gemeente's back-office: wait for the declaratie in its inbox and decide on it; the gateway builds the
    declaratie-antwoord from that decision and sends it back through the hub."""
    gemeente = keten.gemeente
    gevonden: list[str] = []

    def binnen() -> bool:
        r = gemeente.get("/api/v1/inbox", client=client)
        r.raise_for_status()
        gevonden[:] = [str(b["id"]) for b in r.json()["items"] if b.get("bericht") == declaratie]
        return bool(gevonden)

    _wacht(f"de {declaratie} in de inbox van de gemeente", binnen, keten)
    r = client.post(f"{gemeente.base}/api/v1/berichten/{gevonden[0]}/declaratie-antwoord",
                    json=DEMO_BESLISSING[declaratie],
                    headers={"Authorization": f"Bearer {gemeente.key}"})
    if r.status_code != 201:
        raise StapMislukt(f"de gemeente kon de declaratie niet beantwoorden: HTTP {r.status_code} {r.text[:300]}")


def voer_uit(keten: Keten, stap: Stap, client: httpx.Client) -> tuple[str, list[str]]:
    """Submit one heenbericht at its sender and wait there for its answer; (status, retourcodes)."""
    zender = keten.gemeente if stap.zender == "gemeente" else keten.aanbieder
    r = zender.post((BERICHTEN / f"{stap.heen}.xml").read_bytes(), client=client)
    if r.status_code not in (200, 201):
        raise StapMislukt(f"{stap.heen} niet aangenomen: HTTP {r.status_code} {r.text[:300]}")
    ingediend = r.json()
    if ingediend["status"] != "accepted":
        codes = ", ".join(f"{f['code']} {f['melding']}" for f in ingediend.get("errors", []))
        raise StapMislukt(f"{stap.heen} afgekeurd door de eigen gateway: {codes}")
    heen_id = str(ingediend["id"])
    if stap.heen in DEMO_BESLISSING:
        _beantwoord_declaratie(keten, stap.heen, client)

    def beantwoord() -> str | None:
        status = _status(zender, heen_id, client)
        if status == "dead_letter":
            raise StapMislukt(f"{stap.heen} is niet afgeleverd (dead letter); zie de audit trail van {heen_id}")
        return status if status == "answered" else None

    _wacht(f"het antwoord op {stap.heen} bij de {zender.naam}", beantwoord, keten)
    antwoord = zender.get(f"/api/v1/berichten/{heen_id}/retour", client=client)
    antwoord.raise_for_status()
    return "answered", retourcodes(antwoord.content)


def stappen_van(standaard: str | None) -> tuple[Stap, ...]:
    """The steps of one standard's conversation ("iwmo", "ijw"), or all of them."""
    if not standaard:
        return STAPPEN
    return tuple(s for s in STAPPEN if catalogue.get(s.heen).profiel.standaard.lower() == standaard.lower())


def draai_script(keten: Keten, uit: TextIO, stappen: tuple[Stap, ...] = STAPPEN) -> bool:
    """Walk the steps, one line each; False when a step failed (the rest is skipped)."""
    with httpx.Client(timeout=30) as client:
        for n, stap in enumerate(stappen, start=1):
            zender = keten.gemeente if stap.zender == "gemeente" else keten.aanbieder
            ontvanger = keten.aanbieder if zender is keten.gemeente else keten.gemeente
            kop = (f"[{n}/{len(stappen)}] {stap.heen} {zender.naam} {zender.partij} -> "
                   f"{ontvanger.naam} {ontvanger.partij}")
            begin = time.monotonic()
            try:
                status, codes = voer_uit(keten, stap, client)
            except (StapMislukt, httpx.HTTPError) as exc:
                print(f"{kop}: MISLUKT na {time.monotonic() - begin:.2f} s: {exc}", file=uit, flush=True)
                return False
            # A retourbericht without RetourCode elements finds nothing wrong (IV028 leaves them out then).
            gevonden = " ".join(codes) if codes else "geen, niets afgekeurd"
            print(f"{kop}: {status}; {stap.antwoord} ontvangen (retourcodes: {gevonden}) "
                  f"in {time.monotonic() - begin:.2f} s", file=uit, flush=True)
            for code in codes:
                print(f"      {code}: {betekenis(code)}", file=uit, flush=True)
    return True


def overzicht(keten: Keten, *, draait: bool) -> str:
    g, a = keten.gemeente, keten.aanbieder
    regels = [f"\nAlles staat in {keten.map} (databases, configuratie, logs):"]
    for gw in (g, a):
        regels += [f"  {gw.naam:<9} {gw.partij:<8}  {gw.base}  database {gw.database_url}",
                   f"            API-sleutel {gw.key}",
                   f"            beheerder   {keten.beheerder_keys.get(gw.naam, '')}"]
    regels += [f"  hub                 {keten.hub_url}  database {keten.hub_database_url}",
               f"            tokens: gemeente {TOKEN_GEMEENTE}, aanbieder {TOKEN_AANBIEDER}",
               f"  {g.base}/ggk neemt alleen afleveringen van de hub aan (zijn token, per demo nieuw); "
               "die van de aanbieder is dicht (hij haalt op)"]
    if draait:
        regels += ["\nKijk rond (alles draait tot Ctrl-C):",
                   f"  curl -s -H 'Authorization: Bearer {a.key}' {a.base}/api/v1/berichten",
                   f"  curl -s -H 'Authorization: Bearer {g.key}' {g.base}/api/v1/inbox",
                   f"  curl -s -H 'Authorization: Bearer {TOKEN_AANBIEDER}' '{keten.hub_url}/berichten?limit=10'",
                   f"  beheerconsole: {g.base}/admin en {a.base}/admin (aanmelden met de beheerderssleutel)",
                   f"  API-documentatie: {g.base}/docs"]
    else:
        regels += ["\nDe processen zijn gestopt; de stores blijven. Bekijk er een met bijvoorbeeld:",
                   f"  IWMO_DATABASE_URL={g.database_url} iwmo-gateway serve --port 8080",
                   "  en meld je op http://127.0.0.1:8080/admin aan met de beheerderssleutel van de gemeente,",
                   "  of draai `iwmo-gateway demo --keep` om de hele keten te laten draaien."]
    return "\n".join(regels)


def _stop_bij_sigterm() -> None:
    """SIGTERM ends the demo like Ctrl-C does, so the chain is shut down by the finally below. SIGINT is set
    too: a process started in the background by a shell without job control (`sh -c 'iwmo-gateway demo &'`, a
    CI runner) inherits SIGINT ignored, and Python then leaves it ignored, so Ctrl-C would not stop the demo."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def cmd_demo(args: argparse.Namespace) -> int:
    map = Path(args.map) if args.map else Path(tempfile.mkdtemp(prefix="iwmo-demo-"))
    if any((map / f"{naam}.db").exists() for naam in ("gemeente", "aanbieder", "hub")):
        # The example messages would meet themselves (TR056): every step would be refused.
        print(f"iwmo-gateway demo: {map} bevat al de stores van een eerdere demo; kies een lege map met --map "
              "of laat --map weg", file=sys.stderr)
        return 2
    _stop_bij_sigterm()
    keten = opzetten(map, log_level="WARNING")
    print(f"iwmo-gateway demo: gemeente {keten.gemeente.partij}, hub en aanbieder {keten.aanbieder.partij} "
          f"starten op 127.0.0.1 (map {map})", flush=True)
    try:
        begin = time.monotonic()
        try:
            keten.start()
        except KetenFout as exc:
            print(f"iwmo-gateway demo: de keten start niet: {exc}", file=sys.stderr)
            return 1
        print(f"keten draait na {time.monotonic() - begin:.1f} s: gemeente {keten.gemeente.base}, "
              f"hub {keten.hub_url}, aanbieder {keten.aanbieder.base}\n", flush=True)
        stappen = stappen_van(args.standaard)
        gelukt = draai_script(keten, sys.stdout, stappen)
        print(f"\n{'Alle' if gelukt else 'Niet alle'} {len(stappen)} stappen afgerond "
              f"({time.monotonic() - begin:.1f} s sinds de start).", flush=True)
        print(overzicht(keten, draait=args.keep), flush=True)
        if args.keep:
            while True:  # until Ctrl-C or SIGTERM; a process that dies ends the demo too
                time.sleep(0.5)
                _nog_levend(keten)
        return 0 if gelukt else 1
    except KeyboardInterrupt:
        print("\nonderbroken; de keten stopt", flush=True)
        return 130
    except KetenFout as exc:
        print(f"iwmo-gateway demo: {exc}", file=sys.stderr)
        return 1
    finally:
        with _zonder_onderbrekingen():  # a second Ctrl-C must not cut the shutdown short
            keten.stop()


@contextlib.contextmanager
def _zonder_onderbrekingen() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    eerder = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in eerder.items():
            signal.signal(sig, handler)


def _nog_levend(keten: Keten) -> None:
    for naam, proc in (("hub", keten.hub), *((f"{g.naam} {w}", p) for g in keten.gateways
                                               for w, p in (("serve", g.serve), ("worker", g.worker)))):
        if proc is not None and proc.poll() is not None:
            raise KetenFout(f"{naam} is gestopt met code {proc.returncode}; zie de logs in {keten.map}")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="start gemeente-gateway, hub en aanbieder-gateway lokaal en speel de hele "
                                    "keten 315 -> 325 door")
    p.add_argument("--keep", action="store_true", help="laat de drie processen draaien tot Ctrl-C")
    standaarden = sorted({profiel.standaard.lower() for profiel in profielen.PROFIELEN})
    p.add_argument("--standaard", choices=standaarden, type=str.lower,
                   help=f"speel alleen het gesprek van één standaard ({', '.join(standaarden)}); standaard: allebei")
    p.add_argument("--map", metavar="DIR", help="map voor databases, configuratie en logs (standaard: een nieuwe "
                                                "tijdelijke map, die blijft staan)")
    p.set_defaults(func=cmd_demo)
