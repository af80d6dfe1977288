"""The semester evaluation as people read it: printable HTML (Bahasa Indonesia), CSV, XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.sla.pages import CSS_URL
from services.sla.reports import export

from .schemas import EXPORT_COLUMNS, RATINGS, SUPPRESSED

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def _num(value: Any, decimals: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}".replace(".", ",")


def _pct_text(value: Any) -> str:
    return "–" if value is None else _num(value) + "%"


def _delta_text(value: Any) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ""
    return sign + _num(value if isinstance(value, int) else round(value, 1))


def render_html(ev: dict[str, Any], csv_href: str | None = None) -> str:
    return templates.get_template("evaluation.html").render(
        css_url=CSS_URL,
        e=ev,
        num=_num,
        pct=_pct_text,
        delta=_delta_text,
        ratings=RATINGS,
        csv_href=csv_href,
        suppressed=SUPPRESSED,
    )


def export_rows(ev: dict[str, Any]) -> list[dict[str, Any]]:
    """Total, previous semester, delta, then one row per category, OPD and kecamatan."""
    rows = [
        ev["total"] | {"section": "total", "key": "", "label": ev["label"]},
        ev["previous_total"] | {"section": "previous", "key": "", "label": ev["previous"]["label"]},
        ev["delta"] | {"section": "delta", "key": "", "label": "Perubahan"},
    ]
    for section in ("category", "opd", "kecamatan"):
        rows += [r | {"section": section} for r in ev[f"by_{section}"]]
    return rows


def file_response(ev: dict[str, Any], fmt: str, name: str) -> Response:
    rows = export_rows(ev)
    if fmt == "csv":
        body, media = export.to_csv(rows, EXPORT_COLUMNS), "text/csv; charset=utf-8"
    else:
        body, media = export.to_xlsx(rows, EXPORT_COLUMNS, "Evaluasi"), export.XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
