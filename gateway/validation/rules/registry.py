"""The rules registry and the engine that runs it.

A rule is declared once: code, retourcode (WJ001), the message types it applies to, the anchor element
it is evaluated at (an XPath with prefix `m:` for the message namespace and `b:` for the basisschema),
a Dutch melding with an instruction, and a check. The engine compiles every anchor XPath once per message
type, evaluates each rule at its anchors, and orders the findings as the official validator does: anchors
in post-order of the document, rules in code order at the same anchor (rule-semantics §2.2).

Most checks are called once per anchor. A rule on the lines of a declaratie, which can have tens of thousands,
is declared `per_bericht`: its check is called once, walks the lines itself (`RuleContext.regels` reads every
line's texts in one pass, shared by all such rules) and yields each fault with the anchor it belongs to. The
anchor path still says where the rule is evaluated, and the findings are ordered by it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.standard import catalogue
from gateway.validation import values
from gateway.validation.findings import Finding
from gateway.validation.paths import element_path


@dataclass(frozen=True, slots=True)
class Fault:
    """One violation: the elements involved (any order, absent ones left out) and optional detail."""

    elements: Sequence[etree._Element]
    detail: str | None = None


Check = Callable[["RuleContext", etree._Element], Iterable[Fault]]
# A `per_bericht` rule's check: every fault of the message, each with its anchor (an element the anchor path
# selects), anchors in document order.
BerichtCheck = Callable[["RuleContext"], Iterable[tuple[etree._Element, Fault]]]


@dataclass(frozen=True)
class Rule:
    code: str  # e.g. "TR380"
    retourcode: str  # WJ001, e.g. "0001"
    berichten: frozenset[str]  # message names, e.g. {"WMO317"}
    anchor: str  # XPath from the root element, e.g. "m:Client/m:Verzoek/m:ToeTeWijzenProducten"
    melding: str  # Dutch: what is wrong and what to do
    check: Check | BerichtCheck
    omschrijving: str = ""  # one line for the README table
    per_bericht: bool = False  # check is a BerichtCheck (see the module docstring)
    # The kinds of message the rule applies to, in every profile: {"301"} for {"WMO301"}.
    nummers: frozenset[str] = frozenset()
    # The standards ("iWmo", "iJw") whose messages the rule applies to; None: every standard whose profile
    # enables the code. A rule whose text differs per standard is declared once per standard.
    standaarden: frozenset[str] | None = None

    def geldt_voor(self, bericht: catalogue.Berichttype) -> bool:
        return bericht.nummer in self.nummers and bericht.profiel.past(self.code, self.standaarden)


class RuleContext:
    """What a check may ask about the message it runs on; also a per-message cache for indexes."""

    def __init__(self, bericht: catalogue.Berichttype, root: etree._Element):
        self.bericht = bericht
        self.root = root
        self.ns = {"m": bericht.namespace, "b": bericht.basisschema_namespace}
        self.cache: dict[str, Any] = {}
        self._header: etree._Element | None = None
        self._paths = _PATHS.setdefault(bericht.naam, {})
        # Per compiled XPath, its elements from the root: anchors that several rules share (a declaratie's
        # 10 000 prestaties) are looked up once per message, and checks that index all lines reuse them.
        self._overal: dict[Pad, list[etree._Element]] = {}
        self._regels: dict[str, dict[etree._Element, dict[str, str]]] = {}
        self._velden: dict[etree._Element, dict[str, etree._Element]] = {}
        # Per element asked about, its child elements by tag: the rules ask the same few elements (a product,
        # its Omvang) for one child after another, and an XPath call costs more to set up than to run.
        self._kinderen: dict[etree._Element, dict[Any, list[etree._Element]]] = {}

    def _compiled(self, path: str) -> Pad:
        compiled = self._paths.get(path)
        if compiled is None:
            compiled = self._paths[path] = _pad(path, self.ns)
        return compiled

    def find(self, el: etree._Element, path: str) -> etree._Element | None:
        """First element at a relative path like 'm:Product/b:Code' (compiled once)."""
        pad = self._compiled(path)
        if pad.takken is not None and len(pad.takken) == 1 and not pad.takken[0][0]:
            return self._eerste(el, pad.takken[0][1])
        found = self._zoek(el, pad)
        return found[0] if found else None

    def findall(self, el: etree._Element, path: str) -> list[etree._Element]:
        return list(self._zoek(el, self._compiled(path)))

    def alle(self, path: str) -> list[etree._Element]:
        """Every element at a path from the root, in document order; evaluated once per message."""
        return self._evalueer(self._compiled(path))

    def _evalueer(self, compiled: Pad) -> list[etree._Element]:
        found = self._overal.get(compiled)
        if found is None:
            found = self._overal[compiled] = list(self._zoek(self.root, compiled))
        return found

    # -- evaluating a Pad -------------------------------------------------------------------------------
    # The same results as the XPath, in document order; the returned list may be a cache's: callers copy.

    def _kinderen_van(self, el: etree._Element) -> dict[Any, list[etree._Element]]:
        kinderen = self._kinderen.get(el)
        if kinderen is None:
            kinderen = self._kinderen[el] = {}
            for kind in el:  # comments and processing instructions go under their (non-string) tag, never asked
                lijst = kinderen.get(kind.tag)
                if lijst is None:
                    kinderen[kind.tag] = [kind]
                else:
                    lijst.append(kind)
        return kinderen

    def _eerste(self, el: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
        """The first element at a child path: depth first, so the first in document order."""
        gevonden = self._kinderen_van(el).get(tags[0])
        if not gevonden:
            return None
        if len(tags) == 1:
            return gevonden[0]
        for kind in gevonden:
            diep = self._eerste(kind, tags[1:])
            if diep is not None:
                return diep
        return None

    def _tak(self, el: etree._Element, afstammeling: bool, tags: tuple[str, ...]) -> list[etree._Element]:
        if afstammeling:  # `.//p:Naam`: one step, so libxml2's descendant walk is already in document order
            return list(el.iterdescendants(tags[0]))
        nodes = self._kinderen_van(el).get(tags[0], _GEEN)
        for tag in tags[1:]:  # child steps keep document order: the subtrees of siblings do not overlap
            nodes = [kind for node in nodes for kind in self._kinderen_van(node).get(tag, _GEEN)]
        return nodes

    def _zoek(self, el: etree._Element, pad: Pad) -> list[etree._Element]:
        if pad.takken is None:
            return pad.xpath(el)
        if len(pad.takken) == 1:
            return self._tak(el, *pad.takken[0])
        delen = [deel for tak in pad.takken if (deel := self._tak(el, *tak))]
        if len(delen) <= 1:
            return delen[0] if delen else _GEEN
        return pad.xpath(el)  # a union with results in several branches: XPath's document order and no doubles

    @property
    def dagtekening(self) -> etree._Element | None:
        """The header's BerichtIdentificatie/Dagtekening, which many date rules compare with."""
        if "dagtekening" not in self.cache:
            self.cache["dagtekening"] = self.find(self.root, "m:Header/m:BerichtIdentificatie/b:Dagtekening")
        return self.cache["dagtekening"]

    @property
    def dagtekening10(self) -> float:
        """D10 of the Dagtekening, the upper bound of every 'not after the Dagtekening' check."""
        return self.memo("dagtekening10", lambda: values.date_num10(self.dagtekening))

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Build an index once per message (pairwise rules index on their keys instead of nesting loops)."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def regels(self, path: str) -> dict[etree._Element, dict[str, str]]:
        """Every line at `path` from the root (e.g. the prestaties), in document order, with the raw text
        (`values.raw`) of each of its descendant elements by local name; an absent element has no entry.

        Read in one pass and shared by every rule of the message: a declaratie of 10 000 prestaties has 150 000
        such elements, and reading each once is what keeps the rules cheap. For lines in which every local name
        occurs once, as in a Prestatie (Begindatum only in ProductPeriode, Bedrag only in IngediendBedrag).
        """
        tabel = self._regels.get(path)
        if tabel is None:
            tabel = self._regels[path] = {}
            lokaal: dict[str, str] = {}  # tag -> local name: a handful of distinct tags
            for regel in self.alle(path):
                teksten = tabel[regel] = {}
                for el in regel.iterdescendants(etree.Element):
                    tag = el.tag
                    naam = lokaal.get(tag)
                    if naam is None:
                        naam = lokaal[tag] = tag[tag.rfind("}") + 1:]
                    teksten[naam] = el.text or ""
        return tabel

    def velden(self, regel: etree._Element) -> dict[str, etree._Element]:
        """A line's descendant elements by local name (see `regels`): for locating a fault, once it is found."""
        velden = self._velden.get(regel)
        if velden is None:
            velden = self._velden[regel] = {el.tag[el.tag.rfind("}") + 1:]: el
                                            for el in regel.iterdescendants(etree.Element)}
        return velden


_GEEN: list[etree._Element] = []  # an empty result, shared: never appended to
# A union of location paths of child steps (`m:Client/m:Relaties | m:Client/b:Naam`), each branch optionally
# starting with `.//` when it has one step; other expressions are XPath's.
_STAP = r"\s*[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*\s*"
_EENVOUDIG = re.compile(rf"(?:\.//)?{_STAP}|{_STAP}(?:/{_STAP})*")


@dataclass(frozen=True, eq=False)
class Pad:
    """A compiled path of the rules: `takken` (one per union branch: whether it is `.//`, and the Clark tags of
    its steps) when the path is that simple, else None and only `xpath`. Calling it gives what the XPath gives;
    `RuleContext` evaluates `takken` on its per-message index instead of starting an XPath evaluation."""

    xpath: etree.XPath
    takken: tuple[tuple[bool, tuple[str, ...]], ...] | None

    def __call__(self, el: etree._Element) -> list[etree._Element]:
        return self.xpath(el)


def _clark(stap: str, ns: dict[str, str]) -> str:
    prefix, _, naam = stap.strip().partition(":")
    return f"{{{ns[prefix]}}}{naam}"


def _takken(expr: str, ns: dict[str, str]) -> tuple[tuple[bool, tuple[str, ...]], ...] | None:
    takken = []
    for tak in expr.split("|"):
        if not _EENVOUDIG.fullmatch(tak) or any(stap.strip().partition(":")[0] not in ns
                                                for stap in tak.replace(".//", "").split("/")):
            return None
        afstammeling = tak.strip().startswith(".//")
        takken.append((afstammeling, tuple(_clark(stap, ns) for stap in tak.strip().removeprefix(".//").split("/"))))
    return tuple(takken)


_XPATHS: dict[tuple[str, tuple[tuple[str, str], ...]], Pad] = {}
# Per message type, path -> compiled Pad: the hot lookup of `find` is then one dict get on the path.
_PATHS: dict[str, dict[str, Pad]] = {}


def _pad(expr: str, ns: dict[str, str]) -> Pad:
    key = (expr, tuple(sorted(ns.items())))
    compiled = _XPATHS.get(key)
    if compiled is None:
        compiled = _XPATHS[key] = Pad(etree.XPath(expr, namespaces=ns), _takken(expr, ns))
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
    per_bericht: bool = False,
    standaarden: Iterable[str] | None = None,
) -> Callable[[Any], Any]:
    """Declare a rule; the decorated function is its check (a BerichtCheck when `per_bericht`). Stack
    decorators for several anchors. `berichten` names kinds by any profile's names (WMO301 = JW301 = 301);
    `standaarden` limits the rule to some standards (see Rule)."""

    def register(check: Any) -> Any:
        names = frozenset(catalogue.get(b).naam for b in berichten)
        REGISTRY.append(Rule(code, retourcode, names, anchor, melding, check, omschrijving or melding.split(".")[0],
                             per_bericht, frozenset(catalogue.get(b).nummer for b in names),
                             frozenset(standaarden) if standaarden is not None else None))
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
    rules: list[tuple[int, Rule, Pad]] = field(default_factory=list)


_PLANS: dict[str, _Plan] = {}


def _plan(bericht: catalogue.Berichttype) -> _Plan:
    plan = _PLANS.get(bericht.naam)
    if plan is None:
        ns = {"m": bericht.namespace, "b": bericht.basisschema_namespace}
        plan = _Plan()
        for order, r in enumerate(all_rules()):
            # A rule is declared once for a kind of message (WMO301 stands for every profile's 301); a profile
            # enables the codes its standard declares.
            if r.geldt_voor(bericht):
                plan.rules.append((order, r, _pad(r.anchor, ns)))
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
        if r.per_bericht:
            hits.extend((anchor, order, r, fault) for anchor, fault in r.check(ctx))  # type: ignore[call-arg]
            continue
        for anchor in ctx._evalueer(anchors):
            for fault in r.check(ctx, anchor):  # type: ignore[call-arg]
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
