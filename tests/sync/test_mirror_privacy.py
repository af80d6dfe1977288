"""Anonim and rahasia on the national copy (issue 20 item 1): a change at verification
follows to LAPOR!, and a chat channel's display name is never sent as the reporter's."""

from __future__ import annotations

from sqlalchemy import select

from shared.cases.service import NewCase, ReporterInput, create_case
from shared.models.sync import LaporOutboundOp
from tests.sync.test_mirror_support import (
    ADMIN,
    by_tag,
    events_of,
    fast_client,
    open_case,
    settle,
    use_client,
)


async def _national(lapor_sim_admin, tracking_id: str) -> dict:
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    return national


async def _verify(client, headers, tracking_id: str, **body) -> None:
    response = await client.post(f"/admin/cases/{tracking_id}/verify", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_made_anonymous_at_verification_the_national_copy_follows(
    sync_app, client, admin_headers, lapor_sim_admin
):
    _, tracking_id = await open_case(sync_app)  # named (REST name field), mirrored on arrival
    await settle(sync_app)
    before = await _national(lapor_sim_admin, tracking_id)
    assert before["is_anonymous"] == 0 and before["reporter_name"] == "Budi Santoso"

    await _verify(client, admin_headers, tracking_id, anonymous=True, confidential=True)
    await settle(sync_app)
    after = await _national(lapor_sim_admin, tracking_id)
    assert after["is_anonymous"] == 1 and after["is_secret"] == 1
    assert after["reporter_name"] is None and after["reporter"] is None


async def test_every_change_of_rahasia_follows_and_an_unchanged_verify_sends_nothing(
    sync_app, client, admin_headers, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app, confidential=True)
    await settle(sync_app)
    assert (await _national(lapor_sim_admin, tracking_id))["is_secret"] == 1
    await _verify(client, admin_headers, tracking_id, confidential=False)
    await settle(sync_app)
    assert (await _national(lapor_sim_admin, tracking_id))["is_secret"] == 0

    async with sync_app.state.db.session() as session:
        kinds = list(
            await session.scalars(
                select(LaporOutboundOp.kind).where(
                    LaporOutboundOp.case_id == case_id, LaporOutboundOp.kind == "privacy"
                )
            )
        )
    assert kinds == ["privacy"]  # one op for the one change


async def test_a_chat_display_name_is_not_sent_as_the_reporters_name(sync_app, lapor_sim_admin):
    async with sync_app.state.db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel="whatsapp",
                description="Sampah menumpuk di pasar sejak tiga hari.",
                reporter=ReporterInput(
                    channel="whatsapp",
                    channel_address="6281234567890",
                    name="Budi WA",  # the WhatsApp profile name
                    phone="+6281234567890",
                ),
            ),
            ADMIN,
        )
        tracking_id = case.tracking_id
    await settle(sync_app)
    national = await _national(lapor_sim_admin, tracking_id)
    assert national["reporter_name"] is None
    assert "reporter_name" not in national["payload"]
    assert "Budi WA" not in str(national["payload"])


async def test_without_a_national_privacy_call_operators_are_asked(
    sync_app, client, admin_headers, lapor_sim, lapor_sim_admin
):
    await use_client(sync_app, fast_client(lapor_sim, privacy_path=""))
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    await _verify(client, admin_headers, tracking_id, anonymous=True)
    await settle(sync_app)
    [asked] = await events_of(sync_app, "lapor.privacy_update_needed", case_id)
    assert asked.data["anonymous"] is True
    assert "Budi" not in str(asked.data)
    assert (await _national(lapor_sim_admin, tracking_id))["is_anonymous"] == 0  # not guessed
    await settle(sync_app)
    assert len(await events_of(sync_app, "lapor.privacy_update_needed", case_id)) == 1
