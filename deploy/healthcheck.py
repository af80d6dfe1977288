#!/usr/bin/env python3
"""Container healthcheck for Simpul (installed as ``simpul-healthcheck`` by deploy/Dockerfile).

``simpul-healthcheck http://127.0.0.1:8001/readyz``  an HTTP service is ready (200);
``simpul-healthcheck --database``                    a worker's database answers and its
                                                     schema is at the latest revision.
Exit 0 when healthy, 1 otherwise; prints one line saying why, never a secret.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request


def http_ready(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return response.status == 200, f"HTTP {response.status}"
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


async def database_ready() -> tuple[bool, str]:
    from sqlalchemy import text

    from shared.config import get_settings
    from shared.db import Database
    from shared.migrate import heads

    db = Database(get_settings().database_url, pool_size=1, max_overflow=0)
    try:
        async with db.engine.connect() as conn:
            current = set(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
    except Exception as exc:  # noqa: BLE001
        return False, f"database unavailable ({type(exc).__name__})"
    finally:
        await db.dispose()
    if current != set(heads()):
        return False, "schema not at head: run `simpul migrate`"
    return True, "database ready"


def main(argv: list[str]) -> int:
    if argv == ["--database"]:
        ok, why = asyncio.run(database_ready())
    elif len(argv) == 1 and argv[0].startswith("http"):
        ok, why = http_ready(argv[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(why)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
