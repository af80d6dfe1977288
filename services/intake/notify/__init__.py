"""Acknowledgements and notifications to reporters: queued from events, sent by the outbox sender.

Other code queues a message directly with :func:`queue_message` (idempotent on its dedup key).
"""

from services.intake.notify.repository import queue_message

__all__ = ["queue_message"]
