"""A local SMTP server for tests (aiosmtpd in-process, never the network)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from email.policy import default

from aiosmtpd.controller import Controller


class Inbox:
    """An SMTP handler that keeps what it receives, or refuses every message with ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = port
    settings.smtp_security = "none"  # the local test server speaks no TLS
    settings.smtp_from = "pengaduan@tabanan.example.go.id"
