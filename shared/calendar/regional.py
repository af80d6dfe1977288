"""Regional days off: the per-province overlay, keyed by ISO 3166-2 code (``SIMPUL_REGION``).

Indonesian provinces give extra days off beyond the national SKB, mostly by a governor's
yearly Surat Edaran. Only days that follow a fixed rule are built in (Bali's Galungan and
Kuningan, on the 210-day Pawukon cycle); the rest vary per year and per SE, so a deployment
supplies them as data (:func:`read_regional_days`) instead of waiting for a code change.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from .model import RegionalDay

__all__ = [
    "BUILT_IN_OVERLAYS",
    "PROVINCE_CODES",
    "galungan_dates",
    "normalize_region",
    "read_regional_days",
    "regional_days_from_rows",
]

#: ISO 3166-2:ID codes of the 38 provinces (incl. the four Papua provinces of 2022). A
#: typo in ``SIMPUL_REGION`` must fail at start-up, not silently drop Bali's overlay.
PROVINCE_CODES: frozenset[str] = frozenset(
    "ID-" + suffix
    for suffix in (
        "AC BA BB BE BT GO JA JB JI JK JT KB KI KR KS KT KU LA MA MU NB NT "
        "PA PB PD PE PS PT RI SA SB SG SN SR SS ST SU YO"
    ).split()
)

#: One Pawukon cycle: Galungan (Buda Kliwon Dungulan) comes back every 210 days.
PAWUKON_DAYS = 210
#: A known Galungan (Antara Bali), from which every other one is computed.
GALUNGAN_ANCHOR = dt.date(2012, 2, 1)
#: Kuningan is the Saturday ten days after Galungan.
KUNINGAN_OFFSET = dt.timedelta(days=10)


def galungan_dates(year: int) -> list[dt.date]:
    """Every Galungan (always a Wednesday) falling in ``year``: one or two per year."""
    first = dt.date(year, 1, 1).toordinal()
    last = dt.date(year, 12, 31).toordinal()
    anchor = GALUNGAN_ANCHOR.toordinal()
    ordinal = anchor + -(-(first - anchor) // PAWUKON_DAYS) * PAWUKON_DAYS  # first >= Jan 1
    dates = []
    while ordinal <= last:
        dates.append(dt.date.fromordinal(ordinal))
        ordinal += PAWUKON_DAYS
    return dates


def _bali_days(year: int) -> list[RegionalDay]:
    """Galungan and Kuningan of ``year``.

    Only these two are built in because they follow the Pawukon cycle exactly; the rest of
    Bali's SE list (Penampahan, Umanis, Saraswati, Siwaratri, Pagerwesi...) is set yearly
    and belongs in the deployment's regional data. Kuningan is a Saturday, so it never
    moves a deadline, but it is listed because the SE lists it. A Kuningan ten days after a
    late-December Galungan belongs to the next year and is found from that year's side.
    """
    days = []
    for galungan in galungan_dates(year - 1) + galungan_dates(year):
        kuningan = galungan + KUNINGAN_OFFSET
        if galungan.year == year:
            days.append(RegionalDay(galungan, "Hari Raya Galungan"))
        if kuningan.year == year:
            days.append(RegionalDay(kuningan, "Hari Raya Kuningan"))
    return sorted(days, key=lambda day: day.date)


#: Built-in overlays by province code: ``year -> regional days of that year``.
BUILT_IN_OVERLAYS: dict[str, Callable[[int], list[RegionalDay]]] = {"ID-BA": _bali_days}


def normalize_region(region: str) -> str:
    """``" id-ba "`` -> ``"ID-BA"``; ``""`` stays ``""`` (no province overlay).

    Raises ``ValueError`` for anything that is not a province's ISO 3166-2 code.
    """
    code = region.strip().upper()
    if code and code not in PROVINCE_CODES:
        raise ValueError(
            f"unknown region {region!r}: expected an ISO 3166-2 province code such as 'ID-BA'"
        )
    return code


def regional_days_from_rows(rows: Iterable[tuple[dt.date | str, str]]) -> tuple[RegionalDay, ...]:
    """Turn ``(date, name)`` pairs into :class:`RegionalDay` values.

    ``date`` may be a ``date`` or an ISO string (``"2026-06-18"``), so rows from CSV, JSON
    (``[["2026-06-18", "Umanis Galungan"], ...]``) or a database all fit.
    """
    days = []
    for when, name in rows:
        day = dt.date.fromisoformat(when.strip()) if isinstance(when, str) else when
        days.append(RegionalDay(day, name.strip()))
    return tuple(days)


def read_regional_days(path: str | Path) -> tuple[RegionalDay, ...]:
    """Read a deployment's regional days from a UTF-8 CSV file.

    The shape is a header ``date,name`` then one row per day, ISO dates; blank lines and
    lines starting with ``#`` are skipped::

        date,name
        # SE Gubernur Bali No. 16/2024
        2025-04-22,Hari Penampahan Galungan
        2025-04-24,Umanis Galungan
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        rows = csv.reader(lines)
        header = [cell.strip().lower() for cell in next(rows, [])]
        if header != ["date", "name"]:
            raise ValueError(f"{path}: expected the header 'date,name', got {header!r}")
        pairs = []
        for number, row in enumerate(rows, start=2):
            if len(row) != 2:
                raise ValueError(f"{path}: data row {number} needs 2 cells, got {len(row)}")
            pairs.append((row[0], row[1]))
        return regional_days_from_rows(pairs)
