"""SLA: calendar."""
