"""A bounded fuzz run over the live OpenAPI: every operation of the embedded app, called
in-process (schemathesis over ASGI, no network) with generated valid and invalid input as
an Admin Instansi and a local app. No answer may be a 5xx; every status must be one the
operation documents (``shared/openapi.py``) and every JSON body must match its schema.

Sized for CI (``SIMPUL_FUZZ_EXAMPLES`` per operation and mode, default 6: about a minute
on SQLite). ``make fuzz`` runs it long on PostgreSQL (``SIMPUL_FUZZ_EXAMPLES=300``,
``SIMPUL_FUZZ_BACKEND=postgresql``), where NUL characters and integer ranges bite.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from shared.config import Settings
from shared.db import Database

EXAMPLES = int(os.environ.get("SIMPUL_FUZZ_EXAMPLES", "6"))
BACKEND = os.environ.get("SIMPUL_FUZZ_BACKEND", "sqlite")
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)
#: Failures shown per operation in the report (the first of each kind is what matters).
SHOWN = 2


async def _prepare(url: str) -> dict[str, str]:
    """Seed the reference data and issue the credentials the run calls with."""
    from shared.auth import create_client_app, create_ops_token
    from shared.seed import seed_reference_data

    db = Database(url, pool_size=1, max_overflow=0)
    try:
        async with db.session() as session:
            await seed_reference_data(session)
        async with db.session() as session:
            _token_row, token = await create_ops_token(
                session, role="admin_instansi", opd_code=None, name="fuzz"
            )
            _client_app, key = await create_client_app(session, "fuzz-app")
    finally:
        await db.dispose()
    return {"Authorization": f"Bearer {token}", "X-API-Key": key}


@pytest.fixture
def fuzz_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[object, dict]]:
    from services.embedded import create_app

    if BACKEND == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        path = tmp_path / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    headers = asyncio.run(_prepare(url))
    app = create_app(
        Settings(
            _env_file=None,
            env="test",
            database_url=url,
            data_dir=str(tmp_path / "data"),
            run_workers=False,
            log_level="CRITICAL",
        ),
        run_workers=False,
    )
    try:
        yield app, headers
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan ran in schemathesis' event loop


def _fuzz(operation, headers: dict[str, str]) -> list[str]:
    """Run one operation's cases; the failures, as text."""
    found: list[str] = []
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | (
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check], headers=headers)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                found.append(f"{check.__name__}: {str(exc).strip()[:1500]}")

    run()
    return found


def test_every_operation_answers_as_documented_and_never_5xx(fuzz_target):
    app, headers = fuzz_target
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80  # every service's API is in the run
    report = []
    for operation in operations:
        failures = _fuzz(operation, headers)
        if failures:
            label = f"{operation.method.upper()} {operation.path}"
            report.append(f"## {label}: {len(failures)}\n" + "\n".join(failures[:SHOWN]))
    assert not report, "\n\n".join(report)
