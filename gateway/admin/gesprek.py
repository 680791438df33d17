"""The conversation a message belongs to, and what a declaratie's prestatie lines say.

Heen and retour share a conversatie_id in the store (301 → 302, 305 → 306, 323 → 325). A verzoek (315/317)
is answered by a toewijzing or an antwoordbericht (301/319) in a conversation of its own; what ties them is the
ReferentieAanbieder, so those are followed too. What became of each prestatie of a 323 is decided in one place,
gateway/ingest/beslissing.py, which the console asks through gateway/admin/declaraties.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.standard import catalogue, productcategorieen
from gateway.standard.profielen import Profiel
from gateway.store import queries
from gateway.store.models import Bericht, BerichtSleutel
from gateway.validation.safe_xml import XmlRefused, parse

# The kinds of message that make up a verzoek conversation, in every profile.
VERZOEKEN = tuple(b.naam for b in catalogue.alle() if b.nummer in ("315", "317"))
ANTWOORDEN_OP_VERZOEK = tuple(b.naam for b in catalogue.alle() if b.nummer in ("301", "319"))


def _heen(session: Session, bericht: Bericht) -> Bericht:
    if bericht.antwoord_op_id and catalogue.nummer_van(bericht.berichttype) != "325":
        ouder = session.get(Bericht, bericht.antwoord_op_id)
        if ouder is not None:
            return ouder
    return bericht


def _referenties(session: Session, ids: list[str]) -> set[str]:
    return set(session.scalars(select(BerichtSleutel.value).where(
        BerichtSleutel.bericht_id.in_(ids), BerichtSleutel.kind == "ReferentieAanbieder")))


def gesprek(session: Session, bericht: Bericht) -> list[Bericht]:
    """Every message of the conversation, oldest first (empty when the message stands alone)."""
    heen = _heen(session, bericht)
    leden: dict[str, Bericht] = {}
    gesprekken = {heen.conversatie_id} if heen.conversatie_id else set()
    if heen.berichttype in VERZOEKEN + ANTWOORDEN_OP_VERZOEK:
        refs = _referenties(session, [heen.id])
        if refs:
            verwant = session.scalars(select(Bericht).join(BerichtSleutel, BerichtSleutel.bericht_id == Bericht.id)
                                      .where(BerichtSleutel.kind == "ReferentieAanbieder",
                                             BerichtSleutel.value.in_(refs),
                                             Bericht.berichttype.in_(VERZOEKEN + ANTWOORDEN_OP_VERZOEK)))
            gesprekken |= {b.conversatie_id for b in verwant if b.conversatie_id}
    for conversatie in gesprekken:
        for b in queries.conversation(session, conversatie):
            leden[b.id] = b
    leden.setdefault(heen.id, heen)
    for b in queries.answers(session, heen.id):
        leden.setdefault(b.id, b)
    if len(leden) <= 1:
        return []
    return sorted(leden.values(), key=lambda b: (b.created_at, b.id))


@dataclass
class Prestatie:
    """What a prestatie line says, for showing it; what became of it is `beslissing`'s to say."""

    referentie: str
    vorig: str  # VorigReferentieNummer: on a credit, the debet it cancels
    toewijzing: str
    product: str
    periode: str
    ingediend: int | None  # eurocent
    debet_credit: str


def _tekst(el: etree._Element, naam: str) -> str:
    for kind in el.iter():
        if isinstance(kind.tag, str) and etree.QName(kind).localname == naam:
            return (kind.text or "").strip()
    return ""


def _kinderen(el: etree._Element, naam: str) -> list[etree._Element]:
    return [k for k in el.iter() if isinstance(k.tag, str) and etree.QName(k).localname == naam]


def _bedrag(tekst: str) -> int | None:
    return int(tekst) if tekst.isdigit() else None


def _product(profiel: Profiel | None, categorie: str, code: str) -> str:
    """"45 Jeugdhulp ambulant · 45A05": the category with its meaning in the message's standard, then the code."""
    naam = productcategorieen.betekenis(profiel, categorie)
    return " · ".join(d for d in (f"{categorie} {naam}" if naam else categorie, code) if d)


def prestaties(data: bytes) -> list[Prestatie]:
    """The prestaties of a 323, in document order."""
    try:
        root = parse(data).root
    except XmlRefused:
        return []
    profiel = b.profiel if (b := catalogue.by_namespace(etree.QName(root).namespace)) else None
    uit = []
    for p in _kinderen(root, "Prestatie"):
        periode = _kinderen(p, "ProductPeriode")
        van_tot = f"{_tekst(periode[0], 'Begindatum')} – {_tekst(periode[0], 'Einddatum')}" if periode else ""
        bedrag = _kinderen(p, "IngediendBedrag")
        uit.append(Prestatie(
            referentie=_tekst(p, "ReferentieNummer"), vorig=_tekst(p, "VorigReferentieNummer"),
            toewijzing=_tekst(p, "ToewijzingNummer"),
            product=_product(profiel, _tekst(p, "ProductCategorie"), _tekst(p, "ProductCode")), periode=van_tot,
            ingediend=_bedrag(_tekst(bedrag[0], "Bedrag")) if bedrag else None,
            debet_credit=_tekst(bedrag[0], "DebetCredit") if bedrag else "",
        ))
    return uit
