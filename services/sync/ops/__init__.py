"""Operator endpoints of the mirror (``/admin/sync/...``) and its Prometheus gauges."""
