"""Reference codes (category, OPD, kecamatan) as people type them: any case, blank = none.

Codes are stored upper case (``ADMINDUK``, ``PUPR``, ``TABANAN``); every input that names
one is read through :func:`normalize_code`, so ``"jalan"``, ``" Jalan "`` and ``"JALAN"``
are the same code — as tracking IDs already were — and ``""`` is no code at all (it was
stored as a category that does not exist, a foreign-key error).

>>> normalize_code(" adminduk "), normalize_code(""), normalize_code(None)
('ADMINDUK', None, None)
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_CODE = 40


def normalize_code(value: Any) -> Any:
    """A code upper case and stripped; a blank one None; anything else as given (for the
    field's own type check to refuse)."""
    if isinstance(value, str):
        return value.strip().upper() or None
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


#: A code that must be given (blank: "at least 1 character").
Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE), BeforeValidator(_upper)]
#: A code that may be left out, null or blank.
OptionalCode = Annotated[
    Annotated[str, Field(max_length=MAX_CODE)] | None, BeforeValidator(normalize_code)
]
