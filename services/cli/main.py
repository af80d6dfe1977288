"""The ``simpul`` command: serve, run workers, migrate, seed, simulator; the credential
and account commands are in ``credentials`` and ``accounts``.

The CLI sits above the services (it starts them): ``shared/`` never imports it."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli.accounts import user_cli
from services.cli.credentials import client_cli, token_cli
from services.cli.lapor import lapor_cli
from services.cli.session import require_database, run_in_session
from shared.config import LAPOR_SIM_PORT, SERVICE_PORTS, get_settings

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Simpul: complaint-handling gateway for pemda."
)
cli.add_typer(client_cli, name="client")
cli.add_typer(token_cli, name="token")
cli.add_typer(user_cli, name="user")
cli.add_typer(lapor_cli, name="lapor")

APP_FACTORIES = {
    "all": "services.embedded:create_app",
    "intake": "services.intake.app:create_app",
    "routing": "services.routing.app:create_app",
    "sla": "services.sla.app:create_app",
    "sync": "services.sync.app:create_app",
    "console": "services.console.app:create_app",
}


@cli.command()
def serve(
    service: Annotated[
        str, typer.Option(help="all | intake | routing | sla | sync | console")
    ] = "all",
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
    require_database()
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
        access_log=False,  # Simpul's own access line is the one line per request
        proxy_headers=True,
        timeout_graceful_shutdown=15,
    )


@cli.command()
def worker(
    service: Annotated[str, typer.Option(help="all | intake | routing | sla | sync")] = "all",
) -> None:
    """Run a service's event consumers and periodic jobs without HTTP (scale by adding processes)."""
    require_database()
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


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the demo reference data (OPDs, categories, kecamatan) and, outside production,
    the demo accounts; safe to run again."""
    from shared.identity.demo import DEMO_PASSWORD, seed_demo_accounts
    from shared.seed import seed_reference_data

    production = get_settings().env == "production"

    async def seed(session: AsyncSession) -> dict[str, int]:
        counts = await seed_reference_data(session)
        if not production:
            counts["demo accounts"] = await seed_demo_accounts(session)
        return counts

    counts = run_in_session(seed)
    typer.echo("seeded: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
    if production:
        typer.echo("no demo accounts in production: create the first one with `simpul user create`")
    elif counts.get("demo accounts"):
        typer.echo(f"demo accounts (*.demo) use the password {DEMO_PASSWORD!r}: for a demo only")


@cli.command("lapor-sim")
def lapor_sim(
    port: Annotated[int, typer.Option()] = LAPOR_SIM_PORT,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Run the SP4N-LAPOR! simulator (for tests, the demo and benchmarks)."""
    from services.sync.simulator import serve as serve_simulator
    from services.sync.simulator import simulator_kwargs_from_settings

    serve_simulator(host=host, port=port, **simulator_kwargs_from_settings(get_settings()))


def main() -> None:
    """The console script: settings that cannot be used are one line each, never a traceback."""
    from pydantic import ValidationError

    try:
        cli()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()))
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            typer.echo(f"error: {f'SIMPUL_{where.upper()}: ' if where else ''}{message}", err=True)
        raise SystemExit(2) from None
