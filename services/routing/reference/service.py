"""Reference data: OPDs, categories, kecamatan and desa — versioned, audited, never deleted.

Each entity is described once (:class:`Entity`: its fields, how to check a value, its CSV
columns); create, update, CSV import and export are the same code for all of them. Every
change bumps ``version`` and writes one event (``<subject>.created`` / ``.updated``,
``subject_type`` the entity, data ``{before, after}``). Deactivate instead of deleting.
CSV import is all-or-nothing: any bad row → 422 listing every bad line, nothing written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing import audited
from shared.auth import Actor
from shared.cases.deadlines import SLA_CLASSES
from shared.cases.service import KINDS
from shared.errors import Conflict, NotFound, Unprocessable
from shared.models import Category, Desa, Kecamatan, Opd, utcnow

MAX_IMPORT_ROWS = 5000
TRUE, FALSE = {"1", "true", "yes", "ya", "y"}, {"0", "false", "no", "tidak", "n", ""}


class InvalidValue(ValueError):
    """A bad field value (message for the 422 / the CSV line report); ``field`` names it
    in the 422 (so that a form can say which of its fields was refused)."""

    field: str | None = None


def _refused(exc: InvalidValue) -> Unprocessable:
    return Unprocessable(str(exc), code="invalid", **({"field": exc.field} if exc.field else {}))


Check = Callable[[AsyncSession, Any, str], Awaitable[Any]]


async def _text(_s: AsyncSession, value: Any, name: str) -> Any:
    if value is None:
        return None
    value = str(value).strip()
    if len(value) > 200:
        raise InvalidValue(f"{name} is longer than 200 characters")
    return value or None


async def _required_text(s: AsyncSession, value: Any, name: str) -> str:
    value = await _text(s, value, name)
    if not value:
        raise InvalidValue(f"{name} is required")
    return value


async def _bool(_s: AsyncSession, value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InvalidValue(f"{name} must be true or false")


async def _opd_ref(s: AsyncSession, value: Any, name: str) -> str | None:
    value = await _text(s, value, name)
    if value and await s.get(Opd, value) is None:
        raise InvalidValue(f"{name}: unknown OPD {value!r}")
    return value


def _one_of(options: tuple[str, ...]) -> Check:
    async def check(s: AsyncSession, value: Any, name: str) -> str:
        value = await _required_text(s, value, name)
        if value not in options:
            raise InvalidValue(f"{name} must be one of {', '.join(options)}")
        return value

    return check


async def _keywords(_s: AsyncSession, value: Any, name: str) -> str:
    items = value if isinstance(value, list) else str(value or "").split(";")
    cleaned = [str(k).strip() for k in items if str(k).strip()]
    if any(len(k) > 100 for k in cleaned):
        raise InvalidValue(f"{name}: a keyword is longer than 100 characters")
    return ";".join(dict.fromkeys(cleaned))


@dataclass(frozen=True)
class Field:
    attr: str  # model attribute
    check: Check
    csv: str  # CSV column name
    default: Any = None


@dataclass(frozen=True)
class Entity:
    name: str  # URL segment
    subject: str  # event subject_type
    model: type
    fields: tuple[Field, ...]

    def as_dict(self, row: Any) -> dict[str, Any]:
        out = {"code": row.code, **{f.attr: getattr(row, f.attr) for f in self.fields}}
        if hasattr(row, "version"):
            out["version"] = row.version
        return out


CODE_MAX = 40
ENTITIES: dict[str, Entity] = {
    "opds": Entity(
        "opds",
        "opd",
        Opd,
        (
            Field("name", _required_text, "name"),
            Field("kind", _required_text, "kind", "dinas"),
            Field("parent_code", _opd_ref, "parent"),
            Field("penanggung_jawab", _text, "penanggung_jawab"),
            Field("contact", _text, "contact"),
            Field("active", _bool, "active", True),
        ),
    ),
    "categories": Entity(
        "categories",
        "category",
        Category,
        (
            Field("name", _required_text, "name"),
            Field("default_opd_code", _opd_ref, "default_opd"),
            Field("default_kind", _one_of(KINDS), "default_kind", "pengaduan"),
            Field("default_sla_class", _one_of(SLA_CLASSES), "default_sla_class", "non_lapangan"),
            Field("keywords", _keywords, "keywords", ""),
            Field("auto_dispose", _bool, "auto_dispose", False),
            Field("active", _bool, "active", True),
        ),
    ),
    "kecamatan": Entity(
        "kecamatan",
        "kecamatan",
        Kecamatan,
        (
            Field("name", _required_text, "name"),
            Field("active", _bool, "active", True),
        ),
    ),
}


def entity(name: str) -> Entity:
    if name not in ENTITIES:
        raise NotFound(
            f"no reference data {name!r}; use {', '.join(ENTITIES)}", code="unknown_reference"
        )
    return ENTITIES[name]


def _check_code(code: Any) -> str:
    code = str(code or "").strip()
    if not code or len(code) > CODE_MAX or not all(c.isalnum() or c in "-_." for c in code):
        raise InvalidValue(f"code must be 1-{CODE_MAX} letters, digits, '-', '_' or '.'")
    return code


async def list_rows(session: AsyncSession, ent: Entity) -> list[Any]:
    return list((await session.scalars(select(ent.model).order_by(ent.model.code))).all())


async def get_row(session: AsyncSession, ent: Entity, code: str) -> Any:
    row = await session.get(ent.model, code)
    if row is None:
        raise NotFound(f"no {ent.subject} {code!r}", code=f"{ent.subject}_not_found")
    return row


async def _values(
    session: AsyncSession, ent: Entity, given: dict[str, Any], *, partial: bool, code: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in ent.fields:
        if f.attr not in given:
            if partial:
                continue
            values[f.attr] = f.default
            if f.check in (_required_text,):
                raise InvalidValue(f"{f.attr} is required")
            continue
        try:
            values[f.attr] = await f.check(session, given[f.attr], f.attr)
        except InvalidValue as exc:
            exc.field = f.attr
            raise
    if ent.model is Opd and values.get("parent_code") == code:
        exc = InvalidValue("an OPD cannot be its own parent")
        exc.field = "parent_code"
        raise exc
    return values


async def _save(
    session: AsyncSession,
    ent: Entity,
    code: str,
    values: dict[str, Any],
    actor: Actor,
    *,
    create_only: bool = False,
    expected_version: int | None = None,
) -> tuple[Any, str]:
    """Create or update one row with its event; returns (row, created|updated|unchanged)."""
    row = await session.get(ent.model, code)
    now = utcnow()
    if row is None:
        row = ent.model(code=code, **values, version=1)
        for attr in ("created_at", "updated_at"):
            if hasattr(ent.model, attr):
                setattr(row, attr, now)
        session.add(row)
        await session.flush()
        await audited.record(
            session, actor, ent.subject, code, "created", before=None, after=ent.as_dict(row)
        )
        return row, "created"
    if create_only:
        raise Conflict(f"{ent.subject} {code!r} exists; use PATCH", code=f"{ent.subject}_exists")
    audited.check_version(expected_version, row.version, f"{ent.subject} {code!r}")
    before = ent.as_dict(row)
    for attr, value in values.items():
        setattr(row, attr, value)
    if ent.as_dict(row) == before:
        return row, "unchanged"
    audited.bump(row)
    await session.flush()
    await audited.record(
        session, actor, ent.subject, code, "updated", before=before, after=ent.as_dict(row)
    )
    return row, "updated"


async def create(session: AsyncSession, ent: Entity, body: dict[str, Any], actor: Actor) -> Any:
    try:
        code = _check_code(body.get("code"))
        values = await _values(session, ent, body, partial=False, code=code)
    except InvalidValue as exc:
        raise _refused(exc) from exc
    row, _ = await _save(session, ent, code, values, actor, create_only=True)
    return row


async def update(
    session: AsyncSession, ent: Entity, code: str, body: dict[str, Any], actor: Actor
) -> Any:
    await get_row(session, ent, code)
    expected = body.pop("version", None)
    try:
        values = await _values(session, ent, body, partial=True, code=code)
    except InvalidValue as exc:
        raise _refused(exc) from exc
    row, _ = await _save(session, ent, code, values, actor, expected_version=expected)
    return row


# -- CSV ------------------------------------------------------------------------------------------


def export_csv(ent: Entity, rows: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", *(f.csv for f in ent.fields)])
    for row in rows:
        cells = []
        for f in ent.fields:
            value = getattr(row, f.attr)
            cells.append(
                ("true" if value else "false")
                if isinstance(value, bool)
                else ("" if value is None else value)
            )
        writer.writerow([row.code, *cells])
    return out.getvalue()


async def import_csv(session: AsyncSession, ent: Entity, text: str, actor: Actor) -> dict[str, int]:
    """Upsert every row, or nothing: 422 with ``errors: [{line, message}]`` on any bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {f.csv: f for f in ent.fields}
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [
        c
        for c in ["code", *(f.csv for f in ent.fields if f.check is _required_text)]
        if c not in header
    ]
    unknown = [h for h in header if h != "code" and h not in columns]
    if missing or unknown:
        raise Unprocessable(
            f"CSV header must have code and name (missing {missing}, unknown {unknown})",
            code="invalid_csv",
            errors=[
                {"line": 1, "message": f"missing columns {missing}, unknown columns {unknown}"}
            ],
        )
    parsed: list[tuple[int, str, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if len(parsed) + len(errors) >= MAX_IMPORT_ROWS:
            raise Unprocessable(f"at most {MAX_IMPORT_ROWS} rows per import", code="invalid_csv")
        if None in record:
            errors.append({"line": line, "message": "more cells than columns"})
            continue
        record = {k.strip(): (v or "").strip() for k, v in record.items()}
        try:
            code = _check_code(record.get("code"))
            if code in seen:
                raise InvalidValue(f"code {code!r} repeats line {seen[code]}")
            seen[code] = line
            given = {columns[k].attr: v for k, v in record.items() if k in columns}
            exists = await session.get(ent.model, code) is not None
            parsed.append(
                (line, code, await _values(session, ent, given, partial=exists, code=code))
            )
        except InvalidValue as exc:
            errors.append({"line": line, "message": str(exc)})
    if errors:
        raise Unprocessable(
            f"{len(errors)} bad row(s); nothing was imported", code="invalid_csv", errors=errors
        )
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for _line, code, values in parsed:
        _row, outcome = await _save(session, ent, code, values, actor)
        counts[outcome] += 1
    return counts


# -- desa (kept under their kecamatan) ----------------------------------------------------------


def desa_dict(row: Desa) -> dict[str, Any]:
    return {
        "id": row.id,
        "kecamatan": row.kecamatan_code,
        "code": row.code,
        "name": row.name,
        "active": row.active,
    }


async def list_desa(session: AsyncSession, kecamatan_code: str) -> list[Desa]:
    await get_row(session, ENTITIES["kecamatan"], kecamatan_code)
    return list(
        (
            await session.scalars(
                select(Desa).where(Desa.kecamatan_code == kecamatan_code).order_by(Desa.code)
            )
        ).all()
    )


async def create_desa(
    session: AsyncSession, kecamatan_code: str, code: str, name: str, actor: Actor
) -> Desa:
    await get_row(session, ENTITIES["kecamatan"], kecamatan_code)
    try:
        code = _check_code(code)
    except InvalidValue as exc:
        raise Unprocessable(str(exc), code="invalid", field="code") from exc
    exists = await session.scalar(
        select(Desa).where(Desa.kecamatan_code == kecamatan_code, Desa.code == code)
    )
    if exists is not None:
        raise Conflict(f"desa {code!r} exists in {kecamatan_code}", code="desa_exists")
    row = Desa(kecamatan_code=kecamatan_code, code=code, name=name, active=True)
    session.add(row)
    await session.flush()
    await audited.record(
        session, actor, "desa", f"{kecamatan_code}/{code}", "created",
        before=None, after=desa_dict(row),
    )  # fmt: skip
    return row


async def update_desa(
    session: AsyncSession, desa_id: int, changes: dict[str, Any], actor: Actor
) -> Desa:
    row = await session.get(Desa, desa_id)
    if row is None:
        raise NotFound(f"no desa {desa_id}", code="desa_not_found")
    before = desa_dict(row)
    for attr in ("name", "active"):
        if changes.get(attr) is not None:
            setattr(row, attr, changes[attr])
    if desa_dict(row) != before:
        await session.flush()
        await audited.record(
            session, actor, "desa", f"{row.kecamatan_code}/{row.code}", "updated",
            before=before, after=desa_dict(row),
        )  # fmt: skip
    return row
