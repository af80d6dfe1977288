"""Every table of Simpul, in one metadata (one Alembic history). One module per concept."""

from shared.models import channels, intake, reporting, routing, sla, sync  # noqa: F401  (register their tables)
from shared.models.base import Base, utcnow
from shared.models.case import Attachment, Case, CaseCopy, CaseMessage, Reporter
from shared.models.events import Event, EventDelivery
from shared.models.identity import (
    ClientApp,
    LoginFailure,
    OpsToken,
    RecoveryCode,
    SecurityEvent,
    StaffSession,
    StaffUser,
)
from shared.models.messaging import OutboundMessage
from shared.models.reference import Category, Desa, Kecamatan, Opd

__all__ = [
    "Attachment",
    "Base",
    "Case",
    "CaseCopy",
    "CaseMessage",
    "Category",
    "ClientApp",
    "Desa",
    "Event",
    "EventDelivery",
    "Kecamatan",
    "LoginFailure",
    "Opd",
    "OpsToken",
    "OutboundMessage",
    "RecoveryCode",
    "Reporter",
    "SecurityEvent",
    "StaffSession",
    "StaffUser",
    "utcnow",
]
