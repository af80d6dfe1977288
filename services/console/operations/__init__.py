"""The operator's pages (``/konsol/operasi``): the LAPOR! mirror, dead letters, the webhook
quarantine, "perlu konfirmasi", the workers' queues — over the ops API's own functions."""
