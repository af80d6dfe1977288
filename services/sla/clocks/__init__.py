"""SLA: clocks."""
