"""Opening a case — the one place every channel (REST, Open311, webhooks, web form, admin
intake, LAPOR! forwarded-in) goes through, so every case starts the same way: a fresh
tracking ID, defaults from its category, the reporter's identity stored apart, and one
``case.received`` event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.errors import Unprocessable
from shared.events import emit
from shared.models import Case, Category, Kecamatan, Reporter, utcnow
from shared.tracking import new_tracking_id

KINDS = ("pengaduan", "aspirasi", "permintaan_informasi")
SLA_CLASSES = ("informasi", "non_lapangan", "lapangan")
#: Channels a case may come from (the web form is ``web``; admin intake records the real one).
CHANNELS = (
    "api",
    "open311",
    "web",
    "sms",
    "whatsapp",
    "telegram",
    "facebook",
    "letter",
    "visit",
    "phone",
    "call_center",
    "lapor",
)
TRACKING_ID_ATTEMPTS = 5


@dataclass
class ReporterInput:
    """Who complained and where replies go. All optional: a reporter may give nothing."""

    channel: str
    channel_address: str | None = None
    name: str | None = None
    phone: str | None = None  # E.164, already normalised
    phone_raw: str | None = None
    email: str | None = None
    nik: str | None = None
    postal_address: str | None = None


@dataclass
class NewCase:
    channel: str
    description: str
    title: str | None = None
    kind: str | None = None
    category_code: str | None = None
    anonymous: bool = False
    confidential: bool = False
    kecamatan_code: str | None = None
    desa: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    external_ref: str | None = None
    client_app_id: int | None = None
    reporter: ReporterInput | None = None
    event_data: dict[str, Any] = field(default_factory=dict)


async def create_case(session: AsyncSession, new: NewCase, actor: Actor) -> Case:
    """Open a case and write ``case.received``. Only flushes; the caller's unit of work commits.

    Raises :class:`Unprocessable` for an unknown category, kecamatan, kind or channel.
    """
    if new.channel not in CHANNELS:
        raise Unprocessable(
            f"unknown channel {new.channel!r}", code="unknown_channel", field="channel"
        )
    category = None
    if new.category_code:
        category = await session.get(Category, new.category_code)
        if category is None or not category.active:
            raise Unprocessable(
                f"unknown category {new.category_code!r}", code="unknown_category", field="category"
            )
    if new.kecamatan_code and await session.get(Kecamatan, new.kecamatan_code) is None:
        raise Unprocessable(
            f"unknown kecamatan {new.kecamatan_code!r}",
            code="unknown_kecamatan",
            field="location.kecamatan",
        )
    kind = new.kind or (category.default_kind if category else "pengaduan")
    if kind not in KINDS:
        raise Unprocessable(f"unknown kind {kind!r}", code="unknown_kind", field="kind")

    now = utcnow()
    received_at = new.received_at or now
    case = None
    for _attempt in range(TRACKING_ID_ATTEMPTS):
        candidate = Case(
            tracking_id=new_tracking_id(),
            channel=new.channel,
            kind=kind,
            status="received",
            sla_class=category.default_sla_class if category else None,
            category_code=new.category_code,
            anonymous=new.anonymous,
            confidential=new.confidential,
            title=new.title,
            description=new.description,
            kecamatan_code=new.kecamatan_code,
            desa=new.desa,
            address=new.address,
            lat=new.lat,
            lon=new.lon,
            occurred_at=new.occurred_at,
            received_at=received_at,
            status_changed_at=received_at,
            external_ref=new.external_ref,
            client_app_id=new.client_app_id,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(candidate)
                await session.flush()
        except IntegrityError:
            # A tracking-id collision (about 1 in 10^10): draw again.
            continue
        case = candidate
        break
    if case is None:
        raise RuntimeError("could not draw a free tracking id")

    reporter = new.reporter or ReporterInput(channel=new.channel)
    session.add(
        Reporter(
            case_id=case.id,
            name=reporter.name,
            phone=reporter.phone,
            phone_raw=reporter.phone_raw,
            email=reporter.email,
            nik=reporter.nik,
            channel=reporter.channel,
            channel_address=reporter.channel_address,
            postal_address=reporter.postal_address,
        )
    )
    await emit(
        session,
        "case.received",
        actor,
        case_id=case.id,
        data={
            "channel": case.channel,
            "kind": case.kind,
            "category": case.category_code,
            **new.event_data,
        },
        occurred_at=received_at,
    )
    return case


async def get_by_tracking_id(session: AsyncSession, tracking_id: str) -> Case | None:
    from shared.tracking import normalize

    canonical = normalize(tracking_id)
    if canonical is None:
        return None
    return await session.scalar(select(Case).where(Case.tracking_id == canonical))
