"""Reply templates: Admin Instansi manages them (versioned, audited, never deleted); staff
read them rendered for a case; no placeholder can carry the reporter's identity."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Event
from tests.routing.conftest import assert_no_identity

BODY = "Laporan {nomor} ({kategori}) sedang ditangani {opd}. Salam, {petugas}"


async def test_admin_creates_and_staff_read_rendered_for_a_case(
    disposed, client, admin_headers, auth, db
):
    r = await client.post(
        "/admin/reply-templates",
        json={"title": "Sedang ditangani", "body": BODY, "actions": ["respond"]},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    tid = await disposed("PUPR", anonymous=True)
    opd = await auth("opd", "PUPR")
    r = await client.get(
        "/admin/reply-templates", params={"action": "respond", "case": tid}, headers=opd
    )
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert item["rendered"].startswith(f"Laporan {tid} (")
    assert "Dinas Pekerjaan Umum" in item["rendered"]
    assert_no_identity(r.text)
    r = await client.get("/admin/reply-templates", params={"action": "return"}, headers=opd)
    assert r.json()["items"] == []
    async with db.session() as s:
        types = (
            await s.scalars(select(Event.type).where(Event.subject_type == "reply_template"))
        ).all()
    assert list(types) == ["reply_template.created"]


async def test_unknown_placeholder_and_roles_are_refused(client, admin_headers, auth):
    r = await client.post(
        "/admin/reply-templates",
        json={"title": "Bocor", "body": "Halo {nama_pelapor}"},
        headers=admin_headers,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_placeholder"
    opd = await auth("opd", "PUPR")
    r = await client.post("/admin/reply-templates", json={"title": "x", "body": "y"}, headers=opd)
    assert r.status_code == 403
    r = await client.get("/admin/reply-templates", headers=await auth("viewer"))
    assert r.status_code == 403


async def test_update_is_versioned_and_deactivation_hides(client, admin_headers):
    r = await client.post(
        "/admin/reply-templates", json={"title": "A", "body": "Terima kasih"}, headers=admin_headers
    )
    tpl = r.json()
    r = await client.patch(
        f"/admin/reply-templates/{tpl['id']}",
        json={"body": "Terima kasih, {petugas}", "version": tpl["version"]},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await client.patch(
        f"/admin/reply-templates/{tpl['id']}",
        json={"active": False, "version": 1},
        headers=admin_headers,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_mismatch"
    r = await client.patch(
        f"/admin/reply-templates/{tpl['id']}", json={"active": False}, headers=admin_headers
    )
    assert r.status_code == 200
    assert (await client.get("/admin/reply-templates", headers=admin_headers)).json()["items"] == []
    r = await client.post(
        "/admin/reply-templates", json={"title": "A", "body": "lagi"}, headers=admin_headers
    )
    assert r.status_code == 409
