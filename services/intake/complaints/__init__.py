"""The REST push API for local apps (CONTRACT.md, "Intake — for local apps")."""
