"""Attachment storage (shared/storage.py): typed by content, server-made names, durable writes."""

from __future__ import annotations

import pytest

from shared.storage import AttachmentStore, display_filename, sniff_content_type, type_for_filename


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"MZ\x90\x00", None),  # Windows executable
        (b"<svg xmlns=", None),  # SVG can carry scripts: refused
        (b"PK\x03\x04", None),  # zip / docx
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_type_is_decided_by_magic_bytes(head, expected):
    assert sniff_content_type(head) == expected


def test_names_claim_types_by_extension_only():
    assert type_for_filename("FOTO.JPEG") == "image/jpeg"
    assert type_for_filename("laporan.pdf") == "application/pdf"
    assert type_for_filename("virus.exe") is None
    assert type_for_filename("noext") is None


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\budi\\foto.jpg", "foto.jpg"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("", "lampiran.png"),
        ("..", "lampiran.png"),
    ],
)
def test_display_filename_is_a_safe_base_name(name, shown):
    assert display_filename(name, "image/png") == shown


def test_display_filename_is_bounded_and_keeps_its_extension():
    shown = display_filename("a" * 500 + ".pdf")
    assert len(shown) == 200 and shown.endswith(".pdf")


async def test_store_is_content_addressed_and_leaves_no_temp_files(tmp_path):
    store = AttachmentStore(tmp_path)
    first = await store.put(b"%PDF-1.4 hello")
    again = await store.put(b"%PDF-1.4 hello")
    assert first == again
    path = store.path_for(first.storage_key)
    assert path.read_bytes() == b"%PDF-1.4 hello"
    assert path.parent.parent == tmp_path / "attachments"
    assert [p.name for p in path.parent.iterdir()] == [first.sha256]


def test_path_for_refuses_anything_but_a_storage_key(tmp_path):
    with pytest.raises(ValueError):
        AttachmentStore(tmp_path).path_for("../../etc/passwd")
