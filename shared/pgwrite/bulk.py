"""Multi-row inserts on a raw asyncpg connection, for the one hot write path that needs
them (grouped intake, PostgreSQL only; see the package docstring).

One insert per table and column set, whatever the number of rows:
``INSERT INTO t (…) SELECT * FROM unnest($1::type[], $2::type[], …)``. :func:`insert_all`
puts several such inserts into one statement (data-modifying ``WITH``), so rows of several
tables cost one round trip — and, run outside a transaction, one atomic, durable commit;
asyncpg prepares each combination of tables once per connection. Values go through the
columns' own SQLAlchemy types (UTC times, JSON) and Python-side column defaults are
applied, so the rows are the ones a Core ``insert(table)`` would write. Why not through the session: there a statement cost
~0.35–0.6 ms of CPU, most of a grouped write's fixed cost (docs/performance.md).

The connection must be one SQLAlchemy's asyncpg dialect opened (its JSON codecs take the
serialized text the JSON types produce).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

_DIALECT = asyncpg_dialect()


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    columns: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]
    #: Per column: None where the rows give it, else what makes its Python-side default.
    defaults: tuple[Callable[[], Any] | None, ...]


def _quote(name: str) -> str:
    return _DIALECT.identifier_preparer.quote(name)


def _default_maker(column: Column) -> Callable[[], Any] | None:
    default = column.default
    if default is None or column.primary_key:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy's wrapper takes the execution context
    return None


@functools.cache
def _statement(table: Table, given: tuple[str, ...], first: int) -> _Statement:
    defaulted = {
        column.name: maker
        for column in table.columns
        if column.name not in given and (maker := _default_maker(column)) is not None
    }
    names = given + tuple(defaulted)
    columns = [table.c[name] for name in names]
    arrays = ", ".join(
        f"${i}::{column.type.compile(dialect=_DIALECT)}[]"
        for i, column in enumerate(columns, first)
    )
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(_quote(n) for n in names)}) "
        f"SELECT * FROM unnest({arrays})"
    )
    converters = tuple(
        column.type.dialect_impl(_DIALECT).bind_processor(_DIALECT) for column in columns
    )
    defaults = tuple(defaulted.get(name) for name in names)
    return _Statement(sql, names, converters, defaults)


async def insert_all(conn: Any, parts: Sequence[tuple[Table, Sequence[dict[str, Any]]]]) -> None:
    """Insert every part's rows (dicts with the same keys, named as the table's columns) in
    ONE statement: ``WITH p0 AS (INSERT …), p1 AS (INSERT …) INSERT …``. Parts without rows
    are left out.

    Rows that reference each other must carry their ids (e.g. allocated beforehand with
    ``nextval``): the parts run as one command, and foreign keys are checked at its end, so
    a child row may reference a parent inserted by another part. Outside a transaction the
    statement is its own transaction: all rows or none, durable when it returns."""
    parts = [(table, rows) for table, rows in parts if rows]
    if not parts:
        return
    sql, arrays = [], []
    for table, rows in parts:
        statement = _statement(table, tuple(rows[0]), len(arrays) + 1)
        sql.append(statement.sql)
        arrays += _arrays(statement, rows)
    text = sql[-1]
    if len(sql) > 1:
        ctes = ", ".join(f"p{i} AS ({part})" for i, part in enumerate(sql[:-1]))
        text = f"WITH {ctes} {text}"
    await conn.execute(text, *arrays)


def _arrays(statement: _Statement, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One array per column: the rows' values (or the column's default), converted."""
    arrays: list[list[Any]] = []
    for name, convert, make in zip(
        statement.columns, statement.converters, statement.defaults, strict=True
    ):
        values = [row[name] for row in rows] if make is None else [make() for _ in rows]
        arrays.append(values if convert is None else [convert(v) for v in values])
    return arrays
