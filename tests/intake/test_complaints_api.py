"""The REST push API for local apps (CONTRACT.md, "Intake — for local apps")."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
import respx
from sqlalchemy import func, select

from shared.auth import create_client_app
from shared.models import Attachment, Case, Event, Reporter
from shared.models.intake import IdempotencyKey

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def complaint(**overrides):
    body = {
        "title": "Jalan berlubang",
        "description": "Jalan di depan SD 2 berlubang besar sejak sebulan, membahayakan.",
        "category": "ADMINDUK",
        "kind": "pengaduan",
        "reporter": {
            "name": "Budi Santoso",
            "phone": "0812-3456-7890",
            "email": "budi@example.id",
            "nik": "5102012345678901",
        },
        "location": {
            "kecamatan": "TABANAN",
            "desa": "Dauh Peken",
            "address": "Jl. Gajah Mada 1",
            "lat": -8.54,
            "lon": 115.12,
        },
        "occurred_at": "2026-01-05T08:00:00+08:00",
        "external_ref": "APP-123",
    }
    body.update(overrides)
    return body


async def count(db, model) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_push_complaint_answers_201_with_tracking_id_and_due_date(client, db, api_key):
    response = await client.post(
        "/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["tracking_id"]) == 8
    assert body["status"] == "received"
    assert body["status_url"] == f"https://pengaduan.example.go.id/lacak/{body['tracking_id']}"
    assert body["verification_due_at"] > body["received_at"]
    assert response.headers["Location"].endswith(body["tracking_id"])
    async with db.session() as session:
        case = await session.scalar(select(Case).where(Case.tracking_id == body["tracking_id"]))
        reporter = await session.get(Reporter, case.id)
        events = (await session.scalars(select(Event.type).where(Event.case_id == case.id))).all()
    assert (
        case.channel == "api"
        and case.kecamatan_code == "TABANAN"
        and case.external_ref == "APP-123"
    )
    assert case.client_app_id is not None
    assert reporter.phone == "+6281234567890" and reporter.phone_raw == "0812-3456-7890"
    assert reporter.nik == "5102012345678901"
    assert events == ["case.received"]


async def test_verification_due_is_three_working_days(client, api_key, settings):
    from datetime import datetime

    from shared.calendar import WorkingCalendar

    response = await client.post(
        "/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key}
    )
    body = response.json()
    received = datetime.fromisoformat(body["received_at"])
    expected = WorkingCalendar(settings.timezone, region=settings.region).working_days_after(
        received, 3
    )
    assert datetime.fromisoformat(body["verification_due_at"]) == expected


BAD_INPUTS = [
    pytest.param({"category": "NOPE"}, 422, "category", id="unknown-category"),
    pytest.param(
        {"location": {"kecamatan": "ATLANTIS"}}, 422, "location.kecamatan", id="unknown-kecamatan"
    ),
    pytest.param({"reporter": {"phone": "12"}}, 422, "reporter.phone", id="bad-phone"),
    pytest.param(
        {"reporter": {"phone": "0812abc"}}, 422, "reporter.phone", id="phone-with-letters"
    ),
    pytest.param({"reporter": {"nik": "12345"}}, 422, "reporter.nik", id="short-nik"),
    pytest.param(
        {"reporter": {"nik": "51020123456789AB"}}, 422, "reporter.nik", id="nik-not-digits"
    ),
    pytest.param({"reporter": {"email": "not-an-email"}}, 422, "reporter.email", id="bad-email"),
    pytest.param({"location": {"lat": 91, "lon": 100}}, 422, "location.lat", id="lat-out-of-range"),
    pytest.param({"location": {"lat": 0, "lon": -181}}, 422, "location.lon", id="lon-out-of-range"),
    pytest.param({"description": "x" * 10_001}, 422, "description", id="description-too-long"),
    pytest.param({"description": ""}, 422, "description", id="description-empty"),
    pytest.param({"description": None}, 422, "description", id="description-missing"),
    pytest.param({"title": "t" * 201}, 422, "title", id="title-too-long"),
    pytest.param({"kind": "gossip"}, 422, "kind", id="unknown-kind"),
    pytest.param(
        {"occurred_at": "2099-01-01T00:00:00+07:00"}, 422, "occurred_at", id="occurred-in-future"
    ),
    pytest.param({"occurred_at": "2026-01-01T00:00:00"}, 422, "occurred_at", id="occurred-naive"),
    pytest.param({"unexpected": 1}, 422, "unexpected", id="unknown-field"),
    pytest.param(
        {"attachments": [{"filename": f"f{i}.png", "content_base64": b64(PNG)} for i in range(6)]},
        422,
        "attachments",
        id="too-many-attachments",
    ),
    pytest.param(
        {
            "attachments": [
                {"filename": "foto.png", "content_type": "image/png", "content_base64": b64(PDF)}
            ]
        },
        422,
        "attachments.0",
        id="png-name-pdf-content",
    ),
    pytest.param(
        {
            "attachments": [
                {"filename": "foto.png", "content_type": "image/png", "content_base64": b64(EXE)}
            ]
        },
        422,
        "attachments.0",
        id="png-name-exe-content",
    ),
    pytest.param(
        {
            "attachments": [
                {"filename": "scan", "content_type": "application/pdf", "content_base64": b64(PNG)}
            ]
        },
        422,
        "attachments.0",
        id="claimed-type-mismatch",
    ),
    pytest.param(
        {"attachments": [{"filename": "a.png", "content_base64": "!!notbase64!!"}]},
        422,
        "attachments.0",
        id="bad-base64",
    ),
    pytest.param(
        {
            "attachments": [
                {"filename": "a.pdf", "content_base64": b64(b"%PDF-" + b"0" * (5 * 1024 * 1024))}
            ]
        },
        422,
        "attachments.0",
        id="attachment-over-5-mib",
    ),
    pytest.param(
        {"attachments": [{"url": "file:///etc/passwd"}]}, 422, "attachments.0", id="non-http-url"
    ),
    pytest.param(
        {"attachments": [{"filename": "a.png"}]},
        422,
        "attachments.0",
        id="attachment-without-content",
    ),
]


def _apply(change: dict) -> dict:
    body = complaint()
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict):
            body[key] = {**body[key], **value}
        elif value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


async def test_each_bad_input_is_refused_with_its_field_and_nothing_stored(
    client, db, api_key, settings
):
    # One test over every case (not one per parameter): each database test pays a fresh
    # schema, and nothing is stored between the requests anyway — that is the point.
    for param in BAD_INPUTS:
        change, status, field = param.values
        response = await client.post(
            "/api/v1/complaints", json=_apply(change), headers={"X-API-Key": api_key}
        )
        assert response.status_code == status, (param.id, response.text)
        error = response.json()["error"]
        reported = error.get("field") or (error.get("errors") or [{}])[0].get("field")
        assert reported == field, (param.id, error)
        assert error["message"], param.id
    assert await count(db, Case) == 0
    assert await count(db, Attachment) == 0
    assert await count(db, Event) == 0
    attachments = Path(settings.data_dir) / "attachments"
    assert not attachments.exists() or not any(p.is_file() for p in attachments.rglob("*"))


async def test_missing_and_bad_api_key_are_401_and_store_nothing(client, db):
    missing = await client.post("/api/v1/complaints", json=complaint())
    bad = await client.post(
        "/api/v1/complaints", json=complaint(), headers={"X-API-Key": "smp_wrong"}
    )
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    assert await count(db, Case) == 0


async def test_malformed_json_is_400(client, db, api_key):
    response = await client.post(
        "/api/v1/complaints",
        content=b'{"description": "x",',
        headers={"X-API-Key": api_key, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert await count(db, Case) == 0


async def test_malformed_json_names_where_the_decoder_stopped(client, api_key):
    response = await client.post(
        "/api/v1/complaints",
        content=b'{"description": "x",',
        headers={"X-API-Key": api_key, "Content-Type": "application/json"},
    )
    assert "at character 20" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "field", "kind"),
    [
        pytest.param(b"", "application/json", "body", "missing", id="empty"),
        pytest.param(b"[1, 2]", "application/json", "body", "model_type", id="not-an-object"),
        pytest.param(
            b"x=1", "application/x-www-form-urlencoded", "body", "content_type", id="form"
        ),
        pytest.param(b"{}", "application/json", "description", "missing", id="no-fields"),
    ],
)
async def test_a_body_that_is_not_a_complaint_is_refused_with_a_reason(
    client, db, api_key, content, content_type, field, kind
):
    response = await client.post(
        "/api/v1/complaints",
        content=content,
        headers={"X-API-Key": api_key, "Content-Type": content_type},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"].startswith(f"{field}: ")
    assert (error["errors"][0]["field"], error["errors"][0]["type"]) == (field, kind)
    assert await count(db, Case) == 0


async def test_a_vendor_json_media_type_is_json(client, api_key):
    response = await client.post(
        "/api/v1/complaints",
        content=json.dumps(complaint()).encode(),
        headers={"X-API-Key": api_key, "Content-Type": "application/vnd.simpul+json"},
    )
    assert response.status_code == 201


async def test_the_key_is_checked_before_the_body(client):
    response = await client.post(
        "/api/v1/complaints",
        content=b'{"description": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401


async def test_body_too_large_is_413(client, db, api_key):
    huge = json.dumps(complaint(description="x" * (13 * 1024 * 1024))).encode()
    response = await client.post(
        "/api/v1/complaints",
        content=huge,
        headers={"X-API-Key": api_key, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert await count(db, Case) == 0


# -- attachments -----------------------------------------------------------------------------------


async def test_attachment_is_stored_by_content_under_a_server_name(client, db, api_key, settings):
    body = complaint(
        attachments=[
            {
                "filename": "../../etc/foto jalan.png",
                "content_type": "image/png",
                "content_base64": b64(PNG),
            },
            {"filename": "surat.pdf", "content_base64": b64(PDF)},
        ]
    )
    response = await client.post("/api/v1/complaints", json=body, headers={"X-API-Key": api_key})
    assert response.status_code == 201, response.text
    async with db.session() as session:
        rows = (await session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [r.filename for r in rows] == ["foto jalan.png", "surat.pdf"]
    assert [r.content_type for r in rows] == ["image/png", "application/pdf"]
    root = Path(settings.data_dir) / "attachments"
    for row in rows:
        path = root / row.storage_key
        assert path.is_file()
        assert "foto" not in str(path) and "surat" not in str(path)
        assert row.sha256 in path.name
    assert (root / rows[0].storage_key).read_bytes() == PNG
    assert not list(root.rglob("*.tmp"))


async def test_attachment_url_is_kept_as_reference_and_never_fetched(client, db, api_key):
    body = complaint(
        attachments=[{"filename": "foto.jpg", "url": "http://169.254.169.254/latest/meta-data"}]
    )
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        response = await client.post(
            "/api/v1/complaints", json=body, headers={"X-API-Key": api_key}
        )
    assert response.status_code == 201, response.text
    assert router.calls.call_count == 0
    async with db.session() as session:
        row = await session.scalar(select(Attachment))
    assert row.url == "http://169.254.169.254/latest/meta-data" and row.storage_key is None


# -- idempotency -----------------------------------------------------------------------------------


async def test_same_idempotency_key_and_body_answers_the_first_answer(client, db, api_key):
    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-001"}
    first = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    # the same body, keys in another order and other whitespace
    again = await client.post(
        "/api/v1/complaints",
        content=json.dumps(dict(reversed(list(complaint().items()))), indent=2),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await count(db, Case) == 1
    assert await count(db, IdempotencyKey) == 1


async def test_same_idempotency_key_with_another_body_is_409(client, db, api_key):
    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-002"}
    assert (
        await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    ).status_code == 201
    other = await client.post("/api/v1/complaints", json=complaint(title="Lain"), headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await count(db, Case) == 1


async def test_idempotency_keys_are_per_app(client, db, app, api_key):
    async with db.session() as session:
        _other, other_key = await create_client_app(session, "other-app")
    a = await client.post(
        "/api/v1/complaints",
        json=complaint(),
        headers={"X-API-Key": api_key, "Idempotency-Key": "k"},
    )
    b = await client.post(
        "/api/v1/complaints",
        json=complaint(),
        headers={"X-API-Key": other_key, "Idempotency-Key": "k"},
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["tracking_id"] != b.json()["tracking_id"]


async def test_concurrent_duplicates_make_one_case(client, db, api_key):
    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-concurrent"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/complaints", json=complaint(), headers=headers) for _ in range(4))
    )
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["tracking_id"] for r in responses}) == 1
    assert await count(db, Case) == 1


async def test_failed_request_does_not_burn_its_idempotency_key(client, db, api_key):
    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-retry"}
    bad = await client.post("/api/v1/complaints", json=complaint(category="NOPE"), headers=headers)
    assert bad.status_code == 422
    assert await count(db, IdempotencyKey) == 0
    good = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    assert good.status_code == 201


async def test_expired_idempotency_key_makes_a_new_case(client, db, api_key):
    from datetime import timedelta

    from sqlalchemy import update

    from shared.models import utcnow

    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-old"}
    first = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    async with db.session() as session:
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
        )
    second = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    assert second.status_code == 201
    assert second.json()["tracking_id"] != first.json()["tracking_id"]


# -- reading back ----------------------------------------------------------------------------------


async def test_app_reads_its_case_with_timeline_and_identity(client, api_key):
    created = (
        await client.post("/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key})
    ).json()
    response = await client.get(
        f"/api/v1/complaints/{created['tracking_id'].lower()}", headers={"X-API-Key": api_key}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tracking_id"] == created["tracking_id"]
    assert body["status"] == "received"
    assert body["reporter"]["name"] == "Budi Santoso"
    assert [t["type"] for t in body["timeline"]] == ["case.received"]
    assert "actor" not in json.dumps(body["timeline"])
    assert body["responses"] == []


async def test_app_does_not_see_anonymous_identity(client, api_key):
    created = (
        await client.post(
            "/api/v1/complaints", json=complaint(anonymous=True), headers={"X-API-Key": api_key}
        )
    ).json()
    body = (
        await client.get(
            f"/api/v1/complaints/{created['tracking_id']}", headers={"X-API-Key": api_key}
        )
    ).json()
    assert body["anonymous"] is True and body["reporter"] is None
    assert "Budi" not in json.dumps(body)


async def test_other_app_gets_the_same_404_as_missing(client, db, api_key):
    created = (
        await client.post("/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key})
    ).json()
    async with db.session() as session:
        _other, other_key = await create_client_app(session, "nosy-app")
    theirs = await client.get(
        f"/api/v1/complaints/{created['tracking_id']}", headers={"X-API-Key": other_key}
    )
    missing = await client.get("/api/v1/complaints/ACDEFGHJ", headers={"X-API-Key": other_key})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


async def test_public_view_hides_identity_and_free_text(client, api_key):
    created = (
        await client.post("/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key})
    ).json()
    response = await client.get(f"/api/v1/public/complaints/{created['tracking_id'].lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and body["category"] == "ADMINDUK"
    assert [t["type"] for t in body["timeline"]] == ["case.received"]
    text = json.dumps(body)
    for secret in (
        "Budi",
        "0812",
        "+62812",
        "5102012345678901",
        "budi@",
        "Gajah Mada",
        "berlubang",
        "APP-123",
        "-8.54",
    ):
        assert secret not in text


async def test_public_view_of_confidential_case_shows_status_alone(client, api_key):
    created = (
        await client.post(
            "/api/v1/complaints", json=complaint(confidential=True), headers={"X-API-Key": api_key}
        )
    ).json()
    body = (await client.get(f"/api/v1/public/complaints/{created['tracking_id']}")).json()
    assert set(body) == {"tracking_id", "status", "status_label", "confidential"}
    assert body["confidential"] is True


async def test_public_view_of_unknown_id_is_404(client):
    assert (await client.get("/api/v1/public/complaints/ACDEFGHJ")).status_code == 404
    assert (await client.get("/api/v1/public/complaints/not-an-id")).status_code == 404


# -- rate limits -----------------------------------------------------------------------------------


async def test_per_key_rate_limit_is_429_with_retry_after_while_other_key_passes(
    app, client, db, api_key
):
    app.state.settings.rate_limit_per_key_per_min = 2
    async with db.session() as session:
        _other, other_key = await create_client_app(session, "quiet-app")
    flood = [
        await client.post("/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key})
        for _ in range(3)
    ]
    assert [r.status_code for r in flood] == [201, 201, 429]
    assert int(flood[2].headers["Retry-After"]) >= 1
    assert flood[2].json()["error"]["code"] == "rate_limited"
    other = await client.post(
        "/api/v1/complaints", json=complaint(), headers={"X-API-Key": other_key}
    )
    assert other.status_code == 201
    assert await count(db, Case) == 3


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "one-by-one"])
async def test_a_failure_after_the_case_is_flushed_leaves_no_case_and_no_key(
    app, db, api_key, monkeypatch, grouped
):
    import httpx

    from services.intake.complaints import group_commit, repository

    async def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repository, "insert_attachments", broken)
    monkeypatch.setattr(group_commit._RawStore, "insert_attachments", broken)  # PostgreSQL's
    monkeypatch.setattr(app.state.settings, "intake_group_commit", grouped)
    headers = {"X-API-Key": api_key, "Idempotency-Key": "req-atomic"}
    body = complaint(attachments=[{"filename": "a.png", "content_base64": b64(PNG)}])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/api/v1/complaints", json=body, headers=headers)
    assert response.status_code == 500
    assert await count(db, Case) == 0
    assert await count(db, IdempotencyKey) == 0
    assert await count(db, Event) == 0


async def test_the_openapi_declares_the_push_endpoints_headers_and_body(client):
    spec = (await client.get("/openapi.json")).json()
    push = spec["paths"]["/api/v1/complaints"]["post"]
    assert {(p["name"], p["in"]) for p in push["parameters"]} == {("Idempotency-Key", "header")}
    schema = push["requestBody"]["content"]["application/json"]["schema"]
    assert push["requestBody"]["required"] is True
    assert {"description", "category", "reporter"} <= set(schema["properties"])
    assert "$ref" not in json.dumps(schema)  # nested models written in place


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "one-by-one"])
async def test_a_push_logs_one_line_naming_its_case_and_no_personal_data(
    app, client, db, api_key, monkeypatch, grouped
):
    import logging

    import structlog
    from structlog.testing import capture_logs

    monkeypatch.setattr(app.state.settings, "intake_group_commit", grouped)
    headers = {"X-API-Key": api_key, "Idempotency-Key": "one-line"}
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with capture_logs() as logs:
            first = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
            again = await client.post("/api/v1/complaints", json=complaint(), headers=headers)
    finally:
        structlog.configure(wrapper_class=wrapper)
    assert [first.status_code, again.status_code] == [201, 201]
    async with db.session() as session:
        case_id = await session.scalar(select(Case.id))
    assert [(e["event"], e["status"]) for e in logs] == [("request", 201), ("request", 201)]
    assert logs[0]["case_id"] == case_id and logs[0]["replayed"] is False
    assert logs[1]["case_id"] is None and logs[1]["replayed"] is True
    assert all(e["client_app_id"] for e in logs)
    text = json.dumps(logs, default=str)
    for personal in ("Budi", "0812", "budi@", "5102"):
        assert personal not in text
