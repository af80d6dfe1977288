"""Reconciliation as a periodic job (hourly: it reads every mirrored case nationally)."""

from __future__ import annotations

from services.sync.reconcile.jobs import scheduled_run
from shared.events import PeriodicJob

RECONCILE_INTERVAL_S = 3600.0


def lapor_reconciler(interval_s: float = RECONCILE_INTERVAL_S) -> PeriodicJob:
    return PeriodicJob(name="lapor-reconcile", func=scheduled_run, interval_s=interval_s)
