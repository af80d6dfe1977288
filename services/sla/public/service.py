"""Public statistics for a year: what any citizen may see and download (DESIGN.md: results
publishable "without personal data").

Only aggregates leave this module — never a case, a title, a description or a reporter.
Rahasia cases are counted in the totals, per OPD and per month, but fall into one
"Dirahasiakan" group by category and by kecamatan so their subject and place stay hidden.
Kecamatan counts of 1 or 2 are shown as "<3" (small-number suppression: in a small village a
count of one can point at a person).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.reports import repository
from services.sla.reports.evaluation.repository import rating_distribution
from services.sla.reports.evaluation.schemas import RATINGS
from services.sla.reports.repository import CONFIDENTIAL_KEY, GroupFigures
from services.sla.reports.service import ReportPeriod, figures, prepare
from shared.auth import SYSTEM
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.errors import Unprocessable
from shared.models import utcnow

#: Counts below this are shown as "<3" per kecamatan.
SUPPRESS_BELOW = 3
SUPPRESSED = f"<{SUPPRESS_BELOW}"
CONFIDENTIAL_LABEL = "Dirahasiakan"
UNKNOWN_LABEL = "Tidak diketahui"
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
FIRST_PUBLIC_YEAR = 2000


@dataclass
class PublicRow:
    key: str
    label: str
    received: int
    resolved: int
    #: Shown instead of the numbers when small-number suppression applies.
    suppressed: bool = False

    @property
    def shown_received(self) -> str:
        return SUPPRESSED if self.suppressed else str(self.received)

    @property
    def resolved_pct(self) -> float | None:
        if self.suppressed or not self.received:
            return None
        return round(100 * self.resolved / self.received, 1)


@dataclass
class SatisfactionRow:
    """Reporters' ratings of one OPD (or all): shown only from 3 ratings on."""

    key: str
    label: str
    ratings: int
    average: float | None
    distribution: dict[int, int]

    @property
    def suppressed(self) -> bool:
        return 0 < self.ratings < SUPPRESS_BELOW

    @property
    def shown_ratings(self) -> str:
        return SUPPRESSED if self.suppressed else str(self.ratings)


@dataclass
class PublicStats:
    year: int
    first_day: dt.date
    last_day: dt.date
    received: int
    resolved: int
    avg_wd_to_first_response: float | None
    by_category: list[PublicRow] = field(default_factory=list)
    by_opd: list[PublicRow] = field(default_factory=list)
    by_kecamatan: list[PublicRow] = field(default_factory=list)
    by_month: list[PublicRow] = field(default_factory=list)
    satisfaction: list[SatisfactionRow] = field(default_factory=list)

    @property
    def resolved_pct(self) -> float | None:
        return round(100 * self.resolved / self.received, 1) if self.received else None


def parse_year(raw: str | None, today: dt.date) -> int:
    if raw is None or raw == "":
        return today.year
    if not raw.isdigit() or not FIRST_PUBLIC_YEAR <= int(raw) <= today.year:
        raise Unprocessable(
            f"tahun harus antara {FIRST_PUBLIC_YEAR} dan {today.year}", code="invalid_year"
        )
    return int(raw)


def _rows(groups: dict, names: dict[str, str], *, suppress: bool = False) -> list[PublicRow]:
    rows = []
    for key, fig in groups.items():
        if key == CONFIDENTIAL_KEY:
            label = CONFIDENTIAL_LABEL
        elif key is None:
            label = UNKNOWN_LABEL
        else:
            label = names.get(key, key)
        rows.append(
            PublicRow(
                key=key or "",
                label=label,
                received=fig.received,
                resolved=fig.resolved,
                suppressed=suppress and 0 < fig.received < SUPPRESS_BELOW,
            )
        )
    return sorted(rows, key=lambda r: (-r.received, r.label))


#: The public grouping of :func:`_rows`, for other public pages (the published evaluation).
public_rows = _rows


async def satisfaction(session: AsyncSession, period: repository.Period) -> list[SatisfactionRow]:
    """Per OPD then all together: number of ratings, average and distribution 1–5."""
    names = await repository.reference_names(session, "opd")
    per_opd = await rating_distribution(session, period, SYSTEM, "opd")
    total = await rating_distribution(session, period, SYSTEM, None)

    def row(key: str | None, label: str, dist: dict[int, int]) -> SatisfactionRow:
        count = sum(dist.values())
        avg = round(sum(r * n for r, n in dist.items()) / count, 2) if count else None
        return SatisfactionRow(key or "", label, count, avg, {r: dist.get(r, 0) for r in RATINGS})

    rows = sorted(
        (row(k, names.get(k, k) if k else UNKNOWN_LABEL, d) for k, d in per_opd.items()),
        key=lambda r: (-r.ratings, r.label),
    )
    return [*rows, row("", "Semua perangkat daerah", total.get("all", {}))]


async def public_stats(
    session: AsyncSession, db: Database, calendar: WorkingCalendar, year: int
) -> PublicStats:
    today = calendar.local_date(utcnow())
    period = ReportPeriod(dt.date(year, 1, 1), min(dt.date(year, 12, 31), today))
    offset = await prepare(db, calendar, period)
    utc = period.as_utc(calendar)

    async def groups(group_by: str | None) -> dict:
        return await figures(
            session, db, calendar, SYSTEM, period, group_by, offset, mask_confidential=True
        )

    total = (await groups(None)).get("all") or GroupFigures(key="all")
    by_month = await groups("month")
    months = [
        PublicRow(
            key=f"{year}-{m:02d}",
            label=MONTHS_ID[m - 1],
            received=(by_month.get(f"{year}-{m:02d}") or GroupFigures(key=None)).received,
            resolved=(by_month.get(f"{year}-{m:02d}") or GroupFigures(key=None)).resolved,
        )
        for m in range(1, 13)
    ]
    return PublicStats(
        year=year,
        first_day=period.first_day,
        last_day=period.last_day,
        received=total.received,
        resolved=total.resolved,
        avg_wd_to_first_response=round(total.response_sum / total.response_count, 1)
        if total.response_count
        else None,
        by_category=_rows(
            await groups("category"), await repository.reference_names(session, "category")
        ),
        by_opd=_rows(await groups("opd"), await repository.reference_names(session, "opd")),
        by_kecamatan=_rows(
            await groups("kecamatan"),
            await repository.reference_names(session, "kecamatan"),
            suppress=True,
        ),
        by_month=months,
        satisfaction=await satisfaction(session, utc),
    )


OPEN_DATA_COLUMNS = ("tahun", "dimensi", "kode", "nama", "diterima", "selesai", "persen_selesai")


def open_data_rows(stats: PublicStats) -> list[dict]:
    """One row per group of every dimension, plus the total; suppressed cells stay "<3"/empty."""
    out = [
        {
            "tahun": stats.year,
            "dimensi": "total",
            "kode": "",
            "nama": "Total",
            "diterima": stats.received,
            "selesai": stats.resolved,
            "persen_selesai": stats.resolved_pct,
        }
    ]
    for dimension, rows in (
        ("kategori", stats.by_category),
        ("opd", stats.by_opd),
        ("kecamatan", stats.by_kecamatan),
        ("bulan", stats.by_month),
    ):
        for row in rows:
            out.append(
                {
                    "tahun": stats.year,
                    "dimensi": dimension,
                    "kode": row.key,
                    "nama": row.label,
                    "diterima": row.shown_received,
                    "selesai": None if row.suppressed else row.resolved,
                    "persen_selesai": row.resolved_pct,
                }
            )
    return out
