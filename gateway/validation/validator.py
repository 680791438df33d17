"""Judging one message: safe parse, message type from the root namespace, XSD, then the rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from gateway.standard import catalogue
from gateway.validation import safe_xml, xsd
from gateway.validation.findings import ONBEKEND_BERICHT, XSD, Finding, begrens, maskeer_cijferreeksen
from gateway.validation.paths import element_naam
from gateway.validation.rules.registry import run_rules


@dataclass
class Uitslag:
    """The verdict on one message.

    `errors` holds every finding: the retourbericht needs each retourcode, and the verdict is theirs. What is
    shown or returned is `bevindingen`: at most MAX_BEVINDINGEN plus one that counts the rest. The XSD step
    builds no more than that in the first place (a hostile message can have 100 000 XSD errors).
    """

    bericht: catalogue.Berichttype | None
    errors: list[Finding] = field(default_factory=list)
    tree: etree._ElementTree | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def xsd_valid(self) -> bool:
        """Whether the message got past parsing and XSD, i.e. whether it earns a retourbericht."""
        return self.bericht is not None and self.tree is not None and not any(
            f.code in (XSD,) for f in self.errors
        )

    @property
    def bevindingen(self) -> list[Finding]:
        """The findings to show, store or return: capped (see the class docstring)."""
        return begrens(self.errors)

    def to_json(self, file: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {} if file is None else {"file": file}
        out.update(
            bericht=self.bericht.naam if self.bericht else None,
            valid=self.valid,
            errors=[f.to_json() for f in self.bevindingen],
        )
        return out


def detect(root: etree._Element) -> catalogue.Berichttype | None:
    namespace = etree.QName(root).namespace
    bericht = catalogue.by_namespace(namespace)
    return bericht if bericht and etree.QName(root).localname == "Bericht" else None


def validate(data: bytes, *, rules: bool = True, max_bytes: int | None = None) -> Uitslag:
    try:
        parsed = safe_xml.parse(data, max_bytes=max_bytes)
    except safe_xml.XmlRefused as refused:
        return Uitslag(bericht=None, errors=[refused.finding])
    bericht = detect(parsed.root)
    if bericht is None:
        qname = etree.QName(parsed.root)
        return Uitslag(
            bericht=None,
            errors=[
                Finding(
                    code=ONBEKEND_BERICHT,
                    melding=maskeer_cijferreeksen(  # the root's name is the sender's text; no BSN in it
                        f"Het rootelement {element_naam(parsed.root)} is geen iWmo {catalogue.RELEASE}-bericht. "
                        f"Verwacht: Bericht in een namespace als {catalogue.get('WMO301').namespace}."
                    ),
                    locatie=("/" + qname.localname,),
                    regel=parsed.root.sourceline,
                )
            ],
        )
    errors = xsd.validate(bericht.naam, parsed.tree)  # capped already: no retourbericht reads XSD findings
    if not errors and rules:
        errors = run_rules(bericht, parsed.root)
    return Uitslag(bericht=bericht, errors=errors, tree=parsed.tree)
