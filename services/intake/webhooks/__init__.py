"""Channel webhooks: verify, dedup, thread into cases, acknowledge (see ``endpoints``)."""
