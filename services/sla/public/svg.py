"""Charts as server-side SVG: readable without JavaScript, printable, and accessible — each
chart carries a ``<title>``/``<desc>`` and the page prints the same numbers as a table."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 220
CHART_WIDTH = 640
VALUE_WIDTH = 50
COLOR = "#1f5f8b"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def bar_chart(
    chart_id: str, title: str, items: Sequence[tuple[str, int, str]], description: str | None = None
) -> str:
    """Horizontal bars: ``items`` are (label, value, value as shown). Suppressed values ("<3")
    are drawn as an outline so no exact length gives the number away."""
    top = max((v for _, v, _ in items), default=0) or 1
    bar_space = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(items), 1) * (BAR_HEIGHT + GAP) + GAP
    desc = (
        description
        or "; ".join(f"{label}: {shown}" for label, _, shown in items)
        or "Tidak ada data"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for i, (label, value, shown) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        suppressed = not shown.isdigit()
        width = 0 if top == 0 else round(bar_space * (min(value, top) / top))
        text_y = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y:.0f}" text-anchor="end" font-size="13">{escape(label[:32])}</text>'
        )
        if suppressed:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="12" height="{BAR_HEIGHT}" fill="none" stroke="{COLOR}"/>'
            )
            width = 12
        else:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(width, 1)}" height="{BAR_HEIGHT}" fill="{COLOR}"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + max(width, 1) + 6}" y="{text_y:.0f}" font-size="13">{_attr(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
