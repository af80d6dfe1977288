"""Which consumer gets which event types — the one place fan-out is decided.

Static, because the writer fans out at commit time and the consumers may live in other
processes (each service runs separately on PostgreSQL). Patterns use ``fnmatch`` syntax.
Adding a consumer: add its name here and a ``Consumer`` of that name in its service.
Audit-only events (``AUDIT_ONLY``) are written to the log but delivered to no consumer.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

from shared.cases.events import ALL_CASE_EVENTS, AUDIT_ONLY, CaseEvent

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # routing: suggestions and optional auto-forwarding on intake
    "routing": (CaseEvent.RECEIVED,),
    # sla: clocks start, pause, resume and stop on lifecycle events
    "sla": (ALL_CASE_EVENTS,),
    # sync: the SP4N-LAPOR! mirror (its own inbound events are lapor.* and not mirrored back)
    "sync": (ALL_CASE_EVENTS,),
    # notify: messages to reporters, OPDs and escalation contacts
    "notify": (ALL_CASE_EVENTS, "sla.warning", "sla.breached"),
}

__all__ = ["AUDIT_ONLY", "SUBSCRIPTIONS", "consumers_for"]


@lru_cache(maxsize=512)
def consumers_for(event_type: str) -> tuple[str, ...]:
    if event_type in AUDIT_ONLY:
        return ()
    return tuple(
        name
        for name, patterns in SUBSCRIPTIONS.items()
        if any(fnmatchcase(event_type, p) for p in patterns)
    )
