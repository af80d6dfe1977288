"""The case concept's shared rules: opening a case (any channel) and who may read what."""
