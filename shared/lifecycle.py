"""The case lifecycle of DESIGN.md in one table: states, actions, who may do them, what event each writes.

Services call :func:`transition` (or :func:`check`); none re-implements a rule. Sources:
PermenPANRB 62/2018 as written into Perbup Tanah Laut 11/2020 and Perbup Tabanan 47/2022.
There is no "delete" action, and no action leaves a terminal state except ``reopen``
(within the reopen window, checked by the caller that knows the calendar).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.cases.events import CaseEvent


class Status(StrEnum):
    RECEIVED = "received"  # awaiting verification by Admin Instansi (3 WD)
    AWAITING_INFO = "awaiting_info"  # more data asked of the reporter (10 WD, then archived)
    VERIFIED = "verified"  # verified, not yet forwarded
    DISPOSED = "disposed"  # forwarded to an OPD's pejabat penghubung (resolution clock runs)
    IN_PROGRESS = "in_progress"  # the OPD has responded, no final answer yet
    RETURNED = "returned"  # the OPD says it is not its authority; back to Admin Instansi
    REFERRED_APIP = "referred_apip"  # abuse of authority: with the Inspektorat
    RESOLVED = "resolved"  # final answer given; closes by itself after 10 WD of silence
    CLOSED = "closed"
    ARCHIVED = "archived"  # with a reason (e.g. incomplete after 10 WD)
    FORWARDED_NATIONAL = "forwarded_national"  # outside the pemda's authority: to Admin Nasional


#: Admin Instansi's verification queue: the cases waiting on it (``services.routing.worklists``;
#: the predicate of the queue's index ``ix_cases_queue_due``, migration 0019).
QUEUE_STATUSES: tuple[Status, ...] = (
    Status.RECEIVED, Status.AWAITING_INFO, Status.RETURNED, Status.VERIFIED,
)  # fmt: skip


class Action(StrEnum):
    VERIFY = "verify"
    REQUEST_INFO = "request-info"
    PROVIDE_INFO = "provide-info"  # the reporter answered a request for data
    DISPOSE = "dispose"
    RETURN = "return"
    RESPOND = "respond"  # a non-final response
    RESOLVE = "resolve"  # ``respond`` with ``final: true``
    REOPEN = "reopen"
    CLOSE = "close"  # automatic after 10 WD of silence on a resolved case
    ARCHIVE = "archive"
    FORWARD_NATIONAL = "forward-national"
    REFER_APIP = "refer-apip"


class Role(StrEnum):
    ADMIN_INSTANSI = "admin_instansi"
    OPD = "opd"
    APIP = "apip"
    VIEWER = "viewer"
    OPERATOR = "operator"
    # Non-human actors
    SYSTEM = "system"
    REPORTER = "reporter"
    LAPOR = "lapor"


#: Roles a person can hold in an ops token.
OPS_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.OPD, Role.APIP, Role.VIEWER, Role.OPERATOR})
TERMINAL = frozenset({Status.CLOSED, Status.ARCHIVED, Status.FORWARDED_NATIONAL})
OPEN_STATES = frozenset(Status) - TERMINAL


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change
    roles: frozenset[Role]
    event: CaseEvent
    needs_reason: bool = False
    #: An internal hand-off between staff: not on the public timeline (``shared.cases.labels``).
    internal: bool = False


def _t(
    action: Action,
    sources: set[Status] | frozenset[Status],
    target: Status | None,
    roles: set[Role],
    event: CaseEvent,
    needs_reason: bool = False,
    *,
    internal: bool = False,
) -> Transition:
    return Transition(
        action, frozenset(sources), target, frozenset(roles), event, needs_reason, internal
    )


S, A, R, E = Status, Action, Role, CaseEvent
_BEFORE_DISPOSAL = {S.RECEIVED, S.VERIFIED, S.RETURNED}
_WITH_OPD = {S.DISPOSED, S.IN_PROGRESS}

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        # SYSTEM: auto-dispose (a category/rule policy) verifies as the system before forwarding.
        _t(A.VERIFY, {S.RECEIVED}, S.VERIFIED, {R.ADMIN_INSTANSI, R.SYSTEM}, E.VERIFIED),
        _t(
            A.REQUEST_INFO,
            _BEFORE_DISPOSAL,
            S.AWAITING_INFO,
            {R.ADMIN_INSTANSI},
            E.INFO_REQUESTED,
            True,
        ),
        _t(
            A.PROVIDE_INFO,
            {S.AWAITING_INFO},
            S.RECEIVED,
            {R.REPORTER, R.SYSTEM},
            E.INFO_PROVIDED,
        ),
        _t(
            A.DISPOSE,
            {S.VERIFIED, S.RETURNED},
            S.DISPOSED,
            {R.ADMIN_INSTANSI, R.SYSTEM},
            E.DISPOSED,
        ),
        _t(A.RETURN, _WITH_OPD, S.RETURNED, {R.OPD}, E.RETURNED, True, internal=True),
        _t(
            A.RESPOND,
            _WITH_OPD | {S.REFERRED_APIP, S.VERIFIED},
            None,
            {R.OPD, R.APIP, R.ADMIN_INSTANSI},
            E.RESPONDED,
        ),
        _t(
            A.RESOLVE,
            _WITH_OPD | {S.REFERRED_APIP, S.VERIFIED},
            S.RESOLVED,
            {R.OPD, R.APIP, R.ADMIN_INSTANSI},
            E.RESOLVED,
        ),
        _t(
            A.REOPEN,
            {S.RESOLVED, S.CLOSED},
            S.IN_PROGRESS,
            {R.ADMIN_INSTANSI, R.REPORTER, R.LAPOR},
            E.REOPENED,
            True,
        ),
        _t(A.CLOSE, {S.RESOLVED}, S.CLOSED, {R.SYSTEM, R.LAPOR}, E.CLOSED),
        _t(A.ARCHIVE, OPEN_STATES, S.ARCHIVED, {R.ADMIN_INSTANSI, R.SYSTEM}, E.ARCHIVED, True),
        _t(
            A.FORWARD_NATIONAL,
            _BEFORE_DISPOSAL,
            S.FORWARDED_NATIONAL,
            {R.ADMIN_INSTANSI},
            E.FORWARDED_NATIONAL,
            True,
        ),
        _t(
            A.REFER_APIP,
            _BEFORE_DISPOSAL | _WITH_OPD,
            S.REFERRED_APIP,
            {R.ADMIN_INSTANSI},
            E.REFERRED_APIP,
            internal=True,
        ),
    ]
}

#: Respond on a case whose status allows it moves a disposed case to in_progress.
RESPOND_TARGETS = {S.DISPOSED: S.IN_PROGRESS}


class TransitionRefused(Exception):
    """An action the case's state or the actor's role does not allow (rendered as 409 / 403)."""

    def __init__(self, message: str, *, code: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.allowed = allowed


def allowed_actions(status: Status | str, role: Role | str) -> list[str]:
    """The actions ``role`` may take on a case in ``status`` (shown with every 409)."""
    status, role = Status(status), Role(role)
    return [str(t.action) for t in TRANSITIONS.values() if status in t.sources and role in t.roles]


def check(
    status: Status | str, action: Action | str, role: Role | str, reason: str | None = None
) -> Transition:
    """The transition for ``action``, or :class:`TransitionRefused` saying why not.

    An action that does not exist (e.g. "delete": cases are never deleted) is refused too.
    """
    status, role = Status(status), Role(role)
    if action not in Action.__members__.values():
        raise TransitionRefused(
            f"there is no action {action!r}",
            code="unknown_action",
            allowed=allowed_actions(status, role),
        )
    action = Action(action)
    rule = TRANSITIONS[action]
    if role not in rule.roles:
        raise TransitionRefused(
            f"role {role} may not {action}",
            code="role_not_allowed",
            allowed=allowed_actions(status, role),
        )
    if status not in rule.sources:
        raise TransitionRefused(
            f"cannot {action} a case that is {status}",
            code="invalid_state",
            allowed=allowed_actions(status, role),
        )
    if rule.needs_reason and not (reason and reason.strip()):
        raise TransitionRefused(
            f"{action} needs a reason",
            code="reason_required",
            allowed=allowed_actions(status, role),
        )
    return rule


def next_status(
    status: Status | str, action: Action | str, role: Role | str, reason: str | None = None
) -> Status:
    """The status after ``action``; raises :class:`TransitionRefused` when it is not allowed."""
    rule = check(status, action, role, reason)
    if rule.target is not None:
        return rule.target
    return RESPOND_TARGETS.get(Status(status), Status(status))
