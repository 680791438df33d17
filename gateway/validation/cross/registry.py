"""The registry of cross-message rules and the engine that runs them over a message and its history.

strict / lenient (setting `IWMO_MODE`): some rules need an earlier message the gateway may never have
seen — because it was exchanged before the gateway was installed, or through another channel.

| rule | needs | strict | lenient |
|---|---|---|---|
| TR019, TR338 | the toewijzing | unknown → fault | fault only when the gateway knows this client at this aanbieder; a toewijzing of another client is a fault in both modes |
| TR063 | the delivery to delete | unknown → fault | fault only when the gateway knows the toewijzing |
| TR382 (9069) | the start being stopped | unknown → fault | fault only when starts for the toewijzing are known |
| TR304 | the client | unknown → fault | fault only when the gateway knows toewijzingen between the two parties |
| TR323 | the debet being credited | unknown → fault | fault only when earlier declaraties of this aanbieder are known |
| TR307, TR308, TR321, TR322, TR339, TR340, TR341, TR369, TR384, TR387, TR388 | the toewijzing | skipped when unknown (TR338 reports that) | same |
| TR056, TR074, TR071, TR326, TR413, TR414, TR415, TR314, TR333, TR318, TR389, TR390 | positive evidence | fire only on it | same |
| TR346, TR418 | the contract's tarieven (`IWMO_TARIEVEN_FILE`) | TR418 skipped without tarieven for the pair; TR346 then checks the prestatie's own arithmetic | same |
| TR135 | today's date | always | always |

TR323 and TR382 also fire in lenient mode on what the gateway does know: a refusal of the debet (an
afwijzing fact, from a WMO325 or a partly processed WMO323) and any start ever seen for the toewijzing,
deleted ones included.

`catalogus.regels()` gives the same table as data (the README lists it); a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.settings import Mode
from gateway.standard import catalogue
from gateway.validation.cross.history import History, header, in_ruimte
from gateway.validation.cross.tarieven import Tarieven, tarieven_uit_instellingen
from gateway.validation.findings import Finding
from gateway.validation.paths import element_path
from gateway.validation.rules.registry import Fault


@dataclass
class CrossContext:
    bericht: catalogue.Berichttype
    root: etree._Element
    history: History
    mode: Mode
    today: dt.date
    tarieven: Tarieven = field(default_factory=Tarieven)
    kop: dict[str, str | None] = field(init=False)
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kop = header(self.root)

    @property
    def strict(self) -> bool:
        return self.mode is Mode.STRICT

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


CrossCheck = Callable[[CrossContext], Iterator[Fault]]


@dataclass(frozen=True)
class CrossRule:
    code: str
    retourcode: str
    berichten: frozenset[str]
    melding: str
    omschrijving: str
    check: CrossCheck
    # The kinds of message, in every profile: {"305"} for {"WMO305"}.
    nummers: frozenset[str] = frozenset()
    standaarden: frozenset[str] | None = None  # as for in-message rules (rules/registry.py Rule)

    def geldt_voor(self, bericht: catalogue.Berichttype) -> bool:
        return bericht.nummer in self.nummers and bericht.profiel.past(self.code, self.standaarden, kruis=True)


REGISTRY: list[CrossRule] = []


def cross_rule(code: str, *, retourcode: str, berichten: Iterable[str], melding: str, omschrijving: str,
               standaarden: Iterable[str] | None = None) -> Callable[[CrossCheck], CrossCheck]:
    def register(check: CrossCheck) -> CrossCheck:
        names = frozenset(catalogue.get(b).naam for b in berichten)
        REGISTRY.append(CrossRule(code, retourcode, names, melding, omschrijving, check,
                                  frozenset(catalogue.get(b).nummer for b in names),
                                  frozenset(standaarden) if standaarden is not None else None))
        return check

    return register


def all_cross_rules() -> list[CrossRule]:
    _load_rule_modules()
    return sorted(REGISTRY, key=lambda r: r.code)


_loaded = False


def _load_rule_modules() -> None:
    """Every module of the package registers its rules when imported (as the in-message registry does): a new
    rule module needs no line here, and this module imports none of them by name."""
    global _loaded
    if _loaded:
        return
    import gateway.validation.cross as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name != "registry":
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _loaded = True


def run_cross_rules(bericht: catalogue.Berichttype, root: etree._Element, history: History, *,
                    mode: Mode = Mode.LENIENT, today: dt.date | None = None,
                    tarieven: Tarieven | None = None) -> list[Finding]:
    """`tarieven`: the contract table for TR346/TR418; None reads the one configured (`IWMO_TARIEVEN_FILE`),
    `Tarieven()` checks without one."""
    if tarieven is None:
        tarieven = tarieven_uit_instellingen() if bericht.is_soort("323") else Tarieven()
    ctx = CrossContext(bericht, root, in_ruimte(bericht, history), mode, today or dt.date.today(), tarieven)
    order = {el: i for i, el in enumerate(root.iter())}
    findings: list[Finding] = []
    for r in all_cross_rules():
        if not r.geldt_voor(bericht):  # declared once per kind of message; the profile enables its codes
            continue
        for fault in r.check(ctx):
            elements = sorted({id(e): e for e in fault.elements if e is not None}.values(),
                              key=lambda e: order.get(e, 0))
            melding = f"{r.code}: {r.melding}" + (f" ({fault.detail})" if fault.detail else "")
            findings.append(Finding(code=r.code, retourcode=r.retourcode,
                                    locatie=tuple(dict.fromkeys(element_path(e) for e in elements)),
                                    melding=melding, regel=elements[0].sourceline if elements else None))
    return findings
