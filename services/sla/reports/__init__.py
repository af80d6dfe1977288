"""Reporting and transparency: performance reports, targets, the public statistics page and
the ops board. :func:`routers` is what the sla service registers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.sla.board.endpoints import router as board
    from services.sla.pages import router as stylesheet
    from services.sla.public.endpoints import router as public

    from .endpoints import router as reports
    from .evaluation.endpoints import router as evaluation

    return [stylesheet, reports, evaluation, public, board]
