"""The `iwmo-gateway` command."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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

    if args.update_readme:
        from gateway.validation.rules.catalogus import update_readme

        readme = Path(args.update_readme)
        readme.write_text(update_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if args.markdown:
        print(markdown_table())
        return 0
    for r in all_rules():
        print(f"{r.code:<7} {r.retourcode:<5} {' '.join(sorted(r.berichten)):<40} {r.omschrijving}")
    return 0


def _datum(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"geen datum JJJJ-MM-DD: {text!r}") from None


def cmd_retour(args: argparse.Namespace) -> int:
    """Write the retourbericht for one heenbericht (IV028); 1 when the message gets none."""
    from gateway.messages.retour import GeenRetourbericht, validate_and_build

    try:
        data = _read(args.file)
    except OSError as exc:
        print(f"iwmo-gateway: kan {args.file} niet lezen: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        xml = validate_and_build(data, identificatie=args.identificatie, dagtekening=args.dagtekening)
    except GeenRetourbericht as exc:
        print(f"iwmo-gateway: {args.file}: geen retourbericht. {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # an option the retour cannot carry, e.g. an IdentificatieRetour over 12 tekens
        print(f"iwmo-gateway: {exc}", file=sys.stderr)
        return 2
    if args.output is None:
        sys.stdout.buffer.write(xml)
        sys.stdout.flush()
        return 0
    try:
        Path(args.output).write_bytes(xml)
    except OSError as exc:
        print(f"iwmo-gateway: kan {args.output} niet schrijven: {exc.strerror}", file=sys.stderr)
        return 2
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
    p.add_argument("--update-readme", metavar="README", help="vervang de regeltabel in dit bestand")
    p.set_defaults(func=cmd_regels)

    p = sub.add_parser("retour", help="stel het retourbericht op voor een heenbericht (IV028)")
    p.add_argument("file", metavar="FILE", help="het heenbericht (301, 305, 307, 315, 317 of 319); - voor stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="schrijf het retourbericht hierheen in plaats van naar stdout")
    p.add_argument("--identificatie", help="IdentificatieRetour (standaard: nieuw, 12 tekens)")
    p.add_argument("--dagtekening", type=_datum, help="DagtekeningRetour JJJJ-MM-DD (standaard: vandaag)")
    p.set_defaults(func=cmd_retour)

    from gateway.serve import register as register_serve
    from gateway.store.cli_commands import register as register_store

    register_store(sub)
    register_serve(sub)
    _register_optional(sub, "gateway.transport.cli_commands")
    _register_optional(sub, "gateway.admin.cli_commands")
    return parser


def _register_optional(sub: Any, module: str) -> None:
    """Subcommands of parts that may be absent in a trimmed install (transport, admin)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
        return
    mod.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
