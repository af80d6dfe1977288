"""Managing people: the staff accounts admin API (``/admin/users``)."""
