"""The example conversation as building blocks for cross-message scenarios.

Every scenario starts from our own consistent conversation (gateway/demo/berichten: gemeente 0599, aanbieder
12345678, toewijzingen 260451 and 260452) and changes only what the scenario is about, with `Msg`. A `Keten`
files messages as accepted (after checking that each is XSD-valid and clean in itself, so a scenario can
never pass because of a broken message) and judges the next message against them.
"""

from __future__ import annotations

import datetime as dt
import itertools

from gateway.settings import Mode
from gateway.validation.cross.memory import InMemoryHistory
from gateway.validation.cross.registry import run_cross_rules
from gateway.validation.cross.tarieven import Tarieven
from gateway.validation.findings import Finding
from gateway.validation.validator import validate
from tests.msgedit import BASIS, Msg
from tests.reference import our_example

# Late enough that no example message is dated in the future (TR135 has its own tests).
VANDAAG = dt.date(2026, 12, 31)
ANDERE_BSN = "111222333"  # passes the elfproef; a client the gemeente never allocated to this aanbieder
ANDERE_GEMEENTE = "0600"
ANDERE_AANBIEDER = "87654321"

START = "Client/StartProducten/StartProduct"
STOP = "Client/StopProducten/StopProduct"
TP = "Client/ToegewezenProducten/ToegewezenProduct"
PRESTATIE = "Declaratie/Clienten/Client/Prestaties/Prestatie"

START_LOC = "/Bericht/Client/StartProducten/StartProduct"
STOP_LOC = "/Bericht/Client/StopProducten/StopProduct"
PRESTATIE_LOC = "/Bericht/Declaratie/Clienten/Client/Prestaties/Prestatie"
IDENTIFICATIE_LOC = "/Bericht/Header/BerichtIdentificatie/Identificatie"
DAGTEKENING_LOC = "/Bericht/Header/BerichtIdentificatie/Dagtekening"

_volgnummer = itertools.count(1)


def voorbeeld(naam: str) -> Msg:
    return Msg(our_example(naam))


def nieuw(naam: str, *, dagtekening: str | None = None) -> Msg:
    """An example message under a fresh Identificatie, so TR056 does not see it as a message sent twice."""
    m = voorbeeld(naam)
    m.set("Header/BerichtIdentificatie/Identificatie", f"T{next(_volgnummer):07d}")
    if dagtekening is not None:
        m.set("Header/BerichtIdentificatie/Dagtekening", dagtekening)
    return m


def alleen_regel(m: Msg, klasse: str, nummer: int) -> Msg:
    """Keep only line `nummer` (1-based) of a start or stop message."""
    total = len(m.el(klasse.rpartition("/")[0]))
    for index in range(total, 0, -1):
        if index != nummer:
            m.remove(f"{klasse}[{index}]")
    return m


def stop(*, reden: str = "19", einddatum: str = "2026-09-30", status: str = "1", begindatum: str | None = None,
         dagtekening: str = "2026-10-05") -> Msg:
    """The example stop of 260451 with the fields the stop rules are about."""
    m = nieuw("WMO307", dagtekening=dagtekening)
    m.set(f"{STOP}/RedenBeeindiging", reden).set(f"{STOP}/Einddatum", einddatum)
    m.set(f"{STOP}/StatusAanlevering", status)
    if begindatum is not None:
        m.set(f"{STOP}/Begindatum", begindatum)
    return m


def start(nummer: int = 1, *, begindatum: str | None = None, status: str = "1",
          dagtekening: str = "2026-04-07") -> Msg:
    """Line `nummer` of the example start (1: toewijzing 260451, 2: 260452) on its own."""
    m = alleen_regel(nieuw("WMO305", dagtekening=dagtekening), START, nummer)
    m.set(f"{START}/StatusAanlevering", status)
    if begindatum is not None:
        m.set(f"{START}/Begindatum", begindatum)
    return m


def voeg_regel_toe(m: Msg, klasse: str, **velden: str) -> Msg:
    """Copy the last line of a start/stop message and change some of its fields (keyword = element name)."""
    count = len(m.el(klasse.rpartition("/")[0]))
    m.duplicate(f"{klasse}[{count}]")
    for naam, waarde in velden.items():
        m.set(f"{klasse}[{count + 1}]/{naam}", waarde)
    return m


# -- declaraties ----------------------------------------------------------------------------------------------

def herbereken(m: Msg) -> Msg:
    """Keep a declaratie's amounts consistent after editing volumes: Bedrag = volume × ProductTarief (TR346; a
    prestatie in minutes carries a tarief per minute, IV081), TotaalBedrag = debet minus credit."""
    totaal = 0
    prestaties = m.el("Declaratie/Clienten/Client/Prestaties")
    for index in range(1, len(prestaties) + 1):
        p = f"{PRESTATIE}[{index}]"
        volume, tarief = int(m.text(f"{p}/GeleverdVolume") or 0), int(m.text(f"{p}/ProductTarief") or 0)
        bedrag = volume * tarief
        m.set(f"{p}/IngediendBedrag/Bedrag", str(bedrag))
        totaal += -bedrag if m.text(f"{p}/IngediendBedrag/DebetCredit") == "C" else bedrag
    m.set("Declaratie/TotaalIngediendBedrag/TotaalBedrag", str(abs(totaal)))
    m.set("Declaratie/TotaalIngediendBedrag/DebetCredit", "C" if totaal < 0 else "D")
    return m


def declaratie(*, nummer: str | None = None, dagtekening: str = "2026-05-06") -> Msg:
    """The example declaratie (April 2026) under a fresh Identificatie and DeclaratieNummer."""
    m = nieuw("WMO323", dagtekening=dagtekening)
    m.set("Declaratie/DeclaratieNummer", nummer or f"D{next(_volgnummer):09d}")
    m.set("Declaratie/DeclaratieDagtekening", dagtekening)
    return m


def toewijzing(**velden: str) -> Msg:
    """The example toewijzing with fields of ToegewezenProduct[1] (260451) changed; keys like 'Omvang/Volume'."""
    m = voorbeeld("WMO301")
    for pad, waarde in velden.items():
        m.set(f"{TP}[1]/{pad}", waarde)
    return m


def volume(m: Msg, index: int, waarde: int, eenheid: str | None = None) -> Msg:
    m.set(f"{PRESTATIE}[{index}]/GeleverdVolume", str(waarde))
    if eenheid is not None:
        m.set(f"{PRESTATIE}[{index}]/Eenheid", eenheid)
    return herbereken(m)


def hernummer(m: Msg, *referenties: str) -> Msg:
    """Give the prestaties new ReferentieNummers (TR314: a number is used once per aanbieder)."""
    for index, ref in enumerate(referenties, start=1):
        m.set(f"{PRESTATIE}[{index}]/ProductReferentie/ReferentieNummer", ref)
    return m


def alleen_prestatie(m: Msg, nummer: int) -> Msg:
    for index in range(len(m.el("Declaratie/Clienten/Client/Prestaties")), 0, -1):
        if index != nummer:
            m.remove(f"{PRESTATIE}[{index}]")
    return herbereken(m)


def crediteer(m: Msg, index: int, vorig: str) -> Msg:
    """Turn prestatie `index` into a credit of the debet with ReferentieNummer `vorig`."""
    m.append(f"{PRESTATIE}[{index}]/ProductReferentie", "VorigReferentieNummer", vorig, ns=BASIS)
    m.set(f"{PRESTATIE}[{index}]/IngediendBedrag/DebetCredit", "C")
    return herbereken(m)


def afwijzing(referentie: str, *, toewijzing: str = "260452") -> Msg:
    """The example declaratie-antwoord, rejecting the prestatie `referentie` (on toewijzing `toewijzing`)."""
    m = nieuw("WMO325")
    p = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"
    m.set(f"{p}/ProductReferentie/ReferentieNummer", referentie)
    if toewijzing != "260452":
        decl = Msg(our_example("WMO323"))
        bron = f"{PRESTATIE}[1]"
        for veld in ("ToewijzingNummer", "ProductCategorie", "ProductCode", "ProductPeriode/Begindatum",
                     "ProductPeriode/Einddatum", "GeleverdVolume", "Eenheid", "ProductTarief",
                     "IngediendBedrag/Bedrag"):
            m.set(f"{p}/{veld}", decl.text(f"{bron}/{veld}") or "")
        bedrag = int(decl.text(f"{bron}/IngediendBedrag/Bedrag") or 0)
        ingediend = int(m.text("DeclaratieAntwoord/TotaalIngediendBedrag/TotaalBedrag") or 0)
        m.set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", str(ingediend - bedrag))
    return m


# -- the conversation under test ----------------------------------------------------------------------------

def data(bericht: Msg | bytes) -> bytes:
    return bericht.bytes() if isinstance(bericht, Msg) else bericht


class Keten:
    """Accepted messages (their facts filed, as the store does) and the verdict on a next message."""

    def __init__(self, mode: Mode = Mode.STRICT, today: dt.date = VANDAAG, tarieven: Tarieven | None = None):
        self.history = InMemoryHistory()
        self.mode = mode
        self.today = today
        self.tarieven = tarieven or Tarieven()  # never the configured file: scenarios say what they know

    def accepteer(self, *berichten: Msg | bytes) -> Keten:
        for bericht in berichten:
            fouten = self.oordeel(bericht)
            assert not fouten, f"scenario set-up: this message should be accepted, got {fouten}"
            self.history.add(data(bericht))
        return self

    def oordeel(self, bericht: Msg | bytes, *, mode: Mode | None = None, today: dt.date | None = None
                ) -> list[Finding]:
        """In-message rules must pass (the scenario's messages are sound in themselves); returns the findings
        of the cross-message rules."""
        uitslag = validate(data(bericht))
        assert uitslag.valid and uitslag.bericht and uitslag.tree is not None, (
            f"the edited message must be valid in itself: {uitslag.errors}")
        return run_cross_rules(uitslag.bericht, uitslag.tree.getroot(), self.history, mode=mode or self.mode,
                               today=today or self.today, tarieven=self.tarieven)

    def fouten(self, bericht: Msg | bytes, code: str | None = None, **kwargs: object
               ) -> list[tuple[str, str | None, list[str]]]:
        """(code, retourcode, locatie) of the findings, optionally of one rule only."""
        return [(f.code, f.retourcode, list(f.locatie)) for f in self.oordeel(bericht, **kwargs)  # type: ignore[arg-type]
                if code in (None, f.code)]

    def codes(self, bericht: Msg | bytes, **kwargs: object) -> set[str]:
        return {f.code for f in self.oordeel(bericht, **kwargs)}  # type: ignore[arg-type]


def toegewezen(mode: Mode = Mode.STRICT) -> Keten:
    """The gemeente has sent toewijzing TW2026-0311 (260451, 260452)."""
    return Keten(mode).accepteer(voorbeeld("WMO301"))


def gestart(mode: Mode = Mode.STRICT) -> Keten:
    """... and the aanbieder has reported both starts."""
    return toegewezen(mode).accepteer(voorbeeld("WMO305"))


def gestopt(mode: Mode = Mode.STRICT) -> Keten:
    """... and the definitive stop (reden 19) of 260451."""
    return gestart(mode).accepteer(voorbeeld("WMO307"))


def gedeclareerd(mode: Mode = Mode.STRICT) -> Keten:
    """... and the declaratie over April 2026 (P2026-04-0001 on 260451, P2026-04-0002 on 260452)."""
    return gestopt(mode).accepteer(voorbeeld("WMO323"))
