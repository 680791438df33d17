"""Throughput and rejections per day as an inline SVG: readable at a glance, no script, nothing fetched.

Pure: a list of days in, markup out. Each bar carries a <title>, so hovering (or a screen reader) gives the
exact numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Dag:
    datum: dt.date
    totaal: int
    afgekeurd: int


def _schaal_max(hoogste: int) -> int:
    # Round the axis up to 1, 2 or 5 times a power of ten, so the grid lines carry round numbers.
    if hoogste <= 0:
        return 1
    macht = 1
    while True:
        for stap in (1, 2, 5):
            if stap * macht >= hoogste:
                return stap * macht
        macht *= 10


def asmarkeringen(top: int) -> list[int]:
    """The values on the count axis, 0 to `top`: whole numbers only (a message is never a quarter), at most six,
    evenly spaced. `top` is a `_schaal_max` value, so one of 5, 4, 3, 2 or 1 intervals divides it."""
    intervallen = next(n for n in (5, 4, 3, 2, 1) if n <= top and top % n == 0)
    return [top * i // intervallen for i in range(intervallen + 1)]


def staafgrafiek(dagen: list[Dag], *, breedte: int = 720, hoogte: int = 220) -> Markup:
    links, onder, boven, rechts = 44, 28, 12, 8
    plot_b = breedte - links - rechts
    plot_h = hoogte - onder - boven
    top = _schaal_max(max((d.totaal for d in dagen), default=0))
    n = max(len(dagen), 1)
    stap = plot_b / n
    balk = max(stap * 0.7, 1.0)
    delen = [
        f'<svg class="grafiek" role="img" viewBox="0 0 {breedte} {hoogte}" width="100%" '
        f'aria-labelledby="grafiek-titel" xmlns="http://www.w3.org/2000/svg">',
        '<title id="grafiek-titel">Berichten per dag: totaal en afgekeurd</title>',
    ]
    for waarde in asmarkeringen(top):
        y = boven + plot_h - plot_h * waarde / top
        delen.append(f'<line class="raster" x1="{links}" x2="{breedte - rechts}" y1="{y:.1f}" y2="{y:.1f}"/>')
        delen.append(f'<text class="as" x="{links - 6}" y="{y + 4:.1f}" text-anchor="end">{waarde}</text>')
    for i, d in enumerate(dagen):
        x = links + i * stap + (stap - balk) / 2
        h_tot = plot_h * d.totaal / top
        h_af = plot_h * d.afgekeurd / top
        label = escape(f"{d.datum:%d-%m}: {d.totaal} berichten, {d.afgekeurd} afgekeurd")
        delen.append(f'<g><title>{label}</title>'
                     f'<rect class="totaal" x="{x:.1f}" y="{boven + plot_h - h_tot:.1f}" width="{balk:.1f}" '
                     f'height="{h_tot:.1f}"/>'
                     f'<rect class="afgekeurd" x="{x:.1f}" y="{boven + plot_h - h_af:.1f}" width="{balk:.1f}" '
                     f'height="{h_af:.1f}"/></g>')
        if i % max(n // 6, 1) == 0 or i == n - 1:
            delen.append(f'<text class="as" x="{x + balk / 2:.1f}" y="{hoogte - 8}" text-anchor="middle">'
                         f'{d.datum:%d-%m}</text>')
    delen.append("</svg>")
    return Markup("".join(delen))
