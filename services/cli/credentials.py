"""``simpul client …`` and ``simpul token …``: local apps' API keys and API tokens.

A secret a command prints is its last word, printed once; lists show names, roles,
owners and last use, never a secret (not even a prefix of one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli.session import echo_table, run_in_session, run_or_exit, when
from shared.identity import tokens, users
from shared.identity.audit import CLI
from shared.identity.tokens import DEFAULT_ROTATION_GRACE_HOURS
from shared.models.base import utcnow

client_cli = typer.Typer(no_args_is_help=True, help="API keys of local apps.")
token_cli = typer.Typer(no_args_is_help=True, help="API bearer tokens of scripts and integrations.")


@client_cli.command("create")
def client_create(name: str) -> None:
    """Register a local app and print its API key (shown once)."""

    async def make(session: AsyncSession) -> str:
        _app, key = await tokens.create_client_app(session, name, by=CLI)
        return key

    try:
        key = run_in_session(make)
    except IntegrityError:
        typer.echo(f"error: could not create client {name!r}: the name is taken", err=True)
        raise typer.Exit(1) from None
    typer.echo(key)


@client_cli.command("list")
def client_list(
    all_: Annotated[bool, typer.Option("--all", help="include revoked apps")] = False,
) -> None:
    """The local apps: id, name, state, created, last used, rotation."""

    async def rows(session: AsyncSession) -> list[list[str]]:
        now = utcnow()
        out = []
        for app in await tokens.list_client_apps(session, include_revoked=all_):
            grace = app.previous_key_expires_at
            out.append([
                str(app.id), app.name, "active" if app.active else "revoked", when(app.created_at),
                when(app.last_used_at), when(app.rotated_at),
                when(grace) if grace and grace > now else "-",
            ])  # fmt: skip
        return out

    headers = ["id", "name", "state", "created", "last used", "rotated", "old key valid until"]
    echo_table(headers, rows, empty="no local apps")


@client_cli.command("revoke")
def client_revoke(name_or_id: str) -> None:
    """Revoke a local app's key(s) at once: its next request is refused."""

    async def revoke(session: AsyncSession) -> str:
        app = await tokens.revoke_client_app(session, name_or_id, by=CLI)
        return f"revoked client {app.id} ({app.name})"

    typer.echo(run_or_exit(revoke))


@client_cli.command("rotate")
def client_rotate(
    name_or_id: str,
    grace_hours: Annotated[
        float, typer.Option(help="hours the current key keeps working (0: none)")
    ] = DEFAULT_ROTATION_GRACE_HOURS,
) -> None:
    """Issue a new API key and print it (shown once); the old one works for the grace period."""

    async def rotate(session: AsyncSession) -> str:
        _app, key = await tokens.rotate_client_key(
            session, name_or_id, grace=timedelta(hours=grace_hours), by=CLI
        )
        return key

    typer.echo(run_or_exit(rotate))


@token_cli.command("create")
def token_create(
    role: Annotated[
        str | None, typer.Option(help="admin_instansi | opd | apip | viewer | operator")
    ] = None,
    opd: Annotated[str | None, typer.Option(help="the OPD code (required for role opd)")] = None,
    name: Annotated[str | None, typer.Option(help="what it is for / who holds it")] = None,
    owner: Annotated[
        str | None, typer.Option(help="the account it acts for (USERNAME; takes its role)")
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option(help="valid for N days (default: until revoked)")
    ] = None,
) -> None:
    """Issue an API bearer token and print it (shown once)."""
    if role is None and owner is None:
        typer.echo("error: give --role (an integration's token) or --owner USERNAME", err=True)
        raise typer.Exit(2)
    if expires_days is not None and expires_days < 1:
        typer.echo("error: --expires-days must be at least 1", err=True)
        raise typer.Exit(2)

    async def make(session: AsyncSession) -> str:
        account = None
        if owner is not None:
            account = await users.by_username(session, owner)
            if account is None:
                raise ValueError(f"no account {owner!r}")
        elif opd:
            await users.check_opd(session, opd)
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        _row, token = await tokens.create_ops_token(
            session,
            role=role or "",
            name=name or (account.username if account else role) or "token",
            opd_code=opd,
            owner=account,
            expires_at=expires,
            by=CLI,
        )
        return token

    typer.echo(run_or_exit(make))


@token_cli.command("list")
def token_list(
    all_: Annotated[bool, typer.Option("--all", help="include revoked tokens")] = False,
) -> None:
    """The API tokens: id, name, role, OPD, owner, state, created, expires, last used."""

    async def rows(session: AsyncSession) -> list[list[str]]:
        return [
            [
                str(t.id), t.name, t.role, t.opd_code or "-", owner or "(integration)",
                "active" if t.active else "revoked", when(t.created_at), when(t.expires_at),
                when(t.last_used_at),
            ]
            for t, owner in await tokens.list_tokens(session, include_revoked=all_)
        ]  # fmt: skip

    headers = ["id", "name", "role", "opd", "owner", "state", "created", "expires", "last used"]
    echo_table(headers, rows, empty="no API tokens")


@token_cli.command("revoke")
def token_revoke(name_or_id: str) -> None:
    """Revoke a token at once: its next request is refused."""

    async def revoke(session: AsyncSession) -> str:
        row = await tokens.revoke_token(session, name_or_id, by=CLI)
        return f"revoked token {row.id} ({row.name})"

    typer.echo(run_or_exit(revoke))
