"""Issue 16, "Done when": a fresh install creates its first Admin Instansi with the CLI,
who creates an OPD officer through the API; each logs in (two-factor where required),
works, logs out; a deactivated account is refused at once; every step is audited."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from services.cli import cli
from shared.config import get_settings
from shared.identity import totp
from shared.models.identity import SecurityEvent, StaffUser

from .conftest import csrf_of, submit_login

NEW_PASSWORD = "pagi-cerah-di-tanah-laut"


async def _cli(monkeypatch, url: str, *args: str) -> str:
    """Run a ``simpul`` command (in a thread: it runs its own event loop)."""
    monkeypatch.setenv("SIMPUL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, list(args), catch_exceptions=False
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]  # a secret is the last word


async def _first_login(client: httpx.AsyncClient, username: str, temporary: str) -> httpx.Response:
    answer = await submit_login(client, username, temporary)
    assert answer.headers["location"] == "/konsol/sandi"
    page = await client.get("/konsol/sandi")
    return await client.post(
        "/konsol/sandi",
        data={
            "csrf": csrf_of(page.text),
            "lama": temporary,
            "baru": NEW_PASSWORD,
            "ulangi": NEW_PASSWORD,
        },
    )


async def test_first_admin_to_first_officer_end_to_end(app, db, settings, monkeypatch):
    temporary = await _cli(monkeypatch, settings.database_url, "user", "create", "rina", "--role",
                     "admin_instansi", "--name", "Rina Wulandari")  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as rina:
        changed = await _first_login(rina, "rina", temporary)
        assert changed.headers["location"] == "/konsol/dua-faktor"  # required for her role
        page = await rina.get("/konsol/dua-faktor")
        async with db.session() as session:
            secret = (
                await session.scalar(select(StaffUser).where(StaffUser.username == "rina"))
            ).totp_pending_secret
        enrolled = await rina.post(
            "/konsol/dua-faktor",
            data={"csrf": csrf_of(page.text), "kode": totp.code_at(secret, totp.current_step())},
        )
        assert enrolled.status_code == 200
        page = await rina.get("/konsol/token")
        made = await rina.post(
            "/konsol/token", data={"csrf": csrf_of(page.text), "nama": "skrip", "hari": "30"}
        )
        assert made.status_code == 201
        token = made.text.split('<p class="kunci"><code>')[1].split("</code>")[0]
        api = {"Authorization": f"Bearer {token}"}
        created = await rina.post(
            "/admin/users",
            json={"username": "budi", "full_name": "Budi Santoso", "role": "opd", "opd": "PUPR"},
            headers=api,
        )
        assert created.status_code == 201, created.text
        budi_id, budi_temporary = created.json()["id"], created.json()["temporary_password"]

        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as budi:
            assert (await _first_login(budi, "budi", budi_temporary)).headers[
                "location"
            ] == "/konsol/"
            assert (await budi.get("/admin/board")).status_code == 200  # works
            home = await budi.get("/konsol/")
            assert (
                await budi.post("/konsol/keluar", data={"csrf": csrf_of(home.text)})
            ).status_code == 303
            assert (await budi.get("/admin/board")).status_code == 303
            again = await submit_login(budi, "budi", NEW_PASSWORD)
            assert again.headers["location"] == "/konsol/"
            gone = await rina.post(f"/admin/users/{budi_id}/deactivate", headers=api)
            assert gone.status_code == 200
            assert (await budi.get("/admin/board")).status_code == 303  # refused at once
            refused = await submit_login(budi, "budi", NEW_PASSWORD)
            assert refused.status_code == 401
        detail = await rina.get(f"/admin/users/{budi_id}", headers=api)
        assert detail.json()["last_login_at"] is not None and detail.json()["active"] is False

    async with db.session() as session:
        trail = [
            (t, u)
            for t, u in (
                await session.execute(
                    select(SecurityEvent.type, SecurityEvent.username).order_by(SecurityEvent.id)
                )
            ).all()
        ]
    assert [t for t, u in trail if u == "rina"] == [
        "user.created", "login.succeeded", "password.changed", "totp.enrolled", "token.created",
    ]  # fmt: skip
    assert [t for t, u in trail if u == "budi"] == [
        "user.created", "login.succeeded", "password.changed", "logout", "login.succeeded",
        "user.deactivated", "login.failed",
    ]  # fmt: skip
