"""The one error of this package: rendered as the spec's error array, never as Simpul's
``{"error": {...}}`` body (Open311 clients parse ``[{"code", "description"}]``)."""

from __future__ import annotations


class Open311Error(Exception):
    """``status_code`` is also the ``code`` of the error array (400 bad input, 403 bad key, 404)."""

    def __init__(self, status_code: int, description: str) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.description = description


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)
