"""A report as a file: CSV (UTF-8 with BOM so spreadsheet programs read Indonesian names
right) or XLSX (openpyxl), one row per group and a total row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook

from .service import COLUMNS


def _cells(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterable[list[Any]]:
    for row in rows:
        yield [row.get(c) for c in columns]


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for cells in _cells(rows, columns):
        writer.writerow(["" if v is None else v for v in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], title: str = "Laporan"
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cells in _cells(rows, columns):
        sheet.append(cells)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The group rows then the total row (``key`` empty, ``label`` "Total")."""
    return [*report["rows"], report["total"]]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def summary_file(report: dict[str, Any], fmt: str) -> Response:
    """A summary (``service.summary``) as a CSV or XLSX download, named by group and period —
    the same file from the admin API and from the console."""
    period = report["period"]
    name = f"laporan-{report['group_by']}-{period['from']}-{period['to']}"
    rows = report_rows(report)
    if fmt == "csv":
        body, media = to_csv(rows, COLUMNS), "text/csv; charset=utf-8"
    else:
        body, media = to_xlsx(rows, COLUMNS, "Ringkasan"), XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
