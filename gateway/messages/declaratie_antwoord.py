"""Building the WMO325 declaratie-antwoord for a WMO323 from a decision (IV087, IV088, TR342, IV085/IV086).

Pure: the declaratie and the decision go in, the 325's bytes and what it says per prestatie come out; no
database, no HTTP. `bouw_declaratie_antwoord` writes exactly one 325 per 323, as IV087 describes:

* **Not processed** ("de declaratie wordt als niet verzonden beschouwd"):
  - controleniveau 2 (an in-message rule failed): only the Header, with RetourCode 0001 (`kop_fout=["0001"]`);
  - a fault in the Header (controleniveau 3/4, e.g. 9056, 8848): only the Header, with the rules' codes;
  - a fault in the Declaratie class (e.g. TR333 → 9333, TR318 → 8214): the Header with 0200, then
    DeclaratieAntwoord with DeclaratieNummer, TotaalIngediendBedrag as declared, TotaalToegekendBedrag 0 and
    the rules' codes, and no Clienten (TR342: "dan vindt er geen beoordeling plaats van de prestaties").
  Controleniveau 1 (XSD) gets no 325 at all: `technisch_oordeel` raises GeenRetourbericht for it.
* **Processed, wholly or partly**: the Header with 0200; DeclaratieAntwoord with DeclaratieNummer,
  TotaalIngediendBedrag (the 323's) and TotaalToegekendBedrag (the signed sum of the granted prestaties:
  debet adds, credit subtracts, IV086), then only the clients with a refused prestatie, each with only its
  refused prestaties (copied unchanged from the 323, closed by their codes) and the client's own codes or
  0200; DeclaratieAntwoord closes with 8001 when nothing is refused, otherwise 0200. A client-level fault
  (`client_fouten`) puts that client's code on the Client and 0233 on all its prestaties. TR342 then holds by
  construction: Σ refused = TotaalIngediend − TotaalToegekend.

Where IV087 leaves room, we chose:
* A prestatie the gemeente refuses (`afgewezen`) and one the gateway refused (`technisch`) are the same
  kind of refusal in the 325; their codes are merged, the gateway's first, each code once.
* A prestatie of a faulty client that has codes of its own keeps them instead of 0233 (as the retourbericht
  does, tests/test_retour.py): its fault was found, and both are refused anyway.
* When the Header and the Declaratie class both have faults, only the Header is answered (IV087: a Header
  fault gives "alleen de Header"). `afgewezen` on a declaratie that is not processed is checked (unknown
  ReferentieNummers and codes are still errors) but has no effect: nothing of that declaratie is booked.
* Prestatie codes must be WJ001 codes that can answer a WMO323; 0001, 0200, 0233 and 8001 cannot be given
  for a prestatie, because the builder assigns them by the rules above (IV087: a refused prestatie carries
  "de inhoudelijke reden van afwijzing"). IV085 says a gemeente cannot refuse a credit "tenzij het technische
  afkeur betreft"; every WJ001 code is the code of a technical rule, so a refused credit is accepted here.
* A key of `afgewezen`/`technisch` is a ReferentieNummer (every prestatie that carries it) or the element
  path of one prestatie (`/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie`), which tells apart
  two prestaties with one ReferentieNummer (a TR314 case). A key of `client_fouten` is a Bsn or a client path.
* The 325's Dagtekening may not lie before the 323's when prestaties are answered: TR134 and TR137 check
  their ProductPeriode against it, and an answer cannot predate the declaratie.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from gateway.messages import retour
from gateway.standard import catalogue
from gateway.standard.codelijsten import RETOURCODES_323
from gateway.validation import safe_xml
from gateway.validation.findings import Finding
from gateway.validation.paths import element_path, local

VOLLEDIG_TOEGEKEND = "8001"  # WJ001: Declaratie is volledig toegewezen

# Codes with a fixed meaning that the builder assigns itself; a decision names the reason, not these.
_TOEGEKEND_DOOR_BOUWER = frozenset({retour.GEEN_OPMERKINGEN, retour.NIET_BEOORDEELD, VOLLEDIG_TOEGEKEND})

# The berichtklassen of a WMO323 below the Header, as local-name steps from the root (IV087's classes).
_KLASSE_DECLARATIE = ("Declaratie",)
_KLASSE_CLIENT = ("Declaratie", "Clienten", "Client")
_KLASSE_PRESTATIE = ("Declaratie", "Clienten", "Client", "Prestaties", "Prestatie")


class Status(enum.StrEnum):
    TOEGEKEND = "toegekend"
    AFGEWEZEN = "afgewezen"  # refused with its own codes
    NIET_BEOORDEELD = "niet_beoordeeld"  # refused with 0233: its client has a fault
    NIET_VERWERKT = "niet_verwerkt"  # the declaratie as a whole is not processed (counts as not sent)


class PrestatieUitkomst(NamedTuple):
    status: Status
    bedrag: int  # IngediendBedrag in cents, signed: credit is negative
    codes: tuple[str, ...]  # the RetourCodes it gets in the 325 (empty when it is not in the 325)


@dataclass(frozen=True)
class Declaratieantwoord:
    """The built WMO325 and what it decided.

    `per_prestatie` is keyed by ReferentieNummer, in document order; a prestatie whose ReferentieNummer
    an earlier one already carries is keyed by its element path instead.
    """

    xml: bytes
    verwerkt: bool  # False: the declaratie counts as not sent (Header or Declaratie fault, controleniveau 2)
    totaal_ingediend: int  # cents, signed
    totaal_toegekend: int  # cents, signed
    per_prestatie: dict[str, PrestatieUitkomst]


class BeslissingOngeldig(ValueError):
    """The decision cannot be written as a WMO325; `fouten` names each problem (code, location, what to do)."""

    def __init__(self, fouten: Sequence[Finding]):
        super().__init__("; ".join(f.melding for f in fouten))
        self.fouten = tuple(fouten)


@dataclass(frozen=True)
class TechnischOordeel:
    """The gateway's own findings on a 323, sorted into IV087's classes: the arguments of the builder."""

    kop_fout: tuple[str, ...] = ()
    declaratie_fout: tuple[str, ...] = ()
    client_fouten: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by client path
    technisch: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by prestatie path

    @property
    def verwerkbaar(self) -> bool:
        """Whether the declaratie is (partly) processed, i.e. waits for the gemeente's decision."""
        return not self.kop_fout and not self.declaratie_fout

    def als_argumenten(self) -> dict[str, object]:
        return {"kop_fout": self.kop_fout, "declaratie_fout": self.declaratie_fout,
                "client_fouten": self.client_fouten, "technisch": self.technisch}


# -- reading the declaratie ---------------------------------------------------------------------------


@dataclass
class _Client:
    el: etree._Element
    pad: str
    bsn: str
    prestaties: list[_Prestatie] = field(default_factory=list)


@dataclass
class _Prestatie:
    el: etree._Element
    pad: str
    referentienummer: str
    bedrag: int


@dataclass
class _Declaratie:
    root: etree._Element
    header: etree._Element
    declaratie: etree._Element
    clienten: list[_Client]
    bericht: catalogue.Berichttype  # the 323 of its profile (WMO323, JW323)

    @property
    def antwoord(self) -> catalogue.Berichttype:
        return catalogue.get(self.bericht.beantwoord_door or "")

    def prestaties(self) -> Iterable[_Prestatie]:
        for client in self.clienten:
            yield from client.prestaties


# Elements of the basisschema inside a WMO323 (every other element is in the message's own namespace).
_BASIS_ELEMENTEN = frozenset({"Identificatie", "Dagtekening", "BasisschemaXsdVersie", "BerichtXsdVersie",
                              "ReferentieNummer", "VorigReferentieNummer", "Begindatum", "Einddatum",
                              "Bedrag", "TotaalBedrag", "DebetCredit"})


@functools.lru_cache(maxsize=256)
def _pad(steps: tuple[str, ...], namespace: str) -> str:
    """Qualified steps below an element of the message in `namespace` (its basisschema elements in theirs)."""
    bericht = catalogue.by_namespace(namespace)
    basis = bericht.basisschema_namespace if bericht else namespace
    return "/".join(f"{{{basis if s in _BASIS_ELEMENTEN else namespace}}}{s}" for s in steps)


def _ns(el: etree._Element) -> str:
    return el.tag[1:el.tag.index("}")] if el.tag[0] == "{" else ""


def _kind(parent: etree._Element, *steps: str) -> etree._Element:
    # One qualified find per lookup: lxml compiles and caches the path, and a 10 000-line declaratie asks 40 000.
    found = parent.find(_pad(steps, _ns(parent)))
    if found is None:
        raise BeslissingOngeldig([_fout("GEEN_DECLARATIE", element_path(parent), (
            f"Declaratie zonder {'/'.join(steps)} onder {element_path(parent)}: is het XSD-valide? Een "
            "declaratie-antwoord kan alleen op een XSD-valide declaratie volgen."))])
    return found


def _tekst(parent: etree._Element, *steps: str) -> str:
    return (_kind(parent, *steps).text or "").strip()


def _bedrag(container: etree._Element, naam: str) -> int:
    """A BedragMetDC or TotaalBedragMetDC as signed cents."""
    try:
        waarde = int(_tekst(container, naam))
    except ValueError:
        raise BeslissingOngeldig([_fout("GEEN_DECLARATIE", element_path(container),
                                        f"{element_path(container)} is geen bedrag in centen.")]) from None
    return -waarde if _tekst(container, "DebetCredit") == "C" else waarde


_REFERENTIENUMMER = ("ProductReferentie", "ReferentieNummer")
_BEDRAG = ("IngediendBedrag", "Bedrag")
_DEBETCREDIT = ("IngediendBedrag", "DebetCredit")


def _prestatiebedrag(prestatie: etree._Element) -> int:
    """IngediendBedrag as signed cents; two findtexts, as this runs once per line of a 10 000-line declaratie."""
    ns = _ns(prestatie)
    bedrag, teken = prestatie.findtext(_pad(_BEDRAG, ns)), prestatie.findtext(_pad(_DEBETCREDIT, ns))
    if bedrag is None or teken is None or not bedrag.strip().lstrip("+").isdigit():
        return _bedrag(_kind(prestatie, "IngediendBedrag"), "Bedrag")  # names what is missing or wrong
    return -int(bedrag) if teken.strip() == "C" else int(bedrag)


def _stap(naam: str, index: int, aantal: int) -> str:
    """A path step as the validator writes it: `[n]` only when there is more than one (paths.element_path)."""
    return f"{naam}[{index}]" if aantal > 1 else naam


def _lees(declaratie: etree._Element | etree._ElementTree | bytes) -> _Declaratie:
    if isinstance(declaratie, bytes | bytearray):
        try:
            root = safe_xml.parse(bytes(declaratie)).root
        except safe_xml.XmlRefused as refused:
            raise BeslissingOngeldig([refused.finding]) from None
    elif isinstance(declaratie, etree._ElementTree):
        root = declaratie.getroot()
    else:
        root = declaratie
    qname = etree.QName(root)
    bericht = catalogue.by_namespace(qname.namespace)
    if qname.localname != "Bericht" or bericht is None or not bericht.is_soort("323"):
        raise BeslissingOngeldig([_fout("GEEN_DECLARATIE", "/" + qname.localname, (
            "Een declaratie-antwoord (325) beantwoordt een declaratie (323); dit bericht is er geen "
            f"(root {{{qname.namespace}}}{qname.localname})."))])
    d = _Declaratie(root, _kind(root, "Header"), _kind(root, "Declaratie"), [], bericht)
    client_els = _kind(d.declaratie, "Clienten").findall(_pad(("Client",), qname.namespace))
    for i, client_el in enumerate(client_els, 1):
        pad = "/Bericht/Declaratie/Clienten/" + _stap("Client", i, len(client_els))
        client = _Client(client_el, pad, _tekst(client_el, "Bsn"))
        prestatie_els = _kind(client_el, "Prestaties").findall(_pad(("Prestatie",), qname.namespace))
        for j, el in enumerate(prestatie_els, 1):
            client.prestaties.append(_Prestatie(
                el, f"{pad}/Prestaties/{_stap('Prestatie', j, len(prestatie_els))}",
                _tekst(el, *_REFERENTIENUMMER), _prestatiebedrag(el),
            ))
        d.clienten.append(client)
    return d


# -- checking the decision ----------------------------------------------------------------------------


def _fout(code: str, locatie: str, melding: str) -> Finding:
    return Finding(code=code, melding=melding, locatie=(locatie,))


def _controleer_codes(codes: Sequence[str], locatie: str, *, kop: bool = False) -> list[Finding]:
    if isinstance(codes, str):  # "9340" is a Sequence[str] too, of four one-character codes
        codes = [codes]
    if not codes:
        return [_fout("RETOURCODE_ONTBREEKT", locatie, (
            f"{locatie}: geen retourcode. Noem bij elke afwijzing ten minste één WJ001-retourcode die de reden "
            "geeft (IV087), bijvoorbeeld 9340."))]
    fouten = []
    for code in codes:
        if code not in RETOURCODES_323:
            fouten.append(_fout("RETOURCODE_ONGELDIG", locatie, (
                f"{locatie}: {code!r} is geen WJ001-retourcode voor een declaratie-antwoord. Gebruik een code "
                "uit WJ001 voor de declaratie (323), zoals 9340 of 9307.")))
        elif code in _TOEGEKEND_DOOR_BOUWER or (code == retour.TECHNISCH_AFGEKEURD and not kop):
            fouten.append(_fout("RETOURCODE_ONGELDIG", locatie, (
                f"{locatie}: {code} geeft geen reden van afwijzing; 0001, 0200, 0233 en 8001 vult de gateway zelf "
                "in (IV087). Noem de code van de regel waarop u afwijst.")))
    if kop and retour.TECHNISCH_AFGEKEURD in codes and len(codes) > 1:
        fouten.append(_fout("RETOURCODE_ONGELDIG", locatie, (
            f"{locatie}: 0001 (controleniveau 2) staat alleen in de Header (IV088); geef 0001 zonder andere "
            "codes, of laat 0001 weg.")))
    return fouten


def _koppel(
    sleutels: Mapping[str, Sequence[str]],
    naam: str,
    op_sleutel: Mapping[str, list[_Prestatie]] | Mapping[str, list[_Client]],
    op_pad: Mapping[str, _Prestatie] | Mapping[str, _Client],
    *,
    geheim: bool,
    fouten: list[Finding],
) -> dict[int, tuple[str, ...]]:
    """Each key's codes on the elements it names (by id of the element), merged in key order.

    `geheim`: the keys may be BSNs, which no error repeats: a problem is located by the key's position.
    """
    uitkomst: dict[int, list[str]] = {}
    for i, (sleutel, codes) in enumerate(sleutels.items(), 1):
        doelen = op_sleutel.get(sleutel) or ([op_pad[sleutel]] if sleutel in op_pad else [])
        locatie = f"{naam}[{i}]" if geheim and not sleutel.startswith("/") else f"{naam}/{sleutel}"
        if not doelen:
            wat = "deze Bsn" if geheim and not sleutel.startswith("/") else repr(sleutel)
            soort = "cliënt" if geheim else "prestatie (ReferentieNummer of pad)"
            fouten.append(_fout("ONBEKEND_IN_DECLARATIE", locatie, (
                f"{locatie}: {wat} staat niet als {soort} in de declaratie. Noem alleen wat in de "
                "declaratie staat.")))
            continue
        gevonden = _controleer_codes(codes, locatie)
        fouten += gevonden
        if not gevonden:
            for doel in doelen:
                uitkomst.setdefault(id(doel), []).extend([codes] if isinstance(codes, str) else codes)
    return {k: tuple(dict.fromkeys(v)) for k, v in uitkomst.items()}


# -- the 325 ------------------------------------------------------------------------------------------


def _schrijf_totaal(parent: etree._Element, naam: str, bedrag: int) -> None:
    ns = _ns(parent)
    totaal = retour.schrijf_element(parent, ns, naam)
    basis = catalogue.by_namespace(ns).basisschema_namespace  # type: ignore[union-attr]
    retour.schrijf_element(totaal, basis, "TotaalBedrag", str(abs(bedrag)))
    retour.schrijf_element(totaal, basis, "DebetCredit", "C" if bedrag < 0 else "D")  # 0 is debet (CS325)


def _kop(d: _Declaratie, ident: str, datum: str, xslt_versie: str | None, codes: Sequence[str]) -> etree._Element:
    antwoord = d.antwoord
    ns, heen_ns, basis = antwoord.namespace, d.bericht.namespace, antwoord.basisschema_namespace
    out = retour.nieuw_bericht(antwoord)
    header = retour.schrijf_element(out, ns, "Header")
    retour.schrijf_element(header, ns, "BerichtCode", antwoord.berichtcode)
    retour.schrijf_element(header, ns, "BerichtVersie", antwoord.profiel.bericht_versie)
    retour.schrijf_element(header, ns, "BerichtSubversie", antwoord.profiel.bericht_subversie)
    # A new message from the gemeente: the declaratie's Ontvanger sends it to the declaratie's Afzender.
    retour.schrijf_element(header, ns, "Afzender", _tekst(d.header, "Ontvanger"))
    retour.schrijf_element(header, ns, "Ontvanger", _tekst(d.header, "Afzender"))
    identificatie = retour.schrijf_element(header, ns, "BerichtIdentificatie")
    retour.schrijf_element(identificatie, basis, "Identificatie", ident)
    retour.schrijf_element(identificatie, basis, "Dagtekening", datum)
    retour.schrijf_xsd_versie(header, antwoord, "XsdVersie")
    for naam, bron in (("DeclaratieIdentificatie", "BerichtIdentificatie"), ("XsltVersie", None),
                       ("XsdVersieDeclaratie", "XsdVersie")):
        if bron is None:
            if xslt_versie is not None:
                retour.schrijf_element(header, ns, naam, xslt_versie)
            continue
        doel = retour.schrijf_element(header, ns, naam)
        for kind in _kind(d.header, bron):
            if isinstance(kind.tag, str):
                retour.kopieer(kind, doel, van=heen_ns, naar=ns)
    retour.schrijf_retourcodes(header, ns, codes)
    return out


def bouw_declaratie_antwoord(
    declaratie: etree._Element | etree._ElementTree | bytes,
    *,
    afgewezen: Mapping[str, Sequence[str]],
    technisch: Mapping[str, Sequence[str]] | None = None,
    client_fouten: Mapping[str, Sequence[str]] | None = None,
    kop_fout: Sequence[str] | None = None,
    declaratie_fout: Sequence[str] | None = None,
    identificatie: str | None = None,
    dagtekening: dt.date | str | None = None,
    xslt_versie: str | None = None,
) -> Declaratieantwoord:
    """The WMO325 for a WMO323 and the decision on it (see the module docstring for the policy).

    `afgewezen`: the gemeente's refusals, ReferentieNummer (or prestatie path) → retourcodes; `technisch`: the
    gateway's own, same shape; `client_fouten`: Bsn (or client path) → codes; `kop_fout`: Header codes
    (`["0001"]` for controleniveau 2); `declaratie_fout`: codes of the Declaratie class. Raises
    BeslissingOngeldig, listing every problem, for keys not in the declaratie, codes that cannot answer a
    WMO323, and a declaratie that cannot be answered (not a WMO323, totals that do not add up).
    """
    d = _lees(declaratie)
    fouten: list[Finding] = []
    prestaties = list(d.prestaties())
    op_referentie: dict[str, list[_Prestatie]] = {}
    for p in prestaties:
        op_referentie.setdefault(p.referentienummer, []).append(p)
    op_bsn: dict[str, list[_Client]] = {}
    for c in d.clienten:
        op_bsn.setdefault(c.bsn, []).append(c)
    op_prestatiepad = {p.pad: p for p in prestaties}
    op_clientpad = {c.pad: c for c in d.clienten}

    eigen = _koppel(technisch or {}, "technisch", op_referentie, op_prestatiepad, geheim=False, fouten=fouten)
    gemeente = _koppel(afgewezen, "afgewezen", op_referentie, op_prestatiepad, geheim=False, fouten=fouten)
    per_client = _koppel(client_fouten or {}, "client_fouten", op_bsn, op_clientpad, geheim=True, fouten=fouten)
    kop = tuple(kop_fout or ())
    decl = tuple(declaratie_fout or ())
    if kop:
        fouten += _controleer_codes(kop, "kop_fout", kop=True)
    if decl:
        fouten += _controleer_codes(decl, "declaratie_fout")
    try:
        retour.controleer_xslt_versie(xslt_versie)
        ident, datum = retour.controleer_identificatie(identificatie), retour.dagtekening_tekst(dagtekening)
    except ValueError as exc:
        fouten.append(_fout("KOP_ONGELDIG", "/Bericht/Header", f"{exc}."))
    if fouten:
        raise BeslissingOngeldig(fouten)

    ingediend = _bedrag(_kind(d.declaratie, "TotaalIngediendBedrag"), "TotaalBedrag")
    sleutels: dict[str, _Prestatie] = {}
    for p in prestaties:
        sleutels[p.pad if p.referentienummer in sleutels else p.referentienummer] = p

    if kop or decl:  # not processed: IV087 answers at once and books nothing
        out = _kop(d, ident, datum, xslt_versie, kop or (retour.GEEN_OPMERKINGEN,))
        if not kop:
            antwoord = retour.schrijf_element(out, d.antwoord.namespace, "DeclaratieAntwoord")
            retour.schrijf_element(antwoord, d.antwoord.namespace, "DeclaratieNummer",
                                   _tekst(d.declaratie, "DeclaratieNummer"))
            _schrijf_totaal(antwoord, "TotaalIngediendBedrag", ingediend)
            _schrijf_totaal(antwoord, "TotaalToegekendBedrag", 0)
            retour.schrijf_retourcodes(antwoord, d.antwoord.namespace, decl)
        return Declaratieantwoord(
            xml=retour.als_bytes(out), verwerkt=False, totaal_ingediend=ingediend, totaal_toegekend=0,
            per_prestatie={k: PrestatieUitkomst(Status.NIET_VERWERKT, p.bedrag, ()) for k, p in sleutels.items()},
        )

    som = sum(p.bedrag for p in prestaties)
    if som != ingediend:  # TR358 failed: controleniveau 2, so the 323 cannot be processed
        raise BeslissingOngeldig([_fout("TR358", "/Bericht/Declaratie/TotaalIngediendBedrag", (
            f"TotaalIngediendBedrag ({ingediend}) is niet de som van de prestaties ({som}): de declaratie is op "
            "controleniveau 2 afgekeurd en wordt niet verwerkt. Beantwoord haar met kop_fout ['0001'] (IV088)."))])
    if datum < _tekst(d.header, "BerichtIdentificatie", "Dagtekening")[:10]:
        raise BeslissingOngeldig([_fout("KOP_ONGELDIG", "/Bericht/Header/BerichtIdentificatie/Dagtekening", (
            f"De Dagtekening van het declaratie-antwoord ({datum}) ligt voor die van de declaratie: een antwoord "
            "volgt op de declaratie, en TR134/TR137 toetsen de prestaties eraan. Kies een latere dagtekening."))])

    uitkomst: dict[int, PrestatieUitkomst] = {}
    for client in d.clienten:
        client_codes = per_client.get(id(client))
        for p in client.prestaties:
            codes = tuple(dict.fromkeys((*eigen.get(id(p), ()), *gemeente.get(id(p), ()))))
            if codes:
                uitkomst[id(p)] = PrestatieUitkomst(Status.AFGEWEZEN, p.bedrag, codes)
            elif client_codes:
                uitkomst[id(p)] = PrestatieUitkomst(Status.NIET_BEOORDEELD, p.bedrag, (retour.NIET_BEOORDEELD,))
            else:
                uitkomst[id(p)] = PrestatieUitkomst(Status.TOEGEKEND, p.bedrag, ())
    toegekend = sum(u.bedrag for u in uitkomst.values() if u.status is Status.TOEGEKEND)

    ns = d.antwoord.namespace
    out = _kop(d, ident, datum, xslt_versie, (retour.GEEN_OPMERKINGEN,))
    antwoord = retour.schrijf_element(out, ns, "DeclaratieAntwoord")
    retour.schrijf_element(antwoord, ns, "DeclaratieNummer", _tekst(d.declaratie, "DeclaratieNummer"))
    _schrijf_totaal(antwoord, "TotaalIngediendBedrag", ingediend)
    _schrijf_totaal(antwoord, "TotaalToegekendBedrag", toegekend)
    afgewezen_clienten = [c for c in d.clienten if any(uitkomst[id(p)].codes for p in c.prestaties)]
    if afgewezen_clienten:
        clienten = retour.schrijf_element(antwoord, ns, "Clienten")
        for client in afgewezen_clienten:
            client_el = retour.schrijf_element(clienten, ns, "Client")
            retour.kopieer(_kind(client.el, "Bsn"), client_el, van=d.bericht.namespace, naar=ns)
            prestaties_el = retour.schrijf_element(client_el, ns, "Prestaties")
            for p in client.prestaties:
                if codes := uitkomst[id(p)].codes:
                    retour.kopieer(p.el, prestaties_el, van=d.bericht.namespace, naar=ns,
                                   codes=lambda el, p=p, codes=codes: codes if el is p.el else None)
            retour.schrijf_retourcodes(client_el, ns, per_client.get(id(client)) or (retour.GEEN_OPMERKINGEN,))
    geheel = not afgewezen_clienten
    retour.schrijf_retourcodes(antwoord, ns, (VOLLEDIG_TOEGEKEND if geheel else retour.GEEN_OPMERKINGEN,))
    return Declaratieantwoord(
        xml=retour.als_bytes(out), verwerkt=True, totaal_ingediend=ingediend, totaal_toegekend=toegekend,
        per_prestatie={k: uitkomst[id(p)] for k, p in sleutels.items()},
    )


def technisch_oordeel(
    declaratie: etree._Element | etree._ElementTree | bytes, findings: Iterable[Finding]
) -> TechnischOordeel:
    """The gateway's findings on a 323 as builder arguments: each retourcode on the class it lands in.

    Controleniveau 2 (a finding with retourcode 0001) is `kop_fout=("0001",)` alone; findings in the Header,
    the Declaratie, a Client or a Prestatie land as the retourbericht's do (retour.codes_per_klasse).
    Raises GeenRetourbericht for XSD or transport findings: IV087 sends no 325 then.
    """
    findings = list(findings)
    retour.weiger_onleesbaar(
        findings, "volgens IV087 krijgt het geen declaratie-antwoordbericht, de afzender krijgt een foutmelding"
    )
    if retour.technisch_afgekeurd(findings):
        return TechnischOordeel(kop_fout=(retour.TECHNISCH_AFGEKEURD,))
    d = _lees(declaratie)
    kop, per_klasse = retour.codes_per_klasse(
        d.root, findings, {_KLASSE_DECLARATIE, _KLASSE_CLIENT, _KLASSE_PRESTATIE}
    )
    paden = {id(c.el): c.pad for c in d.clienten} | {id(p.el): p.pad for p in d.prestaties()}
    declaratie_fout: tuple[str, ...] = ()
    client_fouten: dict[str, tuple[str, ...]] = {}
    technisch: dict[str, tuple[str, ...]] = {}
    for el, codes in per_klasse.items():
        if el is d.declaratie:
            declaratie_fout = codes
        elif local(el.tag) == "Client":
            client_fouten[paden[id(el)]] = codes
        else:
            technisch[paden[id(el)]] = codes
    return TechnischOordeel(kop, declaratie_fout, client_fouten, technisch)


def beslissing_uit_antwoord(antwoord: etree._Element | etree._ElementTree | bytes) -> dict[str, object]:
    """The decision a WMO325 expresses, as arguments for `bouw_declaratie_antwoord` (all refusals in
    `afgewezen` by ReferentieNummer, client faults in `client_fouten` by Bsn).

    For a 325 written elsewhere — by a back-office, or from JSON through json_xml — so the gateway can rebuild it
    from the 323 it answers and so make its totals and classes right. The 0233s under a faulty client and the
    0200/8001 the builder assigns are not part of the decision and are left out.
    """
    if isinstance(antwoord, bytes | bytearray):
        root = safe_xml.parse(bytes(antwoord)).root
    else:
        root = antwoord.getroot() if isinstance(antwoord, etree._ElementTree) else antwoord
    bericht = catalogue.by_namespace(_ns(root)) or catalogue.get("325")
    ns = f"{{{bericht.namespace}}}"
    referentie = f"{ns}ProductReferentie/{{{bericht.basisschema_namespace}}}ReferentieNummer"

    def codes(el: etree._Element) -> tuple[str, ...]:
        return tuple((c.text or "").strip() for c in el.iterfind(f"{ns}RetourCodes/{ns}RetourCode"))

    header = root.find(f"{ns}Header")
    kop = codes(header) if header is not None else ()
    beslissing: dict[str, object] = {
        "kop_fout": () if kop == (retour.GEEN_OPMERKINGEN,) else kop, "afgewezen": {}, "client_fouten": {},
    }
    inhoud = root.find(f"{ns}DeclaratieAntwoord")
    if inhoud is None:
        return beslissing
    eigen = codes(inhoud)
    if any(c not in (retour.GEEN_OPMERKINGEN, VOLLEDIG_TOEGEKEND) for c in eigen):
        beslissing["declaratie_fout"] = eigen
    afgewezen: dict[str, tuple[str, ...]] = {}
    client_fouten: dict[str, tuple[str, ...]] = {}
    for client in inhoud.iterfind(f"{ns}Clienten/{ns}Client"):
        if (client_codes := codes(client)) != (retour.GEEN_OPMERKINGEN,):
            client_fouten[client.findtext(f"{ns}Bsn", "").strip()] = client_codes
        for prestatie in client.iterfind(f"{ns}Prestaties/{ns}Prestatie"):
            if (prestatie_codes := codes(prestatie)) != (retour.NIET_BEOORDEELD,):
                afgewezen[prestatie.findtext(referentie, "").strip()] = prestatie_codes
    beslissing.update(afgewezen=afgewezen, client_fouten=client_fouten)
    return beslissing


@dataclass(frozen=True)
class Herbouw:
    """A WMO325 written elsewhere, read so the builder can write it again from the 323 it answers: the decision
    (as `beslissing_uit_antwoord` gives it), the 325's own BerichtIdentificatie and XsltVersie, which the rebuilt
    325 keeps, and where each location BeslissingOngeldig may name stands in the 325 as it was written."""

    afgewezen: dict[str, tuple[str, ...]]
    client_fouten: dict[str, tuple[str, ...]]
    kop_fout: tuple[str, ...]
    declaratie_fout: tuple[str, ...]
    identificatie: str | None
    dagtekening: str | None
    xslt_versie: str | None
    plaatsen: dict[str, str]

    @property
    def alleen_prestaties_en_clienten(self) -> bool:
        """No Header or Declaratie-class refusal: the 323 is (partly) processed and awaits just this decision."""
        return not self.kop_fout and not self.declaratie_fout

    def als_besluit(self) -> dict[str, object]:
        """The keyword arguments of `beslissing.beantwoord` / `proef_antwoord` this 325 stands for."""
        return {"afgewezen": self.afgewezen, "client_fouten": self.client_fouten, "identificatie": self.identificatie,
                "dagtekening": self.dagtekening, "xslt_versie": self.xslt_versie}


def herbouw_uit_antwoord(antwoord: etree._Element) -> Herbouw:
    """An XSD-valid 325 read for rebuilding (see Herbouw). A 0233 on a prestatie of a client without a fault
    of its own is kept in the decision rather than dropped (which would grant that prestatie): the builder then
    names it, as 0233 gives no reason of refusal."""
    besluit = beslissing_uit_antwoord(antwoord)
    bericht = catalogue.by_namespace(_ns(antwoord)) or catalogue.get("325")
    ns = f"{{{bericht.namespace}}}"
    basis = f"{{{bericht.basisschema_namespace}}}"
    afgewezen: dict[str, tuple[str, ...]] = dict(besluit["afgewezen"])  # type: ignore[call-overload]
    client_fouten: dict[str, tuple[str, ...]] = dict(besluit["client_fouten"])  # type: ignore[call-overload]
    plaatsen: dict[str, str] = {}
    for client in antwoord.iterfind(f"{ns}DeclaratieAntwoord/{ns}Clienten/{ns}Client"):
        bsn = client.findtext(f"{ns}Bsn", "").strip()
        if bsn in client_fouten:  # the builder locates a client by position: it never repeats a Bsn
            plaatsen.setdefault(f"client_fouten[{list(client_fouten).index(bsn) + 1}]", element_path(client))
        for prestatie in client.iterfind(f"{ns}Prestaties/{ns}Prestatie"):
            referentie = prestatie.findtext(f"{ns}ProductReferentie/{basis}ReferentieNummer", "").strip()
            plaatsen.setdefault(f"afgewezen/{referentie}", element_path(prestatie))
            if bsn not in client_fouten and referentie not in afgewezen:
                afgewezen[referentie] = (retour.NIET_BEOORDEELD,)

    def kop(pad: str) -> str | None:
        return (antwoord.findtext(f"{ns}Header/{pad}") or "").strip() or None

    return Herbouw(
        afgewezen=afgewezen, client_fouten=client_fouten,
        kop_fout=tuple(besluit.get("kop_fout") or ()), declaratie_fout=tuple(besluit.get("declaratie_fout") or ()),  # type: ignore[call-overload]
        identificatie=kop(f"{ns}BerichtIdentificatie/{basis}Identificatie"),
        dagtekening=kop(f"{ns}BerichtIdentificatie/{basis}Dagtekening"), xslt_versie=kop(f"{ns}XsltVersie"),
        plaatsen=plaatsen,
    )


def geweigerde_prestaties(
    declaratie: etree._Element | etree._ElementTree | bytes, oordeel: TechnischOordeel
) -> dict[str, tuple[str, ...]]:
    """ReferentieNummer → codes of every prestatie the gateway's own findings refuse in a partly processed
    323: those with findings of their own, and (with 0233) every other prestatie of a client with a fault."""
    d = _lees(declaratie)
    geweigerd: dict[str, tuple[str, ...]] = {}
    for client in d.clienten:
        client_fout = oordeel.client_fouten.get(client.pad)
        for p in client.prestaties:
            codes = oordeel.technisch.get(p.pad) or ((retour.NIET_BEOORDEELD,) if client_fout else ())
            if codes:
                geweigerd[p.referentienummer] = tuple(codes)
    return geweigerd


def totaal_ingediend(declaratie: etree._Element | etree._ElementTree | bytes) -> int:
    """The declaratie's signed total of its prestaties' IngediendBedrag, in cents (credit negative)."""
    return sum(p.bedrag for p in _lees(declaratie).prestaties())
