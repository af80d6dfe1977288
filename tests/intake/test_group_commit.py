"""Group commit of pushed complaints (services/intake/complaints/group_commit.py): many
requests share one transaction, each keeps its own outcome, and nothing is written twice."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select, update

from services.intake.complaints import group_commit, service
from services.intake.complaints.schemas import ComplaintIn
from shared.auth import ClientAppRef, hash_secret
from shared.models import Case, ClientApp, Event, EventDelivery, Reporter
from shared.models.intake import IdempotencyKey
from tests.intake.test_complaints_api import complaint


async def _ref(db, api_key: str) -> ClientAppRef:
    async with db.session() as session:
        row = await session.scalar(
            select(ClientApp).where(ClientApp.key_hash == hash_secret(api_key))
        )
        return ClientAppRef(id=row.id, name=row.name, key_hash=row.key_hash)


def _submission(ref: ClientAppRef, key: str | None = None, **overrides) -> group_commit.Submission:
    body = complaint(**overrides)
    model = ComplaintIn.model_validate(body)
    sha = service.body_fingerprint(json.dumps(body).encode())
    return group_commit.Submission(ref, model, sha, key, [])


async def _count(db, model, *where) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _submit_together(writer, submissions):
    """Queue every submission before the writer first runs: one group (or a few)."""
    return await asyncio.gather(*(writer.submit(s) for s in submissions), return_exceptions=True)


async def test_concurrent_complaints_share_one_transaction_and_each_opens_its_case(
    app, db, api_key
):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    answers = await _submit_together(
        writer, [_submission(ref, description=f"Keluhan nomor {i}") for i in range(25)]
    )
    await writer.close()

    assert all(isinstance(a, service.Answer) and a.status_code == 201 for a in answers)
    assert writer.transactions == 1
    tracking = {a.body["tracking_id"] for a in answers}
    assert len(tracking) == 25
    async with db.session() as session:
        cases = (await session.scalars(select(Case).where(Case.tracking_id.in_(tracking)))).all()
        descriptions = {c.tracking_id: c.description for c in cases}
        # Each answer belongs to its own complaint.
        for i, a in enumerate(answers):
            assert descriptions[a.body["tracking_id"]] == f"Keluhan nomor {i}"
        ids = [c.id for c in cases]
        assert (
            await session.scalar(
                select(func.count()).select_from(Reporter).where(Reporter.case_id.in_(ids))
            )
            == 25
        )
        events = (await session.scalars(select(Event).where(Event.case_id.in_(ids)))).all()
    assert sorted(e.type for e in events) == ["case.received"] * 25
    assert all(e.actor_type == "client_app" and e.data["client_app_id"] == ref.id for e in events)
    # Every consumer of case.received got each event.
    per_event = await _count(db, EventDelivery, EventDelivery.event_id.in_([e.id for e in events]))
    assert per_event == 25 * (per_event // 25) and per_event >= 25


async def test_grouped_and_one_by_one_write_the_same_rows(app, db, api_key):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    grouped = await writer.submit(_submission(ref))
    await writer.close()
    async with db.session() as session:
        single = await service.accept_complaint(
            session,
            settings=app.state.settings,
            client_app=ref,
            complaint=_submission(ref).complaint,
            body_sha256="x",
            idempotency_key=None,
        )

    async def snapshot(tracking_id: str) -> dict:
        async with db.session() as session:
            case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
            reporter = await session.get(Reporter, case.id)
            event = await session.scalar(select(Event).where(Event.case_id == case.id))
            consumers = sorted(
                (
                    await session.scalars(
                        select(EventDelivery.consumer).where(EventDelivery.event_id == event.id)
                    )
                ).all()
            )
        skip = {"id", "tracking_id", "received_at", "status_changed_at", "created_at", "updated_at"}
        return {
            "case": {
                k: v for k, v in vars(case).items() if not k.startswith("_") and k not in skip
            },
            "reporter": {
                k: v for k, v in vars(reporter).items() if not k.startswith("_") and k != "case_id"
            },
            "event": (event.type, event.actor_type, event.actor_id, event.actor_name, event.data),
            "consumers": consumers,
        }

    assert await snapshot(grouped.body["tracking_id"]) == await snapshot(single.body["tracking_id"])
    strip = {"tracking_id", "status_url", "received_at", "verification_due_at"}
    assert {k: v for k, v in grouped.body.items() if k not in strip} == {
        k: v for k, v in single.body.items() if k not in strip
    }


async def test_a_refused_complaint_does_not_sink_its_group(app, db, api_key):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    answers = await _submit_together(
        writer,
        [
            _submission(ref),
            _submission(ref, category="NOPE"),
            _submission(ref, location={"kecamatan": "ATLANTIS"}),
            _submission(ref),
        ],
    )
    await writer.close()
    assert [type(a).__name__ for a in answers] == [
        "Answer",
        "Unprocessable",
        "Unprocessable",
        "Answer",
    ]
    assert answers[1].code == "unknown_category" and answers[2].code == "unknown_kecamatan"
    assert writer.transactions == 1
    assert await _count(db, Case) == 2


async def test_the_same_key_twice_in_one_group_opens_one_case(app, db, api_key):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    first, again, other_body = await _submit_together(
        writer,
        [_submission(ref, "k-1"), _submission(ref, "k-1"), _submission(ref, "k-1", title="Lain")],
    )
    await writer.close()
    assert first.status_code == 201 and not first.replayed
    assert again.replayed and again.body == first.body
    assert getattr(other_body, "code", None) == "idempotency_key_reused"
    assert await _count(db, Case) == 1
    assert await _count(db, IdempotencyKey) == 1


async def test_a_key_used_before_answers_its_first_answer_from_the_group(app, db, api_key):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    first = await writer.submit(_submission(ref, "k-2"))
    second, new = await _submit_together(writer, [_submission(ref, "k-2"), _submission(ref, "k-3")])
    await writer.close()
    assert second.replayed and second.body == first.body
    assert new.status_code == 201 and new.body["tracking_id"] != first.body["tracking_id"]
    assert await _count(db, Case) == 2


async def test_a_key_revoked_after_it_was_cached_is_refused_at_the_write(app, db, client, api_key):
    ok = await client.post("/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key})
    assert ok.status_code == 201
    async with db.session() as session:
        await session.execute(
            update(ClientApp).where(ClientApp.key_hash == hash_secret(api_key)).values(active=False)
        )
    refused = await client.post(
        "/api/v1/complaints", json=complaint(), headers={"X-API-Key": api_key}
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert await _count(db, Case) == 1


async def test_a_failing_group_is_written_one_by_one(app, db, api_key, monkeypatch):
    """A tracking-id collision fails the grouped INSERT; each complaint is then written alone
    (drawing a fresh id), so none is lost and none is doubled."""
    from shared.cases import service as cases

    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    taken = (await writer.submit(_submission(ref))).body["tracking_id"]
    draws = iter([taken])
    real = cases.new_tracking_id
    monkeypatch.setattr(cases, "new_tracking_id", lambda: next(draws, None) or real())
    answers = await _submit_together(
        writer, [_submission(ref, "k-4"), _submission(ref), _submission(ref, category="NOPE")]
    )
    await writer.close()
    assert [type(a).__name__ for a in answers] == ["Answer", "Answer", "Unprocessable"]
    assert len({taken, answers[0].body["tracking_id"], answers[1].body["tracking_id"]}) == 3
    assert await _count(db, Case) == 3
    assert await _count(db, IdempotencyKey) == 1
    assert await _count(db, Event, Event.type == "case.received") == 3


async def test_close_writes_what_is_queued(app, db, api_key):
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    pending = [asyncio.ensure_future(writer.submit(_submission(ref))) for _ in range(5)]
    await asyncio.sleep(0)
    await writer.close()
    answers = await asyncio.gather(*pending)
    assert all(a.status_code == 201 for a in answers)
    assert await _count(db, Case) == 5


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "one-by-one"])
async def test_concurrent_requests_over_http(app, client, db, api_key, monkeypatch, grouped):
    monkeypatch.setattr(app.state.settings, "intake_group_commit", grouped)
    headers = {"X-API-Key": api_key}
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/complaints",
                json=complaint(description=f"Keluhan {i % 10}"),
                headers={**headers, "Idempotency-Key": f"http-{i % 10}"},
            )
            for i in range(20)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] * 20
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 10
    assert await _count(db, Case) == 10


async def test_the_writer_outlives_its_connection_being_killed(app, db, api_key):
    """PostgreSQL: the writer keeps a connection; when the server kills it, the next group is
    written one by one (nothing lost, nothing doubled) and the one after on a new one."""
    if db.is_sqlite:
        pytest.skip("the writer keeps a connection of its own on PostgreSQL only")
    from sqlalchemy import text

    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    first = await writer.submit(_submission(ref, key="k-1"))
    pid = writer._conn_driver.get_server_pid()
    async with db.session() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    second = await writer.submit(_submission(ref, key="k-2"))
    third = await writer.submit(_submission(ref, key="k-3"))
    assert writer._conn_driver.get_server_pid() != pid
    await writer.close()

    assert [a.status_code for a in (first, second, third)] == [201, 201, 201]
    assert await _count(db, Case) == 3
    assert await _count(db, IdempotencyKey) == 3
    assert writer._conn is None  # given back to the pool on close


class _Counting:
    """A raw connection that counts the statements sent through it."""

    def __init__(self, conn) -> None:
        self.conn, self.statements = conn, 0

    def __getattr__(self, name: str):
        attr = getattr(self.conn, name)
        if name in ("execute", "fetch", "fetchrow", "fetchval"):
            self.statements += 1
        return attr


async def test_a_group_is_two_statements_on_postgresql(app, db, api_key):
    """One statement reads what the group needs, one writes every row (and commits)."""
    if db.is_sqlite:
        pytest.skip("the raw store is PostgreSQL's")
    ref = await _ref(db, api_key)
    group = [_submission(ref, key=f"two-{i}") for i in range(5)]
    group += [_submission(ref, category="NOPE"), _submission(ref)]
    async with db.engine.connect() as conn:
        counting = _Counting((await conn.get_raw_connection()).driver_connection)
        store = group_commit._RawStore(counting)
        outcomes = await group_commit.write_group(store, app.state.settings, group)
        await store.commit()
        assert counting.statements == 2
        assert not counting.conn.is_in_transaction()
    assert [getattr(o, "status_code", None) for o in outcomes] == [201] * 5 + [422, 201]
    assert len({o.case_id for o in outcomes if o.status_code == 201}) == 6
    assert await _count(db, Case) == 6
    assert await _count(db, IdempotencyKey) == 5


async def test_a_key_committed_elsewhere_after_the_read_sends_the_group_one_by_one(
    app, db, api_key, monkeypatch
):
    """PostgreSQL: another process commits the same Idempotency-Key between the group's read
    and its write; the database refuses the write (nothing of it lands) and each complaint is
    written alone: the duplicate answers the other's answer, the rest open their cases."""
    if db.is_sqlite:
        pytest.skip("the raw store is PostgreSQL's")
    ref = await _ref(db, api_key)
    writer = group_commit.GroupWriter(db, app.state.settings)
    read = group_commit._RawStore.look_up

    async def racing_look_up(self, *args):
        found = await read(self, *args)
        async with db.session() as session:  # the other process, first to commit
            await service.accept_complaint(
                session,
                settings=app.state.settings,
                client_app=ref,
                complaint=_submission(ref).complaint,
                body_sha256=_submission(ref).body_sha256,
                idempotency_key="raced",
            )
        monkeypatch.setattr(group_commit._RawStore, "look_up", read)
        return found

    monkeypatch.setattr(group_commit._RawStore, "look_up", racing_look_up)
    answers = await _submit_together(
        writer, [_submission(ref, key="raced"), _submission(ref, key="calm")]
    )
    await writer.close()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].replayed and not answers[1].replayed
    assert await _count(db, Case) == 2  # the other's and "calm": none doubled
    assert await _count(db, IdempotencyKey) == 2
