"""Dutch working days: not a Saturday or Sunday and not a national holiday.

The holidays are those the Algemene termijnenwet lets a deadline skip: Nieuwjaarsdag, tweede paasdag,
Koningsdag, 5 mei, Hemelvaartsdag, tweede pinksterdag and both Christmas days (Goede Vrijdag is not one).
Easter is computed (the Gregorian computus), so no year needs a table.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


def pasen(jaar: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm, as Meeus gives it)."""
    a = jaar % 19
    b, c = divmod(jaar, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    maand, dag = divmod(h + ll - 7 * m + 114, 31)
    return dt.date(jaar, maand, dag + 1)


def koningsdag(jaar: int) -> dt.date:
    # 27 April since 2014 (30 April before: Koninginnedag); when it falls on a Sunday it moves to the Saturday.
    dag = dt.date(jaar, 4, 27) if jaar >= 2014 else dt.date(jaar, 4, 30)
    return dag - dt.timedelta(days=1) if dag.weekday() == 6 else dag


@lru_cache(maxsize=64)
def feestdagen(jaar: int) -> frozenset[dt.date]:
    p = pasen(jaar)
    return frozenset({
        dt.date(jaar, 1, 1),
        p + dt.timedelta(days=1),  # tweede paasdag
        koningsdag(jaar),
        dt.date(jaar, 5, 5),
        p + dt.timedelta(days=39),  # Hemelvaartsdag
        p + dt.timedelta(days=50),  # tweede pinksterdag
        dt.date(jaar, 12, 25),
        dt.date(jaar, 12, 26),
    })


def is_werkdag(dag: dt.date) -> bool:
    return dag.weekday() < 5 and dag not in feestdagen(dag.year)


def werkdagen_na(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the day of sending does not count)."""
    dag = start
    while n > 0:
        dag += dt.timedelta(days=1)
        if is_werkdag(dag):
            n -= 1
    return dag


def werkdagen_tussen(van: dt.date, tot: dt.date) -> int:
    """How many working days lie after `van` up to and including `tot` (0 when tot <= van)."""
    n = 0
    dag = van
    while dag < tot:
        dag += dt.timedelta(days=1)
        n += is_werkdag(dag)
    return n
