"""An anonymous reporter's identity reaches no console page of anyone but Admin Instansi:
not the OPD handling the case, not the OPD holding a copy, not APIP, not leadership, not
the operator — on the landing page, the worklists, the search, the case page and the
reports. The pages never receive it (``case_summary``, ``case_detail``), so no template
can show it."""

from __future__ import annotations

import pytest

from tests.routing.conftest import PHONE, assert_no_identity

from .work_helpers import open_sms_case

ROLES = (
    ("budi", "opd", "PUPR"),  # the OPD the case is disposed to
    ("dina", "opd", "DISHUB"),  # the OPD holding the copy (tembusan)
    ("iwan", "apip", None),
    ("pimpinan", "viewer", None),
    ("oki", "operator", None),
)


@pytest.fixture
async def anonymous_cases(app, client, admin_headers, drain) -> tuple[str, str]:
    """One anonymous case disposed to PUPR with a copy to DISHUB, one referred to APIP."""
    disposed = await open_sms_case(app, category_code="JALAN", anonymous=True)
    referred = await open_sms_case(app, anonymous=True, description="Pungutan liar di kantor desa")
    steps = (
        (disposed, "verify", {"anonymous": True}),
        (disposed, "dispose", {"opd": "PUPR", "copies": ["DISHUB"]}),
        (disposed, "respond", {"message": "Sedang kami periksa di lapangan."}),
        (referred, "verify", {"anonymous": True}),
        (referred, "refer-apip", {}),
    )
    for tid, action, body in steps:
        answer = await client.post(f"/admin/cases/{tid}/{action}", json=body, headers=admin_headers)
        assert answer.status_code == 200, answer.text
    await drain()
    return disposed, referred


async def test_no_page_of_another_role_shows_an_anonymous_reporter(
    app, browser, make_staff, log_in, anonymous_cases
):
    disposed, referred = anonymous_cases
    pages = [
        "/konsol/",
        "/konsol/cari",
        "/konsol/cari?q=jalan",
        f"/konsol/cari?q={disposed}",
        f"/konsol/kasus/{disposed}",
        f"/konsol/kasus/{referred}",
        "/konsol/kotak-masuk",
        "/konsol/rujukan",
        "/konsol/laporan",
        "/konsol/laporan/peringkat",
        "/konsol/laporan/evaluasi",
        "/admin/board",
    ]
    seen = 0
    for username, role, opd in ROLES:
        await log_in(await make_staff(username, role=role, opd=opd, with_totp=True))
        for path in pages:
            answer = await browser.get(path)
            assert answer.status_code < 500, (role, path)
            assert_no_identity(answer.text)
            seen += answer.status_code == 200 and (
                disposed in answer.text or referred in answer.text
            )
        # a search by the phone number finds nothing for them (Admin Instansi only)
        found = await browser.get("/konsol/cari", params={"q": "081234567890"})
        assert disposed not in found.text and referred not in found.text
        browser.cookies.clear()
    assert seen >= len(ROLES)  # the cases were on their pages, only the identity was not


async def test_admin_instansi_sees_the_anonymous_reporter_and_finds_them_by_phone(
    app, browser, make_staff, log_in, anonymous_cases
):
    disposed, _ = anonymous_cases
    await log_in(await make_staff("rina", role="admin_instansi", opd=None, with_totp=True))
    page = await browser.get(f"/konsol/kasus/{disposed}")
    assert PHONE in page.text and "jangan teruskan identitas ini" in page.text
    found = await browser.get("/konsol/cari", params={"q": "081234567890"})
    assert disposed in found.text
