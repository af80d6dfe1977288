"""The one search box of the console and of ``GET /admin/cases?q=``: a tracking ID, a
LAPOR! complaint id, the reporter's phone (Admin Instansi only), or words of the text.

The box does not ask which one is meant: every reading the input allows is OR-ed, so
``"ACDE4679"`` finds the case with that tracking ID *and* cases whose text holds that word.

- **Tracking ID**: any input that normalizes to one (``shared.tracking.normalize``).
- **LAPOR! id**: input of digits only (spaces and dashes allowed) → ``lapor_complaint_id``.
- **Phone**: input that normalizes to an E.164 number → a case whose reporter has it. Only
  for a caller who may see identities (``Actor.sees_identity``): for anyone else a phone
  is a string of digits like any other, so an OPD cannot learn whether an anonymous
  reporter sent a case by searching its number.
- **Words**: on PostgreSQL, full-text search with the Indonesian stemmer
  (``to_tsvector('indonesian', …) @@ websearch_to_tsquery('indonesian', q)``, the vector
  stored in ``cases.search_vector`` with its GIN index, migration 0020; "jalan rusak" finds "jalannya rusak parah", quotes
  make a phrase, ``-kata`` excludes). On SQLite (the embedded mode) there is no stemmer:
  every word must appear in the title or description (LIKE, case-insensitive), which is
  fine for an embedded instance's few thousand cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, any_, exists, false, func, literal_column, or_, select
from sqlalchemy.sql import and_

from shared.auth import Actor
from shared.models import Case, Reporter
from shared.phones import InvalidPhoneNumber, normalize_phone
from shared.tracking import normalize as normalize_tracking_id

#: Longest search text accepted (the API's ``q`` and the console's box).
MAX_QUERY_CHARS = 100
#: Words SQLite matches at most (each one a LIKE over the text).
MAX_LIKE_WORDS = 8
#: The text search configuration of PostgreSQL (its Snowball Indonesian stemmer).
TS_CONFIG = "indonesian"
_DIGITS_ONLY = re.compile(r"^\+?[\d\s\-.]+$")
#: LAPOR! complaint ids are positive integers that fit a BIGINT.
_MAX_LAPOR_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Readings:
    """What a search text can mean (each None when it cannot mean that)."""

    tracking_id: str | None
    lapor_id: int | None
    phone: str | None
    words: str | None


def readings(q: str, actor: Actor) -> Readings:
    """Every reading of ``q`` the caller may use (pure: no database)."""
    q = q.strip()[:MAX_QUERY_CHARS]
    tracking_id = normalize_tracking_id(q)
    lapor_id = phone = None
    if _DIGITS_ONLY.match(q):
        digits = re.sub(r"\D", "", q)
        if digits and not q.startswith("+") and int(digits) <= _MAX_LAPOR_ID:
            lapor_id = int(digits) or None
        if actor.sees_identity:
            try:
                phone = normalize_phone(q)
            except InvalidPhoneNumber:
                phone = None
    words = q if re.search(r"\w", q) else None
    return Readings(tracking_id, lapor_id, phone, words)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def words_clause(words: str, dialect: str) -> ColumnElement[bool]:
    """Cases whose title or description holds ``words`` (see the module docstring)."""
    if dialect == "postgresql":
        # The stored vector (migration 0020) of ``to_tsvector(TS_CONFIG, TEXT_SEARCH_DOCUMENT)``.
        document = literal_column("cases.search_vector")
        return document.op("@@")(func.websearch_to_tsquery(literal_column(f"'{TS_CONFIG}'"), words))
    terms = [w for w in re.findall(r"\w+", words)][:MAX_LIKE_WORDS]
    if not terms:
        return false()
    return and_(
        *(
            Case.title.ilike(_like(t), escape="\\") | Case.description.ilike(_like(t), escape="\\")
            for t in terms
        )
    )


def phone_clause(phone: str, dialect: str) -> ColumnElement[bool]:
    """Cases whose reporter has this number. On PostgreSQL the reporters' ids are looked up
    once (``= ANY(ARRAY(...))``, an index condition), so the OR with the other readings is
    a union of index scans; an ``EXISTS`` there ran once per case (a million: 2 s and more)."""
    if dialect == "postgresql":
        ids = select(Reporter.case_id).where(Reporter.phone == phone).scalar_subquery()
        return Case.id == any_(func.array(ids))
    return exists().where(Reporter.case_id == Case.id, Reporter.phone == phone)


def search_clause(q: str, actor: Actor, dialect: str) -> ColumnElement[bool]:
    """One WHERE clause for the search box: every reading of ``q`` OR-ed."""
    found = readings(q, actor)
    clauses: list[ColumnElement[bool]] = []
    if found.tracking_id:
        clauses.append(Case.tracking_id == found.tracking_id)
    if found.lapor_id is not None:
        clauses.append(Case.lapor_complaint_id == found.lapor_id)
    if found.phone is not None:
        clauses.append(phone_clause(found.phone, dialect))
    if found.words and found.phone is None and found.lapor_id is None:
        clauses.append(words_clause(found.words, dialect))
    return or_(*clauses) if clauses else false()
