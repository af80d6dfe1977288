"""Reporters' satisfaction: the distribution of ratings 1–5 per OPD in the evaluation, and a
"Kepuasan pelapor" section on ``/statistik`` (aggregates only; fewer than 3 ratings hidden)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.reporting.evaluation_scenario import NAME, seed_two_semesters


@pytest.fixture
async def scenario(db) -> dict:
    return await seed_two_semesters(db)


async def test_evaluation_carries_the_distribution_per_opd(client, admin_headers, scenario) -> None:
    response = await client.get(
        "/admin/reports/evaluation",
        params={"year": "2026", "semester": "1", "format": "csv"},
        headers=admin_headers,
    )
    rows = {
        (r["section"], r["key"]): r
        for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }

    def dist(key: tuple[str, str]) -> list[str]:
        return [rows[key][f"rating_{n}"] for n in range(1, 6)]

    assert dist(("opd", "DINKES")) == ["0", "0", "1", "1", "2"]
    assert dist(("opd", "PUPR")) == ["1", "0", "0", "0", "0"]
    assert dist(("opd", "DISDIK")) == ["0", "0", "0", "0", "0"]
    assert dist(("total", "")) == ["1", "0", "1", "1", "2"]
    assert dist(("previous", "")) == ["0", "1", "0", "1", "0"]


async def test_statistik_shows_satisfaction_without_small_counts(client, scenario) -> None:
    html = (await client.get("/statistik", params={"tahun": "2026"})).text
    section = html.split('<h2 id="kepuasan">Kepuasan pelapor</h2>')[1].split("</section>")[0]
    rows = {
        row.split('<th scope="row">')[1].split("</th>")[0]: row for row in section.split("<tr>")[2:]
    }
    # 2026: DINKES 5, 4, 5, 3 and (Semester II) 5 → 5 ratings, average 4,40.
    dinkes = next(v for k, v in rows.items() if k in ("Dinas Kesehatan", "DINKES"))
    cells = [c.split("<")[0] for c in dinkes.split('<td class="n">')[1:]]
    assert cells == ["5", "4,40", "0", "0", "1", "1", "3"]
    pupr = next(v for k, v in rows.items() if "PUPR" in k or "Pekerjaan Umum" in k)
    cells = [c.split("<")[0] for c in pupr.split('<td class="n">')[1:]]
    assert cells == ["&lt;3", "–", "–", "–", "–", "–", "–"]
    total = [c.split("<")[0] for c in rows["Semua perangkat daerah"].split('<td class="n">')[1:]]
    assert total == ["6", "3,83", "1", "0", "1", "1", "3"]  # 23 / 6
    assert NAME not in html
