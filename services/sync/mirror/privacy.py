"""Who the national copy names, and when anonim/rahasia must follow to LAPOR!.

Two rules (issue 20 item 1):

* **A name is sent only where the reporter gave it as their name** — in a form's name
  field (REST ``reporter.name``, the web form, Open311's ``first_name``/``last_name``) or
  on LAPOR! itself. The name a chat channel shows (a WhatsApp profile name, a Telegram
  first name, a Facebook or SMS-gateway label) is a display name the reporter never
  offered as their identity: the national case is created without it. An anonymous case
  carries no name at all.
* **Every change of anonim/rahasia follows to the national copy**: an event whose
  ``data.changes`` names ``anonymous`` or ``confidential`` (today ``case.verified``)
  plans a ``privacy`` op, which sets both flags nationally as the case has them *now*
  (so two quick changes converge on the latest). Where the national API has no such call
  (``SIMPUL_LAPOR_PRIVACY_PATH`` empty), the op asks operators to change it on the
  national site (``lapor.privacy_update_needed`` on the case's timeline, an alert).
"""

from __future__ import annotations

from typing import Any

from shared.models import Case, Reporter

#: ``cases.channel`` values whose reporter name was typed into a name field.
NAME_GIVEN_CHANNELS = frozenset({"api", "web", "open311", "lapor"})
#: The case fields that decide what the national copy may show.
PRIVACY_FIELDS = ("anonymous", "confidential")


def reporter_name_for_lapor(case: Case, reporter: Reporter | None) -> str | None:
    """The name the national copy may carry (None: send none)."""
    if case.anonymous or reporter is None or not reporter.name:
        return None
    if case.channel not in NAME_GIVEN_CHANNELS:
        return None  # a channel's display name, not a name the reporter gave
    return reporter.name


def privacy_changed(data: dict[str, Any] | None) -> bool:
    """Does an event's data record a change of anonim or rahasia?"""
    changes = (data or {}).get("changes")
    return isinstance(changes, dict) and any(field in changes for field in PRIVACY_FIELDS)


def national_privacy_matches(case: Case, complaint: Any) -> bool:
    """Is the national copy as private as the case? (Anonymous also means no name.)"""
    if bool(complaint.is_anonymous) != bool(case.anonymous):
        return False
    if bool(complaint.is_secret) != bool(case.confidential):
        return False
    return not (case.anonymous and complaint.reporter_name)
