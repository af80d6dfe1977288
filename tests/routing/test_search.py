"""The one search box (``GET /admin/cases?q=``, the console's lists): tracking ID, LAPOR! id,
the reporter's phone for Admin Instansi only, words of the text (Indonesian stemming on
PostgreSQL, every word on SQLite)."""

from __future__ import annotations

from sqlalchemy import update

from services.routing.cases.search import readings
from shared.auth import Actor
from shared.lifecycle import Role
from shared.models import Case

ADMIN = Actor(type="ops", id="user:1", name="Admin", role=Role.ADMIN_INSTANSI)
OPD = Actor(type="ops", id="user:2", name="OPD", role=Role.OPD, opd_code="PUPR")


async def _search(client, headers, q: str) -> list[str]:
    r = await client.get("/admin/cases", params={"q": q}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["tracking_id"] for i in r.json()["items"]]


def test_readings_of_the_box():
    assert readings("acde-4679", ADMIN).tracking_id == "ACDE4679"
    r = readings("0812-3456-7890", ADMIN)
    assert r.phone == "+6281234567890" and r.lapor_id == 81234567890
    assert readings("0812-3456-7890", OPD).phone is None  # never a phone search for an OPD
    assert readings("12345", OPD).lapor_id == 12345
    assert readings("jalan rusak", OPD).words == "jalan rusak"
    assert readings("%%%", OPD).words is None


async def test_search_by_tracking_id_lapor_id_and_words(open_case, client, admin_headers, db):
    road = await open_case(description="Jalan rusak berlubang di depan pasar Kediri")
    lamp = await open_case(description="Lampu penerangan mati sejak seminggu")
    async with db.session() as s:
        await s.execute(
            update(Case).where(Case.tracking_id == lamp).values(lapor_complaint_id=987654)
        )
    assert await _search(client, admin_headers, road.lower()) == [road]
    assert await _search(client, admin_headers, "987654") == [lamp]
    assert await _search(client, admin_headers, "lampu mati") == [lamp]
    assert await _search(client, admin_headers, "pasar berlubang") == [road]
    assert await _search(client, admin_headers, "jembatan") == []


async def test_stemmed_words_on_postgresql(open_case, client, admin_headers, database_url):
    tid = await open_case(description="Jalannya rusak parah dan perbaikannya lambat")
    if database_url.startswith("postgresql"):
        # The Indonesian stemmer: "perbaikan" finds "perbaikannya".
        assert await _search(client, admin_headers, "perbaikan") == [tid]
    assert await _search(client, admin_headers, "rusak parah") == [tid]


async def test_phone_search_is_admin_instansi_only(disposed, client, admin_headers, auth):
    tid = await disposed("PUPR", anonymous=True)
    assert await _search(client, admin_headers, "0812 3456 7890") == [tid]
    assert await _search(client, admin_headers, "+6281234567890") == [tid]
    opd = await auth("opd", "PUPR")
    assert await _search(client, opd, "081234567890") == []  # no hint an anonymous sender exists
    assert await _search(client, opd, tid) == [tid]


async def test_search_respects_the_readable_statement(disposed, client, auth):
    tid = await disposed("DLH", description="Sampah menumpuk di Pasar Baru")
    assert await _search(client, await auth("opd", "PUPR"), "sampah") == []
    assert await _search(client, await auth("opd", "DLH"), "sampah") == [tid]
