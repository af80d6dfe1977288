"""Running one unit of work against the configured database from a command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import get_settings
from shared.db import Database
from shared.errors import SimpulError

T = TypeVar("T")


def require_database() -> None:
    """Refuse in one line, before anything runs, when the database is missing, unreachable or
    unmigrated (instead of a traceback per table, and an empty SQLite file left behind)."""
    from shared.migrate import schema_problem

    problem = schema_problem(get_settings().database_url)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)


def run_in_session(func: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``func(session)`` in one transaction, committed when it returns."""
    require_database()

    async def main() -> T:
        db = Database(get_settings().database_url)
        try:
            async with db.session() as session:
                return await func(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def run_or_exit(func: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """As :func:`run_in_session`; a refused request prints ``error: <reason>`` and exits 2."""
    try:
        return run_in_session(func)
    except (ValueError, SimpulError) as exc:
        typer.echo(f"error: {getattr(exc, 'message', None) or exc}", err=True)
        raise typer.Exit(2) from None


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def echo_table(
    headers: list[str], rows: Callable[[AsyncSession], Awaitable[list[list[str]]]], *, empty: str
) -> None:
    """Print what ``rows(session)`` finds as a :func:`table`, or ``empty`` if nothing."""
    found = run_in_session(rows)
    typer.echo(table(headers, found) if found else empty)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table (no secrets ever go in one)."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False)).rstrip()
        for r in [headers, *rows]
    ]
    return "\n".join(lines)
