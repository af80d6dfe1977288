"""``/konsol/operasi``: the operator's pages over the ops API's functions — the workers'
queues, dead letters and their replay, the webhook quarantine (read only), "perlu
konfirmasi" with its 409s in plain words; the API's roles; CSRF."""

from __future__ import annotations

from sqlalchemy import select, update

from shared.models import Event
from shared.models.channels import QuarantinedDelivery
from shared.models.events import EventDelivery
from shared.models.sync import LaporMirror
from tests.factories import open_case

from .conftest import csrf_of


async def _as(browser, staff_cookie, role: str = "operator", opd: str | None = None) -> None:
    browser.cookies.clear()
    browser.cookies.update(await staff_cookie(role, opd=opd))


async def dead_letter(app, error: str = "SP4N-LAPOR! refused create: 400") -> int:
    """A case whose sync delivery was parked after too many failures; its id."""
    case = await open_case(app.state.db, title="Lampu jalan padam")
    async with app.state.db.session() as session:
        delivery_id = await session.scalar(
            select(EventDelivery.id).where(
                EventDelivery.case_id == case.id, EventDelivery.consumer == "sync"
            )
        )
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.id == delivery_id)
            .values(status="dead", attempts=8, last_error=error)
        )
    return delivery_id


async def _status(app, delivery_id: int) -> str:
    async with app.state.db.session() as session:
        return (await session.get(EventDelivery, delivery_id)).status


async def test_operator_sees_the_mirror_and_every_workers_queue(app, browser, staff_cookie):
    await dead_letter(app)
    await _as(browser, staff_cookie)
    page = await browser.get("/konsol/operasi")
    assert page.status_code == 200, page.text
    for words in ("Kesehatan pekerja", "Sinkronisasi SP4N-LAPOR!", "Jam SLA",
                  "ada kiriman gagal", "Jeda sinkronisasi"):  # fmt: skip
        assert words in page.text, words
    paused = await browser.post("/konsol/operasi/jeda", data={"csrf": csrf_of(page.text)})
    assert paused.status_code == 303
    page = await browser.get(paused.headers["location"])
    assert "Dijeda" in page.text and "Lanjutkan sinkronisasi" in page.text


async def test_operator_replays_a_dead_letter_once(app, browser, staff_cookie):
    delivery_id = await dead_letter(app)
    await _as(browser, staff_cookie)
    page = await browser.get("/konsol/operasi/surat-mati")
    assert "SP4N-LAPOR! refused create: 400" in page.text and "case.received" in page.text
    csrf = csrf_of(page.text)
    url = f"/konsol/operasi/surat-mati/{delivery_id}/kirim-ulang"
    forged = await browser.post(url, data={"csrf": "palsu"})
    assert forged.status_code == 403 and await _status(app, delivery_id) == "dead"
    replayed = await browser.post(url, data={"csrf": csrf, "antrean": "sync"})
    assert replayed.status_code == 303
    assert await _status(app, delivery_id) == "pending"
    after = await browser.get(replayed.headers["location"])
    assert "masuk lagi ke antrean" in after.text and "refused create" not in after.text
    again = await browser.post(url, data={"csrf": csrf})
    assert again.status_code == 404 and "tidak ada lagi" in again.text
    async with app.state.db.session() as session:
        audited = await session.scalar(
            select(Event).where(Event.type == "lapor.dead_letters_replayed")
        )
    assert audited.data["delivery_id"] == delivery_id


async def test_readers_see_but_cannot_replay_and_others_are_refused(app, browser, staff_cookie):
    delivery_id = await dead_letter(app)
    await _as(browser, staff_cookie, "viewer")
    page = await browser.get("/konsol/operasi/surat-mati")
    assert page.status_code == 200 and "Kirim ulang" not in page.text
    refused = await browser.post(
        f"/konsol/operasi/surat-mati/{delivery_id}/kirim-ulang", data={"csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 403 and await _status(app, delivery_id) == "dead"
    assert (await browser.get("/konsol/operasi/karantina")).status_code == 403
    for role, opd in (("opd", "PUPR"), ("apip", None)):
        await _as(browser, staff_cookie, role, opd)
        for path in ("/konsol/operasi", "/konsol/operasi/surat-mati", "/konsol/operasi/konfirmasi"):
            assert (await browser.get(path)).status_code == 403, (role, path)


async def test_quarantine_is_shown_redacted(app, browser, staff_cookie):
    async with app.state.db.session() as session:
        session.add(QuarantinedDelivery(
            channel="sms_gateway", reason="bad_signature", path="/webhooks/sms-gateway",
            body=b'{"from": "+6281234567890", "text": "jalan rusak"}', body_size=48,
        ))  # fmt: skip
    await _as(browser, staff_cookie, "admin_instansi")
    page = await browser.get("/konsol/operasi/karantina")
    assert page.status_code == 200 and "bad_signature" in page.text
    assert "6281234567890" not in page.text


async def test_perlu_konfirmasi_is_settled_and_conflicts_are_said_plainly(
    app, browser, staff_cookie
):
    waiting = await open_case(app.state.db, title="Air PDAM keruh")
    linked = await open_case(app.state.db, title="Sudah tersinkron")
    async with app.state.db.session() as session:
        session.add(LaporMirror(case_id=waiting.id, state="to_confirm"))
        session.add(LaporMirror(case_id=linked.id, state="created", lapor_complaint_id=4242))
    await _as(browser, staff_cookie)
    page = await browser.get("/konsol/operasi/konfirmasi")
    assert page.status_code == 200 and waiting.tracking_id in page.text
    assert f"#simpul-{waiting.tracking_id}" in page.text  # what to look up nationally
    csrf = csrf_of(page.text)
    url = f"/konsol/operasi/konfirmasi/{waiting.tracking_id}"
    no_number = await browser.post(url, data={"csrf": csrf, "hasil": "created", "nomor": ""})
    assert no_number.status_code == 422 and "Isi nomor laporan" in no_number.text, no_number.text[
        -3000:
    ]
    taken = await browser.post(url, data={"csrf": csrf, "hasil": "created", "nomor": "4242"})
    assert taken.status_code == 409 and "sudah tertaut ke laporan lain" in taken.text
    assert 'value="4242"' in taken.text  # what was typed stays
    word = await browser.post(url, data={"csrf": csrf, "hasil": "created", "nomor": "empat"})
    assert word.status_code == 422 and "harus berupa angka" in word.text
    resend = await browser.post(url, data={"csrf": csrf, "hasil": "not_created"})
    assert resend.status_code == 303
    async with app.state.db.session() as session:
        assert (await session.get(LaporMirror, waiting.id)).state == "pending"
    again = await browser.post(url, data={"csrf": csrf, "hasil": "not_created"})
    assert again.status_code == 409 and "tidak lagi menunggu konfirmasi" in again.text
    missing = await browser.post(
        "/konsol/operasi/konfirmasi/TIDAKADA", data={"csrf": csrf, "hasil": "not_created"}
    )
    assert missing.status_code == 404
