"""Reading one raw e-mail (``services/intake/email/mime.py``): the text a person wrote, the
thread it belongs to, its files, and whether a machine wrote it."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from services.intake.email import mime


def raw(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Made <Made@Contoh.ID>")
    message["Subject"] = headers.pop("Subject", "Jalan rusak")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_html_only_mail_is_read_as_plain_text_without_scripts():
    message = raw()
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Jalan <b>rusak</b> di Kediri.</p>"
        "<script>alert(1)</script><div>Mohon diperbaiki.</div></body></html>",
        subtype="html",
    )
    mail = mime.parse(message.as_bytes())
    assert mail.text == "Jalan rusak di Kediri.\nMohon diperbaiki."
    assert (mail.sender, mail.sender_name) == ("made@contoh.id", "Made")


def test_the_quoted_history_of_a_reply_is_left_out():
    message = raw(In_Reply_To="<simpul.ACDE4679.12@tabanan.example.go.id>")
    message.set_content(
        "Sudah saya foto.\n\nPada Kam, 3 Des 2026 pukul 09.00, Pemkab menulis:\n> Laporan diterima"
    )
    mail = mime.parse(message.as_bytes())
    assert mail.text == "Sudah saya foto."
    assert mail.our_tracking_id == "ACDE4679"


def test_references_are_kept_newest_first_and_a_missing_id_is_named_by_content():
    message = raw(References="<a@x> <b@x>", In_Reply_To="<b@x>")
    message.set_content("Susulan")
    mail = mime.parse(message.as_bytes())
    assert mail.thread == ("<b@x>", "<a@x>")
    assert mail.message_id.startswith("<sha256.")
    assert mime.parse(message.as_bytes()).message_id == mail.message_id


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "junk"}, "Precedence"),
        ({"From": "postmaster@mx.contoh.id"}, "From"),
        ({"X_Autorespond": "1"}, "X-Autorespond"),
    ],
)
def test_machine_written_mail_says_why(headers, reason):
    message = raw(**headers)
    message.set_content("Otomatis")
    assert mime.parse(message.as_bytes()).automatic.startswith(reason)


def test_a_mail_without_a_from_address_cannot_be_read():
    with pytest.raises(mime.MailError):
        mime.parse(b"Subject: x\r\n\r\nisi")
    with pytest.raises(mime.MailError):
        mime.parse(b"   ")
