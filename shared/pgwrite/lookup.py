"""The one read of a grouped write: a single ``SELECT`` of named parts, numbered here.

Each part is a select-list item whose parameters are written by name (``{codes}``);
:func:`compose` joins the parts into one statement, numbers the names ``$1``, ``$2`` … in
order of first use, and returns the order, so callers pass a dict and positions can
never drift apart between modules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.auth import Actor
from shared.cases.service import CaseFacts, CategoryTerms, NewCase
from shared.models.intake import IdempotencyKey

_NAME = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    #: The parameter names in ``$n`` order.
    names: tuple[str, ...]

    async def fetchrow(self, conn: Any, params: dict[str, Any]) -> Any:
        return await conn.fetchrow(self.sql, *(params[name] for name in self.names))


def compose(*parts: str) -> Statement:
    """``SELECT part, part, …`` with each ``{name}`` replaced by its ``$n`` (one number per
    name, however often it is used)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Statement(_NAME.sub(number, "SELECT " + ", ".join(parts)), tuple(names))


#: What opening the cases needs: ids for the cases and their ``case.received`` events
#: (``nextval``, in order; unused ones are gaps, as after any rollback), the named
#: categories' terms and the known kecamatan.
CASE_FACTS = (
    "ARRAY(SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
    " FROM generate_series(1, {n_cases}::int)) AS case_ids",
    "ARRAY(SELECT nextval(pg_get_serial_sequence('events', 'id'))"
    " FROM generate_series(1, {n_cases}::int)) AS event_ids",
    "ARRAY(SELECT (code, active, default_kind, default_sla_class) FROM categories"
    " WHERE code = ANY({category_codes}::varchar[])) AS categories",
    "ARRAY(SELECT code FROM kecamatan WHERE code = ANY({kecamatan_codes}::varchar[])) AS kecamatan",
)
#: The apps' key hashes, and the stored idempotency keys of the group's (app, key) pairs:
#: one unique-index probe per pair. Not "app = ANY(…) AND key = ANY(…)": on a young table
#: the planner prices that as a scan of the whole table, and the cached plan kept scanning
#: it as it grew (30 M rows read in a 15 s bench on a fresh database).
GROUP_KEYS = (
    # The current key, and a rotated-out key while its grace period lasts.
    "ARRAY(SELECT (id, key_hash) FROM client_apps WHERE id = ANY({app_ids}::int[]) AND active"
    " UNION ALL SELECT (id, previous_key_hash) FROM client_apps WHERE id = ANY({app_ids}::int[])"
    " AND active AND previous_key_expires_at > now()) AS app_keys",
    "ARRAY(SELECT x.k FROM unnest({pair_apps}::int[], {pair_keys}::varchar[]) AS p(app, key),"
    " LATERAL (SELECT k FROM idempotency_keys k"
    " WHERE k.client_app_id = p.app AND k.key = p.key LIMIT 1) AS x) AS idempotency_keys",
)


@functools.cache
def _group_statement() -> Statement:
    return compose(*GROUP_KEYS, *CASE_FACTS)


@functools.cache
def _case_statement() -> Statement:
    return compose(*CASE_FACTS)


def _case_params(items: Sequence[tuple[NewCase, Actor]]) -> dict[str, Any]:
    return {
        "n_cases": len(items),
        "category_codes": sorted({new.category_code for new, _ in items if new.category_code}),
        "kecamatan_codes": sorted({new.kecamatan_code for new, _ in items if new.kecamatan_code}),
    }


def _case_facts(record: Any) -> CaseFacts:
    return CaseFacts(
        categories={code: CategoryTerms(*terms) for code, *terms in record["categories"]},
        known_places=set(record["kecamatan"]),
        case_ids=list(record["case_ids"]),
        event_ids=list(record["event_ids"]),
    )


@dataclass(frozen=True)
class GroupFacts:
    """What a grouped write reads before it writes."""

    app_keys: set[tuple[int, str]]
    idempotency_keys: dict[tuple[int, str], IdempotencyKey]
    cases: CaseFacts


def matching_keys(
    pairs: set[tuple[int, str]], rows: Iterable[IdempotencyKey]
) -> dict[tuple[int, str], IdempotencyKey]:
    """The rows of exactly these pairs ("app in … and key in …" also finds cross pairs)."""
    found = {(row.client_app_id, row.key): row for row in rows}
    return {pair: row for pair, row in found.items() if pair in pairs}


async def look_up_group(
    conn: Any,
    app_ids: set[int],
    pairs: set[tuple[int, str]],
    items: Sequence[tuple[NewCase, Actor]],
) -> GroupFacts:
    """Everything a group needs, in one round trip."""
    ordered = sorted(pairs)
    params = {
        "app_ids": sorted(app_ids),
        "pair_apps": [app for app, _ in ordered],
        "pair_keys": [key for _, key in ordered],
        **_case_params(items),
    }
    record = await _group_statement().fetchrow(conn, params)
    return GroupFacts(
        app_keys={(app_id, key_hash) for app_id, key_hash in record["app_keys"]},
        idempotency_keys=matching_keys(
            pairs, (IdempotencyKey(**dict(row)) for row in record["idempotency_keys"])
        ),
        cases=_case_facts(record),
    )


async def case_facts(conn: Any, items: Sequence[tuple[NewCase, Actor]]) -> CaseFacts:
    """Only what opening ``items`` needs (the cases-only write, as its proof test uses it)."""
    return _case_facts(await _case_statement().fetchrow(conn, _case_params(items)))


async def delete_idempotency_keys(conn: Any, row_ids: list[int]) -> None:
    """Rare (a key reused after its window) and harmless alone: its own statement."""
    await conn.execute("DELETE FROM idempotency_keys WHERE id = ANY($1::bigint[])", row_ids)
