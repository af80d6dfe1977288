"""Prometheus metrics of the mirror (counters here; gauges refreshed by ``ops.service``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OPS = Counter(
    "simpul_lapor_ops_total",
    "Outbound SP4N-LAPOR! operations by kind and outcome",
    ["kind", "outcome"],
)
INBOUND = Counter(
    "simpul_lapor_inbound_total", "National changes turned into local events", ["kind"]
)
CALLBACKS = Counter(
    "simpul_lapor_callbacks_total", "SP4N-LAPOR! callbacks received, by outcome", ["outcome"]
)
ALERTS = Counter(
    "simpul_lapor_alerts_total",
    "Conditions an operator must look at (e.g. unknown status)",
    ["reason"],
)
POLL_ERRORS = Counter("simpul_lapor_poll_errors_total", "Failed national reads while polling")

BACKLOG = Gauge("simpul_lapor_sync_backlog", "Pending deliveries of the sync consumer")
BACKLOG_AGE = Gauge(
    "simpul_lapor_sync_backlog_oldest_seconds", "Age of the oldest pending sync delivery"
)
DEAD_LETTERS = Gauge("simpul_lapor_sync_dead_letters", "Dead sync deliveries")
BREAKER = Gauge(
    "simpul_lapor_circuit_state", "LAPOR! client breaker: 0 closed, 1 half-open, 2 open"
)
MIRROR_CASES = Gauge("simpul_lapor_mirror_cases", "Mirrored cases by state", ["state"])
DRIFT_CASES = Gauge(
    "simpul_lapor_drift_cases", "Cases whose national copy differs (last reconciliation)"
)
PAUSED = Gauge("simpul_lapor_sync_paused", "1 while operators paused the mirror")
