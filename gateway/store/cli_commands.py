"""`iwmo-gateway db|audit|keys` subcommands."""

from __future__ import annotations

import argparse
import sys

from gateway.settings import get_settings


def _sessions():  # type: ignore[no-untyped-def]
    from gateway.store.db import make_engine, make_session_factory

    return make_session_factory(make_engine(get_settings().database_url))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from gateway.store.db import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    print("database op de nieuwste migratie")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from gateway.store.audit import Anker, head, verify_chain

    try:
        anker = Anker.parse(args.anker) if args.anker else None
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 2
    with _sessions()() as session:
        broken = verify_chain(session, anker=anker)
        laatste = head(session)
    if broken is not None:
        print(f"audit trail gebroken bij event {broken.seq}: {broken.reason}", file=sys.stderr)
        return 1
    if laatste is None:
        print("audit trail leeg")
    else:
        print(f"audit trail intact; anker voor een volgende controle (bewaar het buiten deze database): {laatste}")
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from gateway.store import apikeys

    role = args.role or ("party" if args.party else "admin")
    with _sessions()() as session, session.begin():
        try:
            made = apikeys.create(session, label=args.label, party=args.party, role=role)
        except ValueError as exc:
            print(f"iwmo-gateway: {exc}", file=sys.stderr)
            return 2
    print(f"sleutel {made.id} ({made.role}{' ' + made.party if made.party else ''}): {made.key}")
    print("Bewaar deze sleutel nu: de gateway slaat alleen een hash op.", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from gateway.store import apikeys

    with _sessions()() as session:
        for k in apikeys.list_keys(session):
            state = f"ingetrokken {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "actief"
            print(f"{k.id:>4}  {k.prefix}…  {k.role:<8} {k.party or '-':<8}  {k.label}  ({state})")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from gateway.store import apikeys

    with _sessions()() as session, session.begin():
        ok = apikeys.revoke(session, args.id)
    print("ingetrokken" if ok else "onbekende of al ingetrokken sleutel")
    return 0 if ok else 1


def cmd_db_opschonen(args: argparse.Namespace) -> int:
    from gateway.store.retentie import opschonen

    settings = get_settings()
    inhoud = args.inhoud_dagen if args.inhoud_dagen is not None else settings.bewaartermijn_inhoud_dagen
    feiten = args.feiten_dagen if args.feiten_dagen is not None else settings.bewaartermijn_feiten_dagen
    if inhoud is None and feiten is None:
        print("geen bewaartermijn ingesteld (IWMO_BEWAARTERMIJN_INHOUD_DAGEN / IWMO_BEWAARTERMIJN_FEITEN_DAGEN "
              "of --inhoud-dagen / --feiten-dagen); er is niets verwijderd", file=sys.stderr)
        return 2
    try:
        uitslag = opschonen(_sessions(), inhoud_dagen=inhoud, feiten_dagen=feiten, proef=args.proef)
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 2
    werkwoord = "zou verwijderen" if args.proef else "verwijderd"
    print(f"inhoud {werkwoord}: {uitslag.inhoud} berichten ({uitslag.bytes} bytes); "
          f"feiten {werkwoord}: {uitslag.feiten} berichten")
    return 0


def _dagen(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("een bewaartermijn is minstens 1 dag")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migreer naar de nieuwste versie").set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("opschonen", help="verwijder inhoud en feiten van afgeronde berichten na de bewaartermijn")
    p.add_argument("--inhoud-dagen", type=_dagen, help="overschrijft IWMO_BEWAARTERMIJN_INHOUD_DAGEN")
    p.add_argument("--feiten-dagen", type=_dagen, help="overschrijft IWMO_BEWAARTERMIJN_FEITEN_DAGEN")
    p.add_argument("--proef", action="store_true", help="alleen tellen, niets verwijderen")
    p.set_defaults(func=cmd_db_opschonen)

    au = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_command", required=True)
    p = au.add_parser("verify", help="controleer de hashketen")
    p.add_argument("--anker", help="SEQ:HASH uit een eerdere controle: vangt ook een ingekorte keten")
    p.set_defaults(func=cmd_audit_verify)

    keys = sub.add_parser("keys", help="API-sleutels").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="maak een sleutel")
    p.add_argument("--party", help="gemeentecode (4 cijfers) of AGB-code (8 cijfers)")
    p.add_argument("--role", choices=("party", "admin", "operator", "viewer"))
    p.add_argument("--label", required=True)
    p.set_defaults(func=cmd_keys_create)
    keys.add_parser("list", help="toon sleutels").set_defaults(func=cmd_keys_list)
    p = keys.add_parser("revoke", help="trek een sleutel in")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_keys_revoke)
