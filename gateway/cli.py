"""The `iwmo-gateway` command."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gateway.validation import safe_xml
from gateway.validation.findings import Finding
from gateway.validation.validator import Uitslag, validate

# Commands that judge files and need neither a database nor HTTP. For these the parser is built without the
# other parts' subcommands, whose modules pull in pydantic-settings, SQLAlchemy, httpx and uvicorn: importing
# those would take longer than validating one message (issue #11, CLI goal).
KERNCOMMANDOS = ("validate", "regels", "retour")


def _read(path: str) -> bytes:
    """The file's bytes, read no further than the size limit: `/dev/zero` or a huge file raises TE_GROOT
    (XmlRefused) after IWMO_MAX_BERICHT_BYTES + 1 bytes instead of filling the memory first."""
    if path == "-":
        return safe_xml.lees_begrensd(sys.stdin.buffer)
    with Path(path).open("rb") as bron:
        return safe_xml.lees_begrensd(bron)


def _print_human(path: str, uitslag: Uitslag) -> None:
    naam = uitslag.bericht.naam if uitslag.bericht else "onbekend"
    if uitslag.valid:
        print(f"{path}: {naam} geldig")
        return
    print(f"{path}: {naam} ONGELDIG ({len(uitslag.errors)} bevinding(en))")
    for f in uitslag.bevindingen:
        where = ", ".join(f.locatie) or "-"
        line = f" regel {f.regel}" if f.regel else ""
        rc = f" [retourcode {f.retourcode}]" if f.retourcode else ""
        print(f"  {f.code}{rc}{line} {where}\n    {f.melding}")


# The code of a file `validate` could not read (missing, no permission, a folder without messages): not a
# verdict on a message, so no rule, no retourcode.
BESTAND = "BESTAND"

# OSError.strerror is the C library's English; a user of this command reads Dutch.
_LEESFOUTEN = {
    errno.ENOENT: "het bestand bestaat niet",
    errno.EACCES: "geen leesrecht op het bestand",
    errno.EPERM: "geen leesrecht op het bestand",
    errno.EISDIR: "dit is een map",
    errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ELOOP: "te veel symbolische koppelingen in het pad",
    errno.ENAMETOOLONG: "de bestandsnaam is te lang",
    errno.EIO: "invoer-/uitvoerfout bij het lezen",
}


def leesfout(exc: OSError) -> str:
    """Why a file could not be read, in Dutch."""
    if exc.errno in _LEESFOUTEN:
        return _LEESFOUTEN[exc.errno]
    naam = errno.errorcode.get(exc.errno or 0, "onbekend")
    return f"het bestand kan niet worden gelezen ({naam})"


def _onleesbaar(waarom: str) -> Uitslag:
    return Uitslag(bericht=None, errors=[Finding(code=BESTAND, melding=f"Niet gevalideerd: {waarom}. Controleer "
                                                                       "het pad en de rechten.")])


def _bestanden(argumenten: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """(path, None) for every file to validate, in argument order; a folder gives its .xml files sorted by
    name (not its subfolders), or (folder, why) when it holds none."""
    for argument in argumenten:
        if argument != "-" and Path(argument).is_dir():
            xml = sorted(str(p) for p in Path(argument).iterdir() if p.suffix.lower() == ".xml" and p.is_file())
            if not xml:
                yield argument, "de map bevat geen .xml-bestanden"
            yield from ((pad, None) for pad in xml)
        else:
            yield argument, None


def _beoordeel(path: str) -> tuple[Uitslag, bool]:
    """The verdict on one file and whether it could be read at all."""
    try:
        return validate(_read(path)), True
    except OSError as exc:
        return _onleesbaar(leesfout(exc)), False
    except safe_xml.XmlRefused as refused:  # over the size limit: judged without reading the rest
        return Uitslag(bericht=None, errors=[refused.finding]), True


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 when every file is valid, 1 when any is not, 2 when any could not be read (it is still reported
    with code BESTAND, and the other files are still judged)."""
    results: list[dict[str, object]] = []
    any_invalid = any_unreadable = False
    for path, waarom in _bestanden(args.files):
        uitslag, gelezen = (_onleesbaar(waarom), False) if waarom else _beoordeel(path)
        any_unreadable |= not gelezen
        any_invalid |= not uitslag.valid
        if args.json:
            results.append(uitslag.to_json(file=path))
        elif not gelezen:
            print(f"iwmo-gateway: {path}: {uitslag.errors[0].melding}", file=sys.stderr)
        else:
            _print_human(path, uitslag)
    if args.json:
        import json

        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 2 if any_unreadable else 1 if any_invalid else 0


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
        print(f"iwmo-gateway: kan {args.file} niet lezen: {leesfout(exc)}", file=sys.stderr)
        return 2
    except safe_xml.XmlRefused as refused:
        print(f"iwmo-gateway: {args.file}: geen retourbericht. {refused.finding.melding}", file=sys.stderr)
        return 1
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


# The parts that add commands of their own, in the order `--help` lists them: (module, may be absent in a trimmed
# install). Adding a part imports its module, and some import much (pydantic-settings, httpx for the demo).
DELEN: tuple[tuple[str, bool], ...] = (
    ("gateway.store.cli_commands", False),
    ("gateway.serve", False),
    ("gateway.validation.cli_commands", False),  # issue 15: installed profiles
    ("gateway.transport.cli_commands", True),
    ("gateway.admin.cli_commands", True),
)


def build_parser(*, alleen_kern: bool = False, commando: str | None = None) -> argparse.ArgumentParser:
    """The command line. `alleen_kern`: only the commands in KERNCOMMANDOS (see there). `commando`: the parts are
    added in turn until one brings that command, so `keys list` does not import the demo's HTTP client; a command
    no part brings (or none given, or --help) gets them all, and with them argparse's list of choices."""
    parser = argparse.ArgumentParser(prog="iwmo-gateway", description="iWmo 3.2 berichtenverkeer-gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="valideer iWmo-berichten (XSD en regels)")
    p.add_argument("--json", action="store_true", help="uitvoer als JSON-array, een object per bestand")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="berichten; een map valideert de .xml-bestanden erin; - leest stdin. Afsluitcode 0: alles "
                        "geldig, 1: een bericht ongeldig, 2: een bestand onleesbaar (code BESTAND) of verkeerd gebruik")
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
    if alleen_kern:
        return parser

    for module, optioneel in DELEN:
        _register(sub, module, optioneel=optioneel)
        if commando in sub.choices:
            break
    return parser


def _register(sub: Any, module: str, *, optioneel: bool) -> None:
    """The subcommands of one part; an optional part (transport, admin) may be absent in a trimmed install."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if not optioneel or exc.name is None or not module.startswith(exc.name):
            raise
        return
    mod.register(sub)


def _instellingsfout(exc: Any) -> str:
    """A refused setting as one line that names the variable, not a pydantic traceback."""
    delen = []
    for fout in exc.errors():
        naam = "IWMO_" + str(fout["loc"][0]).upper() if fout["loc"] else "instellingen"
        delen.append(fout["msg"] if fout["msg"].startswith(naam) else f"{naam}: {fout['msg']}")
    return "; ".join(delen)


def _instellingen_geweigerd(exc: Exception) -> bool:
    # Settings are read with pydantic-settings; when pydantic was never imported, the error cannot be its.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(exc, pydantic.ValidationError) and exc.title == "Settings"


def main(argv: Sequence[str] | None = None) -> int:
    argumenten = sys.argv[1:] if argv is None else list(argv)
    eerste = argumenten[0] if argumenten else None
    parser = build_parser(alleen_kern=eerste in KERNCOMMANDOS, commando=eerste)
    args = parser.parse_args(argumenten)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # here, so a reader that went away meets the handler below, not the interpreter's exit
        return code
    except BrokenPipeError:
        return _lezer_weg()
    except Exception as exc:
        if not _instellingen_geweigerd(exc):
            raise
        print(f"iwmo-gateway {args.command}: {_instellingsfout(exc)}", file=sys.stderr)
        return 2


# What a command killed by SIGPIPE returns in a shell (128 + 13), so `set -o pipefail` sees the same.
SIGPIPE_CODE = 141


def _lezer_weg() -> int:
    """The reader of our output went away (`iwmo-gateway regels | head`): stop quietly. stdout is pointed at
    /dev/null so that Python's final flush of what is still buffered does not complain on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture): nothing to flush
        pass
    return SIGPIPE_CODE


if __name__ == "__main__":
    sys.exit(main())
