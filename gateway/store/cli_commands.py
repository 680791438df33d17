"""`iwmo-gateway db|audit|keys` subcommands."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from gateway.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _sessions():  # type: ignore[no-untyped-def]
    from gateway.store.db import make_engine, make_session_factory

    return make_session_factory(make_engine(get_settings().database_url))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from gateway.store.db import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    print("database op de nieuwste migratie")
    return 0


@contextmanager
def _snapshot_session() -> Iterator[Session]:
    """A read-only session that sees one consistent moment while the gateway keeps writing: a message and its
    events are then never read half-way through a transaction, and nobody waits for the check."""
    from sqlalchemy import create_engine, event

    from gateway.store.db import is_sqlite, make_engine, make_session_factory

    url = get_settings().database_url
    if is_sqlite(url):
        # Our usual SQLite engine begins every transaction IMMEDIATE (a writer); a deferred BEGIN in WAL mode
        # reads a snapshot instead of holding the write lock for the whole check.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN")
    else:
        engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            if not is_sqlite(url):
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session
    finally:
        engine.dispose()


MAX_GETOOND = 50  # message faults printed; the rest are counted


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from gateway.store.audit import Anker, configured_key, head, verify_berichten, walk_chain

    try:
        anker = Anker.parse(_anker_tekst(args.anker)) if args.anker else None
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 2
    key = configured_key()
    with _snapshot_session() as session:
        keten = walk_chain(session, anker=anker, key=key)
        berichten = verify_berichten(session, max_getoond=MAX_GETOOND)
        laatste = head(session)
    fout = False
    if keten.broken is not None:
        print(f"audit trail gebroken bij event {keten.broken.seq}: {keten.broken.reason}", file=sys.stderr)
        fout = True
    if keten.events == 0 and berichten.berichten:
        print(f"audit trail leeg, maar er zijn {berichten.berichten} berichten opgeslagen: hun events zijn "
              "verwijderd", file=sys.stderr)
        fout = True
    for afwijking in berichten.afwijkingen:
        print(afwijking, file=sys.stderr)
    if berichten.aantal_afwijkingen > len(berichten.afwijkingen):
        print(f"… en nog {berichten.aantal_afwijkingen - len(berichten.afwijkingen)} afwijking(en)", file=sys.stderr)
    fout = fout or berichten.aantal_afwijkingen > 0
    for regel in _over_macs(keten.events, keten.zonder_mac, keten.met_mac, gecontroleerd=key is not None):
        print(regel, file=sys.stderr if fout else sys.stdout)
    if fout:
        print("audit verify: NIET in orde; onderzoek de genoemde events en berichten (niets is hersteld)",
              file=sys.stderr)
        return 1
    if laatste is None:
        print("audit trail leeg en geen berichten opgeslagen")
        return 0
    extra = []
    if berichten.opgeschoond:
        extra.append(f"{berichten.opgeschoond} met inhoud verwijderd na de bewaartermijn")
    if berichten.ingekort:
        extra.append(f"{berichten.ingekort} ingekort opgeslagen (alleen status en events gecontroleerd)")
    print(f"audit trail intact: {keten.events} events; {berichten.berichten} berichten kloppen met de keten"
          + (f" ({'; '.join(extra)})" if extra else ""))
    print(f"anker voor een volgende controle (bewaar het buiten deze database): {laatste}")
    return 0


def _anker_tekst(tekst: str) -> str:
    """The SEQ:HASH in what was pasted: the whole line `audit verify` printed, quotes, spaces or capitals
    around it are what a person copies, and all mean the same anchor."""
    kandidaten = re.findall(r"\d+:[0-9A-Fa-f]{64}\b", tekst)
    return kandidaten[-1].lower() if len(kandidaten) == 1 else tekst.strip()


def _over_macs(events: int, zonder_mac: int, met_mac: int, *, gecontroleerd: bool) -> list[str]:
    """What the verdict rests on as to the audit key, so nobody reads 'intact' as more than it is."""
    if not events:
        return []
    if not gecontroleerd:
        if met_mac:
            return [f"{met_mac} events dragen een mac die niet is gecontroleerd: zet IWMO_AUDIT_KEY om ook een "
                    "herschreven en opnieuw gehashte keten te vangen"]
        return []
    if zonder_mac == events:
        return [f"geen van de {events} events draagt een mac: ze zijn geschreven zonder IWMO_AUDIT_KEY (of de macs "
                "zijn verwijderd); alleen een anker kan deze keten nog bevestigen"]
    if zonder_mac:
        return [f"{zonder_mac} events (1–{zonder_mac}) zijn van voor IWMO_AUDIT_KEY en hebben geen mac; "
                f"{met_mac} macs kloppen"]
    return [f"alle {met_mac} macs kloppen"]


def cmd_keys_create(args: argparse.Namespace) -> int:
    from gateway.store import apikeys

    # No default: a key that can do everything must be asked for by name, never be what a forgotten option gives.
    if (args.party is None) == (args.role is None):
        print("iwmo-gateway keys create: geef precies één van --party CODE (gemeentecode of AGB-code) of "
              f"--role {'|'.join(apikeys.BEHEERROLLEN)}", file=sys.stderr)
        return 2
    fout = apikeys.partij_fout(args.party) if args.party is not None else None
    if fout:
        print(f"iwmo-gateway keys create: --party: {fout}", file=sys.stderr)
        return 2
    role = args.role or "party"
    with _sessions()() as session, session.begin():
        try:
            made = apikeys.create(session, label=args.label, party=args.party, role=role)
        except ValueError as exc:
            print(f"iwmo-gateway keys create: {exc}", file=sys.stderr)
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
    afgekeurd = args.afgekeurd_dagen if args.afgekeurd_dagen is not None else settings.bewaartermijn_afgekeurd_dagen
    if inhoud is None and feiten is None and afgekeurd is None:
        # A trial run with the default settings (every term off) is a question, and this is its answer; a real
        # run without a term is more likely a cron job whose environment lost its settings, so it fails.
        print("geen bewaartermijn ingesteld (IWMO_BEWAARTERMIJN_INHOUD_DAGEN / IWMO_BEWAARTERMIJN_FEITEN_DAGEN / "
              "IWMO_BEWAARTERMIJN_AFGEKEURD_DAGEN of --inhoud-dagen / --feiten-dagen / --afgekeurd-dagen); er "
              f"{'zou niets worden' if args.proef else 'is niets'} verwijderd",
              file=sys.stdout if args.proef else sys.stderr)
        return 0 if args.proef else 2
    try:
        uitslag = opschonen(_sessions(), inhoud_dagen=inhoud, feiten_dagen=feiten, afgekeurd_dagen=afgekeurd,
                            proef=args.proef)
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 2
    werkwoord = "zou verwijderen" if args.proef else "verwijderd"
    print(f"inhoud {werkwoord}: {uitslag.inhoud} berichten ({uitslag.bytes} bytes); "
          f"feiten {werkwoord}: {uitslag.feiten} berichten; afgekeurde inhoud {werkwoord}: {uitslag.afgekeurd} "
          "berichten")
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
    p.add_argument("--afgekeurd-dagen", type=_dagen, help="overschrijft IWMO_BEWAARTERMIJN_AFGEKEURD_DAGEN")
    p.add_argument("--proef", action="store_true", help="alleen tellen, niets verwijderen")
    p.set_defaults(func=cmd_db_opschonen)

    au = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_command", required=True)
    p = au.add_parser("verify", help="controleer de hashketen, de macs (IWMO_AUDIT_KEY) en de berichten ertegen")
    p.add_argument("--anker", help="SEQ:HASH uit een eerdere controle: vangt ook een ingekorte keten")
    p.set_defaults(func=cmd_audit_verify)

    keys = sub.add_parser("keys", help="API-sleutels").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="maak een sleutel")
    p.add_argument("--party", help="sleutel van één partij: gemeentecode (4 cijfers, CBS-lijst) of AGB-code (8 cijfers)")
    p.add_argument("--role", choices=("admin", "operator", "viewer"), help="beheersleutel met deze rol")
    p.add_argument("--label", required=True)
    p.set_defaults(func=cmd_keys_create)
    keys.add_parser("list", help="toon sleutels").set_defaults(func=cmd_keys_list)
    p = keys.add_parser("revoke", help="trek een sleutel in")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_keys_revoke)
