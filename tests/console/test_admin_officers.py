"""Administration pages: officers' accounts, OPDs and categories (``/konsol/admin``), over
the staff and reference API's own rules — reach, never deleted, shown once, CSRF."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shared.models import Category
from shared.models.identity import StaffUser

from .conftest import csrf_of, submit_login

TEMPORARY = re.compile(r'<p class="kunci"><code>([^<]+)</code>')


async def _admin(browser, staff_cookie, role: str = "admin_instansi") -> str:
    browser.cookies.update(await staff_cookie(role, name="Rina Admin"))
    page = await browser.get("/konsol/admin/petugas")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def _count_users(app, username: str) -> int:
    async with app.state.db.session() as session:
        return await session.scalar(
            select(func.count()).select_from(StaffUser).where(StaffUser.username == username)
        )


async def test_admin_creates_an_officer_whose_temporary_password_works_once(
    app, browser, staff_cookie
) -> None:
    csrf = await _admin(browser, staff_cookie)
    answer = await browser.post(
        "/konsol/admin/petugas",
        data={"csrf": csrf, "nama_pengguna": "budi.pupr", "nama": "Budi Santoso",
              "peran": "opd", "opd": "PUPR", "telepon": "0812 3456 7890"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert "hanya ditampilkan sekali" in answer.text
    temporary = TEMPORARY.search(answer.text).group(1)
    again = await browser.get("/konsol/admin/petugas")
    assert temporary not in again.text
    async with app.state.db.session() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.username == "budi.pupr"))
        assert (user.role, user.opd_code, user.phone) == ("opd", "PUPR", "+6281234567890")
        detail = await browser.get(f"/konsol/admin/petugas/{user.id}")
    assert temporary not in detail.text and "Budi Santoso" in detail.text
    browser.cookies.clear()
    login = await submit_login(browser, "budi.pupr", temporary)
    assert login.status_code == 303 and login.headers["location"] == "/konsol/sandi"


async def test_bad_officer_form_is_refused_in_indonesian_and_keeps_what_was_typed(
    app, browser, staff_cookie
) -> None:
    csrf = await _admin(browser, staff_cookie)
    no_opd = await browser.post(
        "/konsol/admin/petugas",
        data={"csrf": csrf, "nama_pengguna": "tanpa.opd", "nama": "Tanpa OPD", "peran": "opd"},
    )
    assert no_opd.status_code == 422
    assert "Pejabat Penghubung wajib memilih OPD" in no_opd.text
    assert 'value="tanpa.opd"' in no_opd.text
    short = await browser.post(
        "/konsol/admin/petugas",
        data={"csrf": csrf, "nama_pengguna": "ab", "nama": "", "peran": "viewer"},
    )
    assert short.status_code == 422
    assert "Nama pengguna: paling sedikit 3 karakter; Nama lengkap: wajib diisi." in short.text
    operator_role = await browser.post(
        "/konsol/admin/petugas",
        data={"csrf": csrf, "nama_pengguna": "ops.baru", "nama": "Ops", "peran": "operator"},
    )
    assert operator_role.status_code == 403
    assert "tidak mengelola akun dengan peran itu" in operator_role.text
    assert await _count_users(app, "tanpa.opd") + await _count_users(app, "ops.baru") == 0


async def test_forged_csrf_changes_nothing(app, browser, staff_cookie) -> None:
    await _admin(browser, staff_cookie)
    for token in ("", "palsu"):
        answer = await browser.post(
            "/konsol/admin/petugas",
            data={"csrf": token, "nama_pengguna": "siti", "nama": "Siti", "peran": "viewer"},
        )
        assert answer.status_code == 403
    assert await _count_users(app, "siti") == 0


async def test_reset_unlock_deactivate_and_reactivate_an_officer(
    app, browser, staff_cookie, make_staff
) -> None:
    officer = await make_staff("dewi", role="opd", opd="DINKES", with_totp=True)
    csrf = await _admin(browser, staff_cookie)
    base = f"/konsol/admin/petugas/{officer.id}"
    reset = await browser.post(f"{base}/reset-sandi", data={"csrf": csrf})
    assert reset.status_code == 200 and TEMPORARY.search(reset.text)
    two_factor = await browser.post(f"{base}/reset-dua-faktor", data={"csrf": csrf})
    assert two_factor.status_code == 303
    unlock = await browser.post(f"{base}/buka-kunci", data={"csrf": csrf})
    assert unlock.status_code == 303
    off = await browser.post(f"{base}/nonaktifkan", data={"csrf": csrf})
    assert off.status_code == 303
    page = await browser.get(off.headers["location"])
    assert "Nonaktif sejak" in page.text and "dinonaktifkan" in page.text
    async with app.state.db.session() as session:
        user = await session.get(StaffUser, officer.id)
        assert (user.active, user.totp_enabled) == (False, False)  # kept, never deleted
    again = await browser.post(f"{base}/reset-sandi", data={"csrf": csrf})
    assert again.status_code == 409 and "nonaktif" in again.text
    on = await browser.post(f"{base}/aktifkan", data={"csrf": csrf})
    assert on.status_code == 200 and TEMPORARY.search(on.text)
    moved = await browser.post(
        base, data={"csrf": csrf, "nama": "Dewi Lestari", "peran": "opd", "opd": "PUPR"}
    )
    assert moved.status_code == 303
    async with app.state.db.session() as session:
        user = await session.get(StaffUser, officer.id)
        assert (user.active, user.full_name, user.opd_code) == (True, "Dewi Lestari", "PUPR")


async def test_own_account_cannot_be_deactivated_here(app, browser, staff_cookie) -> None:
    csrf = await _admin(browser, staff_cookie)
    async with app.state.db.session() as session:
        me = await session.scalar(select(StaffUser).where(StaffUser.full_name == "Rina Admin"))
    answer = await browser.post(f"/konsol/admin/petugas/{me.id}/nonaktifkan", data={"csrf": csrf})
    assert answer.status_code == 409 and "Akun Anda sendiri" in answer.text


async def test_operator_sees_only_technical_accounts(browser, staff_cookie, make_staff) -> None:
    await make_staff("pejabat.x", role="opd", opd="PUPR")
    await make_staff("ops.lain", role="operator", opd=None)
    await _admin(browser, staff_cookie, role="operator")
    page = await browser.get("/konsol/admin/petugas")
    assert "ops.lain" in page.text and "pejabat.x" not in page.text


async def test_other_roles_are_refused_the_admin_pages(browser, staff_cookie) -> None:
    for role, opd in (("opd", "PUPR"), ("apip", None), ("viewer", None)):
        browser.cookies.clear()
        browser.cookies.update(await staff_cookie(role, opd=opd))
        page = await browser.get("/konsol/admin/petugas")
        assert page.status_code == 403 and "Tidak berhak" in page.text, role
        home = await browser.get("/konsol/")
        form = await browser.post(
            "/konsol/admin/petugas",
            data={"csrf": csrf_of(home.text), "nama_pengguna": "x.y", "nama": "X", "peran": "opd"},
        )
        assert form.status_code == 403, role
    browser.cookies.clear()
    browser.cookies.update(await staff_cookie("opd", opd="PUPR"))
    for path in ("/konsol/admin/opd", "/konsol/admin/kategori"):
        assert (await browser.get(path)).status_code == 403


async def test_categories_are_added_and_deactivated_never_deleted(
    app, browser, staff_cookie
) -> None:
    await _admin(browser, staff_cookie)
    page = await browser.get("/konsol/admin/kategori")
    assert "Administrasi Kependudukan" in page.text
    csrf = csrf_of(page.text)
    made = await browser.post(
        "/konsol/admin/kategori",
        data={"csrf": csrf, "kode": "PASAR", "nama": "Pasar Rakyat", "opd_bawaan": "PUPR",
              "jenis_bawaan": "pengaduan", "kelas_bawaan": "non_lapangan",
              "kata_kunci": "pasar; los; retribusi"},
    )  # fmt: skip
    assert made.status_code == 303
    twice = await browser.post(
        "/konsol/admin/kategori", data={"csrf": csrf, "kode": "PASAR", "nama": "Lagi"}
    )
    assert twice.status_code == 409 and "Sudah ada kategori" in twice.text
    off = await browser.post(
        "/konsol/admin/kategori/PASAR/aktif", data={"csrf": csrf, "versi": "1"}
    )
    assert off.status_code == 303
    stale = await browser.post(
        "/konsol/admin/kategori/PASAR/aktif", data={"csrf": csrf, "versi": "1", "aktif": "1"}
    )
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    async with app.state.db.session() as session:
        row = await session.get(Category, "PASAR")
        assert (row.active, row.keywords, row.version) == (False, "pasar;los;retribusi", 2)
    opds = await browser.get("/konsol/admin/opd")
    assert opds.status_code == 200 and "Inspektorat Daerah" in opds.text
