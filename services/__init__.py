"""Simpul services: each one a FastAPI app that can run as its own process."""
