"""Simpul's kit: what every service uses (settings, database, models, events, auth, errors)."""
