"""``simpul lapor import FILE``: a national export (CSV/XLSX) links what waits in "perlu
konfirmasi", flags what differs, opens forwarded cases where the API can read them, and
creates nothing twice; a dry run only reads."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from services.sync.national_export.reading import ExportError, read_export
from services.sync.national_export.service import reconcile_export
from shared.models import Case
from tests.sync.test_mirror_support import (
    OPERATOR,
    by_tag,
    open_case,
    settle,
    sync_consumer,
    unconfirmed_count,
)


def csv_export(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = ["Tracking ID;Judul;Instansi;Jawaban;Keterangan"]
    lines += [";".join(row) for row in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def test_csv_and_xlsx_exports_are_read_by_their_column_names():
    rows = read_export(
        "ekspor.csv", csv_export([("#4512", "Jalan rusak", "Pemkab", "Sudah", "Selesai")])
    )
    assert [(r.national_id, r.title, r.answer) for r in rows] == [(4512, "Jalan rusak", "Sudah")]
    book = Workbook()
    sheet = book.active
    sheet.append(["No", "ID Laporan", "Judul Laporan", "Tindak Lanjut", "Catatan"])
    sheet.append([1, 4513.0, "Banjir", None, "x"])
    sheet.append([2, "tanpa nomor", "?", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_export("ekspor.xlsx", buffer.getvalue())
    assert [(r.national_id, r.title) for r in read] == [(4513, "Banjir"), (None, "?")]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.csv", b"Judul;Instansi\nx;y\n"),
        ("a.pdf", b"%PDF"),
        ("a.xlsx", b"not a zip"),
        ("a.csv", b""),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_with_a_reason(name, content):
    with pytest.raises(ExportError):
        read_export(name, content)


async def test_an_export_settles_perlu_konfirmasi_and_creates_nothing_twice(
    sync_app, lapor_sim_admin
):
    # one case mirrored normally, one whose create answer was lost
    _, synced = await open_case(sync_app, title="Lampu jalan mati", description="Gelap.")
    await settle(sync_app)
    await lapor_sim_admin.faults(commit_then_timeout_rate=1.0, timeout_s=1.0)
    _, waiting = await open_case(sync_app, title="Jembatan retak", description="Bahaya.")
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    await lapor_sim_admin.clear_faults()
    assert await unconfirmed_count(sync_app) == 1
    complaints = await lapor_sim_admin.complaints()
    [synced_national] = by_tag(complaints, synced)
    [waiting_national] = by_tag(complaints, waiting)
    forwarded = await lapor_sim_admin.forward(title="Sampah liar", content="Di tepi sungai.")
    content = csv_export(
        [
            (str(synced_national["complaint_id"]), "Judul lain", "Pemkab", "", ""),
            (str(waiting_national["complaint_id"]), "Jembatan retak", "Pemkab", "", ""),
            (str(forwarded), "Sampah liar", "Pemkab", "", ""),
            ("", "tanpa nomor", "", "", ""),
        ]
    )
    rows = read_export("ekspor.csv", content)
    ctx = sync_app.state.ctx

    dry = await reconcile_export(ctx, rows, actor=OPERATOR, dry_run=True)
    assert [r["action"] for r in dry["rows"]] == ["differs", "link", "import", "invalid"]
    assert dry["rows"][1]["tracking_id"] == waiting
    assert await unconfirmed_count(sync_app) == 1  # a dry run writes nothing

    applied = await reconcile_export(ctx, rows, actor=OPERATOR)
    assert applied["counts"] == {"differs": 1, "link": 1, "import": 1, "invalid": 1}
    assert await unconfirmed_count(sync_app) == 0
    await settle(sync_app)
    assert len(await lapor_sim_admin.complaints()) == 3  # no second create
    again = await reconcile_export(ctx, rows, actor=OPERATOR)  # the same file twice
    assert [r["action"] for r in again["rows"]] == ["differs", "current", "current", "invalid"]
    async with sync_app.state.db.session() as session:
        imported = list(await session.scalars(select(Case).where(Case.channel == "lapor")))
    assert [c.lapor_complaint_id for c in imported] == [forwarded]


def test_the_command_runs_a_dry_run_and_refuses_a_bad_file(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from services.cli import cli
    from shared.config import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIMPUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SIMPUL_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("SIMPUL_LAPOR_BASE_URL", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("SIMPUL_LAPOR_TIMEOUT_S", "0.5")
    runner = CliRunner()
    try:
        get_settings.cache_clear()
        assert runner.invoke(cli, ["migrate"], catch_exceptions=False).exit_code == 0
        export = tmp_path / "ekspor.csv"
        export.write_bytes(csv_export([("4512", "Jalan rusak", "Pemkab", "", "")]))
        get_settings.cache_clear()
        result = runner.invoke(cli, ["lapor", "import", str(export), "--dry-run"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["dry_run"] is True
        assert report["rows"][0]["action"] == "unreadable"  # no API: flagged, not guessed
        (tmp_path / "x.pdf").write_bytes(b"%PDF")
        get_settings.cache_clear()
        refused = runner.invoke(cli, ["lapor", "import", str(tmp_path / "x.pdf")])
        assert refused.exit_code == 2
    finally:
        get_settings.cache_clear()


async def test_the_admin_api_imports_too_and_refuses_a_bad_file(
    sync_app, lapor_sim_admin, client, admin_headers
):
    forwarded = await lapor_sim_admin.forward(title="Pohon tumbang", content="Di jalan desa.")
    content = csv_export([(str(forwarded), "Pohon tumbang", "Pemkab", "", "")])
    files = {"file": ("ekspor.csv", content, "text/csv")}
    dry = await client.post("/admin/sync/import?dry_run=true", files=files, headers=admin_headers)
    assert dry.status_code == 200 and dry.json()["counts"] == {"import": 1}
    done = await client.post("/admin/sync/import", files=files, headers=admin_headers)
    assert done.status_code == 200 and done.json()["rows"][0]["detail"] == {"imported": True}
    bad = await client.post(
        "/admin/sync/import",
        files={"file": ("x.pdf", b"%PDF", "application/pdf")},
        headers=admin_headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_export"
