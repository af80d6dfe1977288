"""The simulator's error answer and the checks of request fields, as the national API
refuses bad input: ``{"results": {"message": ...}}`` with a 4xx."""

from __future__ import annotations

import json
from typing import Any


class SimHTTPError(Exception):
    """An answer in the API's error shape ``{"results": {"message": ...}}``."""

    def __init__(
        self, status_code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


def flag(value: Any, field: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if value in (0, 1, "0", "1"):
        return int(value)
    if value in ("true", "false"):
        return int(value == "true")
    raise SimHTTPError(422, f"{field} must be 0 or 1")


def integer(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            raise SimHTTPError(422, f"{field} is required")
        return None
    if isinstance(value, bool):
        raise SimHTTPError(422, f"{field} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SimHTTPError(422, f"{field} must be an integer") from None


def id_list(value: Any, field: str) -> list[int]:
    """``"[12,13]"`` (as LAPOR! takes it), a JSON list, or empty."""
    if value in (None, "", "[]"):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SimHTTPError(422, f"{field} must look like [12,13]") from None
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise SimHTTPError(422, f"{field} must be a list of integers")
    return value


def tags(tags_raw: str | None) -> set[str]:
    return {t.lower() for t in (tags_raw or "").replace(",", " ").split() if t}


def text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SimHTTPError(422, f"{field} is required")
    return value
