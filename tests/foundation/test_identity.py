"""The identity library (shared/identity): password rules, TOTP codes (drift, replay,
races), production refusals (two-factor for admins, demo accounts), the append-only
security trail and never-deleted accounts."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.identity import login, passwords, totp, users
from shared.identity.audit import Origin
from shared.identity.demo import DemoAccountsInProduction, seed_demo_accounts
from shared.models import Opd
from shared.models.identity import SecurityEvent, StaffUser


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("pendek", "terlalu pendek"),
        ("password123", "terlalu umum"),
        ("Indonesia123", "terlalu umum"),
        ("aaaaaaaaaaaa", "terlalu umum"),
        ("budisantoso-2026", "nama pengguna atau nama Anda"),
        ("x" * 129, "terlalu panjang"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason_in_indonesian(password, says):
    reasons = passwords.problems(password, username="budisantoso", full_name="Budi Santoso")
    assert any(says in r for r in reasons), reasons


def test_a_long_uncommon_password_is_accepted_and_temporary_ones_are_random():
    assert passwords.problems("kuda lari di sawah hijau", username="budi") == []
    made = {passwords.temporary_password() for _ in range(50)}
    assert len(made) == 50 and all(len(p) == 19 and passwords.problems(p) == [] for p in made)


def test_a_code_counts_within_one_step_of_drift_and_only_once():
    secret, now = totp.new_secret(), 1_800_000_000.0
    step = totp.current_step(now)
    for drift in (-1, 0, 1):
        code = totp.code_at(secret, step + drift)
        assert totp.matching_step(secret, code, last_step=None, now=now) == step + drift
    assert (
        totp.matching_step(secret, totp.code_at(secret, step - 2), last_step=None, now=now) is None
    )
    code = totp.code_at(secret, step)
    assert totp.matching_step(secret, code, last_step=step, now=now) is None  # replayed
    assert (
        totp.matching_step(secret, totp.code_at(secret, step - 1), last_step=step, now=now) is None
    )
    assert totp.matching_step(secret, "12 34", last_step=None, now=now) is None


async def _admin_with_totp(session) -> StaffUser:
    user, _ = await users.create_user(
        session, username="rina", full_name="Rina", role="admin_instansi"
    )
    user.totp_secret, user.totp_enabled_at = totp.new_secret(), user.created_at
    await session.flush()
    return user


async def test_two_logins_racing_with_one_code_cannot_both_win(db, settings):
    async with db.session() as session:
        user = await _admin_with_totp(session)
        code = totp.code_at(user.totp_secret, totp.current_step())
        user_id = user.id

    async def attempt() -> bool:
        async with db.session() as session:
            fresh = await session.get(StaffUser, user_id)
            return (await login.check_second_factor(session, settings, fresh, code, Origin())).ok

    results = []
    for _ in range(2):  # one after the other: the second sees the first's step
        results.append(await attempt())
    assert results == [True, False]
    results = await asyncio.gather(attempt(), attempt(), return_exceptions=True)
    assert not any(r is True for r in results)  # the code's step is spent


def test_the_two_factor_roles_are_role_names():
    # production's refusal of a list without the admin roles: tests/foundation/test_settings.py
    assert (
        Settings(_env_file=None, env="dev", totp_required_roles="").totp_required_role_set
        == frozenset()
    )
    with pytest.raises(ValidationError, match="unknown role"):
        Settings(_env_file=None, totp_required_roles="admin_instansi,kepala")


async def test_production_refuses_to_start_with_an_active_demo_account(db, settings):
    async with db.session() as session:
        session.add(Opd(code="PUPR", name="Dinas PUPR", kind="dinas"))
        await session.flush()
        assert await seed_demo_accounts(session) == 5
    production = settings.model_copy(update={"env": "production"})
    app = build_app([ServiceSpec(name="probe")], production, run_workers=False)
    with pytest.raises(DemoAccountsInProduction, match="admin.demo, apip.demo"):
        async with app.router.lifespan_context(app):
            pass
    async with db.session() as session:
        await session.execute(update(StaffUser).values(active=False))
    app = build_app([ServiceSpec(name="probe")], production, run_workers=False)
    async with app.router.lifespan_context(app):
        pass  # deactivated demo accounts are harmless


async def test_the_security_trail_is_append_only_and_accounts_are_never_deleted(db):
    async with db.session() as session:
        user, _ = await users.create_user(session, username="budi", full_name="Budi", role="viewer")
    for statement in (
        update(SecurityEvent).values(type="rewritten"),
        delete(SecurityEvent),
        delete(StaffUser),
    ):
        with pytest.raises(DBAPIError):
            async with db.session() as session:
                await session.execute(statement)
    async with db.session() as session:
        assert (await session.scalars(select(SecurityEvent.type))).all() == ["user.created"]
        assert (await session.execute(text("SELECT count(*) FROM staff_users"))).scalar() == 1
