"""The web form takes up to 5 photos or PDFs (multipart, no JavaScript), with the REST
API's limits and checks: typed by their bytes, at most 5 MiB each, stored content-addressed
before the redirect; a refusal says why in Bahasa Indonesia and keeps what was typed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from services.intake.complaints.schemas import MAX_ATTACHMENT_BYTES
from services.intake.web import endpoints as web
from shared.models import Attachment, Case
from shared.storage import AttachmentStore
from tests.intake.test_web import DESCRIPTION, audit, complaint, count, open_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


async def attachments(db) -> list[Attachment]:
    async with db.session() as session:
        stmt = select(Attachment).order_by(Attachment.id)
        return list((await session.scalars(stmt)).all())


async def test_the_form_accepts_photos_and_pdfs_as_evidence(client, db, settings):
    form = audit((await client.get("/lapor")).text)
    [picker] = [c for c in form.controls if c.get("name") == "lampiran"]
    assert picker["type"] == "file" and "multiple" in picker and picker["id"] in form.label_for
    token = await open_form(client)
    posted = await client.post(
        "/lapor",
        data=complaint(token),
        files=[
            ("lampiran", ("../../etc/foto jalan.jpg", PNG, "image/jpeg")),  # the name lies
            ("lampiran", ("surat.pdf", PDF, "application/pdf")),
        ],
    )
    assert posted.status_code == 303, posted.text
    tracking_id = posted.headers["location"].split("/")[2].split("?")[0]
    photo, letter = await attachments(db)
    async with db.session() as session:
        case = (await session.scalars(select(Case))).one()
    assert case.tracking_id == tracking_id
    assert (photo.case_id, photo.content_type, photo.filename) == (
        case.id,
        "image/png",
        "foto jalan.jpg",
    )
    assert letter.content_type == "application/pdf" and letter.size_bytes == len(PDF)
    stored = AttachmentStore(settings.data_dir).path_for(photo.storage_key)
    assert await asyncio.to_thread(Path(stored).read_bytes) == PNG and photo.storage_key.endswith(
        photo.sha256
    )


async def test_an_empty_file_input_is_no_attachment(client, db):
    token = await open_form(client)
    posted = await client.post(
        "/lapor", data=complaint(token), files=[("lampiran", ("", b"", "application/octet-stream"))]
    )
    assert posted.status_code == 303
    assert await attachments(db) == []


async def refused(client, db, files) -> str:
    token = await open_form(client)
    posted = await client.post("/lapor", data=complaint(token, judul="Lampu mati"), files=files)
    assert posted.status_code == 422, posted.text
    assert await count(db, Case) == 0 and await attachments(db) == []
    assert DESCRIPTION in posted.text and 'value="Lampu mati"' in posted.text  # kept
    assert "Pilih kembali berkas Anda" in posted.text
    return posted.text


async def test_a_file_of_another_type_is_refused_by_its_bytes(client, db):
    page = await refused(client, db, [("lampiran", ("foto.jpg", b"MZ\x90\x00 exe", "image/jpeg"))])
    assert "hanya foto (JPEG, PNG, WebP, GIF) atau PDF" in page


async def test_a_file_over_the_limit_is_refused(client, db):
    big = PNG + b"\x00" * MAX_ATTACHMENT_BYTES
    page = await refused(client, db, [("lampiran", ("besar.png", big, "image/png"))])
    assert "terlalu besar: maksimal 5 MB" in page


async def test_more_than_five_files_are_refused(client, db):
    files = [("lampiran", (f"f{i}.png", PNG, "image/png")) for i in range(6)]
    page = await refused(client, db, files)
    assert "maksimal 5 berkas" in page


async def test_uploads_still_need_the_csrf_token(client, db):
    await open_form(client)
    posted = await client.post(
        "/lapor",
        data=complaint("bukan-token"),
        files=[("lampiran", ("foto.png", PNG, "image/png"))],
    )
    assert posted.status_code == 403
    assert await count(db, Case) == 0 and await attachments(db) == []
    assert web.CSRF_COOKIE in client.cookies
