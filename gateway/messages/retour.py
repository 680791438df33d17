"""Building the retourbericht (WMO302, 306, 308, 316, 318, 320) that answers a heenbericht (IV028).

The policy, from IV028 and IV032 (regels-op-berichten-iwmo-3.2.md):

* A message that fails the XSD (controleniveau 1) gets no retourbericht; the sender gets an error
  message instead. `build_retourbericht` raises `GeenRetourbericht` for it, and for every other message
  that has no retour (WMO302 ..., WMO323 which is answered by WMO325, non-iWmo input).
* The Header is the heenbericht's Header with BerichtCode set to the retour's code; every other element,
  Afzender and Ontvanger included, is copied unchanged. Then IdentificatieRetour, DagtekeningRetour,
  (XsltVersie, only when given) and XsdVersieRetour follow.
* No findings: the message is fully approved and the retour holds only the Header, *without* RetourCodes
  ("Het retourbericht bevat in dat geval alleen een Header, zonder retourcodes").
* Controleniveau 2 (in-message rules: retourcode 0001): only the Header, with RetourCode 0001.
* Controleniveau 3/4 with a finding in the Header: only the Header, with the rules' retourcodes.
* Controleniveau 3/4 with findings below the Header: the Header with 0200, then every berichtklasse of
  the client copied unchanged, each closed by RetourCodes: the retourcodes of the findings in that class,
  0233 for a class the caller reports as not assessed, otherwise 0200. Classes below a rejected class
  were assessed too and get 0200 when clean (JW318 example: NieuwProduct 0200 under a rejected Verzoek).

Where a finding lands: the deepest berichtklasse (see `klassen`) that contains its location. The location
used is `extra["retourlocatie"]` when a rule sets one, else the first location outside the Header (a rule
that compares a client's date with the header's Dagtekening lists the Dagtekening first, in document
order, but the fault lies in the client's class), else the first location; no location means the Header.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from gateway.messages import klassen as _klassen
from gateway.standard import catalogue, profielen
from gateway.validation import safe_xml, schemas
from gateway.validation.findings import TRANSPORT_CODES, Finding, maskeer_cijferreeksen
from gateway.validation.paths import element_naam, element_path, local

# WJ001 codes that the retourbericht itself assigns (the rules supply the others).
TECHNISCH_AFGEKEURD = "0001"  # Bericht is afgekeurd om technische redenen (controleniveau 2)
GEEN_OPMERKINGEN = "0200"  # Geen opmerkingen over deze berichtklasse
NIET_BEOORDEELD = "0233"  # Deze berichtklasse is niet gecontroleerd

IDENTIFICATIE_MAX = 12  # LDT_IdentificatieBericht: 1..12 characters, not only whitespace
_VERSIE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")  # LDT_Versie
_XS = "{http://www.w3.org/2001/XMLSchema}"


class GeenRetourbericht(Exception):
    """The message gets no retourbericht; `melding` says why, `findings` holds the reason's findings."""

    def __init__(self, melding: str, findings: Iterable[Finding] = ()):
        super().__init__(melding)
        self.melding = melding
        self.findings = tuple(findings)


class RetourOngeldig(GeenRetourbericht):
    """The retourbericht we built does not validate against its own schema (a rule gave an unknown code)."""


@dataclass(frozen=True)
class Beoordeling:
    """The RetourCodes of one retourbericht, before it is written out.

    `kop`: the Header's codes (empty for a fully approved message). `klassen`: None when the retour holds
    only the Header; otherwise every berichtklasse of the client, by its path in the heenbericht
    (`/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]`), in document order, with its codes.
    """

    kop: tuple[str, ...]
    klassen: dict[str, tuple[str, ...]] | None

    @property
    def goedgekeurd(self) -> bool:
        return not self.kop and self.klassen is None


# -- the policy ---------------------------------------------------------------------------------------


def _stappen(root: etree._Element, el: etree._Element) -> tuple[str, ...]:
    names: list[str] = []
    node: etree._Element | None = el
    while node is not None and node is not root:
        names.append(local(node.tag))
        node = node.getparent()
    return tuple(reversed(names))


def _resolve(root: etree._Element, path: str) -> etree._Element:
    """The element a location path names, or its deepest existing ancestor on that path."""
    steps = [s for s in path.split("/") if s]
    if steps and steps[0] == local(root.tag):
        steps = steps[1:]
    node = root
    for step in steps:
        name, _, rest = step.partition("[")
        try:
            index = int(rest.rstrip("]")) if rest else 1
        except ValueError:
            break
        matches = [c for c in node if local(c.tag) == name]
        if index < 1 or len(matches) < index:
            break
        node = matches[index - 1]
    return node


def _in_header(path: str) -> bool:
    steps = [s for s in path.split("/") if s]
    return len(steps) < 2 or steps[1] == _klassen.HEADER[0]


def _retourlocatie(finding: Finding) -> str | None:
    override = finding.extra.get("retourlocatie") if finding.extra else None
    if override:
        return override
    for path in finding.locatie:
        if not _in_header(path):
            return path
    return finding.locatie[0] if finding.locatie else None


def _klasse(
    root: etree._Element, el: etree._Element, klassepaden: set[tuple[str, ...]]
) -> etree._Element | None:
    """The deepest berichtklasse containing `el` (None: the Header or the message as a whole)."""
    node: etree._Element | None = el
    while node is not None and node is not root:
        if _stappen(root, node) in klassepaden:
            return node
        node = node.getparent()
    return None


def _uniek(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def weiger_onleesbaar(findings: Iterable[Finding], gevolg: str) -> None:
    """Raise GeenRetourbericht when a finding says the message never got past parsing and XSD (controleniveau 1).

    `gevolg` says what that means for the answer, e.g. that there is no retourbericht (IV028) or no
    declaratie-antwoordbericht (IV087).
    """
    refused = [f for f in findings if f.code in TRANSPORT_CODES]
    if refused:
        raise GeenRetourbericht(
            f"Het bericht is niet XSD-valide (of niet leesbaar); {gevolg}: {refused[0].melding}", refused
        )


def technisch_afgekeurd(findings: Iterable[Finding]) -> bool:
    """Controleniveau 2: an in-message rule failed (retourcode 0001; a finding without one counts as such)."""
    return any((f.retourcode or TECHNISCH_AFGEKEURD) == TECHNISCH_AFGEKEURD for f in findings)


def codes_per_klasse(
    heen: etree._Element, findings: Iterable[Finding], klassepaden: set[tuple[str, ...]]
) -> tuple[tuple[str, ...], dict[etree._Element, tuple[str, ...]]]:
    """Where each finding's retourcode lands (see the module docstring): the codes of findings in no class
    (the Header), and per berichtklasse element its codes, each list deduplicated in finding order.

    `klassepaden`: the classes below the Header as local-name steps from the root, e.g.
    ("Client", "ToegewezenProducten", "ToegewezenProduct"). Every finding must carry a retourcode.
    """
    per_klasse: dict[etree._Element, list[str]] = {}
    kop: list[str] = []
    for f in findings:
        path = _retourlocatie(f)
        klasse = _klasse(heen, _resolve(heen, path), klassepaden) if path else None
        assert f.retourcode is not None
        if klasse is None:
            kop.append(f.retourcode)
        else:
            per_klasse.setdefault(klasse, []).append(f.retourcode)
    return _uniek(kop), {k: _uniek(codes) for k, codes in per_klasse.items()}


def beoordeel(
    heen: etree._Element,
    findings: Iterable[Finding],
    *,
    niet_beoordeeld: Iterable[str] = (),
) -> Beoordeling:
    """Decide the RetourCodes for a heenbericht and its findings (IV028; see the module docstring).

    `niet_beoordeeld`: location paths of berichtklassen the receiver did not assess (they get 0233 when
    the retour repeats the client's classes). Raises GeenRetourbericht for XSD/transport findings.
    """
    findings = list(findings)
    weiger_onleesbaar(findings, "volgens IV028 krijgt het geen retourbericht, de afzender krijgt een foutmelding")
    if not findings:
        return Beoordeling(kop=(), klassen=None)
    if technisch_afgekeurd(findings):
        return Beoordeling(kop=(TECHNISCH_AFGEKEURD,), klassen=None)

    bericht = _heenbericht(heen)
    assert bericht.beantwoord_door is not None
    klassepaden = set(_klassen.klassen(bericht.beantwoord_door)[1:])
    kop, per_element = codes_per_klasse(heen, findings, klassepaden)
    if kop:  # "Indien er een fout geconstateerd is in de Header, bevat het retourbericht alleen de Header"
        return Beoordeling(kop=kop, klassen=None)
    per_klasse = {element_path(k): codes for k, codes in per_element.items()}

    overgeslagen = {
        element_path(k)
        for p in niet_beoordeeld
        if (k := _klasse(heen, _resolve(heen, p), klassepaden)) is not None
    }
    uitslag: dict[str, tuple[str, ...]] = {}
    for el in heen.iter():
        if not isinstance(el.tag, str) or _stappen(heen, el) not in klassepaden:
            continue
        path = element_path(el)
        if path in per_klasse:
            uitslag[path] = per_klasse[path]
        elif path in overgeslagen:
            uitslag[path] = (NIET_BEOORDEELD,)
        else:
            uitslag[path] = (GEEN_OPMERKINGEN,)
    return Beoordeling(kop=(GEEN_OPMERKINGEN,), klassen=uitslag)


# -- writing the XML ----------------------------------------------------------------------------------


def _heenbericht(root: etree._Element) -> catalogue.Berichttype:
    qname = etree.QName(root)
    bericht = catalogue.by_namespace(qname.namespace) if qname.localname == "Bericht" else None
    if bericht is None:
        raise GeenRetourbericht(
            f"Het rootelement {maskeer_cijferreeksen(element_naam(root))} is geen bericht van "
            f"{profielen.beschrijving()}; "
            "er is geen retourbericht voor."
        )
    if catalogue.retourbericht_voor(bericht.naam) is None:
        if bericht.soort is catalogue.Soort.RETOUR:
            waarom = "het is zelf een retourbericht, en op een retourbericht volgt geen retourbericht"
        elif bericht.beantwoord_door:
            waarom = f"het wordt beantwoord met een {bericht.beantwoord_door}, een nieuw bericht en geen retourbericht"
        else:
            waarom = "op dit bericht volgt geen retourbericht"
        raise GeenRetourbericht(
            f"{bericht.naam} ({bericht.omschrijving}) krijgt geen retourbericht: {waarom}."
        )
    return bericht


@functools.lru_cache(maxsize=32)
def _max_retourcodes(xsd: Path) -> int | None:
    """maxOccurs of RetourCode in a retour schema (None: unbounded, or no schema to ask)."""
    if not xsd.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for el in etree.parse(str(xsd), parser).iter(f"{_XS}element"):
        if el.get("name") == "RetourCode":
            raw = el.get("maxOccurs", "1")
            return None if raw == "unbounded" else int(raw)
    return None


@functools.cache
def _amsterdam() -> dt.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Amsterdam")
    except Exception:  # no tz database on this host
        return None


def _vandaag() -> dt.date:
    zone = _amsterdam()
    return dt.datetime.now(zone).date() if zone is not None else dt.date.today()


def dagtekening_tekst(value: dt.date | str | None) -> str:
    """A Dagtekening as JJJJ-MM-DD: today (Europe/Amsterdam) for None; ValueError for anything else."""
    if value is None:
        return _vandaag().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"dagtekening {value!r} is geen datum JJJJ-MM-DD")
    return dt.date.fromisoformat(text).isoformat()


def nieuwe_identificatie() -> str:
    """A fresh IdentificatieRetour: 12 random hex characters (LDT_IdentificatieBericht allows 1..12)."""
    return secrets.token_hex(IDENTIFICATIE_MAX // 2)


def controleer_identificatie(value: str | None) -> str:
    """An Identificatie of a message we write: the value when it fits LDT_IdentificatieBericht, a fresh one for None."""
    if value is None:
        return nieuwe_identificatie()
    if not 1 <= len(value) <= IDENTIFICATIE_MAX or not value.strip():
        raise ValueError(f"identificatie {value!r}: 1 tot {IDENTIFICATIE_MAX} tekens, niet alleen spaties")
    return value


def controleer_xslt_versie(value: str | None) -> None:
    """XsltVersie (LDT_Versie, n.n.n) when given; ValueError otherwise."""
    if value is not None and not _VERSIE.fullmatch(value):
        raise ValueError(f"xslt_versie {value!r} is geen versienummer n.n.n")


def schrijf_element(
    parent: etree._Element, namespace: str, name: str, text: str | None = None
) -> etree._Element:
    new = etree.SubElement(parent, f"{{{namespace}}}{name}")
    new.text = text
    return new


def schrijf_retourcodes(
    parent: etree._Element, namespace: str, codes: Iterable[str], limiet: int | None = None
) -> etree._Element:
    """A RetourCodes element closing `parent`, with at most `limiet` codes (None: all)."""
    codes = tuple(codes)
    wrapper = schrijf_element(parent, namespace, "RetourCodes")
    for code in codes[:limiet] if limiet else codes:
        schrijf_element(wrapper, namespace, "RetourCode", code)
    return wrapper


def schrijf_xsd_versie(parent: etree._Element, bericht: catalogue.Berichttype, name: str) -> etree._Element:
    """An XsdVersie-like element (XsdVersie, XsdVersieRetour) of `bericht`, naming the versions our schemas of
    its profile implement."""
    versie = schrijf_element(parent, bericht.namespace, name)
    basis, profiel = bericht.basisschema_namespace, bericht.profiel
    schrijf_element(versie, basis, "BasisschemaXsdVersie", profiel.xsd_versie)
    schrijf_element(versie, basis, "BerichtXsdVersie", profiel.xsd_versie)
    return versie


def nieuw_bericht(bericht: catalogue.Berichttype) -> etree._Element:
    """The root element of a message we build, binding the prefixes its profile's messages use."""
    tag, nsmap = _wortel(bericht)
    return etree.Element(tag, nsmap=nsmap)


@functools.cache
def _wortel(bericht: catalogue.Berichttype) -> tuple[str, dict[str, str]]:
    # The catalogue spells namespaces out on every access; a retourbericht is built per message received.
    nsmap = {bericht.prefix: bericht.namespace, bericht.profiel.basis_prefix: bericht.basisschema_namespace}
    return f"{{{bericht.namespace}}}Bericht", nsmap


def kopieer(
    src: etree._Element,
    parent: etree._Element,
    *,
    van: str,
    naar: str,
    codes: Callable[[etree._Element], tuple[str, ...] | None] = lambda _el: None,
    limiet: int | None = None,
) -> etree._Element:
    """Copy `src` unchanged under `parent`; elements in namespace `van` move to `naar` (basisschema elements
    keep theirs). Every copied element for which `codes` gives a tuple is closed by RetourCodes with them."""
    new = etree.SubElement(parent, _verhuisd(src.tag, van, naar))
    leeg = True
    if len(src):  # counts comments and processing instructions too; they stay behind
        for child in src.iterchildren(etree.Element):
            leeg = False
            kopieer(child, new, van=van, naar=naar, codes=codes, limiet=limiet)
    if leeg:
        new.text = src.text
    if (eigen := codes(src)) is not None:
        schrijf_retourcodes(new, naar, eigen, limiet)
    return new


@functools.lru_cache(maxsize=4096)
def _verhuisd(tag: str, van: str, naar: str) -> str:
    """`tag` moved from namespace `van` (or none) to `naar`; a tag in another namespace (basisschema) stays."""
    namespace, _, name = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    return f"{{{naar if namespace in (van, '') else namespace}}}{name}"


def als_bytes(root: etree._Element) -> bytes:
    """A message we wrote, indented, as UTF-8 with an XML declaration and a final newline."""
    etree.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8") + b"\n"


def _parse(heen: bytes | etree._ElementTree | etree._Element) -> etree._Element:
    if isinstance(heen, bytes | bytearray):
        try:
            return safe_xml.parse(bytes(heen)).root
        except safe_xml.XmlRefused as refused:
            raise GeenRetourbericht(
                f"Het bericht is niet leesbaar; geen retourbericht: {refused.finding.melding}",
                [refused.finding],
            ) from None
    if isinstance(heen, etree._ElementTree):
        return heen.getroot()
    return heen


def build_retourbericht(
    heen: bytes | etree._ElementTree | etree._Element,
    findings: Iterable[Finding] = (),
    *,
    identificatie: str | None = None,
    dagtekening: dt.date | str | None = None,
    xslt_versie: str | None = None,
    niet_beoordeeld: Iterable[str] = (),
) -> bytes:
    """The retourbericht for a heenbericht and the findings on it, as UTF-8 XML with a declaration.

    The heenbericht must be XSD-valid (findings with code XSD/XML/... raise GeenRetourbericht; this
    function does not run the XSD itself, `validate_and_build` does). `identificatie` defaults to a fresh
    12-character id, `dagtekening` to today (Europe/Amsterdam). `xslt_versie` fills XsltVersie, which
    IV028 requires when the official XSLTs rejected the message.
    """
    return als_bytes(bouw_retourbericht(heen, findings, identificatie=identificatie, dagtekening=dagtekening,
                                        xslt_versie=xslt_versie, niet_beoordeeld=niet_beoordeeld))


def bouw_retourbericht(
    heen: bytes | etree._ElementTree | etree._Element,
    findings: Iterable[Finding] = (),
    *,
    identificatie: str | None = None,
    dagtekening: dt.date | str | None = None,
    xslt_versie: str | None = None,
    niet_beoordeeld: Iterable[str] = (),
) -> etree._Element:
    """`build_retourbericht` as the root element it writes out (`als_bytes`), for a caller that reads the
    retourbericht's header without parsing the bytes again."""
    root = _parse(heen)
    bericht = _heenbericht(root)
    retour = catalogue.get(bericht.beantwoord_door or "")
    oordeel = beoordeel(root, findings, niet_beoordeeld=niet_beoordeeld)
    controleer_xslt_versie(xslt_versie)
    ident, datum = controleer_identificatie(identificatie), dagtekening_tekst(dagtekening)
    limiet = _max_retourcodes(schemas.schema_path(retour.naam))

    heen_ns, ns = bericht.namespace, retour.namespace

    def klassecodes(src: etree._Element) -> tuple[str, ...] | None:
        return None if oordeel.klassen is None else oordeel.klassen.get(element_path(src))

    out = nieuw_bericht(retour)
    header = schrijf_element(out, ns, "Header")
    heen_header = root.find(f"{{{heen_ns}}}Header")
    if heen_header is None:
        raise GeenRetourbericht(f"{bericht.naam} zonder Header: geen retourbericht (is het XSD-valide?)")
    for child in heen_header:
        if isinstance(child.tag, str):
            copied = kopieer(child, header, van=heen_ns, naar=ns, codes=klassecodes, limiet=limiet)
            if local(child.tag) == "BerichtCode":
                copied.text = retour.berichtcode
    schrijf_element(header, ns, "IdentificatieRetour", ident)
    schrijf_element(header, ns, "DagtekeningRetour", datum)
    if xslt_versie is not None:
        schrijf_element(header, ns, "XsltVersie", xslt_versie)
    schrijf_xsd_versie(header, retour, "XsdVersieRetour")
    if oordeel.kop:
        schrijf_retourcodes(header, ns, oordeel.kop, limiet)
    if oordeel.klassen is not None:
        for child in root:
            if isinstance(child.tag, str) and local(child.tag) == _klassen.inhoud(retour.naam):
                kopieer(child, out, van=heen_ns, naar=ns, codes=klassecodes, limiet=limiet)
    return out


def validate_and_build(
    data: bytes,
    *,
    identificatie: str | None = None,
    dagtekening: dt.date | str | None = None,
    xslt_versie: str | None = None,
    max_bytes: int | None = None,
) -> bytes:
    """Validate a heenbericht (XSD and rules) and build its retourbericht in one call.

    Raises GeenRetourbericht when the message gets none (unreadable, not iWmo, XSD-invalid, or not a
    heenbericht with a retour), and RetourOngeldig when the built retour fails its own schema.
    """
    from gateway.validation.validator import validate  # the validator pulls in every rule module

    uitslag = validate(data, max_bytes=max_bytes)
    if uitslag.bericht is None or uitslag.tree is None:
        melding = uitslag.errors[0].melding if uitslag.errors else "onbekende fout"
        raise GeenRetourbericht(f"Geen retourbericht: {melding}", uitslag.errors)
    _heenbericht(uitslag.tree.getroot())
    if not uitslag.xsd_valid:
        fouten = [f for f in uitslag.errors if f.code in TRANSPORT_CODES]
        raise GeenRetourbericht(
            f"{uitslag.bericht.naam} valideert niet tegen het XSD ({len(fouten)} fout(en)); volgens IV028 "
            f"krijgt het geen retourbericht, de afzender krijgt een foutmelding. Eerste fout: {fouten[0].melding}",
            fouten,
        )
    xml = build_retourbericht(
        uitslag.tree,
        uitslag.errors,
        identificatie=identificatie,
        dagtekening=dagtekening,
        xslt_versie=xslt_versie,
    )
    retour = catalogue.retourbericht_voor(uitslag.bericht.naam)
    assert retour is not None
    if schemas.schema_path(retour.naam).is_file():
        schema = schemas.schema_for(retour.naam)
        if not schema.validate(etree.fromstring(xml)):
            fouten_tekst = "; ".join(e.message for e in schema.error_log)
            raise RetourOngeldig(
                f"Het opgestelde {retour.naam} valideert niet tegen {retour.schema_file}: {fouten_tekst}"
            )
    return xml
