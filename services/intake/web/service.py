"""The web form's rules: what a valid complaint is, and opening its case.

Validation messages are in Bahasa Indonesia and keyed by field, so the form re-renders
with each message next to its field; nothing is stored until every field is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.complaints.repository import insert_attachments
from services.intake.web.uploads import Upload, store_uploads
from shared.auth import Actor
from shared.cases.service import KINDS, NewCase, ReporterInput, create_case
from shared.codes import normalize_code
from shared.lifecycle import Role
from shared.models import Case, CaseMessage, Category, Kecamatan
from shared.phones import InvalidPhoneNumber, normalize_phone
from shared.storage import sniff_content_type

MIN_DESCRIPTION = 15
MAX_DESCRIPTION = 5000
#: (field, max length)
MAX_LENGTHS = {"judul": 200, "desa": 120, "alamat": 300, "nama": 200, "email": 254, "telepon": 40}
KIND_CHOICES = (
    ("", "Biarkan petugas menentukan"),
    ("pengaduan", "Pengaduan"),
    ("aspirasi", "Aspirasi / saran"),
    ("permintaan_informasi", "Permintaan informasi"),
)
FIELDS = (
    "isi",
    "judul",
    "jenis",
    "kategori",
    "kecamatan",
    "desa",
    "alamat",
    "nama",
    "telepon",
    "email",
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
WEB_ACTOR = Actor(type="reporter", id="channel:web", name=None, role=Role.REPORTER)


@dataclass
class ComplaintForm:
    """What the citizen typed (kept to re-render the form)."""

    values: dict[str, str] = field(default_factory=dict)
    anonim: bool = False
    rahasia: bool = False

    def __getattr__(self, name: str) -> str:  # template access: form.isi, form.nama, ...
        if name in FIELDS:
            return self.values.get(name, "")
        raise AttributeError(name)

    @classmethod
    def from_form(cls, data: dict[str, str]) -> ComplaintForm:
        values = {name: (data.get(name) or "").strip() for name in FIELDS}
        for code in ("kategori", "kecamatan"):
            values[code] = normalize_code(values[code]) or ""
        return cls(
            values=values, anonim=data.get("anonim") == "ya", rahasia=data.get("rahasia") == "ya"
        )


async def categories(session: AsyncSession) -> list[Category]:
    stmt = select(Category).where(Category.active.is_(True)).order_by(Category.name)
    return list((await session.scalars(stmt)).all())


async def kecamatans(session: AsyncSession) -> list[Kecamatan]:
    stmt = select(Kecamatan).where(Kecamatan.active.is_(True)).order_by(Kecamatan.name)
    return list((await session.scalars(stmt)).all())


async def validate(session: AsyncSession, form: ComplaintForm) -> dict[str, str]:
    """Field -> message (Bahasa Indonesia); empty when the form is valid."""
    errors: dict[str, str] = {}
    description = form.isi
    if not description:
        errors["isi"] = "Isi laporan wajib diisi."
    elif len(description) < MIN_DESCRIPTION:
        errors["isi"] = f"Isi laporan terlalu pendek: tulis minimal {MIN_DESCRIPTION} karakter."
    elif len(description) > MAX_DESCRIPTION:
        errors["isi"] = f"Isi laporan terlalu panjang: maksimal {MAX_DESCRIPTION} karakter."
    for name, limit in MAX_LENGTHS.items():
        if len(form.values.get(name, "")) > limit and name not in errors:
            errors[name] = f"Isian terlalu panjang: maksimal {limit} karakter."
    if form.jenis and form.jenis not in KINDS:
        errors["jenis"] = "Pilih jenis laporan dari daftar."
    if form.kategori and form.kategori not in {c.code for c in await categories(session)}:
        errors["kategori"] = "Pilih kategori dari daftar."
    if form.kecamatan and form.kecamatan not in {k.code for k in await kecamatans(session)}:
        errors["kecamatan"] = "Pilih kecamatan dari daftar."
    if form.telepon and "telepon" not in errors:
        try:
            normalize_phone(form.telepon)
        except InvalidPhoneNumber:
            errors["telepon"] = "Nomor HP tidak valid. Contoh penulisan: 0812-3456-7890."
    if form.email and "email" not in errors and not _EMAIL.match(form.email):
        errors["email"] = "Alamat email tidak valid. Contoh: nama@contoh.id."
    return errors


async def submit(
    session: AsyncSession, form: ComplaintForm, files: list[Upload] = (), data_dir: str = ""
) -> Case:
    """Open the case of a valid form (``validate`` and ``read_uploads`` first), its files
    stored on disk before the caller's commit. Only flushes."""
    phone = normalize_phone(form.telepon) if form.telepon else None
    rows = await store_uploads(data_dir, list(files)) if files else []
    case = await create_case(
        session,
        NewCase(
            channel="web",
            description=form.isi,
            title=form.judul or None,
            kind=form.jenis or None,
            category_code=form.kategori or None,
            anonymous=form.anonim,
            confidential=form.rahasia,
            kecamatan_code=form.kecamatan or None,
            desa=form.desa or None,
            address=form.alamat or None,
            reporter=ReporterInput(
                channel="web",
                name=form.nama or None,
                phone=phone,
                phone_raw=form.telepon or None,
                email=form.email or None,
            ),
            event_data={"via": "web", "attachments": len(rows)} if rows else {"via": "web"},
        ),
        WEB_ACTOR,
    )
    if rows:
        await insert_attachments(session, [{**row, "case_id": case.id} for row in rows])
    return case


def logo(configured: str, demo: Path) -> tuple[bytes, str]:
    """The logo's bytes and type: the configured file when it is an image (PNG, JPEG, WebP,
    GIF by its bytes, or an SVG document), else the demo logo."""
    if configured:
        try:
            data = Path(configured).read_bytes()
        except OSError:
            data = b""
        kind = sniff_content_type(data)
        if kind and kind.startswith("image/"):
            return data, kind
        if b"<svg" in data[:2048]:
            return data, "image/svg+xml"
    return demo.read_bytes(), "image/svg+xml"


async def public_answers(session: AsyncSession, case: Case) -> list[CaseMessage]:
    """The OPD's answers to the reporter (replies, not internal notes), oldest first. Their
    text only is shown: the page never names the officer who wrote them."""
    stmt = (
        select(CaseMessage)
        .where(CaseMessage.case_id == case.id, CaseMessage.kind == "reply")
        .order_by(CaseMessage.created_at, CaseMessage.id)
    )
    return list((await session.scalars(stmt)).all())
