""" "Perlu konfirmasi": creates whose outcome is unknown, settled by an operator."""
