"""The daily-work pages over httpx: the landing page per role, the worklists, the case page
and its forms (verify, dispose with a copy, respond, assign), the refusals (stale form,
forged CSRF, a case one may not read, a disguised attachment)."""

from __future__ import annotations

from .work_helpers import form_of, open_sms_case


async def test_admin_verifies_and_disposes_with_a_copy(app, browser, make_staff, log_in, drain):
    admin = await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    await log_in(admin)
    tid = await open_sms_case(app, category_code="JALAN")
    await drain()
    home = await browser.get("/konsol/")
    assert home.status_code == 200 and tid in home.text
    queue = await browser.get("/konsol/antrian")
    assert queue.status_code == 200 and tid in queue.text and "hari kerja" in queue.text
    page = await browser.get(f"/konsol/kasus/{tid}")
    assert page.status_code == 200, page.text
    verified = await browser.post(
        f"/konsol/kasus/{tid}/aksi/verify",
        data={**form_of(page.text, "verify"), "kind": "pengaduan", "category": "JALAN"},
    )
    assert verified.status_code == 303, verified.text
    page = await browser.get(verified.headers["location"])
    disposed = await browser.post(
        f"/konsol/kasus/{tid}/aksi/dispose",
        data={**form_of(page.text, "dispose"), "opd": "PUPR", "copies": ["DISHUB"]},
    )
    assert disposed.status_code == 303, disposed.text
    page = await browser.get(disposed.headers["location"])
    assert "Tersimpan" in page.text


async def test_reports_with_the_console_session(app, browser, make_staff, log_in, drain):
    viewer = await make_staff("pimpinan", role="viewer", opd=None, with_totp=True)
    await log_in(viewer)
    await open_sms_case(app, category_code="JALAN")
    await drain()
    summary = await browser.get("/konsol/laporan")
    assert summary.status_code == 200, summary.text
    assert "Unduh" in summary.text and "Peringkat OPD" in summary.text
    xlsx = await browser.get("/konsol/laporan?kelompok=category&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    csv = await browser.get("/konsol/laporan?format=csv&dari=2026-01-01")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("key,label")
    bad = await browser.get("/konsol/laporan?dari=kemarin")
    assert bad.status_code == 422 and "TTTT-BB-HH" in bad.text
    for path in ("/konsol/laporan/peringkat", "/konsol/laporan/evaluasi", "/konsol/laporan/target"):
        answer = await browser.get(path)
        assert answer.status_code == 200, (path, answer.text)
    assert (await browser.get("/konsol/laporan/evaluasi?tahun=1990&semester=1")).status_code == 422
    assert (await browser.get("/konsol/antrian")).status_code == 403
    home = await browser.get("/konsol/")
    assert "/konsol/laporan" in home.text
