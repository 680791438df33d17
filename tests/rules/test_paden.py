"""The rules' paths (`registry.Pad`): a simple path is answered from the per-message child index instead of an
XPath evaluation, and must find exactly what the XPath finds, in the same order."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.standard import catalogue
from gateway.validation import safe_xml
from gateway.validation.rules import registry
from gateway.validation.rules.registry import RuleContext, run_rules
from gateway.validation.validator import detect
from tests.reference import OUR_EXAMPLES


def _vergelijk(ctx: RuleContext, paden: list[str]) -> int:
    """Every path from every element of the message, through the index and through its XPath; the number of
    non-empty answers (so a test that compares only empty lists cannot pass unnoticed)."""
    gevonden = 0
    for path in paden:
        pad = ctx._compiled(path)
        for el in ctx.root.iter(etree.Element):
            verwacht = pad.xpath(el)
            assert ctx.findall(el, path) == verwacht, (path, el.tag)
            assert ctx.find(el, path) is (verwacht[0] if verwacht else None), (path, el.tag)
            gevonden += bool(verwacht)
        assert ctx.alle(path) == pad.xpath(ctx.root), path
    return gevonden


@pytest.mark.parametrize("bestand", sorted(p.name for p in OUR_EXAMPLES.glob("*.xml")))
def test_every_path_the_rules_ask_finds_what_its_xpath_finds(bestand: str) -> None:
    root = safe_xml.parse((OUR_EXAMPLES / bestand).read_bytes()).root
    bericht = detect(root)
    assert bericht is not None
    run_rules(bericht, root)  # compiles every anchor and every path the checks ask for this message type
    paden = [p for p, pad in registry._PATHS[bericht.naam].items() if pad.takken is not None]
    anchors = [r.anchor for _order, r, pad in registry._plan(bericht).rules if pad.takken is not None]
    assert paden and anchors
    assert _vergelijk(RuleContext(bericht, root), sorted({*paden, *anchors})) > 0


def test_unions_descendants_and_comments_keep_xpath_order_and_uniqueness() -> None:
    bericht = catalogue.get("WMO301")
    m, b = bericht.namespace, bericht.basisschema_namespace
    root = etree.fromstring(f"""<m:Bericht xmlns:m="{m}" xmlns:b="{b}">
      <m:A><m:B>1</m:B><!-- m:B --><m:C><m:B>2</m:B></m:C><m:B>3</m:B></m:A>
      <m:C><m:B>4</m:B><b:B>5</b:B></m:C>
      <m:A><m:C><m:C><m:B>6</m:B></m:C></m:C><?pi m:B?><b:B>7</b:B></m:A>
    </m:Bericht>""".encode())
    ctx = RuleContext(bericht, root)
    paden = ["m:A/m:B", "m:A/m:B | m:C/m:B", "m:C/m:B | m:A/m:B", "m:A/m:B | m:A/m:B", "m:A | m:C",
             ".//m:B", ".//m:C", ".//b:B", "m:A/b:B | m:C/b:B", "m:C/m:B | m:Z", "m:Z", "m:A/m:C/m:C/m:B",
             " m:A / m:B ", ".//m:C/m:B", "m:A[2]/m:B", "m:*"]
    assert _vergelijk(ctx, paden) > 0
    # Simple ones go through the index, the rest (predicates, wildcards, `//` before more steps) through XPath.
    eenvoudig = {p for p in paden if ctx._compiled(p).takken is not None}
    assert eenvoudig == set(paden) - {".//m:C/m:B", "m:A[2]/m:B", "m:*"}
    assert [el.text for el in ctx.findall(root, "m:C/m:B | m:A/m:B")] == ["1", "3", "4"]
