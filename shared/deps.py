"""FastAPI dependencies every service uses (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.db import Database, unit_of_work


# ``async def`` although they do not await: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that cost every request measurable CPU (docs/performance.md).
async def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commits after the endpoint returns and BEFORE the response
    is sent (``scope="function"``), so a failed commit answers an error, never a 2xx."""
    db: Database = request.app.state.db
    async with unit_of_work(db.sessionmaker) as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
AppDatabase = Annotated[Database, Depends(get_database)]
