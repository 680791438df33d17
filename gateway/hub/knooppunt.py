"""What the hub does with an envelope, apart from HTTP: authenticate the sender, read, route, check, store.

Both entrances end in the same store: a gemeente's StUF-GGk envelope and an aanbieder's VECOZO push. The hub
routes on the envelope only; it reads the payload for one thing, the XSD check in transit, so that an
invalid message is refused with a fault to its sender and never reaches (nor is answered by) its addressee.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from gateway.hub.config import AANBIEDER, GEMEENTE, HubConfig, Partij
from gateway.hub.routing import Route, Weigering, route
from gateway.hub.store import Aanname, Duplicaat, HubStore, Kanaal, NieuwBericht
from gateway.hub.wachtkamer import Wachtkamer
from gateway.standard import catalogue
from gateway.transport import envelope
from gateway.validation.findings import XML
from gateway.validation.validator import validate

log = logging.getLogger("gateway.hub")

_REFERENTIE = re.compile(rb"referentienummer>\s*([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\s*<")


@dataclass(eq=False)
class GgkWeigering(Exception):
    """A refusal for a gemeente: answered as a Fo01 (or, when nothing can be referred to, a bare fault)."""

    code: str
    omschrijving: str
    http_status: int
    cross_refnummer: str | None
    functie: str | None = None
    details: str | None = None


@dataclass(eq=False)
class VecozoWeigering(Exception):
    """A refusal for an aanbieder: 400 (bad request), 403 (not allowed) or 422 (do not retry)."""

    code: str
    omschrijving: str
    http_status: int
    ib: str | None = None


def _kort(tekst: str, n: int) -> str:
    return tekst if len(tekst) <= n else tekst[: n - 1] + "…"


@dataclass(frozen=True)
class Schemafout:
    xml: bool  # not even well-formed (BRS14) rather than not schema-valid (BRS13)
    omschrijving: str
    details: str


def schemacontrole(payload: bytes, functie: str) -> Schemafout | None:
    """The XSD check in transit; also refuses a payload of another message type than the envelope names."""
    uitslag = validate(payload, rules=False, max_bytes=envelope.MAX_ENVELOP_BYTES)
    if uitslag.errors:
        eerste = uitslag.errors[0]
        plek = ", ".join(eerste.locatie)
        details = f"{eerste.code} {plek}: {eerste.melding}" if plek else f"{eerste.code}: {eerste.melding}"
        standaard = uitslag.bericht.profiel.naam if uitslag.bericht else "zijn standaard"
        return Schemafout(
            xml=eerste.code == XML,
            omschrijving=f"Berichtbody van {functie} is niet conform het schema van {standaard} "
                         f"({len(uitslag.errors)} fout(en)); er volgt geen retourbericht. Herstel en verstuur opnieuw.",
            details=details,
        )
    if uitslag.bericht is not None and uitslag.bericht.naam != functie:
        return Schemafout(
            xml=False,
            omschrijving=f"De envelop noemt {functie} maar de payload is een {uitslag.bericht.naam}. "
                         "Zet de juiste functie in de envelop.",
            details=f"functie {functie}, payload {uitslag.bericht.naam}",
        )
    return None


class Knooppunt:
    def __init__(self, config: HubConfig, store: HubStore, wachtkamer: Wachtkamer | None = None):
        self.config = config
        self.store = store
        self.wachtkamer = wachtkamer or Wachtkamer()

    def _bewaar(self, nieuw: NieuwBericht) -> Aanname:
        """Commit the envelope; a new one for a pulling party wakes its held pulls (only once it is committed, so
        the pull that wakes finds it)."""
        aanname = self.store.neem_aan(nieuw)
        if aanname.nieuw and nieuw.kanaal is Kanaal.PULL:
            self.wachtkamer.meld(nieuw.ontvanger)
        return aanname

    # --- gemeente side: StUF-GGk -----------------------------------------------------------------

    def _ggk_weiger(self, partij: Partij, e: envelope.Envelop | None, code: str, omschrijving: str,
                    http_status: int = 400, details: str | None = None,
                    cross: str | None = None) -> GgkWeigering:
        traceer = e.referentienummer if e else cross
        self.store.weiger(traceer_id=traceer, zender=partij.code, ontvanger=e.ontvanger if e else None,
                          functie=e.functie if e else None, code=code, omschrijving=omschrijving)
        log.info("GGk-envelop %s van %s geweigerd: %s", traceer, partij.code, code)
        return GgkWeigering(code, _kort(omschrijving, 200), http_status, traceer, e.functie if e else None,
                            _kort(details, 1000) if details else None)

    def van_gemeente(self, partij: Partij, data: bytes) -> envelope.Envelop:
        """Take a Di01/Du01 over from a gemeente, or raise GgkWeigering."""
        if partij.soort != GEMEENTE:
            raise GgkWeigering("IB002", "Alleen gemeenten leveren via de GGk-koppeling aan; aanbieders gebruiken "
                                        "POST /berichten.", 403, None)
        try:
            e = envelope.lees(data)
        except envelope.EnvelopFout as exc:
            m = _REFERENTIE.search(data[:8192])
            raise self._ggk_weiger(partij, None, exc.code, exc.omschrijving,
                                   cross=m.group(1).decode() if m else None) from None
        if e.soort == envelope.FO01:
            raise self._ggk_weiger(partij, e, "IB006", "Deze hub neemt van gemeenten alleen Di01 en Du01 aan; "
                                                       "een Fo01 aan een aanbieder kan niet worden doorgegeven.")
        if e.zender != partij.code:
            raise self._ggk_weiger(partij, e, "IB002", f"De envelop noemt zender {e.zender}, maar het token hoort bij "
                                                       f"{partij.code}. Zet de eigen gemeentecode als zender.", 403)
        assert e.functie is not None and e.payload is not None
        r = route(self.config, partij, e.ontvanger, e.functie)
        if isinstance(r, Weigering):
            raise self._ggk_weiger(partij, e, r.ggk, r.omschrijving)
        fout = schemacontrole(e.payload, e.functie)
        if fout is not None:
            raise self._ggk_weiger(partij, e, "StUF055", fout.omschrijving, details=fout.details)
        meta = envelope.vecozo_metadata(e)
        nieuw = NieuwBericht(
            traceer_id=meta.traceer_id, conversatie_id=meta.conversatie_id, als_antwoord_op=meta.als_antwoord_op,
            zender=e.zender, zender_rol=partij.rol, ontvanger=e.ontvanger, ontvanger_rol=r.geadresseerde.rol,
            functie=e.functie, kanaal=Kanaal.PULL if r.geadresseerde.pull else Kanaal.PUSH, payload=e.payload,
            envelop=None if r.geadresseerde.pull else data,
        )
        try:
            aanname = self._bewaar(nieuw)
        except Duplicaat:
            raise self._ggk_weiger(partij, e, "IB016", f"Referentienummer {e.referentienummer} is door {e.zender} al "
                                                       "gebruikt voor een ander bericht. Maak een nieuw UUID v4.") from None
        log.info("GGk-envelop %s (%s) van %s voor %s %s", e.referentienummer, e.functie, e.zender, e.ontvanger,
                 "aangenomen" if aanname.nieuw else "al eerder aangenomen")
        return e

    # --- aanbieder side: VECOZO REST -------------------------------------------------------------

    def _vecozo_weiger(self, partij: Partij, meta: envelope.VecozoMetadata | None, code: str, omschrijving: str,
                       http_status: int = 422, ib: str | None = None) -> VecozoWeigering:
        ontvanger = meta.geadresseerden[0][1] if meta and meta.geadresseerden else None
        self.store.weiger(traceer_id=meta.traceer_id if meta else None, zender=partij.code, ontvanger=ontvanger,
                          functie=meta.berichttype if meta else None, code=code, omschrijving=omschrijving)
        log.info("VECOZO-bericht %s van %s geweigerd: %s", meta.traceer_id if meta else "-", partij.code, code)
        return VecozoWeigering(code, omschrijving, http_status, ib)

    def van_aanbieder(self, partij: Partij, metadata: bytes, payload: bytes) -> envelope.VecozoMetadata:
        """Take an aanbieder's push over, or raise VecozoWeigering."""
        if partij.soort != AANBIEDER:
            raise VecozoWeigering("BRS02", "POST /berichten is voor aanbieders; gemeenten leveren aan via POST /ggk.",
                                  403)
        try:
            meta = envelope.VecozoMetadata.from_json(json.loads(metadata))
        except (ValueError, UnicodeDecodeError) as exc:
            tekst = exc.omschrijving if isinstance(exc, envelope.EnvelopFout) else f"geen geldige JSON ({exc})"
            raise VecozoWeigering("HTTP400", f"berichtMetadata: {tekst}", 400) from None
        if meta.afzender[1] != partij.code:
            raise self._vecozo_weiger(partij, meta, "BRS03", f"Afzender {meta.afzender[1]} hoort niet bij het token "
                                                             f"van {partij.code}. Zet de eigen AGB-code als afzender.", 403)
        if meta.afzender[0] != partij.rol:
            raise self._vecozo_weiger(partij, meta, "BRS01", f"Afzender {partij.code} met rol {meta.afzender[0]} is "
                                                             f"onbekend; de aangesloten rol is {partij.rol}.")
        if len(meta.geadresseerden) != 1:
            raise self._vecozo_weiger(partij, meta, "HTTP400", "Een iWmo-bericht heeft precies één geadresseerde.", 400)
        if len(payload) > envelope.MAX_ENVELOP_BYTES:
            raise self._vecozo_weiger(partij, meta, "BRS06", f"De payload is {len(payload)} bytes; de grens is "
                                                             f"{envelope.MAX_ENVELOP_BYTES}. Splits het bericht.",
                                      ib="IB012")
        ontvanger = meta.geadresseerden[0][1]
        r = route(self.config, partij, ontvanger, meta.berichttype)
        if isinstance(r, Weigering):
            raise self._vecozo_weiger(partij, meta, r.vecozo, r.omschrijving, ib=r.ib)
        fout = schemacontrole(payload, meta.berichttype)
        if fout is not None:
            raise self._vecozo_weiger(partij, meta, "BRS14" if fout.xml else "BRS13",
                                      f"{fout.omschrijving} ({_kort(fout.details, 600)})", ib="IB014")
        if r.bericht.soort is catalogue.Soort.RETOUR and meta.als_antwoord_op is None:
            raise self._vecozo_weiger(partij, meta, "IB021", "alsAntwoordOp is leeg; een retourbericht noemt de "
                                                             "traceerId van het heenbericht waarop het antwoordt.")
        envelop = None
        if not r.geadresseerde.pull:
            try:
                envelop, _ = envelope.envelop_uit_vecozo(meta, payload)
            except envelope.EnvelopFout as exc:
                if exc.code == envelope.IB003_TE_GROOT:  # fits VECOZO's limit, not the 25 MB StUF-GGk envelope
                    raise self._vecozo_weiger(partij, meta, "BRS06", exc.omschrijving, ib="IB012") from None
                raise self._vecozo_weiger(partij, meta, exc.code, exc.omschrijving, 400) from None
        self._neem_aan(partij, meta, payload, r, envelop)
        return meta

    def _neem_aan(self, partij: Partij, meta: envelope.VecozoMetadata, payload: bytes, r: Route,
                  envelop: bytes | None) -> None:
        nieuw = NieuwBericht(
            traceer_id=meta.traceer_id, conversatie_id=meta.conversatie_id, als_antwoord_op=meta.als_antwoord_op,
            zender=partij.code, zender_rol=partij.rol, ontvanger=r.geadresseerde.code,
            ontvanger_rol=r.geadresseerde.rol, functie=meta.berichttype,
            kanaal=Kanaal.PULL if r.geadresseerde.pull else Kanaal.PUSH, payload=payload, envelop=envelop,
        )
        try:
            aanname = self._bewaar(nieuw)
        except Duplicaat:
            raise self._vecozo_weiger(partij, meta, "BRS114", f"TraceerId {meta.traceer_id} is door {partij.code} al "
                                                              "gebruikt voor een ander bericht. Maak een nieuwe.",
                                      ib="IB016") from None
        log.info("VECOZO-bericht %s (%s) van %s voor %s %s", meta.traceer_id, meta.berichttype, partij.code,
                 r.geadresseerde.code, "aangenomen" if aanname.nieuw else "al eerder aangenomen")
