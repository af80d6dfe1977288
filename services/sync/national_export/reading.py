"""Reading a national export: the CSV or XLSX lists pemda download from the SP4N-LAPOR!
site (``contracts/lapor-api.md``, "Exports"), with the national tracking id, the title,
the instansi the case sits with, the answer and a remark.

Column names vary between exports and languages, so each field is found by a table of
names (:data:`COLUMNS`, compared case-, space- and punctuation-insensitively). A row
without a readable national id is kept as ``invalid`` (reported, never guessed).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Field -> the column names it goes by in exports (normalised: lower case, words only).
COLUMNS: dict[str, tuple[str, ...]] = {
    "national_id": (
        "tracking id",
        "id tracking",
        "no tracking",
        "nomor tracking",
        "tracking",
        "id laporan",
        "no laporan",
        "nomor laporan",
        "complaint id",
        "id",
    ),
    "title": ("judul", "judul laporan", "title", "perihal"),
    "instansi": (
        "instansi",
        "instansi tujuan",
        "instansi terdisposisi",
        "disposisi",
        "institution",
    ),
    "answer": ("jawaban", "tindak lanjut", "tanggapan", "answer", "balasan"),
    "remark": ("keterangan", "catatan", "remark", "status"),
}
MAX_ROWS = 50_000


class ExportError(ValueError):
    """The file is not a national export we can read (no id column, unknown format)."""


@dataclass(frozen=True)
class ExportRow:
    line: int
    national_id: int | None
    title: str = ""
    instansi: str = ""
    answer: str = ""
    remark: str = ""


def _normalise(name: object) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(name or "").casefold()).split())


def _national_id(value: object) -> int | None:
    """``"#4512"``, ``"4512"``, ``4512.0`` -> 4512; anything without digits -> None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = re.sub(r"\D", "", str(value or ""))
    return int(digits) if digits and len(digits) <= 18 else None


def _header_map(header: Iterable[object]) -> dict[str, int]:
    names = [_normalise(h) for h in header]
    found: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                found[field] = names.index(alias)
                break
    if "national_id" not in found:
        raise ExportError("no national tracking id column (e.g. 'Tracking ID', 'ID Laporan')")
    return found


def _cell(cells: list[object], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    value = cells[index] if index is not None and index < len(cells) else ""
    return str(value if value is not None else "").strip()


def rows_from_table(table: Iterable[list[object]]) -> list[ExportRow]:
    """Rows of a table whose first non-empty row is its header."""
    rows: list[ExportRow] = []
    columns: dict[str, int] | None = None
    for line, cells in enumerate(table, start=1):
        if not any(str(c or "").strip() for c in cells):
            continue
        if columns is None:
            columns = _header_map(cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise ExportError(f"more than {MAX_ROWS} rows: split the export")

        index = columns["national_id"]
        raw_id = cells[index] if index < len(cells) else None
        rows.append(
            ExportRow(
                line=line,
                national_id=_national_id(raw_id),
                title=_cell(cells, columns, "title"),
                instansi=_cell(cells, columns, "instansi"),
                answer=_cell(cells, columns, "answer"),
                remark=_cell(cells, columns, "remark"),
            )
        )
    if columns is None:
        raise ExportError("the file is empty")
    return rows


def read_export(path: str | Path, content: bytes | None = None) -> list[ExportRow]:
    """A CSV (``,`` or ``;``, UTF-8 with or without BOM) or XLSX (first sheet) export."""
    name = str(path).lower()
    data = content if content is not None else Path(path).read_bytes()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise ExportError(f"not a readable XLSX file: {type(exc).__name__}") from exc
        sheet = workbook.worksheets[0]
        return rows_from_table([list(r) for r in sheet.iter_rows(values_only=True)])
    if name.endswith((".csv", ".txt")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        return rows_from_table(list(csv.reader(io.StringIO(text), delimiter=delimiter)))
    raise ExportError("the export must be a .csv or .xlsx file")
