"""The reporter reads the answer: ``/lacak/{id}`` shows the OPD's public answers of a case
that is not rahasia (text only: never internal notes or staff names); the rating link's
page shows them for any case. Citizen pages carry the pemda's name and logo."""

from __future__ import annotations

from services.intake.web import rating
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.models import CaseMessage, utcnow

ANSWER = "Lampu sudah diganti oleh petugas PJU pada Senin pagi."
NOTE = "Catatan internal: vendor lampu terlambat."
OFFICER = "I Made Petugas Rahasia"


async def answered_case(db, *, confidential: bool = False) -> str:
    async with db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel="web",
                description="Lampu penerangan jalan mati sejak seminggu.",
                confidential=confidential,
                reporter=ReporterInput(channel="web"),  # left no contact at all
            ),
            SYSTEM,
        )
        case.status = "resolved"
        case.resolved_at = utcnow()
        for kind, body in (("reply", ANSWER), ("internal_note", NOTE)):
            session.add(
                CaseMessage(
                    case_id=case.id, kind=kind, body=body, author_type="ops",
                    author_id="token:9", author_name=OFFICER, final=kind == "reply",
                )
            )  # fmt: skip
        return case.tracking_id


async def test_a_web_reporter_reads_the_answer_on_lacak(client, db):
    tracking_id = await answered_case(db)
    page = await client.get(f"/lacak/{tracking_id}")
    assert page.status_code == 200
    assert "Tanggapan perangkat daerah" in page.text and ANSWER in page.text
    assert NOTE not in page.text and OFFICER not in page.text


async def test_a_rahasia_case_shows_no_answer_on_lacak_but_on_the_rating_page(client, db, settings):
    tracking_id = await answered_case(db, confidential=True)
    page = await client.get(f"/lacak/{tracking_id}")
    assert ANSWER not in page.text and NOTE not in page.text
    token = rating.rating_token(settings, tracking_id)
    holder = await client.get(f"/lacak/{tracking_id}/nilai", params={"t": token})
    assert holder.status_code == 200 and ANSWER in holder.text
    assert NOTE not in holder.text and OFFICER not in holder.text
    stranger = await client.get(f"/lacak/{tracking_id}/nilai", params={"t": "0" * 64})
    assert stranger.status_code == 403 and ANSWER not in stranger.text


async def test_citizen_pages_carry_the_pemdas_name_and_logo(app, client, tmp_path):
    app.state.settings = app.state.settings.model_copy(
        update={"pemda_name": "Pemerintah Kota Contoh"}
    )
    page = await client.get("/lapor")
    assert "Pemerintah Kota Contoh" in page.text and 'src="/static/web/logo"' in page.text
    demo = await client.get("/static/web/logo")
    assert demo.status_code == 200 and demo.headers["content-type"] == "image/svg+xml"
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    app.state.settings = app.state.settings.model_copy(update={"pemda_logo": str(png)})
    own = await client.get("/static/web/logo")
    assert own.headers["content-type"] == "image/png" and own.content == png.read_bytes()
