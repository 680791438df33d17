"""The rules registry and the engine that runs it.

A rule is declared once: code, retourcode (WJ001), the message types it applies to, the anchor element
it is evaluated at (an XPath with prefix `m:` for the message namespace and `b:` for the basisschema),
a Dutch melding with an instruction, and a check. The engine compiles every anchor XPath once per message
type, evaluates each rule at its anchors, and orders the findings as the official validator does: anchors
in post-order of the document, rules in code order at the same anchor (rule-semantics §2.2).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.standard import catalogue
from gateway.validation.findings import Finding
from gateway.validation.paths import element_path


@dataclass(frozen=True, slots=True)
class Fault:
    """One violation: the elements involved (any order, absent ones left out) and optional detail."""

    elements: Sequence[etree._Element]
    detail: str | None = None


Check = Callable[["RuleContext", etree._Element], Iterable[Fault]]


@dataclass(frozen=True)
class Rule:
    code: str  # e.g. "TR380"
    retourcode: str  # WJ001, e.g. "0001"
    berichten: frozenset[str]  # message names, e.g. {"WMO317"}
    anchor: str  # XPath from the root element, e.g. "m:Client/m:Verzoek/m:ToeTeWijzenProducten"
    melding: str  # Dutch: what is wrong and what to do
    check: Check
    omschrijving: str = ""  # one line for the README table


class RuleContext:
    """What a check may ask about the message it runs on; also a per-message cache for indexes."""

    def __init__(self, bericht: catalogue.Berichttype, root: etree._Element):
        self.bericht = bericht
        self.root = root
        self.ns = {"m": bericht.namespace, "b": catalogue.BASISSCHEMA_NAMESPACE}
        self.cache: dict[str, Any] = {}
        self._header: etree._Element | None = None
        self._paths = _PATHS.setdefault(bericht.naam, {})

    def _compiled(self, path: str) -> etree.XPath:
        compiled = self._paths.get(path)
        if compiled is None:
            compiled = self._paths[path] = _xpath(path, self.ns)
        return compiled

    def find(self, el: etree._Element, path: str) -> etree._Element | None:
        """First element at a relative path like 'm:Product/b:Code' (compiled once)."""
        found = self._compiled(path)(el)
        return found[0] if found else None

    def findall(self, el: etree._Element, path: str) -> list[etree._Element]:
        return self._compiled(path)(el)

    @property
    def dagtekening(self) -> etree._Element | None:
        """The header's BerichtIdentificatie/Dagtekening, which many date rules compare with."""
        if "dagtekening" not in self.cache:
            self.cache["dagtekening"] = self.find(self.root, "m:Header/m:BerichtIdentificatie/b:Dagtekening")
        return self.cache["dagtekening"]

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Build an index once per message (pairwise rules index on their keys instead of nesting loops)."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


_XPATHS: dict[tuple[str, tuple[tuple[str, str], ...]], etree.XPath] = {}
# Per message type, path -> compiled XPath: the hot lookup of `find` is then one dict get on the path.
_PATHS: dict[str, dict[str, etree.XPath]] = {}


def _xpath(expr: str, ns: dict[str, str]) -> etree.XPath:
    key = (expr, tuple(sorted(ns.items())))
    compiled = _XPATHS.get(key)
    if compiled is None:
        compiled = _XPATHS[key] = etree.XPath(expr, namespaces=ns)
    return compiled


# Every declared rule. A code may appear more than once when a rule is anchored differently per message type.
REGISTRY: list[Rule] = []


def rule(
    code: str,
    *,
    retourcode: str,
    berichten: Iterable[str],
    anchor: str,
    melding: str,
    omschrijving: str = "",
) -> Callable[[Check], Check]:
    """Declare a rule; the decorated function is its check. Stack decorators for several anchors."""

    def register(check: Check) -> Check:
        names = frozenset(catalogue.get(b).naam for b in berichten)
        REGISTRY.append(Rule(code, retourcode, names, anchor, melding, check, omschrijving or melding.split(".")[0]))
        return check

    return register


def all_rules() -> list[Rule]:
    """Every declared rule, in the validator's code order (stable for rules sharing a code)."""
    _load_rule_modules()
    return sorted(REGISTRY, key=lambda r: _code_order(r.code))


def _code_order(code: str) -> tuple[int, int]:
    # The validator tries rules in the order CD..., CS..., TR... (prefix, then number).
    prefix_rank = {"CD": 0, "CS": 1, "TR": 2}.get(code[:2], 3)
    digits = "".join(ch for ch in code[2:] if ch.isdigit())
    return prefix_rank, int(digits or 0)


_loaded = False


def _load_rule_modules() -> None:
    global _loaded
    if _loaded:
        return
    import gateway.validation.rules as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in ("registry",):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _loaded = True


@dataclass
class _Plan:
    rules: list[tuple[int, Rule, etree.XPath]] = field(default_factory=list)


_PLANS: dict[str, _Plan] = {}


def _plan(bericht: catalogue.Berichttype) -> _Plan:
    plan = _PLANS.get(bericht.naam)
    if plan is None:
        ns = {"m": bericht.namespace, "b": catalogue.BASISSCHEMA_NAMESPACE}
        plan = _Plan()
        for order, r in enumerate(all_rules()):
            if bericht.naam in r.berichten:
                plan.rules.append((order, r, _xpath(r.anchor, ns)))
        _PLANS[bericht.naam] = plan
    return plan


def _postorder_index(root: etree._Element) -> dict[etree._Element, int]:
    index: dict[etree._Element, int] = {}
    counter = 0
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            index[el] = counter
            counter += 1
            continue
        stack.append((el, True))
        children = [c for c in el if isinstance(c.tag, str)]
        stack.extend((c, False) for c in reversed(children))
    return index


def _document_order(elements: Iterable[etree._Element], pre: dict[etree._Element, int]) -> list[etree._Element]:
    unique = {id(e): e for e in elements if e is not None}
    return sorted(unique.values(), key=lambda e: pre.get(e, 0))


def run_rules(bericht: catalogue.Berichttype, root: etree._Element) -> list[Finding]:
    """Run every rule for this message type on an XSD-valid message; findings in validator order."""
    plan = _plan(bericht)
    ctx = RuleContext(bericht, root)
    hits: list[tuple[etree._Element, int, Rule, Fault]] = []
    for order, r, anchors in plan.rules:
        for anchor in anchors(root):
            for fault in r.check(ctx, anchor):
                hits.append((anchor, order, r, fault))
    if not hits:
        return []
    post = _postorder_index(root)
    pre = {el: i for i, el in enumerate(root.iter())}
    hits.sort(key=lambda h: (post.get(h[0], 0), h[1]))
    findings: list[Finding] = []
    for _anchor, _order, r, fault in hits:
        elements = _document_order(fault.elements, pre)
        locatie = tuple(dict.fromkeys(element_path(e) for e in elements))
        melding = f"{r.code}: {r.melding}" + (f" ({fault.detail})" if fault.detail else "")
        findings.append(
            Finding(
                code=r.code,
                retourcode=r.retourcode,
                locatie=locatie,
                melding=melding,
                regel=elements[0].sourceline if elements else None,
            )
        )
    return findings
