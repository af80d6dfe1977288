"""The ops board: token login into an HttpOnly SameSite=Strict cookie, cross-site POSTs refused,
cases by status, clocks, OPDs at risk and the event backlog."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.cases.labels import STATUS_LABELS
from shared.models import utcnow
from shared.models.sla import SlaClock
from tests.reporting.factories import add_cases, make_case


async def seed(db) -> None:  # noqa: ANN001
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

    def clk(case, state, deadline, warning=None):  # noqa: ANN001, ANN202
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


async def login(client, token: str, **headers):  # noqa: ANN001, ANN201
    return await client.post("/admin/board/login", data={"token": token}, headers=headers)


async def test_without_cookie_the_board_asks_for_a_token(client) -> None:  # noqa: ANN001
    response = await client.get("/admin/board")
    assert response.status_code == 200
    assert '<form method="post" action="/admin/board/login"' in response.text


async def test_login_sets_a_strict_httponly_cookie(client, make_token) -> None:  # noqa: ANN001
    response = await login(client, await make_token("admin_instansi"))
    assert response.status_code == 303 and response.headers["location"] == "/admin/board"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin/board" in cookie


async def test_bad_or_unfit_tokens_are_refused(client, make_token) -> None:  # noqa: ANN001
    assert (await login(client, "smpo_nope")).status_code == 401
    assert (await login(client, await make_token("apip"))).status_code == 401


async def test_cross_site_login_is_refused(client, make_token) -> None:  # noqa: ANN001
    response = await login(
        client, await make_token("admin_instansi"), origin="https://evil.example"
    )
    assert response.status_code == 403
    same = await login(client, await make_token("admin_instansi"), origin="http://testserver")
    assert same.status_code == 303


async def test_board_shows_cases_clocks_and_opds_at_risk(client, make_token, db) -> None:  # noqa: ANN001
    await seed(db)
    await login(client, await make_token("admin_instansi", name="Admin Tabanan"))
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


async def test_opd_board_shows_only_its_own(client, make_token, db) -> None:  # noqa: ANN001
    await seed(db)
    await login(client, await make_token("opd", opd="DINKES"))
    html = (await client.get("/admin/board")).text
    assert "DINKES" in html and '<th scope="row">PUPR</th>' not in html
    assert "Antrian sinkronisasi" not in html


async def test_logout_clears_the_cookie(client, make_token) -> None:  # noqa: ANN001
    await login(client, await make_token("viewer"))
    await client.post("/admin/board/logout")
    assert (
        '<form method="post" action="/admin/board/login"' in (await client.get("/admin/board")).text
    )


@pytest.mark.browser
async def test_log_in_and_see_the_board_in_a_browser(db, make_token, live_server, browser) -> None:  # noqa: ANN001
    await seed(db)
    token = await make_token("admin_instansi", name="Admin Tabanan")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{live_server}/admin/board")
    await page.fill("#token", token)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h2#kasus")
    assert await page.text_content("h1") == "Papan Operasional"
    assert "Admin Tabanan" in await page.content()
    cookies = {c["name"]: c for c in await context.cookies()}
    assert (
        cookies["simpul_board"]["httpOnly"] is True
        and cookies["simpul_board"]["sameSite"] == "Strict"
    )
    assert await page.evaluate("document.cookie") == ""  # JavaScript cannot read the token
    await context.close()
