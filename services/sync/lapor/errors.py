"""The errors of the SP4N-LAPOR! adapter: one base, one class per thing a caller does next.

==========================  =================================================================
error                       what the caller does
==========================  =================================================================
``LaporTransientError``     the request did not take effect: try again later (``retry_after``)
``LaporUncertainOutcome``   a non-idempotent call may or may not have committed: search by the
                            tracking tag (``LaporClient.find_by_tag``) before sending it again
``LaporTerminalError``      a 4xx other than 429: sending it again will not help (body kept)
``LaporUnavailable``        the circuit breaker is open: nothing was sent
``LaporProtocolError``      a 2xx answer in none of the known shapes (the API changed): a
                            transient error (try later) whose redacted body operators see
``LaporMappingError``       a value with no mapping (e.g. ``UnknownStatusName``): hold the
                            mirror and alert an operator; never guess
==========================  =================================================================
"""

from __future__ import annotations

from typing import Any


class LaporError(Exception):
    """Base of every error the LAPOR! adapter raises."""

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation


class LaporTransientError(LaporError):
    """The call did not take effect (5xx on a safe call, 429, 503, connection refused).

    ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code
        self.retry_after = retry_after


class LaporUncertainOutcome(LaporError):
    """A non-idempotent call (create, follow-up) was sent and its outcome is unknown.

    Raised on a timeout, a dropped connection, a 5xx after the request went out, or a
    2xx whose answer names no id. Create is not idempotent on LAPOR!: search by the
    tracking tag before sending again, or a second case is made.
    """

    def __init__(
        self, message: str, *, operation: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code


class LaporTerminalError(LaporError):
    """A 4xx other than 429: the request is wrong as it stands. ``body`` is the raw answer."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status_code: int,
        body: Any = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code
        self.body = body


class LaporAuthError(LaporTerminalError):
    """401/403: the auth key or token is wrong for this environment."""


class LaporNotFound(LaporTerminalError):
    """404: no such complaint (or path)."""


class LaporUnavailable(LaporError):
    """The client's circuit breaker is open; nothing was sent. ``retry_after``: seconds left."""

    def __init__(
        self, message: str, *, operation: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, operation=operation)
        self.retry_after = retry_after


class LaporProtocolError(LaporTransientError):
    """A successful answer in none of the shapes we know: the API changed under us.

    Transient for the caller (nothing is dropped; the call is tried again later), and
    never retried on the spot. ``body`` is the raw answer; ``redacted_body`` the excerpt
    operators may see (identities scrubbed, cut short).
    """

    def __init__(self, message: str, *, operation: str | None = None, body: Any = None) -> None:
        super().__init__(message, operation=operation)
        self.body = body

    @property
    def redacted_body(self) -> str:
        from services.sync.lapor.answers import redacted_body

        return redacted_body(self.body)


class LaporMappingError(LaporError):
    """A national value with no entry in ``mapping`` (or a Simpul value with none)."""


class UnknownStatusCode(LaporMappingError):
    """A national ``status_code`` absent from the table. Never guessed: hold and alert."""

    def __init__(self, status_code: Any, status_name: str | None = None) -> None:
        label = f" ({status_name!r})" if status_name else ""
        super().__init__(f"unknown SP4N-LAPOR! status code {status_code!r}{label}")
        self.status_code = status_code
        self.status_name = status_name


class UnknownStatusName(UnknownStatusCode):
    """A national ``status_name`` absent from the status-name table (configurable with
    ``SIMPUL_LAPOR_STATUS_NAMES``). Never guessed: hold and alert."""

    def __init__(self, status_name: Any, status_code: Any = None) -> None:
        LaporMappingError.__init__(
            self, f"unknown SP4N-LAPOR! status name {status_name!r} (code {status_code!r})"
        )
        self.status_code = status_code
        self.status_name = status_name


class UnknownSimpulStatus(LaporMappingError):
    """A Simpul status with no national code in the reverse table."""

    def __init__(self, status: str) -> None:
        super().__init__(f"no SP4N-LAPOR! status code for Simpul status {status!r}")
        self.status = status


class InvalidLaporDate(LaporMappingError):
    """A date string not in LAPOR!'s ``d-m-Y H:i:s`` (Asia/Jakarta) format."""

    def __init__(self, value: Any) -> None:
        super().__init__(f"not a LAPOR! date (d-m-Y H:i:s): {value!r}")
        self.value = value
