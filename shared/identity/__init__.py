"""Identity: who the staff are and how they prove it — one package for the API's Bearer
auth, the board and the staff console alike.

- its tables are in ``shared/models/identity.py`` (with every other table, one
  metadata): staff accounts, sessions, recovery codes, failed logins, the security
  audit trail, API tokens and local apps' API keys;
- ``roles``: which roles need an OPD or two-factor, who manages whose account;
- ``passwords``: Argon2id hashing (pwdlib) and the password rules;
- ``totp``: TOTP codes (pyotp), the enrolment QR code (segno), recovery codes;
- ``login``: the login steps, lock-out and throttling (``throttle``);
- ``sessions``: server-side browser sessions; ``tokens``: API tokens and API keys;
- ``users``: creating and managing accounts; ``audit``: security events.

Nothing here builds HTTP answers or knows a role's case rights: ``shared/auth.py`` turns
a session or a token into the request's ``Actor`` (a person: ``user:<id>`` and their
name), and ``shared/cases/access.py`` decides what that actor may read and do.
This package imports nothing from ``shared.auth``, so both can depend on it.
"""
