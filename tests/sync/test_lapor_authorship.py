"""A national follow-up nobody can attribute is shown to staff as "dari LAPOR!" — never a
reporter message (nothing resumes or relays it) — and ours are never read back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.sync.inbound import changes
from services.sync.inbound.service import poll_once
from services.sync.lapor import LaporFollowup
from shared.models import CaseMessage
from tests.sync.test_mirror_support import (
    by_tag,
    events_of,
    open_case,
    settle,
)


def followup(followup_id: int, author: str, content: str) -> LaporFollowup:
    return LaporFollowup(
        followup_id=followup_id, complaint_id=1, content=content, created_at=None, author=author
    )


async def test_unattributed_follow_ups_become_staff_notes_once(sync_app, lapor_sim_admin):
    case_id, _ = await open_case(sync_app)
    await settle(sync_app)
    items = [
        followup(11, "unknown", "Catatan sistem LAPOR!"),
        followup(12, "reporter", "Saya pelapor."),
        followup(13, "instansi", "Jawaban instansi lain."),
    ]
    for _ in range(2):  # read twice: each once
        async with sync_app.state.db.session() as session:
            await changes.apply_followups(session, case_id, 1, items)
    async with sync_app.state.db.session() as session:
        rows = (
            await session.execute(
                select(CaseMessage.kind, CaseMessage.author_name, CaseMessage.body).where(
                    CaseMessage.case_id == case_id
                )
            )
        ).all()
    assert sorted(rows, key=lambda r: r[2]) == [
        ("internal_note", "dari LAPOR!", "Catatan sistem LAPOR!"),
        ("reporter", None, "Saya pelapor."),
    ]
    assert len(await events_of(sync_app, "lapor.followup_unattributed", case_id)) == 1
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 1


@pytest.mark.parametrize("shape", ["paged", "legacy"])
async def test_a_national_follow_up_of_unknown_authorship_arrives_as_a_staff_note(
    sync_app, lapor_sim_admin, shape
):
    await lapor_sim_admin.faults(followups_shape=shape)
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    await lapor_sim_admin._call(
        "POST",
        f"/complaints/{national['complaint_id']}/followups",
        {"content": "Disposisi otomatis.", "template_code": "disposition"},
    )
    for _ in range(2):
        await poll_once(sync_app.state.ctx)
    assert await events_of(sync_app, "lapor.followup_received", case_id) == []
    [note] = await events_of(sync_app, "lapor.followup_unattributed", case_id)
    async with sync_app.state.db.session() as session:
        message = await session.get(CaseMessage, note.data["message_id"])
    assert (message.kind, message.author_name) == ("internal_note", "dari LAPOR!")
