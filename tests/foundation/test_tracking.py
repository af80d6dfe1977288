"""Tracking IDs (CONTRACT.md): at most 12 characters, typeable in an SMS, case-insensitive,
without look-alike characters, not guessable — and a collision never loses a complaint."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from shared import tracking
from shared.auth import SYSTEM
from shared.cases import service as case_service
from shared.cases.service import NewCase, create_case, get_by_tracking_id
from shared.models import Case, Event
from shared.tracking import ALPHABET, find_in_text, new_tracking_id, normalize

LOOK_ALIKES = set("0O1IL2Z5S8BUV")


def test_ids_are_short_and_free_of_look_alikes():
    assert not LOOK_ALIKES & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)
    for _ in range(2000):
        tid = new_tracking_id()
        assert 0 < len(tid) <= 12
        assert set(tid) <= set(ALPHABET)
        assert tid == tid.upper()


def test_ids_have_no_sequence():
    ids = [new_tracking_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert ids != sorted(ids)
    ascending = sum(a < b for a, b in zip(ids, ids[1:], strict=False))
    # a counter would make every neighbour ascend; random ids ascend about half the time
    assert 4000 < ascending < 6000
    # every symbol turns up in every position: nothing fixed, nothing counted
    for position in range(tracking.LENGTH):
        assert {tid[position] for tid in ids} == set(ALPHABET)


def test_one_draw_covers_every_id_exactly_once(monkeypatch):
    # An id is one number below 23**8 written in the alphabet: the draw's range is the
    # id space, both ends included, so the ids are as uniform as the draw.
    space = len(ALPHABET) ** tracking.LENGTH
    asked = []

    def randbelow(n):
        asked.append(n)
        return draws.pop(0)

    draws = [0, space - 1, 1]
    monkeypatch.setattr(tracking.secrets, "randbelow", randbelow)
    first, last, second = (new_tracking_id() for _ in range(3))
    assert asked == [space] * 3
    assert first == ALPHABET[0] * tracking.LENGTH
    assert last == ALPHABET[-1] * tracking.LENGTH
    assert second == ALPHABET[1] + ALPHABET[0] * (tracking.LENGTH - 1)


@given(st.text(alphabet=ALPHABET, min_size=tracking.LENGTH, max_size=tracking.LENGTH))
def test_normalize_is_case_insensitive_and_forgives_separators(tid):
    assert normalize(tid) == tid
    assert normalize(tid.lower()) == tid
    assert normalize(f" #{tid[:4].lower()}-{tid[4:]} ") == tid
    assert normalize(f"{tid[:4]} {tid[4:].lower()}") == tid
    assert find_in_text(f"Halo, saya mau tanya laporan #{tid.lower()} sudah sampai mana?") == tid


@pytest.mark.parametrize(
    "typed", ["", "   ", "ACDE", "ACDEFGHJK", "ACDEFGH0", "OOOOOOOO", "acdefgh5", None]
)
def test_normalize_refuses_what_cannot_be_an_id(typed):
    assert normalize(typed) is None


@pytest.mark.parametrize(
    "text",
    [
        "tidak ada nomor di sini",
        "ACDEFGHJ tanpa tanda pagar",
        "#ACDE",
        "#ACDEFGHJK terlalu panjang",
        "",
        None,
    ],
)
def test_find_in_text_needs_a_hash_and_a_whole_id(text):
    assert find_in_text(text) is None


async def test_a_tracking_id_collision_draws_again_and_the_case_is_created(db, monkeypatch):
    async with db.session() as session:
        first = await create_case(
            session, NewCase(channel="web", description="Lampu jalan mati"), SYSTEM
        )
    taken = first.tracking_id
    fresh = next(t for t in iter(new_tracking_id, None) if t != taken)
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(case_service, "new_tracking_id", lambda: next(draws))

    async with db.session() as session:
        second = await create_case(
            session, NewCase(channel="sms", description="Sampah menumpuk"), SYSTEM
        )
    assert second.tracking_id == fresh

    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 2
        found = await get_by_tracking_id(session, fresh.lower())
        assert found is not None and found.description == "Sampah menumpuk"
        received = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.case_id == second.id, Event.type == "case.received")
        )
        assert received == 1


async def test_a_case_is_refused_when_no_free_id_can_be_drawn(db, monkeypatch):
    async with db.session() as session:
        first = await create_case(
            session, NewCase(channel="web", description="Lampu jalan mati"), SYSTEM
        )
    monkeypatch.setattr(case_service, "new_tracking_id", lambda: first.tracking_id)
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await create_case(session, NewCase(channel="web", description="Lagi"), SYSTEM)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1
