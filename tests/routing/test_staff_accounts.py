"""Managing people through the admin API (issue 16): Admin Instansi manages the pemda's
officers, the operator technical accounts; deactivation kills sessions and tokens at once;
every step is a security event; case events record the person."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from shared.identity import tokens, users
from shared.models import Event
from shared.models.identity import OpsToken, SecurityEvent, StaffSession, StaffUser


@pytest.fixture
def person_token(app):
    """``await person_token("admin_instansi")`` → (user id, bearer headers) of a new account."""

    async def _make(role: str, opd: str | None = None, name: str = "Rina Wulandari"):
        async with app.state.db.session() as session:
            user, _ = await users.create_user(
                session,
                username=f"{role.replace('_', '')}{len(name)}",
                full_name=name,
                role=role,
                opd_code=opd,
            )
            _row, token = await tokens.create_ops_token(
                session, role=role, name="skrip", owner=user
            )
        return user.id, {"Authorization": f"Bearer {token}"}

    return _make


async def _types(db, user_id: int) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(SecurityEvent.type)
            .where(SecurityEvent.user_id == user_id)
            .order_by(SecurityEvent.id)
        )
        return list(rows.all())


async def test_admin_creates_an_officer_with_a_temporary_password_shown_once(
    client, db, person_token
):
    _admin, headers = await person_token("admin_instansi")
    body = {
        "username": "Budi.Santoso", "full_name": "Budi Santoso", "role": "opd", "opd": "PUPR",
        "position": "Admin UPP", "phone": "0812-3456-7890", "email": "budi@pupr.example.go.id",
        "telegram_chat_id": "123456", "notify_channel": "whatsapp",
    }  # fmt: skip
    created = await client.post("/admin/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    officer = created.json()
    assert officer["username"] == "budi.santoso" and officer["phone"] == "+6281234567890"
    assert officer["password_temporary"] and len(officer["temporary_password"]) >= 16
    listed = await client.get("/admin/users", params={"opd": "PUPR"}, headers=headers)
    assert [u["username"] for u in listed.json()["items"]] == ["budi.santoso"]
    assert (
        "temporary_password" not in listed.text and officer["temporary_password"] not in listed.text
    )
    detail = await client.get(f"/admin/users/{officer['id']}", headers=headers)
    assert detail.json()["sessions"] == [] and detail.json()["last_login_at"] is None
    assert await _types(db, officer["id"]) == ["user.created"]
    async with db.session() as session:
        event = await session.scalar(
            select(SecurityEvent).where(SecurityEvent.user_id == officer["id"])
        )
        assert event.actor_name == "Rina Wulandari"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"role": "opd"}, 422, "invalid_role"),  # an opd account needs its OPD
        ({"role": "opd", "opd": "TIDAK-ADA"}, 422, "unknown_opd"),
        ({"role": "superuser"}, 403, "role_not_managed"),
        ({"role": "operator"}, 403, "role_not_managed"),  # technical accounts are the operator's
        ({"role": "viewer", "username": "x"}, 422, "invalid"),
        ({"role": "viewer", "phone": "bukan nomor"}, 422, "invalid_phone"),
        ({"role": "viewer", "notify_channel": "merpati"}, 422, "invalid"),
    ],
)
async def test_bad_account_input_is_a_4xx_with_a_reason(client, person_token, body, status, code):
    _admin, headers = await person_token("admin_instansi")
    answer = await client.post(
        "/admin/users", json={"username": "sari", "full_name": "Sari", **body}, headers=headers
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


async def test_a_username_is_taken_once(client, person_token):
    _admin, headers = await person_token("admin_instansi")
    body = {"username": "sari", "full_name": "Sari", "role": "viewer"}
    assert (await client.post("/admin/users", json=body, headers=headers)).status_code == 201
    again = await client.post("/admin/users", json={**body, "username": "SARI"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "username_taken"


async def test_each_manager_sees_only_the_accounts_it_manages(client, person_token):
    _admin, admin = await person_token("admin_instansi")
    _op, operator = await person_token("operator", name="Operator Diskominfo")
    _v, viewer = await person_token("viewer", name="Pimpinan")
    tech = await client.post(
        "/admin/users",
        json={"username": "tekno", "full_name": "Tekno", "role": "operator"},
        headers=operator,
    )
    assert tech.status_code == 201
    assert (await client.get(f"/admin/users/{tech.json()['id']}", headers=admin)).status_code == 404
    assert "tekno" not in (await client.get("/admin/users", headers=admin)).text
    assert (await client.get("/admin/users", headers=viewer)).status_code == 403


async def test_deactivating_an_officer_kills_sessions_and_tokens_at_once(
    client, db, person_token, staff_cookie, app
):
    _admin, headers = await person_token("admin_instansi")
    officer_id, officer_headers = await person_token("opd", opd="PUPR", name="Budi Santoso")
    assert (await client.get("/admin/cases", headers=officer_headers)).status_code == 200
    async with db.session() as session:
        from shared.identity import sessions
        from shared.identity.audit import Origin

        user = await session.get(StaffUser, officer_id)
        user.password_temporary = False
        _row, raw = await sessions.open_session(
            session, user, stage=sessions.FULL, origin=Origin(), settings=app.state.settings
        )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"simpul_sesi": raw},
    ) as officer_browser:
        assert (await officer_browser.get("/konsol/")).status_code == 200
        done = await client.post(f"/admin/users/{officer_id}/deactivate", headers=headers)
        assert done.status_code == 200 and done.json()["active"] is False
        # the very next requests are refused: no cache outlives the deactivation
        assert (await officer_browser.get("/konsol/")).status_code == 303
        assert (await client.get("/admin/cases", headers=officer_headers)).status_code == 401
    async with db.session() as session:
        assert (await session.scalars(select(StaffSession.revoked_reason))).all() == ["deactivated"]
        assert not (
            await session.scalar(select(OpsToken).where(OpsToken.owner_user_id == officer_id))
        ).active
    events = await _types(db, officer_id)
    assert events[-1] == "user.deactivated" and "token.created" in events
    # never deleted: still listed, reactivation gives a new temporary password
    listed = await client.get("/admin/users", params={"active": "false"}, headers=headers)
    assert [u["id"] for u in listed.json()["items"]] == [officer_id]
    again = await client.post(f"/admin/users/{officer_id}/reactivate", headers=headers)
    assert again.status_code == 200 and again.json()["temporary_password"]


async def test_reset_password_unlock_and_reset_2fa_are_audited(client, db, person_token):
    _admin, headers = await person_token("admin_instansi")
    officer = (
        await client.post(
            "/admin/users",
            json={"username": "sari", "full_name": "Sari", "role": "apip"},
            headers=headers,
        )
    ).json()
    reset = await client.post(f"/admin/users/{officer['id']}/reset-password", headers=headers)
    assert (
        reset.status_code == 200
        and reset.json()["temporary_password"] != officer["temporary_password"]
    )
    assert (
        await client.post(f"/admin/users/{officer['id']}/unlock", headers=headers)
    ).status_code == 200
    assert (
        await client.post(f"/admin/users/{officer['id']}/reset-2fa", headers=headers)
    ).status_code == 200
    assert (
        await client.post(f"/admin/users/{officer['id']}/end-sessions", headers=headers)
    ).json() == {"sessions_ended": 0}
    assert await _types(db, officer["id"]) == [
        "user.created", "password.reset", "user.unlocked", "totp.reset", "session.revoked",
    ]  # fmt: skip
    trail = await client.get(
        "/admin/security-events", params={"user_id": officer["id"]}, headers=headers
    )
    assert [e["type"] for e in trail.json()["items"]][0] == "session.revoked"
    assert reset.json()["temporary_password"] not in trail.text


async def test_no_one_switches_off_their_own_account_through_the_api(client, person_token):
    admin_id, headers = await person_token("admin_instansi")
    for action in ("deactivate", "reset-2fa", "reset-password"):
        answer = await client.post(f"/admin/users/{admin_id}/{action}", headers=headers)
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "own_account"


async def test_a_role_change_ends_the_accounts_sessions_and_tokens(client, db, person_token):
    _admin, headers = await person_token("admin_instansi")
    officer_id, officer_headers = await person_token("opd", opd="PUPR", name="Budi")
    changed = await client.patch(
        f"/admin/users/{officer_id}",
        json={"opd": "DINKES", "full_name": "Budi S."},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json()["opd"] == "DINKES"
    assert (await client.get("/admin/cases", headers=officer_headers)).status_code == 401


async def test_case_events_record_the_person_not_the_token(client, db, person_token, open_case):
    admin_id, headers = await person_token("admin_instansi", name="Rina Wulandari")
    tracking_id = await open_case()
    answer = await client.post(
        f"/admin/cases/{tracking_id}/verify",
        json={"kind": "pengaduan", "category": "JALAN", "sla_class": "non_lapangan"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    async with db.session() as session:
        event = await session.scalar(select(Event).where(Event.type == "case.verified"))
    assert (event.actor_id, event.actor_name) == (f"user:{admin_id}", "Rina Wulandari")


async def test_tokens_are_listed_without_secrets_and_revoked_at_once(
    client, db, person_token, make_token
):
    _admin, headers = await person_token("admin_instansi")
    script = await make_token("viewer", name="dasbor-bupati")
    listed = await client.get("/admin/tokens", headers=headers)
    items = {t["name"]: t for t in listed.json()["items"]}
    assert items["dasbor-bupati"]["owner"] is None and items["skrip"]["owner"] == "admininstansi14"
    assert script not in listed.text and "token_hash" not in listed.text
    assert (
        await client.get("/admin/cases", headers={"Authorization": f"Bearer {script}"})
    ).status_code == 200
    revoked = await client.post(
        f"/admin/tokens/{items['dasbor-bupati']['id']}/revoke", headers=headers
    )
    assert revoked.status_code == 200
    assert (
        await client.get("/admin/cases", headers={"Authorization": f"Bearer {script}"})
    ).status_code == 401
    async with db.session() as session:
        assert await session.scalar(
            select(SecurityEvent.type).where(SecurityEvent.type == "token.revoked")
        )
