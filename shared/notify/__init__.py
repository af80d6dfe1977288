"""Officer notifications: who hears of what about a case, on which channel, in which words.

Shared because two services queue them: intake's ``notify`` consumer (a case disposed to
an OPD, a case returned to Admin Instansi) and sla's sweeper and digest (early warnings,
breaches, what is due). Sending is intake's outbox sender, like every delivery.
"""
