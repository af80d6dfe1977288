"""Logging in and out, passwords, two-factor and sessions in the console (built on
``shared/identity``)."""
