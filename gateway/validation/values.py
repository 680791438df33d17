"""Reading values the way the official validator does (rule-semantics §2.3).

Numbers follow XPath 1.0 `number()`: optional whitespace, optional '-', digits, optional '.digits';
anything else (including a leading '+') is NaN, and every comparison with NaN is false. Dates are
compared as numbers with the '-' removed; the upper date of "not after" checks uses its first ten
characters only.
"""

from __future__ import annotations

import functools
import math
import re

from lxml import etree

NAN = math.nan
_NUMBER = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)\s*$")


def raw(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return el.text or ""


def present(el: etree._Element | None) -> bool:
    return el is not None


def filled(el: etree._Element | None) -> bool:
    return filled_text(raw(el))


def filled_text(text: str | None) -> bool:
    """`filled` of an element whose raw text is given (None: absent)."""
    return text is not None and bool(text.strip())


def code(el: etree._Element | None) -> str | None:
    """Normalised text for code comparisons: trimmed with inner whitespace collapsed; None when absent."""
    return code_text(raw(el))


def code_text(text: str | None) -> str | None:
    """`code` of an element whose raw text is given (None: absent)."""
    if text is None:
        return None
    return text if text.isalnum() else " ".join(text.split())  # a bare code ("D", "04") has nothing to trim


def num(s: str | None) -> float:
    if s is None:
        return NAN
    if s.isascii() and s.isdigit():  # the common case, without the regex: ASCII digits only, as number() reads
        return float(s)
    return float(s) if _NUMBER.match(s) else NAN


def num_el(el: etree._Element | None) -> float:
    return num(raw(el))


def date_num(el: etree._Element | None) -> float:
    """D(X): the date as a number, e.g. 2023-04-01 -> 20230401."""
    return date_num_text(raw(el))


@functools.lru_cache(maxsize=4096)  # a declaratie repeats the ~30 dates of its month over thousands of lines
def date_num_text(text: str | None) -> float:
    """`date_num` of an element whose raw text is given (None: absent)."""
    return NAN if text is None else num(text.replace("-", ""))


def date_num10(el: etree._Element | None) -> float:
    """D10(X): D of the first ten characters (used for the upper date in 'not after' checks)."""
    return date_num10_text(raw(el))


@functools.lru_cache(maxsize=4096)
def date_num10_text(text: str | None) -> float:
    """`date_num10` of an element whose raw text is given (None: absent)."""
    return NAN if text is None else num(text[:10].replace("-", ""))


# Every comparison with NaN is false, as in XPath: IEEE floats compare that way already, so these are the
# plain operators; they are named so that a rule reads as the standard's rule-semantics.


def lt(a: float, b: float) -> bool:
    return a < b


def gt(a: float, b: float) -> bool:
    return a > b


def le(a: float, b: float) -> bool:
    return a <= b


def ge(a: float, b: float) -> bool:
    return a >= b


def eq(a: float, b: float) -> bool:
    return a == b
