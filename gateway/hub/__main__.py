"""`python -m gateway.hub`: the same as `iwmo-gateway hub`, usable before the command is wired in."""

from __future__ import annotations

import argparse
import sys

from gateway.hub.cli_commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.hub")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["hub", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
