"""Every administration page's router, as one (registered once in ``services/console/app.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from services.console.admin import clients, holidays, officers, reference, replies, rules

router = APIRouter(include_in_schema=False)


@router.get("/konsol/admin")
@router.get("/konsol/admin/")
async def admin_home() -> Response:
    return RedirectResponse("/konsol/admin/petugas", status_code=303)


for _part in (officers, reference, rules, holidays, replies, clients):
    router.include_router(_part.router)
