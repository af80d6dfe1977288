"""Reconciling with a national export (CSV/XLSX list from the SP4N-LAPOR! site)."""
