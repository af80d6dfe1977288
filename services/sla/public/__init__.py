"""The public statistics page (``/statistik``) and its open-data CSV: aggregates only."""
