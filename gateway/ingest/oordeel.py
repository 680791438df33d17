"""Judging a message before any transaction: pure, bytes in and an `Oordeel` out.

Parse once, find the message type, read the header, run the XSD and the in-message rules, and build the
retourbericht those findings give. The store later adds what needs earlier messages (cross-message rules,
TR056); only when that changes the findings is the retourbericht built again. The built retourbericht is not
run through the XSD again: the builder copies an XSD-valid heenbericht into the retour's schema, and
tests/test_retour.py keeps proving that its output is valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from gateway.messages.retour import GeenRetourbericht, als_bytes, bouw_retourbericht
from gateway.standard import catalogue
from gateway.store.keys import Kop, extract, partijen
from gateway.validation.findings import PROFIEL, TE_GROOT, Finding
from gateway.validation.validator import Uitslag, validate


@dataclass(frozen=True)
class Ingekort:
    """A body over the size limit that was not kept whole: its digest and size, and its first bytes."""

    prefix: bytes
    sha256: str
    size: int


def uitslag_te_groot(body: Ingekort, max_bytes: int | None) -> Uitslag:
    """The verdict on a body too large to keep: TE_GROOT, as the safe parser would have said."""
    grens = f"de grens is {max_bytes} bytes" if max_bytes is not None else "dat is boven de grens"
    return Uitslag(bericht=None, errors=[Finding(
        code=TE_GROOT, melding=f"Het bericht is {body.size} bytes; {grens}. Splits het bericht (bijvoorbeeld een "
                               "declaratie per periode) of verhoog IWMO_MAX_BERICHT_BYTES.")])


@dataclass
class Oordeel:
    """One judged message: the bytes, what the checks without a database found, and its retourbericht."""

    data: bytes  # what is stored: the whole body, or the prefix of one too large to keep
    sha256: str  # of the whole body as it arrived
    uitslag: Uitslag
    grootte: int = 0  # of the whole body as it arrived
    kop: Kop | None = None
    retour: bytes | None = None  # for `uitslag.errors`; None when the message gets no retourbericht here
    retour_dagtekening: dt.date | None = None
    beantwoorden: bool = False  # whether this gateway builds the retourbericht (IWMO_IDENTITEIT)
    voor_ons: bool = False  # addressed to a party this gateway answers for (a 323's immediate 325, IV087)
    extra: list[Finding] = field(default_factory=list)  # findings the store added (cross rules, TR056)
    # Every retourbericht built, with the findings it answers and its Kop: one set of findings gets one
    # retourbericht (one IdentificatieRetour), however often it is asked for.
    _gebouwd: list[_Retour] = field(default_factory=list, repr=False, compare=False)

    @property
    def bericht(self) -> catalogue.Berichttype | None:
        return self.uitslag.bericht

    @property
    def root(self) -> etree._Element | None:
        return self.uitslag.tree.getroot() if self.uitslag.tree is not None else None

    @property
    def verzender(self) -> str | None:
        """Who sends this message by its header (for a retourbericht: its Ontvanger)."""
        beide = partijen(self.bericht, self.kop) if self.kop is not None else None
        return beide[0] if beide else None

    @property
    def adressaat(self) -> str | None:
        beide = partijen(self.bericht, self.kop) if self.kop is not None else None
        return beide[1] if beide else None

    def retourbericht(self, errors: list[Finding]) -> bytes | None:
        """The retourbericht for the final findings: the one built while judging when nothing was added."""
        gebouwd = self._retour(errors)
        return gebouwd.xml if gebouwd is not None else None

    def retour_kop(self, errors: list[Finding]) -> Kop | None:
        """The Kop (`store.keys.extract`) of `retourbericht(errors)`, read from the tree the builder wrote out,
        so the retourbericht is stored and correlated without parsing it again. None when there is none."""
        gebouwd = self._retour(errors)
        return gebouwd.kop if gebouwd is not None else None

    def _retour(self, errors: list[Finding]) -> _Retour | None:
        if not self.beantwoorden or self.uitslag.tree is None:
            return None
        for gebouwd in self._gebouwd:
            if gebouwd.errors == errors:
                return gebouwd
        nieuw = _bouw(self.uitslag.tree, errors, self.retour_dagtekening)
        if nieuw is not None:
            self._gebouwd.append(nieuw)
        return nieuw


@dataclass(frozen=True, slots=True)
class _Retour:
    errors: list[Finding]  # a copy: what the retourbericht answers, whatever the caller's list becomes
    xml: bytes
    kop: Kop


def _bouw(tree: etree._ElementTree, errors: list[Finding], dagtekening: dt.date | None) -> _Retour | None:
    try:
        root = bouw_retourbericht(tree, errors, dagtekening=dagtekening)
    except GeenRetourbericht:
        return None
    return _Retour(errors=list(errors), xml=als_bytes(root), kop=extract(root))


Vastgezet = Callable[[str | None], frozenset[str] | None]  # a party's pinned profile keys (store.partnerprofielen)


def _buiten_profiel(oordeel: Oordeel, vastgezet: Vastgezet) -> Finding | None:
    """A message to or from a party pinned to other profiles (a transition to a new release, or a party that
    does not exchange this standard): refused in transit, like a message of a profile that is not installed."""
    bericht, kop = oordeel.bericht, oordeel.kop
    if bericht is None or kop is None:
        return None
    for rol, code, plek in (("afzender", oordeel.verzender, "Afzender"), ("ontvanger", oordeel.adressaat, "Ontvanger")):
        pins = vastgezet(code)
        if pins is not None and bericht.profiel.sleutel not in pins:
            if bericht.soort is catalogue.Soort.RETOUR:  # a retourbericht keeps the heenbericht's header
                plek = "Ontvanger" if plek == "Afzender" else "Afzender"
            return Finding(code=PROFIEL, locatie=(f"/Bericht/Header/{plek}",), melding=(
                f"De {rol} {code} wisselt alleen {', '.join(sorted(pins))} uit (vastgezet door de beheerder); dit "
                f"{bericht.naam} hoort bij {bericht.profiel.sleutel}. Stuur het bericht in een profiel dat deze "
                "partner uitwisselt, of laat de beheerder het profiel voor deze partner vrijgeven (/admin/partners)."))
    return None


def beoordeel(data: bytes | Ingekort, *, max_bytes: int | None = None, namens: frozenset[str] | None = None,
              retour_dagtekening: dt.date | None = None, vastgezet: Vastgezet | None = None) -> Oordeel:
    """`namens`: the parties this gateway answers for. A heenbericht addressed to another organisation gets
    its retourbericht from that organisation, so none is built here. None: this gateway answers for all.
    `vastgezet`: the profiles a party is pinned to (see `_buiten_profiel`).
    An `Ingekort` (a body the caller would not hold whole) is judged TE_GROOT without being read."""
    if isinstance(data, Ingekort):
        return Oordeel(data=data.prefix, sha256=data.sha256, uitslag=uitslag_te_groot(data, max_bytes),
                       grootte=data.size)
    uitslag = validate(data, max_bytes=max_bytes)
    oordeel = Oordeel(data=data, sha256=hashlib.sha256(data).hexdigest(), uitslag=uitslag, grootte=len(data),
                      retour_dagtekening=retour_dagtekening)
    if uitslag.tree is None:
        return oordeel
    oordeel.kop = extract(uitslag.tree.getroot())
    buiten = _buiten_profiel(oordeel, vastgezet) if vastgezet is not None else None
    if buiten is not None:
        uitslag.errors = [buiten]
        return oordeel
    oordeel.voor_ons = not namens or oordeel.adressaat in namens
    oordeel.beantwoorden = bool(
        uitslag.xsd_valid and uitslag.bericht and catalogue.retourbericht_voor(uitslag.bericht.naam)
        and oordeel.voor_ons)
    if oordeel.beantwoorden:
        oordeel.retour = oordeel.retourbericht(uitslag.errors)
    return oordeel
