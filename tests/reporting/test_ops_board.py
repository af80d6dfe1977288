"""The ops board: read through the console's server-side session (no token in a cookie),
cases by status, clocks, OPDs at risk and the event backlog."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.cases.labels import STATUS_LABELS
from shared.models import utcnow
from shared.models.sla import SlaClock
from shared.models.sync import LaporMirror
from shared.pages import local_time
from tests.reporting.factories import add_cases, make_case


async def seed(db) -> None:
    now = utcnow()
    cases = await add_cases(
        db,
        [
            make_case(now - dt.timedelta(days=9), opd="PUPR", status="disposed"),
            make_case(now - dt.timedelta(days=2), opd="PUPR", status="in_progress"),
            make_case(now - dt.timedelta(days=1), opd="DINKES", status="disposed"),
            make_case(now - dt.timedelta(hours=1), status="received"),
        ],
    )

    def clk(case, state, deadline, warning=None):
        return SlaClock(
            case_id=case.id,
            kind="resolution",
            opd_code=case.opd_code,
            working_days=5,
            started_at=case.received_at,
            deadline_at=deadline,
            warning_at=warning,
            state=state,
            breached_at=deadline if state == "breached" else None,
        )

    await add_cases(
        db,
        [
            clk(cases[0], "breached", now - dt.timedelta(days=1)),
            clk(
                cases[1], "running", now + dt.timedelta(days=1), warning=now - dt.timedelta(hours=2)
            ),
            clk(cases[2], "running", now + dt.timedelta(days=6)),
        ],
    )


async def login(client, staff_cookie, role: str, **kwargs) -> None:
    client.cookies.update(await staff_cookie(role, **kwargs))


async def test_without_a_session_the_board_sends_to_the_console_login(client) -> None:
    response = await client.get("/admin/board")
    assert response.status_code == 303
    assert response.headers["location"] == "/konsol/masuk?lanjut=/admin/board"


async def test_an_old_board_token_cookie_or_a_bearer_token_opens_nothing(
    client, make_token
) -> None:
    token = await make_token("admin_instansi")
    client.cookies.set("simpul_board", token)
    response = await client.get("/admin/board", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 303
    assert (await client.post("/admin/board/login", data={"token": token})).status_code in (
        404,
        405,
    )


async def test_roles_without_a_board_are_refused(client, staff_cookie) -> None:
    await login(client, staff_cookie, "apip")
    assert (await client.get("/admin/board")).status_code == 403


async def test_board_shows_cases_clocks_and_opds_at_risk(client, staff_cookie, db) -> None:
    await seed(db)
    await login(client, staff_cookie, "admin_instansi", name="Admin Tabanan")
    html = (await client.get("/admin/board")).text
    assert "Admin Tabanan" in html
    assert f'<th scope="row">{STATUS_LABELS["disposed"]}</th><td class="n">2</td>' in html
    # PUPR: 1 running (past its warning, due within 3 days), 1 breached
    assert (
        '<th scope="row">PUPR</th><td class="n">1</td><td class="n">1</td><td class="n">1</td><td class="n buruk">1</td>'
        in html
    )
    assert (
        '<th scope="row">DINKES</th><td class="n">1</td><td class="n">0</td><td class="n">0</td><td class="n">0</td>'
        in html
    )
    assert "Antrian sinkronisasi" in html


async def test_board_speaks_indonesian_in_the_pemdas_time(client, staff_cookie, db, settings):
    """Clock kinds and states, the role and the workers in words; every time in WIB."""
    await seed(db)
    since = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)  # 10.00 WIB
    (case,) = await add_cases(db, [make_case(utcnow(), status="received", title="Banjir")])
    await add_cases(db, [LaporMirror(case_id=case.id, state="to_confirm", updated_at=since)])
    await login(client, staff_cookie, "admin_instansi", name="Wayan")
    html = (await client.get("/admin/board")).text
    for words in ("Batas penyelesaian", "Berjalan", "Terlambat", "(Admin Instansi)", "Jam SLA"):
        assert words in html
    assert local_time(since, settings.tz) == "20 Maret 2026, 10.00 WIB"
    assert "<td>20 Maret 2026, 10.00 WIB</td>" in html
    assert "WIB</p>" in html  # the board's own "as of" time
    for raw in ("UTC", "admin_instansi", ">running<", ">breached<", ">resolution<", ">sync<"):
        assert raw not in html


async def test_board_sends_the_security_headers(client, staff_cookie) -> None:
    """Never framed, no script, styles from this server only — also on the refusal."""
    for role, status in (("viewer", 200), ("apip", 403)):
        client.cookies.clear()
        await login(client, staff_cookie, role)
        response = await client.get("/admin/board")
        assert response.status_code == status
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "style-src 'self'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        if status == 200:
            assert "<style" not in response.text and 'href="/statistik/gaya.css"' in response.text
    css = await client.get("/statistik/gaya.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_opd_board_shows_only_its_own(client, staff_cookie, db) -> None:
    await seed(db)
    await login(client, staff_cookie, "opd", opd="DINKES")
    html = (await client.get("/admin/board")).text
    assert "DINKES" in html and '<th scope="row">PUPR</th>' not in html
    assert "Antrian sinkronisasi" not in html


async def test_logging_out_in_the_console_closes_the_board(client, staff_cookie) -> None:
    await login(client, staff_cookie, "viewer")
    board = await client.get("/admin/board")
    assert board.status_code == 200
    csrf = board.text.split('name="csrf" value="')[1].split('"')[0]
    assert (await client.post("/konsol/keluar", data={"csrf": csrf})).status_code == 303
    assert (await client.get("/admin/board")).status_code == 303


@pytest.fixture
def settings(settings):
    """The browser reaches the live server over plain http: no ``Secure`` cookies here."""
    return settings.model_copy(update={"public_base_url": "http://127.0.0.1"})


@pytest.mark.browser
async def test_log_in_and_see_the_board_in_a_browser(db, app, live_server, browser) -> None:
    from shared.identity import passwords, users

    await seed(db)
    async with db.session() as session:
        user, _ = await users.create_user(
            session, username="pimpinan", full_name="Pimpinan Tabanan", role="viewer"
        )
        user.password_hash = await passwords.hash_password("kuda-lari-di-sawah-hijau")
        user.password_temporary = False
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/board")
    await page.fill("#username", "pimpinan")
    await page.fill("#password", "kuda-lari-di-sawah-hijau")
    await page.click("button[type=submit]")
    await page.wait_for_selector("h2#kasus")
    assert await page.text_content("h1") == "Papan Operasional"
    assert "Pimpinan Tabanan" in await page.content()
    cookies = {c["name"]: c for c in await context.cookies()}
    assert "simpul_board" not in cookies
    assert (
        cookies["simpul_sesi"]["httpOnly"] is True and cookies["simpul_sesi"]["sameSite"] == "Lax"
    )
    assert await page.evaluate("document.cookie") == ""  # JavaScript cannot read the session
    await context.close()
