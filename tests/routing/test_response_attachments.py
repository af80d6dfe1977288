"""Responses carry files (photos, PDFs): checked by content, refused when disguised or too
large, served back only through the caller's readable case, never as a runnable page."""

from __future__ import annotations

import base64

import pytest

from services.routing.cases.attachments import MAX_ATTACHMENT_BYTES, check_file
from shared.errors import TooLarge

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%test\n"


def _file(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "content_base64": base64.b64encode(data).decode()}


async def test_a_response_with_a_photo_is_stored_and_readable_by_the_case_readers(
    disposed, act, auth, client, admin_headers
):
    tid = await disposed("PUPR", copies=["DLH"])
    opd = await auth("opd", "PUPR")
    r = await act(
        opd,
        tid,
        "respond",
        {
            "message": "Sudah diperbaiki",
            "final": True,
            "attachments": [_file("jalan.png", PNG)],
        },  # fmt: skip
    )
    assert r.status_code == 200, r.text
    detail = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()
    (attachment,) = detail["attachments"]
    assert attachment["content_type"] == "image/png" and attachment["filename"] == "jalan.png"
    url = f"/admin/cases/{tid}/attachments/{attachment['id']}"
    got = await client.get(url, headers=opd)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert (await client.get(url, headers=await auth("opd", "DLH"))).status_code == 200  # copy
    assert (await client.get(url, headers=await auth("opd", "DINKES"))).status_code == 404


async def test_disguised_or_oversized_files_are_refused_and_nothing_changes(
    disposed, act, auth, client, admin_headers
):
    tid = await disposed("PUPR")
    opd = await auth("opd", "PUPR")
    r = await act(opd, tid, "respond", {"message": "x", "attachments": [_file("surat.pdf", PNG)]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "attachment_type_mismatch"
    r = await act(opd, tid, "respond", {"message": "x", "attachments": [_file("a.jpg", b"MZ\x90")]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_attachment"
    big = PDF + b"0" * MAX_ATTACHMENT_BYTES
    r = await act(opd, tid, "respond", {"message": "x", "attachments": [_file("b.pdf", big)]})
    assert r.status_code == 413  # the body limit or the file limit, whichever is first
    with pytest.raises(TooLarge):
        check_file(big, "b.pdf", field="attachments.0")
    detail = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()
    assert detail["status"] == "disposed" and detail["attachments"] == []
    assert [m for m in detail["messages"] if m["kind"] == "reply"] == []
