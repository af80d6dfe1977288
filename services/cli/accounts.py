"""``simpul user …``: staff accounts from the command line — the first Admin Instansi of
a fresh install, and the way back in when nobody else can help (a lost phone, a lock-out).

``create`` and ``reset-password`` print a temporary password as their last word, once:
hand it over; the first login must change it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli.session import echo_table, run_or_exit, when
from shared.identity import users
from shared.identity.audit import CLI
from shared.models.identity import StaffUser

user_cli = typer.Typer(no_args_is_help=True, help="Staff accounts (personal logins).")


async def _account(session: AsyncSession, username: str) -> StaffUser:
    user = await users.by_username(session, username)
    if user is None:
        raise ValueError(f"no account {username!r}")
    return user


@user_cli.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin_instansi | opd | apip | viewer | operator")],
    opd: Annotated[str | None, typer.Option(help="the OPD code (required for role opd)")] = None,
    name: Annotated[str | None, typer.Option(help="full name")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account and print its temporary password (shown once, last word)."""

    async def make(session: AsyncSession) -> str:
        fields = {k: v for k, v in {"email": email, "phone": phone}.items() if v}
        user, temporary = await users.create_user(
            session, username=username, full_name=name or username, role=role, opd_code=opd,
            by=CLI, **fields,
        )  # fmt: skip
        typer.echo(f"created {user.username} ({user.role}); temporary password, shown once:")
        return temporary

    typer.echo(run_or_exit(make))


@user_cli.command("reset-password")
def user_reset_password(username: str) -> None:
    """A new temporary password (shown once, last word); the account's sessions end."""

    async def reset(session: AsyncSession) -> str:
        user = await _account(session, username)
        temporary = await users.reset_password(session, user, by=CLI)
        typer.echo(f"{user.username}: sessions ended; temporary password, shown once:")
        return temporary

    typer.echo(run_or_exit(reset))


def _on_account(username: str, change: Callable[..., Awaitable[Any]], done: str) -> None:
    """Run ``change(session, account, by=CLI)`` and print ``<username>: <done>``."""

    async def run(session: AsyncSession) -> str:
        await change(session, await _account(session, username), by=CLI)
        return f"{username}: {done}"

    typer.echo(run_or_exit(run))


@user_cli.command("reset-2fa")
def user_reset_2fa(username: str) -> None:
    """Turn two-factor off (phone lost): the next login sets it up again where required."""
    _on_account(username, users.reset_totp, "two-factor reset, sessions ended")


@user_cli.command("unlock")
def user_unlock(username: str) -> None:
    """Lift a lock-out after repeated failed logins."""
    _on_account(username, users.unlock, "unlocked")


@user_cli.command("deactivate")
def user_deactivate(username: str) -> None:
    """End an account's access now (sessions and tokens); it is kept, never deleted."""
    _on_account(username, users.deactivate, "deactivated")


@user_cli.command("list")
def user_list() -> None:
    """The accounts: username, name, role, OPD, state, two-factor, last login."""

    async def rows(session: AsyncSession) -> list[list[str]]:
        found = await session.scalars(select(StaffUser).order_by(StaffUser.username))
        return [
            [
                u.username, u.full_name, u.role, u.opd_code or "-",
                "active" if u.active else "deactivated", "on" if u.totp_enabled else "off",
                when(u.last_login_at),
            ]
            for u in found.all()
        ]  # fmt: skip

    headers = ["username", "name", "role", "opd", "state", "2fa", "last login"]
    echo_table(headers, rows, empty="no accounts")
