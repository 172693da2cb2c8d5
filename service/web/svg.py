"""Bar charts drawn as inline SVG (no JavaScript library, nothing loaded): readable printed in black and white.

Bars are filled black or white-with-outline in print (``site.css``), so two series stay apart
without colour; every chart has a ``<title>`` and the same numbers stand in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bars"]

_ROW = 28
_LABEL = 180
_WIDTH = 600
_NUMBER = 56


def bars(title: str, rows: Sequence[tuple[str, float, float | None]], series: tuple[str, str | None]) -> Markup:
    """Horizontal bars, one row per ``(label, first, second)``; ``second`` None draws one series."""
    if not rows:
        return Markup("")
    paired = series[1] is not None
    top = max(max(a, b or 0) for _, a, b in rows) or 1
    room = _WIDTH - _LABEL - _NUMBER
    height = _ROW * len(rows) + 10
    out = [
        '<div class="chart-wrap">',
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
    ]
    for n, (label, a, b) in enumerate(rows):
        y = 5 + n * _ROW
        short = label if len(label) <= 11 else label[:10] + "…"
        out.append(f'<text x="{_LABEL - 6}" y="{y + 18}" text-anchor="end">{escape(short)}</text>')
        values = [(a, "bar"), (b, "bar alt")] if paired else [(a, "bar")]
        thick = 11 if paired else 20
        for m, (value, cls) in enumerate(values):
            w = max(0.0, float(value or 0)) / top * room
            yy = y + 2 + m * (thick + 1)
            out.append(f'<rect class="{cls}" x="{_LABEL}" y="{yy}" width="{w:.1f}" height="{thick}"/>')
            out.append(f'<text x="{_LABEL + w + 4:.1f}" y="{yy + thick - 1}">{float(value or 0):,.0f}</text>')
    out.append(f'<line class="axis" x1="{_LABEL}" y1="2" x2="{_LABEL}" y2="{height - 3}"/></svg></div>')
    return Markup("".join(out))
