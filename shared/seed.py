"""Demo reference data (OPDs, categories, kecamatan of a kabupaten), loaded idempotently.

The CSVs in ``shared/demo_data/`` are the project's own copy of the reference data the
pemda team provided; ``simpul seed-demo`` upserts them, so running it twice changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Category, Kecamatan, Opd

DEMO_DIR = Path(__file__).parent / "demo_data"


def read_csv(name: str, directory: Path = DEMO_DIR) -> list[dict[str, str]]:
    with (directory / name).open(newline="", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


async def seed_reference_data(session: AsyncSession, directory: Path = DEMO_DIR) -> dict[str, int]:
    """Insert what is missing; existing rows are left as ops may have edited them."""
    counts = {"opds": 0, "categories": 0, "kecamatan": 0}
    opds = read_csv("opd.csv", directory)
    existing = set((await session.scalars(select(Opd.code))).all())
    # parents first so the self-reference holds
    for row in sorted(opds, key=lambda r: bool(r["parent"])):
        if row["code"] not in existing:
            session.add(
                Opd(
                    code=row["code"],
                    name=row["name"],
                    kind=row["kind"] or "dinas",
                    parent_code=row["parent"] or None,
                )
            )
            counts["opds"] += 1
            await session.flush()
    existing = set((await session.scalars(select(Kecamatan.code))).all())
    for row in read_csv("kecamatan.csv", directory):
        if row["code"] not in existing:
            session.add(Kecamatan(code=row["code"], name=row["name"]))
            counts["kecamatan"] += 1
    existing = set((await session.scalars(select(Category.code))).all())
    for row in read_csv("categories.csv", directory):
        if row["code"] not in existing:
            session.add(
                Category(
                    code=row["code"],
                    name=row["name"],
                    default_opd_code=row["default_opd"] or None,
                    default_kind=row["default_kind"] or "pengaduan",
                    default_sla_class=row["default_sla_class"] or "non_lapangan",
                    keywords=row["keywords"],
                )
            )
            counts["categories"] += 1
    await session.flush()
    return counts
