"""Periodic full comparison of local and national cases: repair and report drift."""
