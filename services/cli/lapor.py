"""``simpul lapor …``: SP4N-LAPOR! national exports and masters (the sync service's tools)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from services.cli.session import run_in_session
from shared.config import get_settings

lapor_cli = typer.Typer(no_args_is_help=True, help="SP4N-LAPOR!: national exports and masters.")


@lapor_cli.command("import")
def lapor_import(
    file: Annotated[str, typer.Argument(help="the national export (.csv or .xlsx)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what it would do")] = False,
) -> None:
    """Reconcile with a national export: link, flag what differs, create nothing twice."""
    import json

    from services.sync.national_export.reading import ExportError
    from services.sync.national_export.service import import_export_file
    from shared.auth import Actor
    from shared.lifecycle import Role

    actor = Actor(type="ops", id="cli", name="simpul lapor import", role=Role.OPERATOR)
    try:
        result = asyncio.run(import_export_file(get_settings(), file, actor=actor, dry_run=dry_run))
    except (ExportError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@lapor_cli.command("categories")
def lapor_categories(
    write: Annotated[str | None, typer.Option(help="write the proposed map (CSV) here")] = None,
) -> None:
    """Propose SIMPUL_LAPOR_CATEGORY_MAP_FILE from the national masters list."""
    from sqlalchemy import select

    from services.sync.lapor import LaporClient
    from services.sync.lapor.categories import category_map_csv, propose_category_map
    from shared.models import Category

    async def fetch() -> list:
        async with LaporClient.from_settings(get_settings()) as client:
            return await client.list_categories()

    national = asyncio.run(fetch())

    async def simpul(session: object) -> list[tuple[str, str]]:
        return [(c.code, c.name) for c in await session.scalars(select(Category))]

    text = category_map_csv(propose_category_map(run_in_session(simpul), national))
    if write:
        with open(write, "w", encoding="utf-8") as handle:
            handle.write(text)
    typer.echo(text, nl=False)
