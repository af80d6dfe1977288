"""The ``simpul`` command line (the composition root: it starts the services)."""

from services.cli.main import cli, main

__all__ = ["cli", "main"]
