"""The daily-work pages over httpx: the landing page per role, the worklists, the case page
and its forms (verify, dispose with a copy, respond, assign), the refusals (stale form,
forged CSRF, a case one may not read, a disguised attachment)."""

from __future__ import annotations

import re

from .work_helpers import form_of, open_sms_case, submit


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


async def test_the_opd_distributes_to_a_colleague_and_the_copy_holder_only_adds_notes(
    app, browser, make_staff, log_in, client, admin_headers, drain
):
    tid = await open_sms_case(app, category_code="JALAN")
    for action, body in (("verify", {}), ("dispose", {"opd": "PUPR", "copies": ["DISHUB"]})):
        answer = await client.post(f"/admin/cases/{tid}/{action}", json=body, headers=admin_headers)
        assert answer.status_code == 200, answer.text
    await drain()
    budi = await make_staff("budi", role="opd", opd="PUPR", full_name="Budi Santoso")
    ani = await make_staff("ani", role="opd", opd="PUPR", full_name="Ani Lestari")
    dina = await make_staff("dina", role="opd", opd="DISHUB", full_name="Dina Pratiwi")
    await log_in(budi)
    inbox = await browser.get("/konsol/kotak-masuk")
    assert tid in inbox.text and "hari kerja" in inbox.text
    assigned = await submit(browser, tid, "assign", {"assignee": f"user:{ani.id}"})
    assert assigned.status_code == 303, assigned.text
    browser.cookies.clear()
    await log_in(ani)
    mine = await browser.get("/konsol/kotak-masuk", params={"milik_saya": "ya"})
    assert tid in mine.text and "Petugas: Ani Lestari" in mine.text
    returned = await submit(browser, tid, "return", {"reason": ""})
    assert returned.status_code == 422 and "Alasan: wajib diisi" in returned.text
    browser.cookies.clear()
    await log_in(dina)
    copy = await browser.get(f"/konsol/kasus/{tid}")
    assert copy.status_code == 200
    assert 'id="aksi-note"' in copy.text
    assert 'id="aksi-respond"' not in copy.text and 'id="aksi-assign"' not in copy.text
    noted = await submit(browser, tid, "note", {"note": "Rambu di lokasi juga rusak."})
    assert noted.status_code == 303, noted.text
    page = await browser.get(noted.headers["location"])
    assert "Rambu di lokasi juga rusak." in page.text and "Catatan internal" in page.text


async def test_a_reply_template_fills_the_text_with_the_case(
    app, browser, make_staff, log_in, client, admin_headers
):
    made = await client.post(
        "/admin/reply-templates",
        json={
            "title": "Minta foto",
            "body": "Laporan {nomor}: mohon kirim foto lokasi. Salam, {petugas}",
            "actions": ["request-info"],
        },
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    await log_in(
        await make_staff(
            "rina", role="admin_instansi", opd=None, with_totp=True, full_name="Rina Wulandari"
        )
    )
    tid = await open_sms_case(app)
    page = await browser.get(f"/konsol/kasus/{tid}")
    link = f"?aksi=request-info&amp;templat={made.json()['id']}"
    assert link in page.text
    filled = await browser.get(f"/konsol/kasus/{tid}{link.replace('&amp;', '&')}")
    assert f"Laporan {tid}: mohon kirim foto lokasi. Salam, Rina Wulandari" in filled.text


async def test_the_queue_pages_filters_by_url_and_refuses_a_bad_date_in_words(
    app, browser, make_staff, log_in
):
    await log_in(await make_staff("rina", role="admin_instansi", opd=None, with_totp=True))
    for n in range(27):
        await open_sms_case(app, description=f"Sampah menumpuk di pasar nomor {n}")
    first = await browser.get("/konsol/antrian", params={"kanal": "sms", "q": "sampah"})
    assert (
        first.status_code == 200 and "27 kasus" in first.text and "halaman 1 dari 2" in first.text
    )
    assert "/konsol/antrian?q=sampah&amp;kanal=sms&amp;halaman=2" in first.text
    second = await browser.get("/konsol/antrian?kanal=sms&q=sampah&halaman=2")
    assert second.text.count('class="kasus') == 2
    none = await browser.get("/konsol/antrian", params={"kanal": "whatsapp"})
    assert "0 kasus" in none.text and "Tidak ada kasus yang cocok." in none.text
    bad = await browser.get("/konsol/antrian", params={"dari": "1 Desember"})
    assert bad.status_code == 422 and "TTTT-BB-HH" in bad.text


async def test_an_answer_with_a_photo_is_viewable_inline_and_never_executed(
    app, browser, make_staff, log_in, client, admin_headers
):
    tid = await open_sms_case(app, category_code="JALAN")
    for action, body in (("verify", {}), ("dispose", {"opd": "PUPR"})):
        answer = await client.post(f"/admin/cases/{tid}/{action}", json=body, headers=admin_headers)
        assert answer.status_code == 200, answer.text
    await log_in(await make_staff("budi", role="opd", opd="PUPR"))
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    answered = await submit(
        browser,
        tid,
        "respond",
        {"message": "Sudah ditambal.", "final": "1"},
        files=[("files", ("tambal.png", photo, "image/png"))],
    )
    assert answered.status_code == 303, answered.text
    page = await browser.get(answered.headers["location"])
    found = re.search(rf'href="(/konsol/kasus/{tid}/lampiran/\d+)">tambal.png', page.text)
    assert found, page.text
    served = await browser.get(found.group(1))
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("inline")
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["x-content-type-options"] == "nosniff"
