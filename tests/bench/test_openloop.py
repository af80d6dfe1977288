"""The open-loop generator sends every scheduled request and counts what it gets back:
2xx answers, error statuses and connections dropped mid-request."""

from __future__ import annotations

import itertools
import math
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench import openloop
from bench.openloop import percentile, run_open_loop


class _Handler(socketserver.StreamRequestHandler):
    """Keep-alive HTTP/1.1 that answers request *n* (counted over all connections) per
    ``server.answer(n)``: a status, or None to drop the connection unanswered."""

    def handle(self) -> None:
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = self.rfile.readline()
                if not line:
                    return
                head += line
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            self.rfile.read(length)
            status = self.server.answer(next(self.server.counter))
            if status is None:
                return  # closes the connection with the request unanswered
            self.wfile.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\n{{}}".encode())


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    request_queue_size = 64  # the generator opens 16 connections at once (default 5)
    daemon_threads = True


@contextmanager
def _server(answer) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.answer = answer
    server.counter = itertools.count()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_every_scheduled_request_is_sent_and_answered():
    with _server(lambda n: 201) as port:
        result = run_open_loop(port, "key", rate=200, seconds=0.5)
    assert (result.sent, result.errors) == (100, 0)
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.generator_cpu_pct >= 0


def test_error_statuses_count_as_errors():
    with _server(lambda n: 500 if n % 10 == 0 else 201) as port:
        result = run_open_loop(port, "key", rate=200, seconds=0.5)
    assert result.sent == 100
    assert result.errors == 10


def test_a_dropped_connection_is_an_error_and_the_run_goes_on():
    # Request 5 is never answered: its connection closes; later ones use other connections.
    with _server(lambda n: None if n == 5 else 201) as port:
        result = run_open_loop(port, "key", rate=200, seconds=0.5)
    assert result.sent == 100
    assert result.errors == 1


def test_an_answer_later_than_the_timeout_is_an_error(monkeypatch):
    monkeypatch.setattr(openloop, "TIMEOUT_S", 0.2)

    def answer(n):
        if n == 3:
            time.sleep(0.3)
        return 201

    with _server(answer) as port:
        result = run_open_loop(port, "key", rate=100, seconds=0.3)
    assert result.sent == 30
    assert result.errors == 1


def test_percentiles_come_from_the_sorted_latencies():
    ms = [float(i) for i in range(1, 101)]
    assert percentile(ms, 0.50) == 51.0
    assert percentile(ms, 0.99) == 100.0
    assert math.isnan(percentile([], 0.5))
    with pytest.raises(ValueError):
        percentile(ms, 95)  # a percent is not a fraction: it would read the maximum
