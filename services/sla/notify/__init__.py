"""SLA: what officers hear from the clocks besides warnings and breaches (the daily digest)."""
