"""The ops board (``/admin/board``): one page of what needs attention now."""
