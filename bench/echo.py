"""The echo baseline: the same framework, server settings and JSON body as intake, and no
work — an async endpoint that parses the body into the intake's own pydantic model and
answers a small JSON. ``intake_rps / echo_rps`` is the share of the box intake keeps."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.complaints.schemas import ComplaintIn


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/complaints", status_code=201)
    async def echo(complaint: ComplaintIn) -> dict[str, str]:
        return {"tracking_id": "ECHO00000000", "status": "received", "kind": complaint.kind}

    return app
