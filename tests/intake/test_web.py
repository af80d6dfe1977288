"""Citizen web pages (CONTRACT.md, "Web"): the complaint form and the tracking page.

Bahasa Indonesia, no JavaScript needed, every field labelled, CSRF-protected, rate-limited;
the tracking page never shows personal data and a rahasia case shows its status alone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import func, select

from services.intake.web import endpoints as web
from shared.models import Case, Reporter

NAME = "Ni Luh Putu Sariasih"
PHONE = "0812-3456-7890"
EMAIL = "luh.sari@contoh.id"
DESCRIPTION = "Lampu penerangan jalan di Jl. Gajah Mada mati sejak seminggu, rawan kecelakaan."


class FormAudit(HTMLParser):
    """Collects the form controls and labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **a})
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag == "select":
            self._select = a.get("name")
            self.options[self._select] = []
        if tag == "option" and self._select:
            self.options[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    return parser


async def count(db, model) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def open_form(client) -> str:
    page = await client.get("/lapor")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.cookies.get(web.CSRF_COOKIE) == token
    return token


def complaint(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "isi": DESCRIPTION,
        "judul": "Lampu jalan mati",
        "jenis": "pengaduan",
        "kategori": "",
        "kecamatan": "",
        "desa": "Dauh Peken",
        "alamat": "Jl. Gajah Mada depan pasar",
        "nama": NAME,
        "telepon": PHONE,
        "email": EMAIL,
    }
    data.update(overrides)
    return data


async def test_form_is_in_bahasa_indonesia_with_every_field_labelled(client, db):
    page = await client.get("/lapor")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    form = audit(page.text)
    assert form.html_lang == "id"
    visible = [c for c in form.controls if c.get("type") != "hidden"]
    assert {c["name"] for c in visible} >= {
        "isi",
        "kategori",
        "kecamatan",
        "nama",
        "telepon",
        "anonim",
        "rahasia",
    }
    assert all(c["id"] in form.label_for for c in visible), "every control has a <label for=...>"
    async with db.session() as session:
        from shared.models import Category, Kecamatan

        category_codes = set((await session.scalars(select(Category.code))).all())
        kecamatan_codes = set((await session.scalars(select(Kecamatan.code))).all())
    assert set(form.options["kategori"]) == category_codes | {""}
    assert set(form.options["kecamatan"]) == kecamatan_codes | {""}
    assert "Anonim" in page.text and "Rahasia" in page.text
    assert "<script" not in page.text  # works without JavaScript
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_submitting_the_form_redirects_to_the_tracking_page_without_personal_data(client, db):
    token = await open_form(client)
    answer = await client.post(
        "/lapor", data=complaint(token, kategori="ADMINDUK", kecamatan="TABANAN")
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/lacak/[A-Z0-9]{8}\?baru=1", location)
    async with db.session() as session:
        case = (await session.scalars(select(Case))).one()
        reporter = await session.get(Reporter, case.id)
    assert (
        case.channel == "web"
        and case.category_code == "ADMINDUK"
        and case.kecamatan_code == "TABANAN"
    )
    assert reporter.name == NAME and reporter.phone == "+6281234567890" and reporter.email == EMAIL

    page = await client.get(location)
    assert page.status_code == 200
    assert "Laporan Anda sudah kami terima" in page.text
    assert case.tracking_id in page.text
    for personal in (NAME, "3456", EMAIL, DESCRIPTION, "Gajah Mada"):
        assert personal not in page.text
    assert "Diterima, menunggu verifikasi" in page.text and "Laporan diterima" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_post_without_a_valid_csrf_token_is_refused_with_a_friendly_page(client, db):
    missing = await client.post("/lapor", data=complaint(""))
    assert missing.status_code == 403
    assert "Formulir tidak dapat diproses" in missing.text and '<html lang="id"' in missing.text
    await open_form(client)
    forged = await client.post("/lapor", data=complaint("forged-token"))
    assert forged.status_code == 403
    assert await count(db, Case) == 0


async def test_invalid_form_re_renders_with_messages_and_stores_nothing(client, db):
    token = await open_form(client)
    answer = await client.post(
        "/lapor",
        data=complaint(token, isi="<b>x</b>", telepon="12ab", email="bukan-email", kategori="NOPE"),
    )
    assert answer.status_code == 422
    assert "Ada yang perlu diperbaiki" in answer.text
    assert "Isi laporan terlalu pendek" in answer.text
    assert "Nomor HP tidak valid" in answer.text
    assert "Alamat email tidak valid" in answer.text
    assert "Pilih kategori dari daftar" in answer.text
    assert "&lt;b&gt;x&lt;/b&gt;" in answer.text and "<b>x</b>" not in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert await count(db, Case) == 0
    empty = await client.post("/lapor", data=complaint(token, isi=""))
    assert empty.status_code == 422 and "Isi laporan wajib diisi" in empty.text


async def test_form_posts_are_rate_limited_per_client(client, db, monkeypatch):
    monkeypatch.setattr(web, "WEB_FORM_PER_MIN", 2)
    token = await open_form(client)
    codes = [
        (await client.post("/lapor", data=complaint(token, isi=""))).status_code for _ in range(3)
    ]
    assert codes == [422, 422, 429]
    limited = await client.post("/lapor", data=complaint(token))
    assert limited.status_code == 429 and "Terlalu banyak laporan" in limited.text
    assert int(limited.headers["retry-after"]) >= 1
    assert await count(db, Case) == 0


async def test_tracking_lookup_redirects_and_unknown_ids_get_a_friendly_404(client):
    token = await open_form(client)
    tracking_id = (
        (await client.post("/lapor", data=complaint(token))).headers["location"].split("/")[2][:8]
    )

    form = await client.get("/lacak")
    assert form.status_code == 200 and 'for="id"' in form.text
    found = await client.get("/lacak", params={"id": f" #{tracking_id.lower()} "})
    assert found.status_code == 303 and found.headers["location"] == f"/lacak/{tracking_id}"
    bad = await client.get("/lacak", params={"id": "???"})
    assert bad.status_code == 400 and "Nomor laporan tidak valid" in bad.text
    missing = await client.get("/lacak/ACDEFGHJ")
    assert missing.status_code == 404 and "Laporan tidak ditemukan" in missing.text
    assert missing.headers["content-type"].startswith("text/html")


async def test_a_rahasia_case_shows_its_status_alone(client):
    token = await open_form(client)
    answer = await client.post(
        "/lapor", data=complaint(token, rahasia="ya", anonim="ya", kategori="ADMINDUK")
    )
    page = await client.get(answer.headers["location"].split("?")[0])
    assert page.status_code == 200
    assert "Diterima, menunggu verifikasi" in page.text
    assert "hanya statusnya yang ditampilkan" in page.text
    assert "Riwayat penanganan" not in page.text and "Kategori" not in page.text


async def test_text_size_control_works_without_javascript(client):
    large = await client.get("/lapor", params={"ukuran": "besar"})
    assert 'class="teks-besar"' in large.text
    assert client.cookies.get("ukuran") == "besar"
    again = await client.get("/lacak")
    assert 'class="teks-besar"' in again.text
    assert 'href="/lacak?ukuran=normal"' in again.text
    normal = await client.get("/lacak", params={"ukuran": "normal"})
    assert 'class="teks-normal"' in normal.text


async def test_stylesheet_is_served_locally(client):
    css = await client.get("/static/web/simpul.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text
