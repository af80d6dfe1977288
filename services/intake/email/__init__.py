"""E-mail in: complaints written to the pemda's mailbox become cases.

The mailbox's provider posts each message to ``POST /webhooks/email/mime`` (an inbound-mail
route, Mailgun's scheme: ``signature.py``); ``mime.py`` reads the raw message with the
standard library (``email``, ``policy=default``) and ``adapter.py`` turns it into the
channel-neutral :class:`~services.intake.channels.InboundMessage` every channel speaks,
so deduplication, threading, evidence and replies are the webhooks' own
(``services/intake/webhooks``). ``docs/email-intake.md`` has the scheme and the choice.
"""
