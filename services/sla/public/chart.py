"""Bar charts as server-rendered HTML: readable without JavaScript, printable, accessible,
and readable on a phone.

Each bar is a row of its own — the label (wrapped, never clipped), the bar, the number —
laid out by ``statistik.css``: side by side on a wide screen, the label above its bar on
a narrow one, so nothing shrinks with the screen the way one wide SVG did. A bar's length
is a tiny SVG (``rect`` width in percent of the longest): the pages' CSP allows no inline
style, and SVG attributes are not styles. The chart as a whole is one image for assistive
technology (its ``aria-label`` lists the values); the page prints the same numbers as a
table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

BAR_COLOR = "#1f5f8b"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _bar(value: int, top: int, suppressed: bool) -> str:
    """The bar: a share of the longest; a suppressed value ("<3") only as an outline, so no
    exact length gives the number away."""
    if suppressed:
        shape = (
            f'<rect x="0" y="0" width="3" height="10" fill="none" stroke="{BAR_COLOR}" '
            'vector-effect="non-scaling-stroke"/>'
        )
    else:
        share = 0.0 if top == 0 else 100 * min(value, top) / top
        shape = f'<rect x="0" y="0" width="{max(share, 0.5):.1f}" height="10" fill="{BAR_COLOR}"/>'
    return (
        '<svg class="batang" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'aria-hidden="true" focusable="false">{shape}</svg>'
    )


def bar_chart(
    chart_id: str, title: str, items: Sequence[tuple[str, int, str]], description: str | None = None
) -> str:
    """Horizontal bars: ``items`` are (label, value, value as shown)."""
    top = max((v for _, v, _ in items), default=0)
    desc = (
        description
        or "; ".join(f"{label}: {shown}" for label, _, shown in items)
        or "Tidak ada data"
    )
    rows = [
        '<li class="baris">'
        f'<span class="label">{escape(label)}</span>'
        f"{_bar(value, top, not shown.isdigit())}"
        f'<span class="nilai">{escape(shown)}</span></li>'
        for label, value, shown in items
    ]
    return (
        f'<figure class="grafik" id="{chart_id}" role="img" '
        f'aria-label="{_attr(title)}: {_attr(desc)}">'
        f'<ul class="grafik-baris">{"".join(rows)}</ul></figure>'
    )
