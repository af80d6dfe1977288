"""The case lifecycle (DESIGN.md, "The case lifecycle") checked exhaustively against an
expected table written out here by hand, so a change to ``shared/lifecycle.py`` that the
design does not call for makes this test fail."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from shared.lifecycle import (
    OPS_ROLES,
    TERMINAL,
    TRANSITIONS,
    Action,
    Role,
    Status,
    TransitionRefused,
    allowed_actions,
    check,
    next_status,
)

ADMIN, OPD, APIP, VIEWER, OPERATOR = "admin_instansi", "opd", "apip", "viewer", "operator"
SYSTEM, REPORTER, LAPOR = "system", "reporter", "lapor"
BEFORE_DISPOSAL = ("received", "verified", "returned")
WITH_OPD = ("disposed", "in_progress")
OPEN = (
    "received",
    "awaiting_info",
    "verified",
    "disposed",
    "in_progress",
    "returned",
    "referred_apip",
    "resolved",
)
ANSWERABLE = (*WITH_OPD, "referred_apip", "verified")

#: action -> (sources, target (None: same), roles, event, needs a reason). From DESIGN.md:
#: verification by Admin Instansi (the system too, for a category's auto-dispose policy);
#: incomplete -> ask the reporter, whose answer resumes verification, or archived after 10 WD;
#: forward to the OPD (again after it returns the case); the OPD answers, Admin Instansi may
#: answer an aspirasi directly, APIP answers what it was referred; a final answer resolves,
#: the reporter (or LAPOR!) may reopen, silence closes; national and APIP referrals.
EXPECTED: dict[str, tuple[tuple[str, ...], str | None, set[str], str, bool]] = {
    "verify": (("received",), "verified", {ADMIN, SYSTEM}, "case.verified", False),
    "request-info": (BEFORE_DISPOSAL, "awaiting_info", {ADMIN}, "case.info_requested", True),
    "provide-info": (
        ("awaiting_info",),
        "received",
        {REPORTER, SYSTEM},
        "case.info_provided",
        False,
    ),
    "dispose": (("verified", "returned"), "disposed", {ADMIN, SYSTEM}, "case.disposed", False),
    "return": (WITH_OPD, "returned", {OPD}, "case.returned", True),
    "respond": (ANSWERABLE, None, {OPD, APIP, ADMIN}, "case.responded", False),
    "resolve": (ANSWERABLE, "resolved", {OPD, APIP, ADMIN}, "case.resolved", False),
    "reopen": (
        ("resolved", "closed"),
        "in_progress",
        {ADMIN, REPORTER, LAPOR},
        "case.reopened",
        True,
    ),
    "close": (("resolved",), "closed", {SYSTEM, LAPOR}, "case.closed", False),
    "archive": (OPEN, "archived", {ADMIN, SYSTEM}, "case.archived", True),
    "forward-national": (
        BEFORE_DISPOSAL,
        "forwarded_national",
        {ADMIN},
        "case.forwarded_national",
        True,
    ),
    "refer-apip": (
        (*BEFORE_DISPOSAL, *WITH_OPD),
        "referred_apip",
        {ADMIN},
        "case.referred_apip",
        False,
    ),
}
#: A non-final response moves a freshly disposed case to in_progress; elsewhere it keeps the status.
RESPOND_MOVES = {"disposed": "in_progress"}

ALL_STATUSES = [s.value for s in Status]
ALL_ROLES = [r.value for r in Role]
TRIPLES = list(itertools.product(ALL_STATUSES, [a.value for a in Action], ALL_ROLES))


def test_the_expected_table_names_every_action_and_status():
    assert set(EXPECTED) == {a.value for a in Action}
    assert set(ALL_STATUSES) == {
        "received",
        "awaiting_info",
        "verified",
        "disposed",
        "in_progress",
        "returned",
        "referred_apip",
        "resolved",
        "closed",
        "archived",
        "forwarded_national",
    }
    assert {t.value for t in TERMINAL} == {"closed", "archived", "forwarded_national"}
    assert {r.value for r in OPS_ROLES} == {ADMIN, OPD, APIP, VIEWER, OPERATOR}


def test_each_action_writes_its_event_and_asks_a_reason_where_marked():
    for action, (_sources, _target, _roles, event, needs_reason) in EXPECTED.items():
        rule = TRANSITIONS[Action(action)]
        assert rule.event == event, action
        assert rule.needs_reason is needs_reason, action


def test_check_allows_exactly_the_expected_triples():
    """All 11 statuses x 12 actions x 8 roles: allowed, or refused with the right code."""
    for status, action, role in TRIPLES:
        sources, target, roles, _event, needs_reason = EXPECTED[action]
        allowed = status in sources and role in roles
        reason = "alasan yang jelas"
        if allowed:
            rule = check(status, action, role, reason)
            assert rule.action == action
            expected_target = target or RESPOND_MOVES.get(status, status)
            assert next_status(status, action, role, reason) == expected_target, (
                status,
                action,
                role,
            )
            if needs_reason:
                for blank in (None, "", "   "):
                    with pytest.raises(TransitionRefused) as refused:
                        check(status, action, role, blank)
                    assert refused.value.code == "reason_required"
        else:
            with pytest.raises(TransitionRefused) as refused:
                check(status, action, role, reason)
            expected_code = "role_not_allowed" if role not in roles else "invalid_state"
            assert refused.value.code == expected_code, (status, action, role)
            assert refused.value.message
            assert refused.value.allowed == allowed_actions(status, role)


def test_allowed_actions_lists_what_check_allows():
    for status in ALL_STATUSES:
        for role in ALL_ROLES:
            expected = {
                a
                for a, (src, _t, roles, _e, _r) in EXPECTED.items()
                if status in src and role in roles
            }
            assert set(allowed_actions(status, role)) == expected, (status, role)


def test_read_only_roles_can_do_nothing():
    for status in ALL_STATUSES:
        assert allowed_actions(status, VIEWER) == []
        assert allowed_actions(status, OPERATOR) == []


def test_terminal_states_are_left_only_by_reopening_a_closed_case():
    for status in ("archived", "forwarded_national"):
        for role in ALL_ROLES:
            assert allowed_actions(status, role) == [], (status, role)
    for role in ALL_ROLES:
        leaving = allowed_actions("closed", role)
        assert set(leaving) <= {"reopen"}, role
    assert next_status("closed", "reopen", REPORTER, "masih rusak") == "in_progress"


@pytest.mark.parametrize("verb", ["delete", "destroy", "purge", "stop"])
def test_there_is_no_action_that_deletes_or_stops_a_case(verb):
    assert verb not in {a.value for a in Action}
    with pytest.raises(TransitionRefused) as refused:
        check("received", verb, ADMIN, "alasan")
    assert refused.value.code == "unknown_action"
    assert refused.value.allowed == allowed_actions("received", ADMIN)


# -- a random walk through the table --------------------------------------------------------------

ACTIONS_AND_DELETE = [a.value for a in Action] + ["delete"]


class CaseLifecycle(RuleBasedStateMachine):
    """An in-memory case under random (action, role) steps: it only ever moves as the table says,
    refused steps raise ``TransitionRefused`` and change nothing, and it never disappears."""

    def __init__(self) -> None:
        super().__init__()
        self.case: dict[str, str] | None = {"status": "received"}
        self.history = ["received"]

    @rule(
        action=st.sampled_from(ACTIONS_AND_DELETE),
        role=st.sampled_from(ALL_ROLES),
        reason=st.sampled_from([None, "", "  ", "alasan"]),
    )
    def act(self, action: str, role: str, reason: str | None) -> None:
        before = self.case["status"]
        expected = EXPECTED.get(action)
        may = (
            expected is not None
            and before in expected[0]
            and role in expected[2]
            and (not expected[4] or bool(reason and reason.strip()))
        )
        try:
            after = next_status(before, action, role, reason)
        except TransitionRefused:
            assert not may, (before, action, role, reason)
            assert self.case["status"] == before
            return
        assert may, (before, action, role, reason)
        self.case["status"] = after
        self.history.append(after)

    @precondition(lambda self: self.case["status"] in {"archived", "forwarded_national"})
    @rule(role=st.sampled_from(ALL_ROLES), action=st.sampled_from(ACTIONS_AND_DELETE))
    def final_states_hold(self, role: str, action: str) -> None:
        with pytest.raises(TransitionRefused):
            next_status(self.case["status"], action, role, "alasan")

    @invariant()
    def the_case_still_exists_in_a_known_status(self) -> None:
        assert self.case is not None
        assert self.case["status"] in {s.value for s in Status}


CaseLifecycle.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseLifecycle = CaseLifecycle.TestCase
