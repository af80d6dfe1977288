"""The durable event log and transactional outbox (see ``outbox`` and ``consumer``)."""

from shared.events.consumer import Consumer, Defer, PeriodicJob, WorkerContext
from shared.events.outbox import NewEvent, emit, emit_many, event_inserts

__all__ = [
    "Consumer",
    "Defer",
    "PeriodicJob",
    "WorkerContext",
    "NewEvent",
    "emit",
    "emit_many",
    "event_inserts",
]
