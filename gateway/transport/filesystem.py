"""Exchange by directory, for back-offices that work with files.

Layout under the endpoint directory:
    uit/    envelopes we send: `<envelop_id>.xml` (the payload) and `<envelop_id>.json` (routing data)
    in/     envelopes for us: `<naam>.xml`, optionally with a `<naam>.json` beside it
    in/verwerkt/   where acknowledged input goes
Every file is written under a temporary name and renamed into place, so a reader never sees half a file;
the JSON is renamed last, so its presence means the payload is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import asdict
from pathlib import Path

from gateway.transport.adapter import Ontvangen, Resultaat, TransportFout, Verbinding, Zending

log = logging.getLogger("gateway.transport.filesystem")


def _schrijf_atomair(doel: Path, data: bytes) -> None:
    tmp = doel.with_name(f".{doel.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, doel)


class FilesystemTransport:
    naam = "filesystem"

    def __init__(self, basis: Path):
        self.uit = basis / "uit"
        self.inbox = basis / "in"
        self.verwerkt = self.inbox / "verwerkt"
        for d in (self.uit, self.inbox, self.verwerkt):
            d.mkdir(parents=True, exist_ok=True)

    def verstuur(self, zending: Zending) -> Resultaat:
        try:
            _schrijf_atomair(self.uit / f"{zending.envelop_id}.xml", zending.payload)
            meta = {k: v for k, v in asdict(zending).items() if k != "payload"}
            meta["sha256"] = hashlib.sha256(zending.payload).hexdigest()
            _schrijf_atomair(self.uit / f"{zending.envelop_id}.json",
                             json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
        except OSError as exc:  # a full disk or a missing mount may pass; retry
            return Resultaat.tijdelijk(f"kan niet schrijven in {self.uit}: {exc.strerror}")
        return Resultaat.geslaagd(f"geschreven naar {self.uit}")

    def ophalen(self, limit: int) -> list[Ontvangen]:
        try:
            namen = sorted((p for p in self.inbox.glob("*.xml") if not p.name.startswith(".")),
                           key=lambda p: (p.stat().st_mtime_ns, p.name))
        except OSError as exc:
            raise TransportFout(f"kan {self.inbox} niet lezen: {exc.strerror}") from exc
        gevonden: list[Ontvangen] = []
        for pad in namen[:limit]:
            meta_pad = pad.with_suffix(".json")
            meta: dict[str, str | None] = {}
            if meta_pad.exists():
                try:
                    meta = json.loads(meta_pad.read_text(encoding="utf-8"))
                except (ValueError, OSError) as exc:  # the payload itself still tells who sent what
                    log.warning("%s is geen leesbare JSON (%s); het bericht wordt zonder metadata gelezen",
                                meta_pad, exc)
                    meta = {}
            gevonden.append(Ontvangen(
                id=pad.name, envelop_id=str(meta.get("envelop_id") or pad.stem), payload=pad.read_bytes(),
                zender=meta.get("zender"), ontvanger=meta.get("ontvanger"), functie=meta.get("functie"),
                sha256=meta.get("sha256"), conversatie_id=meta.get("conversatie_id"),
                antwoord_op=meta.get("antwoord_op"),
            ))
        return gevonden

    def bevestig(self, id: str) -> None:
        pad = self.inbox / Path(id).name  # never outside the inbox, whatever the id says
        try:
            meta = pad.with_suffix(".json")
            if meta.exists():
                os.replace(meta, self.verwerkt / meta.name)
            os.replace(pad, self.verwerkt / pad.name)
        except FileNotFoundError:
            return  # already acknowledged (a second worker, or a retry after a crash)
        except OSError as exc:
            raise TransportFout(f"kan {pad} niet verplaatsen naar {self.verwerkt}: {exc.strerror}") from exc

    def close(self) -> None:
        pass


def maak(verbinding: Verbinding) -> FilesystemTransport:
    return FilesystemTransport(Path(verbinding.endpoint))
