"""Reference data: versioned and audited changes, deactivate-not-delete, roles, CSV round trip."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Event

BASE = "/admin/reference"


async def test_opd_changes_are_versioned_and_audited(client, admin_headers, auth, db):
    r = await client.post(
        f"{BASE}/opds",
        json={
            "code": "DISKAN",
            "name": "Dinas Perikanan",
            "penanggung_jawab": "Kadis Perikanan",
            "contact": "+62361000",
        },
        headers=admin_headers,
    )
    assert r.status_code == 201 and r.json()["version"] == 1
    assert (
        await client.post(
            f"{BASE}/opds", json={"code": "DISKAN", "name": "x"}, headers=admin_headers
        )
    ).status_code == 409
    r = await client.patch(
        f"{BASE}/opds/DISKAN", json={"active": False, "version": 1}, headers=admin_headers
    )
    assert r.json()["active"] is False and r.json()["version"] == 2
    stale = await client.patch(
        f"{BASE}/opds/DISKAN", json={"name": "y", "version": 1}, headers=admin_headers
    )
    assert stale.status_code == 409
    same = await client.patch(f"{BASE}/opds/DISKAN", json={"active": False}, headers=admin_headers)
    assert same.json()["version"] == 2  # no change, no new version
    assert (
        await client.patch(
            f"{BASE}/opds/DISKAN", json={"parent_code": "DISKAN"}, headers=admin_headers
        )
    ).status_code == 422
    assert (
        await client.patch(f"{BASE}/opds/NOPE", json={"name": "y"}, headers=admin_headers)
    ).status_code == 404
    async with db.session() as s:
        events = (
            await s.scalars(
                select(Event)
                .where(Event.subject_type == "opd", Event.subject_id == "DISKAN")
                .order_by(Event.id)
            )
        ).all()
    assert [e.type for e in events] == ["opd.created", "opd.updated"]
    assert events[1].data["before"]["active"] is True and events[1].data["after"]["active"] is False
    assert events[1].actor_role == "admin_instansi"
    # deactivated OPDs cannot receive cases
    r = await client.post(
        "/admin/routing/rules",
        json={"name": "ikan", "conditions": {"keywords": "ikan"}, "target_opd": "DISKAN"},
        headers=admin_headers,
    )
    assert r.status_code == 422
    viewer, opd = await auth("viewer"), await auth("opd", "PUPR")
    assert (await client.get(f"{BASE}/opds", headers=viewer)).status_code == 200
    assert (
        await client.patch(f"{BASE}/opds/DISKAN", json={"name": "z"}, headers=viewer)
    ).status_code == 403
    assert (await client.get(f"{BASE}/opds", headers=opd)).status_code == 403


async def test_category_kecamatan_and_desa(client, admin_headers):
    bad = await client.post(
        f"{BASE}/categories",
        json={"code": "IKAN", "name": "Perikanan", "default_opd_code": "NOPE"},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    bad = await client.post(
        f"{BASE}/categories",
        json={"code": "IKAN", "name": "Perikanan", "default_sla_class": "besok"},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    r = await client.post(
        f"{BASE}/categories",
        json={
            "code": "IKAN",
            "name": "Perikanan",
            "default_opd_code": "DISPERTA",
            "keywords": ["ikan", " tambak ", "ikan"],
            "auto_dispose": True,
        },
        headers=admin_headers,
    )
    assert r.status_code == 201 and r.json()["keywords"] == "ikan;tambak"
    r = await client.patch(
        f"{BASE}/kecamatan/MARGA", json={"name": "Marga Dauh"}, headers=admin_headers
    )
    assert r.json()["version"] == 2
    r = await client.post(
        f"{BASE}/kecamatan/MARGA/desa",
        json={"code": "PEKEN", "name": "Peken"},
        headers=admin_headers,
    )
    assert r.status_code == 201
    desa_id = r.json()["id"]
    assert (
        await client.patch(f"{BASE}/desa/{desa_id}", json={"active": False}, headers=admin_headers)
    ).json()["active"] is False
    listed = (await client.get(f"{BASE}/kecamatan/MARGA/desa", headers=admin_headers)).json()[
        "items"
    ]
    assert [d["code"] for d in listed] == ["PEKEN"]


async def test_csv_round_trip_and_all_or_nothing_import(client, admin_headers, db):
    exported = await client.get(f"{BASE}/categories.csv", headers=admin_headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    text = exported.text
    assert (
        text.splitlines()[0]
        == "code,name,default_opd,default_kind,default_sla_class,keywords,auto_dispose,active"
    )
    # re-importing the export changes nothing
    r = await client.post(f"{BASE}/categories/import", content=text.encode(), headers=admin_headers)
    assert r.status_code == 200 and r.json()["created"] == 0 and r.json()["updated"] == 0
    edited = (
        text.replace("Air Minum,PDAM", "Air Minum dan Sanitasi,PDAM")
        + "IKAN,Perikanan,DISPERTA,pengaduan,lapangan,ikan;tambak,false,true\n"
    )
    r = await client.post(
        f"{BASE}/categories/import", content=edited.encode(), headers=admin_headers
    )
    assert r.json() == {"created": 1, "updated": 1, "unchanged": len(text.splitlines()) - 2}
    again = (await client.get(f"{BASE}/categories.csv", headers=admin_headers)).text
    assert "AIRMINUM,Air Minum dan Sanitasi,PDAM" in again and "IKAN,Perikanan,DISPERTA" in again
    bad = "code,name,default_opd\nOK1,Baik,PUPR\nBAD1,,PUPR\nBAD2,Buruk,NOPE\nOK1,Dua kali,PUPR\n"
    r = await client.post(f"{BASE}/categories/import", content=bad.encode(), headers=admin_headers)
    assert r.status_code == 422
    assert [e["line"] for e in r.json()["error"]["errors"]] == [3, 4, 5]
    assert (
        await client.get(f"{BASE}/categories/OK1", headers=admin_headers)
    ).status_code == 404  # nothing written
    r = await client.post(f"{BASE}/opds/import", content=b"kode,nama\nA,B\n", headers=admin_headers)
    assert r.status_code == 422 and r.json()["error"]["errors"][0]["line"] == 1
    r = await client.post(
        f"{BASE}/kecamatan/import",
        content=b"code,name\nBARU,Kecamatan Baru\n",
        headers=admin_headers,
    )
    assert r.json()["created"] == 1
    assert (await client.get(f"{BASE}/nothing.csv", headers=admin_headers)).status_code == 404


async def test_a_page_reads_every_reference_name_in_one_statement(client, admin_headers, db):
    """``reference_names``: the names of all three tables, and the form choices only among
    the rows still in use, by name."""
    from services.routing.worklists.service import reference_names

    version = (await client.get(f"{BASE}/opds/DLH", headers=admin_headers)).json()["version"]
    r = await client.patch(
        f"{BASE}/opds/DLH", json={"active": False, "version": version}, headers=admin_headers
    )
    assert r.status_code == 200, r.text
    async with db.session() as s:
        names = await reference_names(s)
    assert names.opds["DLH"].startswith("Dinas") and names.categories and names.kecamatan
    in_use = [code for code, _ in names.choices("opds", active_only=True)]
    everything = names.choices("opds")
    assert "DLH" not in in_use and "DLH" in [code for code, _ in everything]
    assert [n for _, n in everything] == sorted((n for _, n in everything), key=str.casefold)
