"""SLA: escalation."""
