"""A savepoint as the first write must not commit anything on its own (SQLite driver trap)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.models import Kecamatan


class _Abort(Exception):
    pass


async def test_rows_written_in_a_leading_savepoint_roll_back_with_the_transaction(db):
    with pytest.raises(_Abort):
        async with db.session() as session:
            async with session.begin_nested():
                session.add(Kecamatan(code="SAVEPOINT-ONLY", name="x"))
                await session.flush()
            raise _Abort
    async with db.session() as session:
        count = await session.scalar(select(func.count()).where(Kecamatan.code == "SAVEPOINT-ONLY"))
    assert count == 0
