"""The events of a case, typed once: one enum of their types, one payload model per type.

Every ``case.*`` event is written with a :class:`CaseEvent` and its data is checked
against that event's payload model when it is emitted (:func:`checked_data`, called by
``shared.events.emit`` / ``emit_many``): a misspelt key or a wrong type fails in the
writer's test, not silently in a consumer three services away. Consumers read the data
back as that model (:func:`payload_of`), so no consumer guesses a key
(``data.get("opd") or data.get("opd_code")``) or tries three of them in turn.

Payload fields are optional where an emitter may leave them out (older events, tests
that write an event alone). The check is strict (no coercion: a number given as a string
is refused) and the data is stored exactly as given, so the audit trail shows what
happened and nothing invented. Cost: about 2 µs for ``case.received`` on the intake hot
path (docs/performance.md), against the ~700 µs of CPU a complaint takes there.

This is the one module that spells an event type; everything else names a member.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: The namespace of case events; any other prefix (``sla.``, ``lapor.``...) is not typed here.
PREFIX = "case."


class CaseEvent(StrEnum):
    """Everything that can happen to a case (the lifecycle's events and the audit-only ones)."""

    RECEIVED = "case.received"
    VERIFIED = "case.verified"
    INFO_REQUESTED = "case.info_requested"
    INFO_PROVIDED = "case.info_provided"
    DISPOSED = "case.disposed"
    RETURNED = "case.returned"
    RESPONDED = "case.responded"
    RESOLVED = "case.resolved"
    REOPENED = "case.reopened"
    CLOSED = "case.closed"
    ARCHIVED = "case.archived"
    FORWARDED_NATIONAL = "case.forwarded_national"
    REFERRED_APIP = "case.referred_apip"
    MESSAGE_RECEIVED = "case.message_received"
    RATED = "case.rated"
    NOTE_ADDED = "case.note_added"
    IDENTITY_VIEWED = "case.identity_viewed"

    @property
    def short(self) -> str:
        """The type without its namespace (``received``), as clocks and metrics name it."""
        return self.value.removeprefix(PREFIX)


#: Subscription pattern that matches every case event (``shared.events.subscriptions``).
ALL_CASE_EVENTS = f"{PREFIX}*"


class Payload(BaseModel):
    """Base of every payload: unknown keys are refused, so a typo is caught where it is made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReceivedPayload(Payload):
    """Opened on any channel (``shared.cases.service``); extras say where it came from."""

    channel: str | None = None
    kind: str | None = None
    category: str | None = None
    via: str | None = None  # the webhook adapter or "web"
    inline_reply: bool = False  # the channel already acknowledged (Twilio's TwiML)
    client_app_id: int | None = None
    attachments: int | None = None
    open311: dict[str, Any] | None = None
    entered_by_opd: str | None = None  # Admin UPP intake
    lapor_complaint_id: int | None = None  # forwarded in by a national admin
    origin: str | None = None


class VerifiedPayload(Payload):
    changes: dict[str, list[Any]] = {}
    kind: str | None = None
    category: str | None = None
    sla_class: str | None = None
    anonymous: bool | None = None
    confidential: bool | None = None


class InfoRequestedPayload(Payload):
    message: str | None = None
    message_id: int | None = None


class ReporterMessagePayload(Payload):
    """A reporter's message joining the case (``message_received``, ``info_provided``)."""

    message_id: int | None = None
    channel: str | None = None
    via: str | None = None
    attachments: int = 0
    location_added: bool = False
    inline_reply: bool = False


class DisposedPayload(Payload):
    opd: str | None = None
    opd_name: str | None = None
    copies: list[str] = []
    sla_class: str | None = None
    previous_opd: str | None = None
    kind: str | None = None
    category: str | None = None


class OpdPayload(Payload):
    """A hand-off that names the OPD concerned (``returned``, ``referred_apip``)."""

    opd: str | None = None
    opd_name: str | None = None
    previous_opd: str | None = None


class ResponsePayload(Payload):
    """A response to the reporter (``responded``; ``resolved`` when final)."""

    message: str | None = None
    message_id: int | None = None
    final: bool = False
    status: str | None = None
    opd: str | None = None
    opd_name: str | None = None


class ReopenedPayload(Payload):
    resolved_at: str | None = None
    status: str | None = None
    opd: str | None = None
    opd_name: str | None = None


class EndedPayload(Payload):
    """``closed`` / ``archived`` / ``forwarded_national``: by a person (``reason``) or by an
    expired clock (the sweeper: which clock, when it was due, why)."""

    reason: str | None = None
    clock: str | None = None
    clock_id: int | None = None
    deadline_at: str | None = None
    by: str | None = None
    reason_code: str | None = None
    #: ``forward-national``: the national institution to send it to (default Admin Nasional).
    lapor_institution_id: int | None = None


class RatedPayload(Payload):
    """The reporter's rating (1–5) from a channel reply, the web page or SP4N-LAPOR!.
    The comment's text stays on the case (``rating_comment``); the event says only
    whether there was one."""

    rating: int
    via: str | None = None
    has_comment: bool = False
    inline_reply: bool = False
    source: str | None = None
    lapor_complaint_id: int | None = None
    #: A LAPOR! rating: does ``cases.rating`` (what reports use) hold it? False while the
    #: reporter's Simpul rating stands (``services/sync/inbound/national.py``).
    counted_in_reports: bool | None = None


class NotePayload(Payload):
    note: str | None = None
    opd: str | None = None


class IdentityViewedPayload(Payload):
    view: str


PAYLOADS: dict[CaseEvent, type[Payload]] = {
    CaseEvent.RECEIVED: ReceivedPayload,
    CaseEvent.VERIFIED: VerifiedPayload,
    CaseEvent.INFO_REQUESTED: InfoRequestedPayload,
    CaseEvent.INFO_PROVIDED: ReporterMessagePayload,
    CaseEvent.DISPOSED: DisposedPayload,
    CaseEvent.RETURNED: OpdPayload,
    CaseEvent.RESPONDED: ResponsePayload,
    CaseEvent.RESOLVED: ResponsePayload,
    CaseEvent.REOPENED: ReopenedPayload,
    CaseEvent.CLOSED: EndedPayload,
    CaseEvent.ARCHIVED: EndedPayload,
    CaseEvent.FORWARDED_NATIONAL: EndedPayload,
    CaseEvent.REFERRED_APIP: OpdPayload,
    CaseEvent.MESSAGE_RECEIVED: ReporterMessagePayload,
    CaseEvent.RATED: RatedPayload,
    CaseEvent.NOTE_ADDED: NotePayload,
    CaseEvent.IDENTITY_VIEWED: IdentityViewedPayload,
}

#: Events that only record something in the audit trail (who read an identity, an internal
#: note): no consumer acts on them, so they queue no deliveries.
AUDIT_ONLY: frozenset[CaseEvent] = frozenset({CaseEvent.IDENTITY_VIEWED, CaseEvent.NOTE_ADDED})


class InvalidEventData(ValueError):
    """An emitter wrote data its event's payload model refuses (a programming error)."""


def case_event(type: str) -> CaseEvent | None:
    """The :class:`CaseEvent` of a stored type string; None for another namespace.

    Raises :class:`InvalidEventData` for an unknown ``case.*`` type (a typo)."""
    if not type.startswith(PREFIX):
        return None
    try:
        return CaseEvent(type)
    except ValueError:
        raise InvalidEventData(f"unknown case event type {type!r}") from None


def checked_data(type: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` as the event's payload model accepts it (what ``emit`` stores).

    Non-case events pass unchanged. A case event's data is validated strictly and kept
    as given (keys the emitter left out stay out)."""
    data = data or {}
    event = case_event(type)
    if event is not None:
        try:
            PAYLOADS[event].__pydantic_validator__.validate_python(data, strict=True)
        except ValidationError as exc:
            raise InvalidEventData(f"{type}: {exc}") from exc
    return data


def payload_of(event: Any) -> Any:
    """The stored event's data as its payload model; None for an event of another namespace
    (``sla.*``, ``lapor.*``). Keys the model does not know are ignored, so an event
    written before a field was dropped still reads."""
    kind = case_event(event.type)
    if kind is None:
        return None
    return _read(PAYLOADS[kind], event.data if isinstance(event.data, dict) else {})


def _read(model: type[Payload], data: dict[str, Any]) -> Any:
    known = _fields(model)
    return model.model_validate({k: v for k, v in data.items() if k in known})


@functools.cache
def _fields(model: type[Payload]) -> frozenset[str]:
    return frozenset(model.model_fields)
