"""Matching a complaint against routing rules — pure functions, no database.

Indonesian keywords are matched as whole words or phrases, case- and accent-insensitive:
both text and keyword are folded (Unicode NFKD, combining marks dropped, casefolded) and
every run of non-alphanumerics becomes one space, so ``jalan rusak`` matches
"Jalan  RUSAK!" and ``e-ktp`` matches "E KTP", but ``jalan`` does not match "jalanan"
(a different word) — a rule that wants both lists both.

A rule's conditions are any-of lists that must all hold; keywords are searched in the
title and the description. The first active rule (lowest position) whose target OPD is
active wins; otherwise the case's category default OPD; otherwise a category whose
keywords match the text; otherwise no suggestion (the case stays in Admin Instansi's queue).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Conditions on codes/values (compared case-insensitively), plus ``keywords``.
VALUE_CONDITIONS = ("category", "kecamatan", "desa", "channel", "kind")
CONDITIONS = (*VALUE_CONDITIONS, "keywords")
_NON_WORD = re.compile(r"[^0-9a-z]+")
#: How a reason names each condition: the reason is read by officers, in Bahasa Indonesia.
CONDITION_WORDS = {
    "category": "kategori",
    "kecamatan": "kecamatan",
    "desa": "desa",
    "channel": "kanal",
    "kind": "jenis",
    "keywords": "kata kunci",
}


def fold(text: str | None) -> str:
    """Text folded for matching: no accents, lower case, single spaces between words."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", bare).strip()


def find_keywords(text: str | None, keywords: Iterable[str]) -> list[str]:
    """The keywords (as given) that occur in ``text`` as whole words or phrases."""
    haystack = f" {fold(text)} "
    found = []
    for keyword in keywords:
        needle = fold(keyword)
        if needle and f" {needle} " in haystack:
            found.append(keyword)
    return found


@dataclass(frozen=True)
class Complaint:
    """What routing looks at (a case, or a dry-run body)."""

    description: str = ""
    title: str | None = None
    category: str | None = None
    kecamatan: str | None = None
    desa: str | None = None
    channel: str | None = None
    kind: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title or ''}\n{self.description or ''}"


@dataclass(frozen=True)
class RuleView:
    """A routing rule as matching sees it (decoupled from the ORM row)."""

    id: int
    name: str
    position: int
    conditions: dict[str, Any]
    target_opd_code: str
    auto_dispose: bool = False


@dataclass
class RuleCheck:
    rule_id: int
    name: str
    matched: bool
    matched_conditions: dict[str, Any] = field(default_factory=dict)
    failed_condition: str | None = None
    note: str | None = None


@dataclass
class Decision:
    """Where routing sends a complaint and why (what the dry run shows)."""

    opd_code: str | None
    source: str  # rule | category | category_keywords | none
    reason: str
    rule: RuleView | None = None
    category: str | None = None
    matched_conditions: dict[str, Any] = field(default_factory=dict)
    matched_keywords: list[str] = field(default_factory=list)
    auto_dispose: bool = False
    checks: list[RuleCheck] = field(default_factory=list)


def _values(conditions: dict[str, Any], name: str) -> list[str] | None:
    value = conditions.get(name)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def check_rule(rule: RuleView, complaint: Complaint) -> RuleCheck:
    """Whether ``rule`` matches ``complaint``; which conditions held, or the first that did not."""
    result = RuleCheck(rule_id=rule.id, name=rule.name, matched=False)
    for name in VALUE_CONDITIONS:
        wanted = _values(rule.conditions, name)
        if wanted is None:
            continue
        actual = getattr(complaint, name)
        if actual is None or fold(actual) not in {fold(w) for w in wanted}:
            result.failed_condition = name
            return result
        result.matched_conditions[name] = actual
    keywords = _values(rule.conditions, "keywords")
    if keywords is not None:
        found = find_keywords(complaint.text, keywords)
        if not found:
            result.failed_condition = "keywords"
            return result
        result.matched_conditions["keywords"] = found
    result.matched = True
    return result


def decide(
    complaint: Complaint,
    rules: Sequence[RuleView],
    *,
    active_opds: dict[str, str],
    categories: dict[str, tuple[str | None, list[str], bool]],
) -> Decision:
    """Route ``complaint``.

    ``active_opds``: code → name of the OPDs that may receive cases. ``categories``: active
    category code → (default OPD, keywords, auto_dispose), in a stable order.
    """
    checks: list[RuleCheck] = []
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        check = check_rule(rule, complaint)
        if check.matched and rule.target_opd_code not in active_opds:
            check.matched, check.note = (
                False,
                f"OPD tujuan {rule.target_opd_code} tidak aktif; aturan dilewati",
            )
        checks.append(check)
        if check.matched:
            described = "; ".join(
                f"{CONDITION_WORDS.get(k, k)}: {', '.join(v) if isinstance(v, list) else v}"
                for k, v in check.matched_conditions.items()
            )
            return Decision(
                opd_code=rule.target_opd_code,
                source="rule",
                reason=f"cocok dengan aturan #{rule.id} '{rule.name}' ({described})",
                rule=rule,
                category=complaint.category,
                matched_conditions=check.matched_conditions,
                matched_keywords=check.matched_conditions.get("keywords", []),
                auto_dispose=rule.auto_dispose,
                checks=checks,
            )
    if complaint.category and complaint.category in categories:
        default_opd, _keywords, auto = categories[complaint.category]
        if default_opd in active_opds:
            return Decision(
                opd_code=default_opd,
                source="category",
                reason=f"tidak ada aturan yang cocok; OPD bawaan kategori {complaint.category}",
                category=complaint.category,
                auto_dispose=auto,
                checks=checks,
            )
    if not complaint.category:
        for code, (default_opd, keywords, _auto) in categories.items():
            found = find_keywords(complaint.text, keywords)
            if found and default_opd in active_opds:
                return Decision(
                    opd_code=default_opd,
                    source="category_keywords",
                    reason=(
                        f"tidak ada aturan yang cocok; teks memuat kata kunci kategori {code} "
                        f"({', '.join(found)})"
                    ),
                    category=code,
                    matched_keywords=found,
                    checks=checks,  # a guessed category never auto-disposes
                )
    return Decision(
        opd_code=None,
        source="none",
        reason=(
            "tidak ada aturan, OPD bawaan kategori, atau kata kunci yang cocok: "
            "Admin Instansi menentukan OPD secara manual"
        ),
        checks=checks,
    )
