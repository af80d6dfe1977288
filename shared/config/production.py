"""What ``SIMPUL_ENV=production`` refuses: the check type, and the checks every area shares.

Each settings area keeps its own refusals next to its fields (``runtime.RUNTIME_CHECKS``,
``lapor.LAPOR_CHECKS`` …); ``shared.config`` joins them into ``PRODUCTION_CHECKS``. Here
lives only what is not one area's: the type, and the ``CHANGE_ME`` check over every field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    from shared.config import Settings

#: What ``deploy/.env.example`` holds where an operator must fill in a value.
PLACEHOLDER = "CHANGE_ME"


@dataclass(frozen=True)
class ProductionCheck:
    """One setting production must not run with.

    ``weak(settings)`` is true when the setting is unsafe; ``message`` says what to set (a
    string, or a function of the settings when it names several variables). It never shows a
    secret's value. ``waivable`` checks are the demo SP4N-LAPOR! ones that
    ``SIMPUL_ALLOW_DEMO_SECRETS=true`` lets a staging copy keep. Add a check to its area's
    list (e.g. ``lapor.LAPOR_CHECKS``); each is tested by ``tests/foundation/test_settings.py``.
    """

    weak: Callable[[Settings], bool]
    message: str | Callable[[Settings], str]
    waivable: bool = False

    def problem(self, settings: Settings) -> str | None:
        if (self.waivable and settings.allow_demo_secrets) or not self.weak(settings):
            return None
        return self.message if isinstance(self.message, str) else self.message(settings)


def secret(value: SecretStr) -> str:
    return value.get_secret_value()


def placeholders(settings: Settings) -> list[str]:
    """The variables still holding ``CHANGE_ME`` (a copied ``.env.example`` not filled in)."""
    names = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        text = secret(value) if isinstance(value, SecretStr) else value
        if isinstance(text, str) and PLACEHOLDER in text:
            names.append(f"SIMPUL_{name.upper()}")
    return names


PLACEHOLDER_CHECKS: list[ProductionCheck] = [
    ProductionCheck(
        weak=lambda s: bool(placeholders(s)),
        message=lambda s: (
            f"replace {PLACEHOLDER} in {', '.join(placeholders(s))} with the real value"
        ),
    ),
]
