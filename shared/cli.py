"""The ``simpul`` command: serve, run workers, migrate, seed, simulator, credentials."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import typer
import uvicorn

from shared.config import LAPOR_SIM_PORT, SERVICE_PORTS, get_settings

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Simpul: complaint-handling gateway for pemda."
)
client_cli = typer.Typer(no_args_is_help=True, help="API keys of local apps.")
token_cli = typer.Typer(no_args_is_help=True, help="Bearer tokens of ops users.")
cli.add_typer(client_cli, name="client")
cli.add_typer(token_cli, name="token")
lapor_cli = typer.Typer(no_args_is_help=True, help="SP4N-LAPOR!: national exports and masters.")
cli.add_typer(lapor_cli, name="lapor")

APP_FACTORIES = {
    "all": "services.embedded:create_app",
    "intake": "services.intake.app:create_app",
    "routing": "services.routing.app:create_app",
    "sla": "services.sla.app:create_app",
    "sync": "services.sync.app:create_app",
}


@cli.command()
def serve(
    service: Annotated[str, typer.Option(help="all | intake | routing | sla | sync")] = "all",
    host: Annotated[str | None, typer.Option(help="default SIMPUL_HOST")] = None,
    port: Annotated[
        int | None, typer.Option(help="default SIMPUL_PORT, or the service's own port")
    ] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    no_workers: Annotated[
        bool, typer.Option("--no-workers", help="serve HTTP only; run event consumers elsewhere")
    ] = False,
) -> None:
    """Serve one service (or all of them in one process)."""
    if service not in APP_FACTORIES:
        raise typer.BadParameter(
            f"unknown service {service!r}; choose one of {', '.join(APP_FACTORIES)}"
        )
    settings = get_settings()
    if port is None:
        port = (
            settings.port
            if ("SIMPUL_PORT" in os.environ or service == "all")
            else SERVICE_PORTS[service]
        )
    # The app (and uvicorn's worker processes) read their settings from the environment.
    os.environ["SIMPUL_HOST"], os.environ["SIMPUL_PORT"] = host or settings.host, str(port)
    if no_workers:
        os.environ["SIMPUL_RUN_WORKERS"] = "false"
    get_settings.cache_clear()
    uvicorn.run(
        APP_FACTORIES[service],
        factory=True,
        host=host or settings.host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=15,
    )


@cli.command()
def worker(
    service: Annotated[str, typer.Option(help="all | intake | routing | sla | sync")] = "all",
) -> None:
    """Run a service's event consumers and periodic jobs without HTTP (scale by adding processes)."""
    from services.embedded import SERVICES, specs
    from shared.app import Workers
    from shared.db import Database
    from shared.events import WorkerContext

    names = SERVICES if service == "all" else (service,)
    if any(n not in SERVICES for n in names):
        raise typer.BadParameter(f"unknown service {service!r}")
    settings = get_settings()

    async def main() -> None:
        chosen = specs(names)
        db = Database(
            settings.database_url,
            pool_size=settings.pool_size_for(names, workers=True),
            max_overflow=settings.db_max_overflow,
        )
        ctx = WorkerContext(settings=settings, db=db)
        for spec in chosen:
            for hook in spec.on_startup:
                await hook(ctx)
        runner = Workers(
            ctx, [c for s in chosen for c in s.consumers], [j for s in chosen for j in s.jobs]
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop.set)
        runner.start()
        await runner.stop.wait()
        await runner.shutdown()
        for spec in chosen:
            for hook in spec.on_shutdown:
                await hook(ctx)
        await db.dispose()

    asyncio.run(main())


@cli.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Bring the database schema to ``revision`` (default: the latest)."""
    from shared.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


def _run_in_session(func):  # noqa: ANN001, ANN202
    from shared.db import Database

    async def main():  # noqa: ANN202
        db = Database(get_settings().database_url)
        try:
            async with db.session() as session:
                return await func(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the demo reference data (OPDs, categories, kecamatan); safe to run again."""
    from shared.seed import seed_reference_data

    counts = _run_in_session(seed_reference_data)
    typer.echo("seeded: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))


@cli.command("lapor-sim")
def lapor_sim(
    port: Annotated[int, typer.Option()] = LAPOR_SIM_PORT,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Run the SP4N-LAPOR! simulator (for tests, the demo and benchmarks)."""
    from services.sync.simulator import serve as serve_simulator
    from services.sync.simulator import simulator_kwargs_from_settings

    serve_simulator(host=host, port=port, **simulator_kwargs_from_settings(get_settings()))


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

    text = category_map_csv(propose_category_map(_run_in_session(simpul), national))
    if write:
        with open(write, "w", encoding="utf-8") as handle:
            handle.write(text)
    typer.echo(text, nl=False)


@client_cli.command("create")
def client_create(name: str) -> None:
    """Register a local app and print its API key (shown once)."""
    from shared.auth import create_client_app

    async def make(session):  # noqa: ANN001, ANN202
        return await create_client_app(session, name)

    try:
        _app, key = _run_in_session(make)
    except Exception as exc:  # noqa: BLE001 - e.g. the name is taken
        typer.echo(f"error: could not create client {name!r}: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    typer.echo(key)


@token_cli.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin_instansi | opd | apip | viewer | operator")],
    opd: Annotated[str | None, typer.Option(help="the OPD code (required for role opd)")] = None,
    name: Annotated[str | None, typer.Option(help="who holds it")] = None,
) -> None:
    """Issue an ops bearer token and print it (shown once)."""
    from sqlalchemy import select

    from shared.auth import create_ops_token
    from shared.models import Opd

    async def make(session):  # noqa: ANN001, ANN202
        if opd and (await session.scalar(select(Opd.code).where(Opd.code == opd))) is None:
            raise ValueError(f"unknown OPD {opd!r}")
        return await create_ops_token(session, role=role, name=name or role, opd_code=opd)

    try:
        _row, token = _run_in_session(make)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)


def main() -> None:
    cli()
