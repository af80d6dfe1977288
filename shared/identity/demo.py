"""Demo accounts for the embedded demo (``simpul seed-demo``), one per role, with a
published password — so a newcomer can log in to the console after ``make run``.

They are marked ``demo``; production refuses to start while any of them is active
(``refuse_demo_accounts``). Changing a demo account's password clears the mark.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import passwords
from shared.models.identity import StaffUser
from shared.models.reference import Opd

#: Published in the README: never use outside a demo.
DEMO_PASSWORD = "coba-simpul-2026"
#: (username, full name, role, OPD)
DEMO_ACCOUNTS = (
    ("admin.demo", "Admin Instansi (contoh)", "admin_instansi", None),
    ("opd.demo", "Pejabat Penghubung PUPR (contoh)", "opd", "PUPR"),
    ("apip.demo", "Inspektorat (contoh)", "apip", None),
    ("pimpinan.demo", "Pimpinan Daerah (contoh)", "viewer", None),
    ("operator.demo", "Operator Diskominfo (contoh)", "operator", None),
)


async def seed_demo_accounts(session: AsyncSession) -> int:
    """Create the demo accounts that are missing (an OPD-bound one only if its OPD exists)."""
    existing = set((await session.scalars(select(StaffUser.username))).all())
    opds = set((await session.scalars(select(Opd.code))).all())
    password_hash = None
    added = 0
    for username, full_name, role, opd in DEMO_ACCOUNTS:
        if username in existing or (opd is not None and opd not in opds):
            continue
        password_hash = password_hash or await passwords.hash_password(DEMO_PASSWORD)
        session.add(
            StaffUser(
                username=username,
                full_name=full_name,
                role=role,
                opd_code=opd,
                password_hash=password_hash,
                password_temporary=False,
                demo=True,
            )
        )
        added += 1
    await session.flush()
    return added


async def active_demo_accounts(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(StaffUser.username).where(StaffUser.demo.is_(True), StaffUser.active.is_(True))
    )
    return sorted(rows.all())


class DemoAccountsInProduction(RuntimeError):
    """Production must not start while a demo account (published password) is active."""


async def refuse_demo_accounts(session: AsyncSession) -> None:
    names = await active_demo_accounts(session)
    if names:
        raise DemoAccountsInProduction(
            "SIMPUL_ENV=production refuses to start while demo accounts are active "
            f"({', '.join(names)}): deactivate them (`simpul user deactivate NAME`) "
            "or set their own passwords"
        )
