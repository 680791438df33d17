"""StUF-GGk envelopes (Di01, Du01, Fo01 in SOAP 1.1) and VECOZO routing metadata: building and reading.

Pure functions over bytes: no network, no database. Routing parties look at the envelope only, so every
limit the envelope specification sets (StUF-GGk 2.1 patch 04) is checked here, on build and on read, and a
refusal carries the hub's foutcode. Codes follow the BIDN/VECOZO list of November 2025 (IB001 envelope
invalid, IB003 too large, IB004 functie unknown, IB006 berichtcode and functie do not fit, IB007 functie
does not fit the organisatie); the 2017/2018 numbering gave some of these numbers other meanings.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from gateway.standard import catalogue, profielen
from gateway.validation import safe_xml

GGK_NS = "http://www.stufstandaarden.nl/koppelvlak/ggk0210"
STUF_NS = "http://www.egem.nl/StUF/StUF0301"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_NSMAP = {"soap": SOAP_NS, "StUF": STUF_NS, "GGK": GGK_NS}

DI01 = "Di01"
DU01 = "Du01"
FO01 = "Fo01"
_ROOT = {DI01: "envelopHeenbericht-ggk_Di01", DU01: "envelopRetourbericht-ggk_Du01"}
SOAP_ACTION = {DI01: f"{GGK_NS}/ggk_Di01", DU01: f"{GGK_NS}/ggk_Du01", FO01: f"{STUF_NS}/Fo01"}

MAX_ENVELOP_BYTES = 25 * 1024 * 1024
GGK_APPLICATIE = "GGk"  # the fixed ontvanger applicatie of every envelope
GATEWAY_APPLICATIE = "iwmo-gateway"
VECOZO_APPLICATIE = "VECOZOWebservice"  # how VECOZO names itself as zender applicatie in the chain
APPLICATIE_VERSIE = "0001"
APPLICATIE_SUBVERSIE = "0000"
# The standard does not publish functieVersie/-Subversie for iWmo or iJw 3.2; we carry the payload's profile's
# BerichtVersie and BerichtSubversie (3, 2), four digits each.

# Organisations of the chain itself that may send or receive a Fo01 besides gemeenten and aanbieders.
KETENPARTIJEN = frozenset({"IB", "BIDN", "GGK", "RINIS", "VECOZO", "SVB", "CAK", "CBS", "UWV", "VWS"})

IB001_ONGELDIG = "IB001"
IB003_TE_GROOT = "IB003"
IB004_FUNCTIE = "IB004"
IB006_BERICHTCODE = "IB006"
IB007_ORGANISATIE = "IB007"
IB021_ALS_ANTWOORD_OP = "IB021"
METADATA_ONGELDIG = "HTTP400"  # VECOZO answers bad metadata with a plain 400, without a foutcode

_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GEMEENTE = re.compile(r"[0-9]{4}")
_AGB = re.compile(r"[0-9]{8}")
_TIJDSTIP = re.compile(r"[0-9]{8,17}")
_VIER_CIJFERS = re.compile(r"[0-9]{4}")
_FUNCTIE_IN_DETAILS = re.compile(r"(WMO[0-9]{3})(?:-|$)")
_BOM = b"\xef\xbb\xbf"


class EnvelopFout(ValueError):
    """An envelope we refuse to build or to read; `code` is the foutcode a hub would answer with."""

    def __init__(self, code: str, omschrijving: str):
        super().__init__(f"{code}: {omschrijving}")
        self.code = code
        self.omschrijving = omschrijving


@dataclass(frozen=True)
class Fout:
    """The body of a Fo01: why a hub or receiver refused an envelope."""

    code: str
    plek: str  # "client" (the sender must change something) or "server"
    omschrijving: str
    details: str | None = None


@dataclass(frozen=True)
class Envelop:
    soort: str  # "Di01" | "Du01" | "Fo01"
    zender: str  # organisatie: 4-digit gemeentecode or 8-digit AGB code (a chain party for a Fo01)
    zender_applicatie: str
    ontvanger: str
    ontvanger_applicatie: str
    referentienummer: str
    tijdstip: str  # yyyyMMddHHmmss[SSS]
    cross_refnummer: str | None = None
    functie: str | None = None  # e.g. "WMO301"
    payload: bytes | None = field(default=None, repr=False)  # the decoded xmlBestand
    fout: Fout | None = None

    @property
    def bericht(self) -> catalogue.Berichttype | None:
        return catalogue.BERICHTEN.get(self.functie or "")


def nieuw_referentienummer() -> str:
    """A fresh referentienummer: a lower-case UUID v4, as the envelope pattern demands."""
    return str(uuid.uuid4())


def _nu() -> datetime:
    try:
        return datetime.now(ZoneInfo("Europe/Amsterdam"))
    except ZoneInfoNotFoundError:  # a container without tzdata; the field carries no zone anyway
        return datetime.now()


def tijdstip_bericht(moment: datetime | None = None) -> str:
    """yyyyMMddHHmmssSSS, the moment the envelope was made."""
    moment = moment or _nu()
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


# --- checks shared by build and read -------------------------------------------------------------


def _refuse(code: str, plek: str, wat: str, doe: str) -> EnvelopFout:
    return EnvelopFout(code, f"{plek}: {wat} {doe}")


def _check_uuid4(waarde: str, plek: str) -> None:
    if not _UUID4.fullmatch(waarde):
        raise _refuse(
            IB001_ONGELDIG, plek, f"{waarde!r} is geen UUID v4 in kleine letters.",
            "Maak het nummer met nieuw_referentienummer() of uuid4().",
        )


def _check_lengte(waarde: str, plek: str, minimum: int, maximum: int) -> None:
    if not minimum <= len(waarde) <= maximum:
        raise _refuse(
            IB001_ONGELDIG, plek, f"heeft {len(waarde)} tekens; toegestaan is {minimum} tot {maximum}.",
            "Kort de waarde in of vul haar aan.",
        )


def _soort_organisatie(code: str) -> str | None:
    if _GEMEENTE.fullmatch(code):
        return "gemeente"
    if _AGB.fullmatch(code):
        return "aanbieder"
    return None


def _check_organisatie(code: str, plek: str, *, ketenpartij_toegestaan: bool) -> None:
    if _soort_organisatie(code):
        return
    if ketenpartij_toegestaan and code in KETENPARTIJEN:
        return
    raise _refuse(
        IB001_ONGELDIG, plek, f"{code!r} is geen gemeentecode (4 cijfers) of AGB-code (8 cijfers).",
        "Vul de organisatie met de code van de partij zelf.",
    )


def _profiel(functie: str | None) -> profielen.Profiel:
    """The profile of the message an envelope carries (the envelope's functie names it)."""
    bericht = catalogue.BERICHTEN.get(functie or "")
    return bericht.profiel if bericht else profielen.PROFIELEN[0]


def _check_functie(soort: str, functie: str, zender: str, ontvanger: str) -> catalogue.Berichttype:
    bericht = catalogue.BERICHTEN.get(functie)
    if bericht is None:
        raise _refuse(
            IB004_FUNCTIE, "stuurgegevens/functie", f"{functie!r} is geen bericht van {profielen.beschrijving()}.",
            "Gebruik de berichtnaam, bijvoorbeeld WMO301 of JW301.",
        )
    verwacht = DU01 if bericht.soort is catalogue.Soort.RETOUR else DI01
    if soort != verwacht:
        raise _refuse(
            IB006_BERICHTCODE, "stuurgegevens/berichtcode",
            f"{functie} reist als {verwacht}, niet als {soort}.",
            "Een retourbericht is een Du01 met crossRefnummer; elk ander bericht een Di01.",
        )
    # The envelope direction follows the message type, not the payload header (IV028).
    van, naar = ("gemeente", "aanbieder") if bericht.verzonden_door_gemeente else ("aanbieder", "gemeente")
    if _soort_organisatie(zender) != van or _soort_organisatie(ontvanger) != naar:
        raise _refuse(
            IB007_ORGANISATIE, "stuurgegevens/zender/organisatie",
            f"{functie} gaat van een {van} naar een {naar}, niet van {zender} naar {ontvanger}.",
            "Zet de verzender als zender en de geadresseerde als ontvanger (bij een retourbericht is dat "
            "andersom dan Afzender/Ontvanger in de payload).",
        )
    return bericht


def _check_payload(payload: bytes, plek: str) -> None:
    if not payload:
        raise _refuse(IB001_ONGELDIG, plek, "is leeg.", "Stuur het iWmo-bericht als xmlBestand mee.")
    if payload.startswith(_BOM):
        raise _refuse(IB001_ONGELDIG, plek, "begint met een BOM.", "Sla het bericht op als UTF-8 zonder BOM.")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            IB001_ONGELDIG, plek, f"is geen UTF-8 (ongeldige byte op positie {exc.start}).",
            "Sla het bericht op als UTF-8.",
        ) from None


def _check_fout(f: Fout) -> None:
    _check_lengte(f.code, "body/code", 1, 7)
    if f.plek not in ("client", "server"):
        raise _refuse(IB001_ONGELDIG, "body/plek", f"{f.plek!r} is geen client of server.", "Kies client of server.")
    _check_lengte(f.omschrijving, "body/omschrijving", 1, 200)
    if f.details is not None:
        _check_lengte(f.details, "body/details", 1, 1000)


def _check_stuurgegevens(e: Envelop) -> None:
    _check_lengte(e.zender_applicatie, "stuurgegevens/zender/applicatie", 3, 50)
    _check_lengte(e.ontvanger_applicatie, "stuurgegevens/ontvanger/applicatie", 3, 50)
    _check_uuid4(e.referentienummer, "stuurgegevens/referentienummer")
    if not _TIJDSTIP.fullmatch(e.tijdstip):
        raise _refuse(
            IB001_ONGELDIG, "stuurgegevens/tijdstipBericht", f"{e.tijdstip!r} is geen yyyyMMddHHmmss[SSS].",
            "Vul het moment van aanmaken in als 8 tot 17 cijfers.",
        )
    if e.cross_refnummer is not None:
        _check_uuid4(e.cross_refnummer, "stuurgegevens/crossRefnummer")
    ketenpartij = e.soort == FO01
    _check_organisatie(e.zender, "stuurgegevens/zender/organisatie", ketenpartij_toegestaan=ketenpartij)
    _check_organisatie(e.ontvanger, "stuurgegevens/ontvanger/organisatie", ketenpartij_toegestaan=ketenpartij)
    if e.soort == FO01:
        if e.cross_refnummer is None:
            raise _refuse(
                IB001_ONGELDIG, "stuurgegevens/crossRefnummer", "ontbreekt in de Fo01.",
                "Vul het referentienummer van het geweigerde bericht in.",
            )
        if e.fout is None:
            raise _refuse(IB001_ONGELDIG, "body", "ontbreekt in de Fo01.", "Geef code, plek en omschrijving.")
        _check_fout(e.fout)
        return
    if e.soort == DU01 and e.cross_refnummer is None:
        raise _refuse(
            IB001_ONGELDIG, "stuurgegevens/crossRefnummer", "ontbreekt in de Du01.",
            "Vul het referentienummer van de Di01 in waarop dit bericht antwoordt.",
        )
    if e.functie is None:
        raise _refuse(IB001_ONGELDIG, "stuurgegevens/functie", "ontbreekt.", "Vul de berichtnaam in, bv. WMO301.")
    _check_lengte(e.functie, "stuurgegevens/functie", 1, 30)
    _check_functie(e.soort, e.functie, e.zender, e.ontvanger)
    _check_payload(e.payload or b"", "parameters/bericht/xmlBestand")


# --- building ------------------------------------------------------------------------------------


def _el(parent: etree._Element, ns: str, naam: str, tekst: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{naam}")
    if tekst is not None:
        el.text = tekst
    return el


def _stuurgegevens(parent: etree._Element, ns: str, e: Envelop) -> None:
    sg = _el(parent, ns, "stuurgegevens")
    _el(sg, STUF_NS, "berichtcode", e.soort)
    for rol, organisatie, applicatie in (
        ("zender", e.zender, e.zender_applicatie),
        ("ontvanger", e.ontvanger, e.ontvanger_applicatie),
    ):
        partij = _el(sg, STUF_NS, rol)
        _el(partij, STUF_NS, "organisatie", organisatie)
        _el(partij, STUF_NS, "applicatie", applicatie)
    _el(sg, STUF_NS, "referentienummer", e.referentienummer)
    _el(sg, STUF_NS, "tijdstipBericht", e.tijdstip)
    if e.cross_refnummer is not None:
        _el(sg, STUF_NS, "crossRefnummer", e.cross_refnummer)
    if e.soort != FO01 and e.functie is not None:
        _el(sg, STUF_NS, "functie", e.functie)


def _soap(inhoud: etree._Element) -> etree._Element:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=_NSMAP)
    body = _el(envelope, SOAP_NS, "Body")
    body.append(inhoud)
    return envelope


def _serialiseer(e: Envelop, *, als_fault: bool = False) -> bytes:
    _check_stuurgegevens(e)
    if e.soort == FO01:
        assert e.fout is not None
        root = etree.Element(f"{{{STUF_NS}}}Fo01Bericht", nsmap=_NSMAP)
        _stuurgegevens(root, STUF_NS, e)
        body = _el(root, STUF_NS, "body")
        _el(body, STUF_NS, "code", e.fout.code)
        _el(body, STUF_NS, "plek", e.fout.plek)
        _el(body, STUF_NS, "omschrijving", e.fout.omschrijving)
        if e.fout.details is not None:
            _el(body, STUF_NS, "details", e.fout.details)
    else:
        root = etree.Element(f"{{{GGK_NS}}}{_ROOT[e.soort]}", nsmap=_NSMAP)
        _stuurgegevens(root, GGK_NS, e)
        parameters = _el(root, GGK_NS, "parameters")
        _el(parameters, GGK_NS, "applicatieVersie", APPLICATIE_VERSIE)
        _el(parameters, GGK_NS, "applicatieSubversie", APPLICATIE_SUBVERSIE)
        profiel = _profiel(e.functie)
        _el(parameters, GGK_NS, "functieVersie", profiel.bericht_versie.zfill(4))
        _el(parameters, GGK_NS, "functieSubversie", profiel.bericht_subversie.zfill(4))
        bericht = _el(parameters, GGK_NS, "bericht")
        _el(bericht, GGK_NS, "xmlBestand", base64.b64encode(e.payload or b"").decode("ascii"))
    if als_fault:
        assert e.fout is not None
        fault = etree.Element(f"{{{SOAP_NS}}}Fault", nsmap=_NSMAP)
        # SOAP 1.1 fault codes are unqualified-by-namespace QNames in the envelope's prefix.
        etree.SubElement(fault, "faultcode").text = "soap:Client" if e.fout.plek == "client" else "soap:Server"
        etree.SubElement(fault, "faultstring").text = f"{e.fout.code}: {e.fout.omschrijving}"
        etree.SubElement(fault, "detail").append(root)
        root = fault
    data = etree.tostring(_soap(root), xml_declaration=True, encoding="UTF-8")
    if len(data) > MAX_ENVELOP_BYTES:
        raise _refuse(
            IB003_TE_GROOT, "envelop", f"is {len(data)} bytes; de grens is {MAX_ENVELOP_BYTES} bytes (met base64).",
            "Splits het bericht, bijvoorbeeld een declaratie per periode.",
        )
    return data


def heenbericht(
    payload: bytes,
    *,
    zender: str,
    ontvanger: str,
    functie: str,
    zender_applicatie: str = GATEWAY_APPLICATIE,
    referentienummer: str | None = None,
    tijdstip: datetime | None = None,
    ontvanger_applicatie: str = GGK_APPLICATIE,
) -> tuple[bytes, Envelop]:
    """A Di01 carrying a heenbericht (and WMO325, which is a new message, not a retourbericht)."""
    e = Envelop(
        soort=DI01,
        zender=zender,
        zender_applicatie=zender_applicatie,
        ontvanger=ontvanger,
        ontvanger_applicatie=ontvanger_applicatie,
        referentienummer=referentienummer or nieuw_referentienummer(),
        tijdstip=tijdstip_bericht(tijdstip),
        functie=functie,
        payload=payload,
    )
    return _serialiseer(e), e


def retourbericht(
    payload: bytes,
    *,
    zender: str,
    ontvanger: str,
    functie: str,
    cross_refnummer: str,
    zender_applicatie: str = GATEWAY_APPLICATIE,
    referentienummer: str | None = None,
    tijdstip: datetime | None = None,
    ontvanger_applicatie: str = GGK_APPLICATIE,
) -> tuple[bytes, Envelop]:
    """A Du01 carrying a retourbericht; cross_refnummer is the referentienummer of the Di01 it answers."""
    e = Envelop(
        soort=DU01,
        zender=zender,
        zender_applicatie=zender_applicatie,
        ontvanger=ontvanger,
        ontvanger_applicatie=ontvanger_applicatie,
        referentienummer=referentienummer or nieuw_referentienummer(),
        tijdstip=tijdstip_bericht(tijdstip),
        cross_refnummer=cross_refnummer,
        functie=functie,
        payload=payload,
    )
    return _serialiseer(e), e


def fout(
    *,
    zender: str,
    ontvanger: str,
    cross_refnummer: str,
    code: str,
    plek: str,
    omschrijving: str,
    details: str | None = None,
    functie: str | None = None,
    zender_applicatie: str = GATEWAY_APPLICATIE,
    referentienummer: str | None = None,
    tijdstip: datetime | None = None,
    ontvanger_applicatie: str = GGK_APPLICATIE,
    als_fault: bool = False,
) -> tuple[bytes, Envelop]:
    """A Fo01 refusing the envelope whose referentienummer is cross_refnummer.

    Fo01 has no functie element; the specification puts functie and application version in details
    (e.g. "WMO301-00010000"), which is what `functie` fills when details is not given. With als_fault the
    Fo01 sits in a SOAP Fault's detail, for a synchronous refusal over HTTP.
    """
    if details is None and functie is not None:
        details = f"{functie}-{APPLICATIE_VERSIE}{APPLICATIE_SUBVERSIE}"
    e = Envelop(
        soort=FO01,
        zender=zender,
        zender_applicatie=zender_applicatie,
        ontvanger=ontvanger,
        ontvanger_applicatie=ontvanger_applicatie,
        referentienummer=referentienummer or nieuw_referentienummer(),
        tijdstip=tijdstip_bericht(tijdstip),
        cross_refnummer=cross_refnummer,
        functie=_functie_uit_details(details),
        fout=Fout(code=code, plek=plek, omschrijving=omschrijving, details=details),
    )
    return _serialiseer(e, als_fault=als_fault), e


def _functie_uit_details(details: str | None) -> str | None:
    m = _FUNCTIE_IN_DETAILS.match(details or "")
    return m.group(1) if m else None


def adressering(functie: str, afzender: str, ontvanger: str) -> tuple[str, str]:
    """Envelope (zender, ontvanger) for a payload with this header: a retourbericht travels back (IV028)."""
    return catalogue.get(functie).verzender_en_adressaat(afzender, ontvanger)


# --- reading -------------------------------------------------------------------------------------


def _kinderen(el: etree._Element) -> Iterator[etree._Element]:
    return (c for c in el if isinstance(c.tag, str))


def _naam(el: etree._Element) -> tuple[str | None, str]:
    q = etree.QName(el)
    return q.namespace, q.localname


class _Lezer:
    """Walks one element's children in the order the envelope XSD fixes, naming the place of any error."""

    def __init__(self, el: etree._Element, plek: str):
        self.kinderen = list(_kinderen(el))
        self.i = 0
        self.plek = plek

    def optioneel(self, ns: str, naam: str) -> etree._Element | None:
        if self.i < len(self.kinderen) and _naam(self.kinderen[self.i]) == (ns, naam):
            self.i += 1
            return self.kinderen[self.i - 1]
        return None

    def verplicht(self, ns: str, naam: str) -> etree._Element:
        el = self.optioneel(ns, naam)
        if el is None:
            gevonden = etree.QName(self.kinderen[self.i]).localname if self.i < len(self.kinderen) else "niets"
            raise _refuse(
                IB001_ONGELDIG, f"{self.plek}/{naam}", f"ontbreekt (gevonden: {gevonden}).",
                "Volg de volgorde van het StUF-GGk-envelopschema.",
            )
        return el

    def tekst(self, ns: str, naam: str, *, verplicht: bool = True) -> str | None:
        el = self.verplicht(ns, naam) if verplicht else self.optioneel(ns, naam)
        if el is None:
            return None
        if len(el):
            raise _refuse(IB001_ONGELDIG, f"{self.plek}/{naam}", "bevat elementen.", "Geef alleen tekst.")
        return (el.text or "").strip()

    def klaar(self) -> None:
        if self.i < len(self.kinderen):
            naam = etree.QName(self.kinderen[self.i]).localname
            raise _refuse(
                IB001_ONGELDIG, f"{self.plek}/{naam}", "is hier niet toegestaan.",
                "Verwijder het element of zet het op de plaats die het schema voorschrijft.",
            )


def _lees_partij(el: etree._Element, plek: str) -> tuple[str, str]:
    lezer = _Lezer(el, plek)
    organisatie = lezer.tekst(STUF_NS, "organisatie") or ""
    lezer.tekst(STUF_NS, "administratie", verplicht=False)
    applicatie = lezer.tekst(STUF_NS, "applicatie") or ""
    lezer.tekst(STUF_NS, "gebruiker", verplicht=False)
    lezer.klaar()
    return organisatie, applicatie


def _lees_stuurgegevens(el: etree._Element, soort_verwacht: str | None) -> dict[str, Any]:
    lezer = _Lezer(el, "stuurgegevens")
    soort = lezer.tekst(STUF_NS, "berichtcode") or ""
    if soort_verwacht is not None and soort != soort_verwacht:
        raise _refuse(
            IB006_BERICHTCODE, "stuurgegevens/berichtcode", f"{soort!r} past niet bij dit envelopelement.",
            f"Zet berichtcode {soort_verwacht}.",
        )
    zender, zender_app = _lees_partij(lezer.verplicht(STUF_NS, "zender"), "stuurgegevens/zender")
    ontvanger, ontvanger_app = _lees_partij(lezer.verplicht(STUF_NS, "ontvanger"), "stuurgegevens/ontvanger")
    waarden = {
        "soort": soort,
        "zender": zender,
        "zender_applicatie": zender_app,
        "ontvanger": ontvanger,
        "ontvanger_applicatie": ontvanger_app,
        "referentienummer": lezer.tekst(STUF_NS, "referentienummer"),
        "tijdstip": lezer.tekst(STUF_NS, "tijdstipBericht"),
        "cross_refnummer": lezer.tekst(STUF_NS, "crossRefnummer", verplicht=False),
    }
    waarden["functie"] = lezer.tekst(STUF_NS, "functie", verplicht=soort != FO01)
    lezer.klaar()
    return waarden


def _lees_payload(parameters: etree._Element) -> bytes:
    lezer = _Lezer(parameters, "parameters")
    for naam in ("applicatieVersie", "applicatieSubversie", "functieVersie", "functieSubversie"):
        waarde = lezer.tekst(GGK_NS, naam) or ""
        if not _VIER_CIJFERS.fullmatch(waarde):
            raise _refuse(
                IB001_ONGELDIG, f"parameters/{naam}", f"{waarde!r} is geen vier cijfers.", "Vul bijvoorbeeld 0001 in."
            )
    bericht = _Lezer(lezer.verplicht(GGK_NS, "bericht"), "parameters/bericht")
    lezer.klaar()
    if bericht.optioneel(GGK_NS, "tekstBestand") is not None:
        raise _refuse(
            IB001_ONGELDIG, "parameters/bericht/tekstBestand", "is voor iWmo niet toegestaan.",
            "Stuur het iWmo-bericht als xmlBestand.",
        )
    tekst = bericht.tekst(GGK_NS, "xmlBestand") or ""
    bericht.klaar()
    try:
        # base64Binary allows whitespace between characters; anything else is an error.
        return base64.b64decode("".join(tekst.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(
            IB001_ONGELDIG, "parameters/bericht/xmlBestand", "is geen geldige base64.",
            "Codeer het bericht met standaard base64.",
        ) from None


def _lees_fout(body: etree._Element) -> Fout:
    lezer = _Lezer(body, "body")
    code = lezer.tekst(STUF_NS, "code") or ""
    plek = lezer.tekst(STUF_NS, "plek") or ""
    omschrijving = lezer.tekst(STUF_NS, "omschrijving") or ""
    details = lezer.tekst(STUF_NS, "details", verplicht=False)
    lezer.optioneel(STUF_NS, "detailsXML")  # the refused original, if a party chose to return it
    lezer.klaar()
    return Fout(code=code, plek=plek, omschrijving=omschrijving, details=details)


def _uit_soap(root: etree._Element) -> etree._Element:
    if _naam(root) != (SOAP_NS, "Envelope"):
        return root  # a bare envelope, e.g. from a file exchange
    lezer = _Lezer(root, "Envelope")
    lezer.optioneel(SOAP_NS, "Header")
    body = list(_kinderen(lezer.verplicht(SOAP_NS, "Body")))
    lezer.klaar()
    if len(body) != 1:
        raise _refuse(IB001_ONGELDIG, "Envelope/Body", f"bevat {len(body)} elementen.", "Stuur precies één envelop.")
    inhoud = body[0]
    if _naam(inhoud) == (SOAP_NS, "Fault"):
        detail = next((c for c in _kinderen(inhoud) if etree.QName(c).localname == "detail"), None)
        fo01 = [c for c in _kinderen(detail)] if detail is not None else []
        if len(fo01) != 1:
            raise _refuse(
                IB001_ONGELDIG, "Envelope/Body/Fault/detail", "bevat geen Fo01Bericht.",
                "Zet de Fo01 in de detail van de SOAP Fault.",
            )
        return fo01[0]
    return inhoud


def lees(data: bytes, *, max_bytes: int = MAX_ENVELOP_BYTES) -> Envelop:
    """Read a StUF-GGk envelope (in a SOAP 1.1 Envelope/Body, or bare) or raise EnvelopFout."""
    if len(data) > max_bytes:
        raise _refuse(
            IB003_TE_GROOT, "envelop", f"is {len(data)} bytes; de grens is {max_bytes} bytes (met base64).",
            "Splits het bericht, bijvoorbeeld een declaratie per periode.",
        )
    try:
        # The base64 payload is one text node that may exceed libxml2's 10 MB default; the size is bounded above.
        parsed = safe_xml.parse(data, max_bytes=max_bytes, huge_tree=True)
    except safe_xml.XmlRefused as refused:
        raise _refuse(
            IB001_ONGELDIG, "envelop", refused.finding.melding, "Stuur een welgevormde StUF-GGk-envelop."
        ) from None
    root = _uit_soap(parsed.root)
    ns, naam = _naam(root)
    if ns == GGK_NS and naam in _ROOT.values():
        soort = DI01 if naam == _ROOT[DI01] else DU01
        lezer = _Lezer(root, naam)
        waarden = _lees_stuurgegevens(lezer.verplicht(GGK_NS, "stuurgegevens"), soort)
        payload = _lees_payload(lezer.verplicht(GGK_NS, "parameters"))
        lezer.klaar()
        e = Envelop(**waarden, payload=payload)
    elif (ns, naam) == (STUF_NS, "Fo01Bericht"):
        lezer = _Lezer(root, naam)
        waarden = _lees_stuurgegevens(lezer.verplicht(STUF_NS, "stuurgegevens"), FO01)
        f = _lees_fout(lezer.verplicht(STUF_NS, "body"))
        lezer.klaar()
        waarden["functie"] = waarden["functie"] or _functie_uit_details(f.details)
        e = Envelop(**waarden, fout=f)
    else:
        raise _refuse(
            IB001_ONGELDIG, f"/{naam}", "is geen StUF-GGk-envelop (Di01, Du01 of Fo01).",
            f"Gebruik envelopHeenbericht-ggk_Di01 of envelopRetourbericht-ggk_Du01 in {GGK_NS}.",
        )
    _check_stuurgegevens(e)
    return e


# --- VECOZO routing metadata ---------------------------------------------------------------------

ROL_GEMEENTE = "Gemeente"  # VECOZO publishes no rol for gemeenten; ours, used consistently on both sides
ROL_INSTELLING = "Instelling"
AGB_ROLLEN = frozenset({"Instelling", "Zorgverlener", "Praktijk"})
MAX_GEADRESSEERDEN = 100


def rol_voor(code: str) -> str:
    return ROL_GEMEENTE if _GEMEENTE.fullmatch(code) else ROL_INSTELLING


def _meta_fout(veld: str, wat: str) -> EnvelopFout:
    return EnvelopFout(METADATA_ONGELDIG, f"berichtMetadata/{veld}: {wat}")


@dataclass
class VecozoMetadata:
    """The routing part of a VECOZO (VSP) message: who, to whom, what, and how it ties to others."""

    traceer_id: str
    conversatie_id: str
    als_antwoord_op: str | None
    afzender: tuple[str, str]  # (rol, code)
    geadresseerden: list[tuple[str, str]]
    berichttype: str  # "WMO301"

    def __post_init__(self) -> None:
        for veld, waarde in (("traceerId", self.traceer_id), ("conversatieId", self.conversatie_id)):
            if not _UUID.fullmatch(waarde or ""):
                raise _meta_fout(veld, f"{waarde!r} is geen UUID.")
        if self.als_antwoord_op is not None and not _UUID.fullmatch(self.als_antwoord_op):
            raise _meta_fout("alsAntwoordOp", f"{self.als_antwoord_op!r} is geen UUID.")
        self.traceer_id = self.traceer_id.lower()
        self.conversatie_id = self.conversatie_id.lower()
        self.als_antwoord_op = self.als_antwoord_op.lower() if self.als_antwoord_op else None
        if not 1 <= len(self.geadresseerden) <= MAX_GEADRESSEERDEN:
            raise _meta_fout("geadresseerden", f"1 tot {MAX_GEADRESSEERDEN} geadresseerden, niet {len(self.geadresseerden)}.")
        for veld, (rol, code) in [("afzender", self.afzender)] + [("geadresseerden", g) for g in self.geadresseerden]:
            if not rol or len(rol) > 50 or not _soort_organisatie(code):
                raise _meta_fout(veld, f"rol {rol!r} en code {code!r}: verwacht een rol en een AGB- of gemeentecode.")
        if not 1 <= len(self.berichttype) <= 60:
            raise _meta_fout("berichttype", "1 tot 60 tekens.")

    def to_json(self) -> dict[str, Any]:
        return {
            "traceerId": self.traceer_id,
            "conversatieId": self.conversatie_id,
            "alsAntwoordOp": self.als_antwoord_op,
            "afzender": {"rol": self.afzender[0], "code": self.afzender[1]},
            "geadresseerden": [{"rol": r, "code": c} for r, c in self.geadresseerden],
            "berichttype": self.berichttype,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VecozoMetadata:
        """Read our flat form, or VECOZO's nested one (referentiegegevens, berichtstroom)."""
        if not isinstance(data, Mapping):
            raise _meta_fout("", "verwacht een JSON-object.")
        ref = data.get("referentiegegevens") if isinstance(data.get("referentiegegevens"), Mapping) else data
        stroom = data.get("berichtstroom") if isinstance(data.get("berichtstroom"), Mapping) else data

        def partij(waarde: Any, veld: str) -> tuple[str, str]:
            if not isinstance(waarde, Mapping) or not isinstance(waarde.get("rol"), str) or not isinstance(
                waarde.get("code"), str
            ):
                raise _meta_fout(veld, "verwacht {rol, code}.")
            return waarde["rol"], waarde["code"]

        def tekst(bron: Mapping[str, Any], veld: str, verplicht: bool = True) -> str | None:
            waarde = bron.get(veld)
            if waarde is None and not verplicht:
                return None
            if not isinstance(waarde, str):
                raise _meta_fout(veld, "ontbreekt of is geen tekst.")
            return waarde

        geadresseerden = data.get("geadresseerden")
        if not isinstance(geadresseerden, list):
            raise _meta_fout("geadresseerden", "verwacht een lijst van {rol, code}.")
        return cls(
            traceer_id=tekst(ref, "traceerId") or "",
            conversatie_id=tekst(ref, "conversatieId") or "",
            als_antwoord_op=tekst(ref, "alsAntwoordOp", verplicht=False),
            afzender=partij(data.get("afzender"), "afzender"),
            geadresseerden=[partij(g, "geadresseerden") for g in geadresseerden],
            berichttype=tekst(stroom, "berichttype") or "",
        )


def vecozo_metadata(e: Envelop) -> VecozoMetadata:
    """The VECOZO metadata for an envelope crossing to the aanbieder side.

    The envelope's referentienummer becomes the traceerId; a heenbericht opens its own conversation
    (conversatieId = referentienummer, CC05), a retourbericht joins the one of the Di01 it answers.
    """
    if e.functie is None:
        raise EnvelopFout(IB001_ONGELDIG, "stuurgegevens/functie: ontbreekt; zonder functie geen berichttype.")
    return VecozoMetadata(
        traceer_id=e.referentienummer,
        conversatie_id=e.cross_refnummer or e.referentienummer,
        als_antwoord_op=e.cross_refnummer if e.soort == DU01 else None,
        afzender=(rol_voor(e.zender), e.zender),
        geadresseerden=[(rol_voor(e.ontvanger), e.ontvanger)],
        berichttype=e.functie,
    )


def envelop_uit_vecozo(
    meta: VecozoMetadata,
    payload: bytes,
    *,
    zender_applicatie: str = VECOZO_APPLICATIE,
    tijdstip: datetime | None = None,
) -> tuple[bytes, Envelop]:
    """The StUF-GGk envelope for a VECOZO message crossing to the gemeente side (one geadresseerde).

    traceerId becomes the referentienummer, so both sides speak of one id; a retourbericht's alsAntwoordOp
    becomes its crossRefnummer.
    """
    if len(meta.geadresseerden) != 1:
        raise _meta_fout("geadresseerden", "een iWmo-bericht heeft precies één geadresseerde.")
    bericht = catalogue.BERICHTEN.get(meta.berichttype)
    ontvanger = meta.geadresseerden[0][1]
    if bericht is not None and bericht.soort is catalogue.Soort.RETOUR:
        if meta.als_antwoord_op is None:
            raise EnvelopFout(
                IB021_ALS_ANTWOORD_OP,
                "berichtMetadata/alsAntwoordOp: ontbreekt bij een retourbericht. Vul de traceerId van het heenbericht in.",
            )
        return retourbericht(
            payload, zender=meta.afzender[1], ontvanger=ontvanger, functie=meta.berichttype,
            cross_refnummer=meta.als_antwoord_op, zender_applicatie=zender_applicatie,
            referentienummer=meta.traceer_id, tijdstip=tijdstip,
        )
    return heenbericht(
        payload, zender=meta.afzender[1], ontvanger=ontvanger, functie=meta.berichttype,
        zender_applicatie=zender_applicatie, referentienummer=meta.traceer_id, tijdstip=tijdstip,
    )
