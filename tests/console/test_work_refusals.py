"""What the case page refuses, and how: a stale form (the case moved on) is told what
changed with the current state; a forged or missing CSRF token is 403 and changes nothing;
a case the officer may not read is the very page of a missing one; a disguised or
oversized attachment is refused with the reason. Never a stack trace."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from shared.models import Case

from .conftest import csrf_of
from .work_helpers import form_of, open_sms_case, submit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _status(db, tracking_id: str) -> tuple[str, int]:
    async with db.session() as session:
        case = (await session.scalars(select(Case).where(Case.tracking_id == tracking_id))).one()
        return case.status, case.version


def second_browser(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.8", 5000)),
        base_url="https://testserver",
    )


async def test_a_stale_form_says_what_changed_and_keeps_the_other_officers_action(
    app, db, browser, make_staff, log_in
):
    rina = await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    agus = await make_staff("agus", role="admin_instansi", opd=None, with_totp=True)
    await log_in(rina)
    tid = await open_sms_case(app, category_code="JALAN")
    seen = await browser.get(f"/konsol/kasus/{tid}")  # Rina opens the case ...
    async with second_browser(app) as other:  # ... Agus verifies it meanwhile
        await log_in(agus, other)
        assert (await submit(other, tid, "verify", {"kind": "pengaduan"})).status_code == 303
    before = await _status(db, tid)
    late = await browser.post(
        f"/konsol/kasus/{tid}/aksi/request-info",
        data={**form_of(seen.text, "request-info"), "message": "Mohon kirim foto lokasinya."},
    )
    assert late.status_code == 409
    assert "sudah berubah sejak Anda membukanya" in late.text
    assert "Laporan diverifikasi — Agus" in late.text  # what changed, by whom
    assert "Mohon kirim foto lokasinya." in late.text  # what she typed is kept
    assert await _status(db, tid) == before


async def test_forged_or_missing_csrf_is_403_and_nothing_changes(
    app, db, browser, make_staff, log_in
):
    await log_in(await make_staff("rina", role="admin_instansi", opd=None, with_totp=True))
    tid = await open_sms_case(app)
    page = await browser.get(f"/konsol/kasus/{tid}")
    before = await _status(db, tid)
    fields = {**form_of(page.text, "verify"), "kind": "pengaduan"}
    for csrf in ("palsu", None):
        data = {k: v for k, v in fields.items() if k != "csrf"}
        if csrf:
            data["csrf"] = csrf
        refused = await browser.post(f"/konsol/kasus/{tid}/aksi/verify", data=data)
        assert refused.status_code == 403 and "tidak ada yang diubah" in refused.text
    assert await _status(db, tid) == before


async def test_a_case_of_another_opd_is_the_same_page_as_a_missing_one(
    app, browser, make_staff, log_in, admin_headers, client
):
    tid = await open_sms_case(app, category_code="JALAN")
    for action, body in (("verify", {}), ("dispose", {"opd": "PUPR"})):
        answer = await client.post(f"/admin/cases/{tid}/{action}", json=body, headers=admin_headers)
        assert answer.status_code == 200
    await log_in(await make_staff("dewi", role="opd", opd="DINKES"))
    theirs = await browser.get(f"/konsol/kasus/{tid}")
    missing = await browser.get("/konsol/kasus/TIDAKADA")
    assert theirs.status_code == missing.status_code == 404
    # the same page, but for the address in the text-size links
    assert theirs.text.replace(tid, "X") == missing.text.replace("TIDAKADA", "X")
    assert "Kasus tidak ditemukan" in theirs.text
    acted = await browser.post(
        f"/konsol/kasus/{tid}/aksi/note",
        data={"csrf": csrf_of((await browser.get("/konsol/")).text), "note": "x"},
    )
    assert acted.status_code == 404


async def test_disguised_or_oversized_attachments_are_refused_with_the_reason(
    app, db, browser, make_staff, log_in, admin_headers, client
):
    tid = await open_sms_case(app, category_code="JALAN")
    for action, body in (("verify", {}), ("dispose", {"opd": "PUPR"})):
        assert (
            await client.post(f"/admin/cases/{tid}/{action}", json=body, headers=admin_headers)
        ).status_code == 200
    await log_in(await make_staff("budi", role="opd", opd="PUPR"))
    before = await _status(db, tid)
    cases = (
        ("surat.pdf", PNG, "application/pdf", "tidak sesuai dengan isinya"),
        ("program.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf", "PDF atau gambar"),
        ("besar.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png", "lebih besar dari 10 MB"),
    )
    for name, content, media, reason in cases:
        refused = await submit(
            browser,
            tid,
            "respond",
            {"message": "Jalan sudah diperbaiki."},
            files=[("files", (name, content, media))],
        )
        assert refused.status_code in (413, 415, 422), (name, refused.status_code)
        assert reason in refused.text, (name, refused.text[-2000:])
        assert "Jalan sudah diperbaiki." in refused.text
    assert await _status(db, tid) == before
