"""The outbound half of the SP4N-LAPOR! mirror: the ``sync`` consumer (see ``tasks``)."""
