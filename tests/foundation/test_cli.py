"""The ``simpul`` command (CONTRACT.md, Commands) on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from services.cli import cli
from shared.auth import hash_secret
from shared.config import get_settings
from shared.db import Database
from shared.migrate import heads
from shared.models import ClientApp, OpsToken


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``run(*args)`` invokes the CLI against a fresh SQLite file (no .env of the checkout)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIMPUL_DATABASE_URL", url)
    monkeypatch.setenv("SIMPUL_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    runner = CliRunner()

    def _run(*args: str):
        get_settings.cache_clear()
        return runner.invoke(cli, list(args), catch_exceptions=False)

    _run.url = url
    yield _run
    get_settings.cache_clear()


def _query(url: str, statement):
    async def main():
        db = Database(url)
        try:
            async with db.session() as session:
                return (await session.execute(statement)).all()
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_migrate_twice_is_a_no_op(run):
    first = run("migrate")
    assert first.exit_code == 0, first.output
    schema = _query(run.url, text("SELECT type, name, sql FROM sqlite_master ORDER BY name"))
    second = run("migrate")
    assert second.exit_code == 0, second.output
    assert (
        _query(run.url, text("SELECT type, name, sql FROM sqlite_master ORDER BY name")) == schema
    )
    assert [r[0] for r in _query(run.url, text("SELECT version_num FROM alembic_version"))] == list(
        heads()
    )


def test_seed_demo_twice_adds_nothing_the_second_time(run):
    run("migrate")
    first = run("seed-demo")
    assert first.exit_code == 0, first.output
    counts = dict(re.findall(r"(\w+) \+(\d+)", first.output))
    assert counts and all(int(n) > 0 for n in counts.values())
    second = run("seed-demo")
    assert second.exit_code == 0
    assert all(n == "0" for n in dict(re.findall(r"(\w+) \+(\d+)", second.output)).values())


def test_client_create_prints_a_key_once_and_stores_only_its_hash(run):
    run("migrate")
    result = run("client", "create", "aplikasi-rsud")
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith("smp_") and "\n" not in key
    [(app,)] = _query(run.url, select(ClientApp))
    assert app.name == "aplikasi-rsud" and app.key_hash == hash_secret(key)
    again = run("client", "create", "aplikasi-rsud")
    assert again.exit_code != 0
    assert "aplikasi-rsud" in again.output


def test_token_create_for_an_opd(run):
    run("migrate")
    run("seed-demo")
    result = run("token", "create", "--role", "opd", "--opd", "PUPR", "--name", "Penghubung PUPR")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("smpo_")
    [(row,)] = _query(run.url, select(OpsToken))
    assert (row.role, row.opd_code, row.name, row.token_hash) == (
        "opd",
        "PUPR",
        "Penghubung PUPR",
        hash_secret(token),
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--role", "superuser"], "choose one of admin_instansi, apip, opd, operator, viewer"),
        (["--role", "opd"], "--opd"),
        (["--role", "opd", "--opd", "TIDAK-ADA"], "unknown OPD"),
        (["--role", "viewer", "--opd", "PUPR"], "not bound"),
    ],
)
def test_token_create_refuses_bad_input_with_a_message(run, args, says):
    run("migrate")
    run("seed-demo")
    result = run("token", "create", *args)
    assert result.exit_code != 0
    assert says in result.output
    assert _query(run.url, select(OpsToken)) == []


def test_serve_and_worker_help_work():
    runner = CliRunner()
    for command in (["serve", "--help"], ["worker", "--help"], ["--help"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    assert "--service" in runner.invoke(cli, ["serve", "--help"]).output


def test_the_console_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from services.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "seed-demo", "lapor-sim", "client", "token", "worker"):
        assert command in result.stdout


def test_user_create_prints_a_temporary_password_as_the_last_word(run):
    from shared.models.identity import StaffUser

    run("migrate")
    run("seed-demo")
    result = run("user", "create", "rina", "--role", "admin_instansi", "--name", "Rina Wulandari")
    assert result.exit_code == 0, result.output
    temporary = result.output.split()[-1]
    assert (
        len(temporary) == 19
        and temporary not in _query(run.url, text("SELECT * FROM staff_users"))[-1]
    )
    [(user,)] = _query(run.url, select(StaffUser).where(StaffUser.username == "rina"))
    assert user.password_temporary and user.full_name == "Rina Wulandari"
    again = run("user", "reset-password", "rina")
    assert again.exit_code == 0 and again.output.split()[-1] != temporary
    assert run("user", "create", "budi", "--role", "opd").exit_code == 2  # needs --opd
    assert "must be bound to an OPD" in run("user", "create", "budi", "--role", "opd").output
    assert run("user", "reset-password", "tidak-ada").exit_code == 2


def test_token_list_shows_owners_and_last_use_never_a_secret_and_revoke_works(run):
    run("migrate")
    run("seed-demo")
    run("user", "create", "budi", "--role", "opd", "--opd", "PUPR", "--name", "Budi")
    owned = run("token", "create", "--owner", "budi", "--name", "skrip-budi").output.strip()
    named = run("token", "create", "--role", "viewer", "--name", "dasbor").output.strip()
    listing = run("token", "list")
    assert listing.exit_code == 0
    assert (
        "skrip-budi" in listing.output
        and "budi" in listing.output
        and "(integration)" in listing.output
    )
    assert owned not in listing.output and named not in listing.output
    assert owned[:10] not in listing.output  # not even a prefix
    assert run("token", "revoke", "dasbor").exit_code == 0
    assert (
        "dasbor" not in run("token", "list").output
        and "dasbor" in run("token", "list", "--all").output
    )
    assert run("token", "revoke", "dasbor").exit_code == 2  # no active one left by that name
    [(active,)] = _query(run.url, select(OpsToken.active).where(OpsToken.name == "dasbor"))
    assert active is False


def test_client_rotate_prints_a_new_key_and_list_and_revoke(run):
    run("migrate")
    first = run("client", "create", "aplikasi-rsud").output.strip()
    rotated = run("client", "rotate", "aplikasi-rsud", "--grace-hours", "2")
    assert rotated.exit_code == 0
    new = rotated.output.strip()
    assert new.startswith("smp_") and new != first
    [(app,)] = _query(run.url, select(ClientApp))
    assert app.key_hash == hash_secret(new) and app.previous_key_hash == hash_secret(first)
    listing = run("client", "list").output
    assert "aplikasi-rsud" in listing and new not in listing and first not in listing
    assert run("client", "revoke", str(app.id)).exit_code == 0
    assert run("client", "list").output.strip() == "no local apps"


def test_seed_demo_makes_the_demo_accounts_with_their_published_password(run):
    # (production, which never gets them, cannot run on this SQLite file at all)
    from shared.models.identity import StaffUser

    run("migrate")
    assert "coba-simpul-2026" in run("seed-demo").output
    assert len(_query(run.url, select(StaffUser).where(StaffUser.demo.is_(True)))) == 5
