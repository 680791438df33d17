"""Exports: the filtered list as CSV (no BSN in it) and the selected messages' stored XML as a ZIP.

Every CSV cell passes `neutraliseer`: an Identificatie such as `=1+1` is valid for the XSD, and a spreadsheet
would run it as a formula.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.admin import lijst
from gateway.store import queries
from gateway.store.models import Bericht, Bevinding

KOLOMMEN = ("id", "berichttype", "status", "richting", "verzender", "adressaat", "identificatie", "dagtekening",
            "ontvangen", "regelcodes", "retourcodes")
MAX_ZIP = 500  # a selection is a page of the list; far more is a bulk download, which the API serves
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): = + - @ and a leading tab or CR.
FORMULETEKENS = ("=", "+", "-", "@", "\t", "\r")


def neutraliseer(cel: str) -> str:
    """The cell as text a spreadsheet shows but never evaluates: a leading single quote before a formula sign."""
    return "'" + cel if cel.startswith(FORMULETEKENS) else cel


def _cellen(waarden: Iterable[str]) -> list[str]:
    return [neutraliseer(w) for w in waarden]


def _regel(b: Bericht, bevindingen: list[Bevinding]) -> list[str]:
    return [b.id, b.berichttype or "", b.status, b.richting, b.verzender or "", b.adressaat or "",
            b.identificatie or "", b.dagtekening.isoformat() if b.dagtekening else "",
            b.created_at.isoformat(timespec="seconds"),
            " ".join(sorted({v.code for v in bevindingen})),
            " ".join(sorted({v.retourcode for v in bevindingen if v.retourcode}))]


def _in_blokken(rijen: Iterable[Bericht], grootte: int) -> Iterator[list[Bericht]]:
    blok: list[Bericht] = []
    for r in rijen:
        blok.append(r)
        if len(blok) == grootte:
            yield blok
            blok = []
    if blok:
        yield blok


def csv_regels(session: Session, f: queries.Filter) -> Iterator[str]:
    """The CSV text in chunks, so a large export streams instead of building in memory."""
    buffer = io.StringIO()
    schrijver = csv.writer(buffer, delimiter=";")  # Dutch spreadsheets read ';' without an import dialog
    schrijver.writerow(_cellen(KOLOMMEN))
    for blok in _in_blokken(lijst.alle(session, f), 1000):
        per_bericht: dict[str, list[Bevinding]] = defaultdict(list)
        for v in session.scalars(select(Bevinding).where(Bevinding.bericht_id.in_([b.id for b in blok]))):
            per_bericht[v.bericht_id].append(v)
        for b in blok:
            schrijver.writerow(_cellen(_regel(b, per_bericht[b.id])))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _bestandsnaam(b: Bericht) -> str:
    ident = re.sub(r"[^A-Za-z0-9._-]", "_", b.identificatie or "zonder-identificatie")
    return f"{b.berichttype or 'onleesbaar'}_{ident}_{b.id[:8]}.xml"


def zip_van(session: Session, ids: list[str]) -> tuple[bytes, list[str], list[str]]:
    """(zip bytes, ids included, ids left out because their content was removed by retention or is unknown)."""
    if len(ids) > MAX_ZIP:
        raise ValueError(f"kies hoogstens {MAX_ZIP} berichten per ZIP (nu {len(ids)})")
    buffer = io.BytesIO()
    mee: list[str] = []
    niet: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for b in session.scalars(select(Bericht).where(Bericht.id.in_(ids)).order_by(Bericht.created_at)):
            if not b.raw:
                niet.append(b.id)
                continue
            z.writestr(_bestandsnaam(b), b.raw)
            mee.append(b.id)
        niet += [i for i in ids if i not in mee and i not in niet]
        if niet:
            z.writestr("NIET-OPGENOMEN.txt", "Deze berichten zijn onbekend of hun inhoud is volgens de "
                                             "bewaartermijn verwijderd:\n" + "\n".join(niet) + "\n")
    return buffer.getvalue(), mee, niet
