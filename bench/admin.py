"""Admin console page times over a large store (default 100 000 messages in a temporary SQLite database).

The store is filled by bulk insert (not through validation: this measures the pages, not the intake), with a
realistic mix: mostly accepted heenberichten and their retourberichten, some rejected with findings, dead
letters with deliveries, business keys and BSNs, spread over 30 days. Then each page is requested through the
real app (sign-in, cookie, templates) and timed.

    python bench/admin.py [--messages N] [--runs R] [--url sqlite:///…]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import secrets
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import apikeys, queries
from gateway.store.db import make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import Aflevering, Bericht, BerichtSleutel, Bevinding

VOORBEELD = (Path(__file__).resolve().parents[1] / "gateway" / "demo" / "berichten" / "WMO305.xml").read_bytes()
HEEN = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323"]
RETOUR = {"WMO301": "WMO302", "WMO305": "WMO306", "WMO307": "WMO308", "WMO315": "WMO316", "WMO317": "WMO318",
          "WMO319": "WMO320"}
REGELS = [("TR019", "9019", "/Bericht/Client/StartProducten/StartProduct[2]/ToewijzingNummer"),
          ("TR074", "9074", "/Bericht/Client/StartProducten/StartProduct[1]/Begindatum"),
          ("TR134", "0001", "/Bericht/Client/Geboortedatum/Datum"),
          ("TR307", "9307", "/Bericht/Client/StartProducten/StartProduct[1]/Begindatum")]
AANBIEDERS = [f"{12345600 + i:08d}" for i in range(40)]
GEMEENTEN = ["0599", "0363", "0344", "0518", "0014"]


def vul(url: str, n: int, seed: int = 7) -> None:
    """Bulk-insert about n messages (heen + retour) with keys, findings and deliveries."""
    rng = random.Random(seed)
    sessions = make_session_factory(make_engine(url))
    nu = dt.datetime.now(dt.UTC)
    sha = hashlib.sha256(VOORBEELD).hexdigest()
    berichten: list[dict[str, object]] = []
    sleutels: list[dict[str, object]] = []
    bevindingen: list[dict[str, object]] = []
    afleveringen: list[dict[str, object]] = []

    def bericht(**velden: object) -> str:
        ident = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        berichten.append({"id": ident, "raw": VOORBEELD, "sha256": sha, "size": len(VOORBEELD),
                          "berichtcode": "000", "gelezen_at": None, "antwoord_op_id": None, **velden})
        return ident

    i = 0
    while len(berichten) < n:
        i += 1
        type_ = rng.choice(HEEN)
        aanbieder, gemeente = rng.choice(AANBIEDERS), rng.choice(GEMEENTEN)
        van, naar = (gemeente, aanbieder) if type_ in ("WMO301", "WMO319") else (aanbieder, gemeente)
        moment = nu - dt.timedelta(seconds=rng.randrange(30 * 86400))
        lot = rng.random()
        # Sent messages are mostly answered; a few wait for an answer (the watchdog's overdue list).
        status = ("rejected" if lot < 0.08 else "dead_letter" if lot < 0.09 else "delivered" if lot < 0.095
                  else "answered" if lot < 0.2 else "accepted")
        ident = bericht(berichttype=type_, afzender=van, ontvanger=naar, verzender=van, adressaat=naar,
                        identificatie=f"B{i:09d}", dagtekening=moment.date(), richting="in", status=status,
                        submitted_by=van, created_at=moment, conversatie_id=None)
        berichten[-1]["conversatie_id"] = ident
        sleutels.append({"bericht_id": ident, "kind": "ToewijzingNummer", "value": f"T{i:08d}"})
        sleutels.append({"bericht_id": ident, "kind": "Bsn", "value": f"{100000000 + i % 20000:09d}"})
        if type_ == "WMO323":
            sleutels.append({"bericht_id": ident, "kind": "DeclaratieNummer", "value": f"D{i:09d}"})
        if status == "rejected":
            for code, retourcode, locatie in rng.sample(REGELS, rng.randint(1, 2)):
                bevindingen.append({"bericht_id": ident, "code": code, "retourcode": retourcode,
                                    "locatie": [locatie], "melding": f"{code}: voorbeeldmelding"})
        if status in ("dead_letter", "delivered", "answered"):
            afleveringen.append({"bericht_id": ident, "adapter": "ggk", "endpoint": "https://hub.example/ggk",
                                 "functie": type_, "zender": van, "ontvanger": naar, "envelop_id": str(uuid.uuid4()),
                                 "conversatie_id": None, "status": "delivered" if status == "answered" else status, "pogingen": 1,
                                 "volgende_poging_at": moment, "wachtrij_sinds": moment, "created_at": moment,
                                 "laatste_fout": "IB010: ontvanger onbekend" if status == "dead_letter" else None})
        if type_ in RETOUR and status != "dead_letter":
            bericht(berichttype=RETOUR[type_], afzender=naar, ontvanger=van, verzender=naar, adressaat=van,
                    identificatie=f"R{i:09d}", dagtekening=moment.date(), richting="uit", status="accepted",
                    submitted_by=van, created_at=moment + dt.timedelta(seconds=1), conversatie_id=ident,
                    antwoord_op_id=ident)
    with sessions() as s, s.begin():
        s.execute(insert(Bericht), berichten)
        s.execute(insert(BerichtSleutel), sleutels)
        s.execute(insert(Bevinding), bevindingen)
        s.execute(insert(Aflevering), afleveringen)


def _tijd(client: TestClient, pad: str, runs: int) -> tuple[float, int]:
    tijden = []
    status = 0
    for _ in range(runs):
        start = time.perf_counter()
        r = client.get(pad)
        tijden.append(time.perf_counter() - start)
        status = r.status_code
    return statistics.median(tijden) * 1000, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        start = time.perf_counter()
        vul(url, args.messages)
        print(f"{args.messages} berichten ingevoegd in {time.perf_counter() - start:.1f} s ({url.split(':')[0]})")
        sessions = make_session_factory(make_engine(url))
        with sessions() as s, s.begin():
            sleutel = apikeys.create(s, label="bench", role="viewer").key
        with sessions() as s:
            # A cursor deep into the unfiltered list: the row 90 % of the way down.
            diep = s.scalars(select(Bericht).order_by(Bericht.created_at.desc(), Bericht.id.desc())
                             .offset(int(args.messages * 0.9)).limit(1)).one()
            cursor = queries._encode_cursor(diep)
            afgewezen = s.scalars(select(Bericht.id).where(Bericht.status == "rejected")).first()
        app = create_app(Settings(database_url=url, admin_secret=secrets.token_urlsafe(48)))
        with TestClient(app, follow_redirects=False) as client:
            formulier = client.get("/admin/inloggen").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', formulier).group(1)  # type: ignore[union-attr]
            assert client.post("/admin/inloggen", data={"sleutel": sleutel, "csrf": csrf}).status_code == 303
            paginas = [
                ("dashboard (vandaag)", "/admin"),
                ("dashboard (30 dagen)", "/admin?periode=30"),
                ("afgekeurd, pagina 1", "/admin/afgekeurd"),
                ("afgekeurd, regel TR019 + partner", f"/admin/afgekeurd?regel=TR019&partner={AANBIEDERS[3]}"),
                ("afgekeurd, retourcode 9307, 7 dagen", "/admin/afgekeurd?retourcode=9307&periode=7"),
                ("zoek prefix ToewijzingNummer", "/admin/afgekeurd?status=alle&zoek=T0000123"),
                ("alle berichten, diepe cursor (90 %)", f"/admin/afgekeurd?status=alle&cursor={cursor}"),
                ("berichtdetail (afgekeurd)", f"/admin/berichten/{afgewezen}"),
            ]
            print(f"{'pagina':<40} {'mediaan':>10}  status")
            for naam, pad in paginas:
                ms, status = _tijd(client, pad, args.runs)
                print(f"{naam:<40} {ms:>8.1f} ms  {status}")


if __name__ == "__main__":
    main()
