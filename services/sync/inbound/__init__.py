"""The inbound half of the mirror: polling (the main path), discovery, callbacks (hints)."""
