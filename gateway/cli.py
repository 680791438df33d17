"""The `iwmo-gateway` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.validation.validator import Uitslag, validate


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _print_human(path: str, uitslag: Uitslag) -> None:
    naam = uitslag.bericht.naam if uitslag.bericht else "onbekend"
    if uitslag.valid:
        print(f"{path}: {naam} geldig")
        return
    print(f"{path}: {naam} ONGELDIG ({len(uitslag.errors)} bevinding(en))")
    for f in uitslag.errors:
        where = ", ".join(f.locatie) or "-"
        line = f" regel {f.regel}" if f.regel else ""
        rc = f" [retourcode {f.retourcode}]" if f.retourcode else ""
        print(f"  {f.code}{rc}{line} {where}\n    {f.melding}")


def cmd_validate(args: argparse.Namespace) -> int:
    results: list[dict[str, object]] = []
    any_invalid = False
    for path in args.files:
        try:
            data = _read(path)
        except OSError as exc:
            print(f"iwmo-gateway: kan {path} niet lezen: {exc.strerror}", file=sys.stderr)
            return 2
        uitslag = validate(data)
        any_invalid |= not uitslag.valid
        if args.json:
            results.append(uitslag.to_json(file=path))
        else:
            _print_human(path, uitslag)
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 1 if any_invalid else 0


def cmd_regels(args: argparse.Namespace) -> int:
    from gateway.validation.rules.catalogus import markdown_table
    from gateway.validation.rules.registry import all_rules

    if args.markdown:
        print(markdown_table())
        return 0
    for r in all_rules():
        print(f"{r.code:<7} {r.retourcode:<5} {' '.join(sorted(r.berichten)):<40} {r.omschrijving}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iwmo-gateway", description="iWmo 3.2 berichtenverkeer-gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="valideer iWmo-berichten (XSD en regels)")
    p.add_argument("--json", action="store_true", help="uitvoer als JSON-array, een object per bestand")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("regels", help="toon de regels die de gateway controleert")
    p.add_argument("--markdown", action="store_true", help="als Markdown-tabel (voor de README)")
    p.set_defaults(func=cmd_regels)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
