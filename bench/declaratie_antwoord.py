"""The cost of answering a declaratie: building the WMO325 for a generated WMO323, and validating it.

For a WMO323 of n prestaties (default 10 000, gateway/demo/generate.py) and three decisions — everything granted
(the smallest 325), every tenth prestatie refused, and a client fault on every client (every prestatie in the
325, the largest) — prints the median time to build, to validate the built 325 (XSD and all in-message rules,
as the gateway does before sending it), the 325's size and the peak Python memory (tracemalloc) of build and
validate. Parsing the 323 is counted in the build: the API hands the builder the stored bytes.

    python bench/declaratie_antwoord.py [--n 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable

from lxml import etree

from gateway.demo.generate import declaratie
from gateway.messages.declaratie_antwoord import bouw_declaratie_antwoord
from gateway.validation.validator import validate

BASIS = "{http://www.istandaarden.nl/iwmo/3_2/basisschema/schema}"
DAGTEKENING = "2026-05-13"  # after the generated 323's Dagtekening


def _mediaan(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm: schemas and XPaths compiled
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _piek_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000, help="prestaties in the generated WMO323")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = declaratie(args.n)
    root = etree.fromstring(data)
    nummers = [el.text or "" for el in root.iter(f"{BASIS}ReferentieNummer")]
    clienten = len(root.findall(".//{*}Client"))
    beslissingen: dict[str, dict[str, object]] = {
        "alles toegekend": {"afgewezen": {}},
        "1 op 10 afgewezen": {"afgewezen": {n: ["9340"] for n in nummers[::10]}},
        "elke cliënt fout": {"afgewezen": {}, "client_fouten": {
            f"/Bericht/Declaratie/Clienten/Client[{i}]": ["8187"] for i in range(1, clienten + 1)}},
    }
    print(f"WMO323 × {args.n} prestaties, {clienten} cliënten, {len(data) / 1e6:.1f} MB; median of {args.repeat}")
    print(f"{'beslissing':<20} {'325 size':>10} {'build':>10} {'validate':>10} {'peak build':>11} {'peak valid.':>11}")
    for naam, kw in beslissingen.items():
        def bouw(kw: dict[str, object] = kw) -> bytes:
            return bouw_declaratie_antwoord(data, identificatie="BENCH", dagtekening=DAGTEKENING, **kw).xml  # type: ignore[arg-type]

        xml = bouw()
        uitslag = validate(xml)
        if uitslag.errors:  # a bench of an invalid 325 measures the wrong thing
            raise SystemExit(f"{naam}: the built 325 is not valid: {uitslag.errors[0].code} {uitslag.errors[0].melding}")
        t_bouw = _mediaan(bouw, args.repeat)
        t_valideer = _mediaan(lambda xml=xml: validate(xml), args.repeat)
        print(f"{naam:<20} {len(xml) / 1e6:>8.2f} MB {t_bouw * 1e3:>8.0f} ms {t_valideer * 1e3:>8.0f} ms"
              f" {_piek_mb(bouw):>8.1f} MB {_piek_mb(lambda xml=xml: validate(xml)):>8.1f} MB")


if __name__ == "__main__":
    main()
