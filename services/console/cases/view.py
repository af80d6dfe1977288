"""What the case page shows, built from the admin API's own serializer.

The page receives :func:`services.routing.cases.detail.case_detail` — the readable case, its
reporter as the caller may see them (an anonymous reporter's identity is not in the dict
for anyone but Admin Instansi, so no template can show it), timeline, thread, clocks,
mirror state and the actions the caller may take now — plus what the forms need: names
of codes, choices for each field, the reply templates for each action rendered for this
case, and the officer's colleagues for distribution.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import assignment, detail
from services.routing.replies import service as replies
from services.routing.worklists.service import Names, reference_names
from shared.auth import Actor
from shared.calendar import WorkingCalendar
from shared.cases.access import owns_case
from shared.cases.deadlines import SLA_CLASSES
from shared.cases.labels import (
    ACTION_LABELS,
    CHANNEL_LABELS,
    KIND_LABELS,
    MIRROR_STATE_LABELS,
    SLA_CLASS_LABELS,
    event_label,
    status_label,
)
from shared.cases.service import KINDS
from shared.config import Settings
from shared.models import Case

#: Fields of the serializer that hold moments (ISO strings turned back into datetimes so
#: templates show them in the pemda's timezone with the ``waktu`` filter).
_MOMENTS = (
    "received_at",
    "status_changed_at",
    "occurred_at",
    "verified_at",
    "disposed_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "archived_at",
)
#: Where each action's text goes in its form, and whether it must be given.
TEXT_FIELD: dict[str, tuple[str, bool]] = {
    "verify": ("note", False),
    "request-info": ("message", True),
    "dispose": ("note", False),
    "return": ("reason", True),
    "respond": ("message", True),
    "reopen": ("reason", True),
    "archive": ("reason", True),
    "forward-national": ("reason", True),
    "refer-apip": ("note", False),
    "note": ("note", True),
}
#: The order of the forms on the page: the usual next step first (it is the one unfolded).
ACTION_ORDER = (
    "verify",
    "dispose",
    "respond",
    "request-info",
    "refer-apip",
    "forward-national",
    "return",
    "reopen",
    "archive",
    "note",
)
#: What the text box of each action is called on the page.
TEXT_LABELS: dict[str, str] = {
    "note": "Catatan internal (tidak dikirim ke pelapor)",
    "message": "Pesan untuk pelapor",
    "reason": "Alasan",
}


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _with_moments(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: (_moment(v) if k in keys else v) for k, v in item.items()}


def _choices(names: Names) -> dict[str, list[tuple[str, str]]]:
    return {
        "opd": names.choices("opds", active_only=True),
        "category": names.choices("categories", active_only=True),
        "kind": [(k, KIND_LABELS.get(k, k)) for k in KINDS],
        "sla_class": [(c, SLA_CLASS_LABELS.get(c, c)) for c in SLA_CLASSES],
    }


async def case_page(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    calendar: WorkingCalendar,
    settings: Settings,
) -> dict[str, Any]:
    """Everything the case page renders (see the module docstring)."""
    view = await detail.case_detail(session, case, actor, calendar)
    names = await reference_names(session)
    view = _with_moments(view, _MOMENTS)
    view["timeline"] = [
        {**_with_moments(e, ("occurred_at",)), "label": event_label(e["type"])}
        for e in view["timeline"]
    ]
    view["messages"] = [_with_moments(m, ("created_at",)) for m in view["messages"]]
    view["attachments"] = [_with_moments(a, ("created_at",)) for a in view["attachments"]]
    context = replies.context_for(
        case,
        actor,
        category_name=names.categories.get(case.category_code or ""),
        opd_name=names.opds.get(case.opd_code or ""),
        tz=settings.tz,
    )
    templates = await replies.list_templates(session)
    actions = sorted(
        view["allowed_actions"],
        key=lambda a: ACTION_ORDER.index(a) if a in ACTION_ORDER else len(ACTION_ORDER),
    )
    owner = await owns_case(session, actor, case)
    colleagues = (
        await assignment.colleagues(session, case.opd_code)
        if assignment.may_assign(actor, case, owner=owner)
        else []
    )
    return {
        "case": view,
        "names": names,
        "labels": {
            "status": status_label(case.status),
            "kind": KIND_LABELS.get(case.kind, case.kind),
            "channel": CHANNEL_LABELS.get(case.channel, case.channel),
            "sla_class": SLA_CLASS_LABELS.get(case.sla_class or "", case.sla_class),
            "mirror": MIRROR_STATE_LABELS.get(view["mirror"]["state"], view["mirror"]["state"]),
            "actions": ACTION_LABELS,
            "text": TEXT_LABELS,
        },
        "actions": actions,
        "text_field": TEXT_FIELD,
        "choices": _choices(names),
        "templates": {
            action: [
                {"id": t.id, "title": t.title, "text": replies.render(t.body, context)}
                for t in templates
                if replies.offered_for(t, action)
            ]
            for action in actions
        },
        "colleagues": [(f"user:{u.id}", u.full_name) for u in colleagues],
        "may_assign": bool(colleagues),
        "status_labels": {},
    }
