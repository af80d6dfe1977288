"""Which consumer gets which event types — the one place fan-out is decided.

Static, because the writer fans out at commit time and the consumers may live in other
processes (each service runs separately on PostgreSQL). Patterns use ``fnmatch`` syntax.
Adding a consumer: add its name here and a ``Consumer`` of that name in its service.
Audit-only events (``AUDIT_ONLY``) are written to the log but delivered to no consumer.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # routing: suggestions and optional auto-forwarding on intake
    "routing": ("case.received",),
    # sla: clocks start, pause, resume and stop on lifecycle events
    "sla": ("case.*",),
    # sync: the SP4N-LAPOR! mirror (its own inbound events are lapor.* and not mirrored back)
    "sync": ("case.*",),
    # notify: messages to reporters, OPDs and escalation contacts
    "notify": ("case.*", "sla.warning", "sla.breached"),
    # media: providers' photos and documents fetched once and kept (intake/media)
    "media": ("media.received",),
}


#: Events that only record something in the audit trail (who read an identity, an internal
#: note): no consumer acts on them, so they queue no deliveries.
AUDIT_ONLY: frozenset[str] = frozenset({"case.identity_viewed", "case.note_added"})


@lru_cache(maxsize=512)
def consumers_for(event_type: str) -> tuple[str, ...]:
    if event_type in AUDIT_ONLY:
        return ()
    return tuple(
        name
        for name, patterns in SUBSCRIPTIONS.items()
        if any(fnmatchcase(event_type, p) for p in patterns)
    )
