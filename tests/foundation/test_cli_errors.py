"""The command line run from anywhere: the default database is the checkout's, and a
database that is missing, unmigrated or refused says so in one line (exit 2), never a
traceback, and never leaves an empty SQLite file behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import PROJECT_ROOT, Settings


def _simpul(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SIMPUL_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from services.cli.main import main; main()", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    return result.stderr


def test_the_default_database_is_the_checkouts_wherever_the_command_runs(monkeypatch, tmp_path):
    assert PROJECT_ROOT is not None and (PROJECT_ROOT / "pyproject.toml").is_file()
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'data' / 'simpul.db'}"
    assert settings.data_dir == str(PROJECT_ROOT / "data")
    assert Settings(_env_file=None, database_url="sqlite:///x.db").database_url == "sqlite:///x.db"


@pytest.mark.parametrize("command", [["token", "create", "--role", "viewer"], ["seed-demo"]])
def test_a_missing_database_is_one_line_and_creates_nothing(tmp_path, command):
    result = _simpul(tmp_path, *command, SIMPUL_DATABASE_URL="sqlite:///./nowhere/simpul.db")
    message = _one_line_refusal(result)
    assert "no Simpul database at" in message and "simpul migrate" in message
    assert len(message.strip().splitlines()) == 1
    assert not (tmp_path / "nowhere").exists()


def test_an_unmigrated_database_is_one_line(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    result = _simpul(tmp_path, "client", "create", "x", SIMPUL_DATABASE_URL="sqlite:///empty.db")
    assert "has no Simpul schema: run `simpul migrate`" in _one_line_refusal(result)


def test_refused_production_settings_are_one_line_each_not_a_traceback(tmp_path):
    result = _simpul(
        tmp_path,
        "migrate",
        SIMPUL_ENV="production",
        SIMPUL_DATABASE_URL="postgresql://simpul@db.internal/simpul",
    )
    message = _one_line_refusal(result)
    lines = message.strip().splitlines()
    assert lines[0] == "error: SIMPUL_ENV=production refuses these settings:"
    assert all(line.startswith("- set SIMPUL_") for line in lines[1:]) and len(lines) > 3
