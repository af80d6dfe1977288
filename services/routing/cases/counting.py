"""Counting a search's matches only as far as a page needs to say.

A search box over a million cases matches tens of thousands for two common words
("jalan rusak": 47,000 in the bench's data); counting them all exactly reads most of the
table (0.7 s and more on PostgreSQL) for a number nobody pages through. The console's
search says "lebih dari 200 kasus" instead (eight pages; beyond them an officer narrows
the search): :func:`count_up_to` stops at ``limit + 1`` rows, so it costs at most that
many — and PostgreSQL reads the first matches in table order rather than building the
bitmap of all 47,000 (25 ms at 1,000, 4 ms at 200: ``docs/performance.md``, "console"). The plain :func:`exact_count` stays
the API's (``GET /admin/cases`` keeps its exact ``total``); a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

#: The console's search counts this far ("lebih dari 200 kasus" beyond it).
SEARCH_COUNT_LIMIT = 200


async def exact_count(session: AsyncSession, stmt: Select) -> int:
    """How many rows ``stmt`` selects."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(await session.scalar(counted) or 0)


async def count_up_to(session: AsyncSession, stmt: Select, limit: int) -> int:
    """``exact_count(stmt)`` when it is at most ``limit``; otherwise ``limit + 1`` ("more
    than ``limit``"), having read no more than that many rows."""
    rows = stmt.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    capped = select(func.count()).select_from(rows.limit(limit + 1).subquery())
    return int(await session.scalar(capped) or 0)
