"""The console's landing page (``/konsol/``), one per role."""
