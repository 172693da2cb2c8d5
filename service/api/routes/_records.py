"""What the laborer and vacancy routes share: scoped reads, masked output, one-row writes, imports."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.encoders import jsonable_encoder

from features.contract import Reject
from matcher.app import Application, _cell
from service.api.deps import Principal
from service.api.errors import not_found
from service.api.schemas import MAX_NOTICES
from service.masking import mask_record
from store.errors import InputError
from store.ledger import delete_record, get_record, list_records, resolve_id

ID_COLUMN = {"laborers": "laborer_id", "vacancies": "vacancy_id"}
IMPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".json", ".jsonl")
#: Stored columns a client never needs.
HIDDEN = ("content_hash",)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def public(record: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A stored record as the caller may see it (personal fields masked without pii), JSON-ready."""
    out = {k: _plain(v) for k, v in record.items() if k not in HIDDEN}
    return jsonable_encoder(mask_record(out, principal.pii))


def canonical(application: Application, principal: Principal, kind: str, record_id: str) -> str:
    """The stored id ``record_id`` names in the caller's scope (case-blind when unambiguous); else the 404."""
    found = resolve_id(application.engine, kind, record_id, principal.scope_for(kind))
    if found is None:
        raise not_found(kind, record_id)
    return found


def fetch(application: Application, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
    """The record within the caller's scope; unknown and out-of-scope ids are the same 404."""
    scope = principal.scope_for(kind)
    record = get_record(application.engine, kind, record_id, scope)
    if record is None:
        record = get_record(application.engine, kind, canonical(application, principal, kind, record_id), scope)
    if record is None:  # deleted in between
        raise not_found(kind, record_id)
    return record


def page_of(
    application: Application, principal: Principal, kind: str, page: int, page_size: int, **filters: Any
) -> dict[str, Any]:
    """A page of the caller's records of ``kind``, filtered (``store.ledger.list_records``), masked."""
    rows, total = list_records(
        application.engine, kind, principal.scope_for(kind), page=page, page_size=page_size, **filters
    )
    return {"items": [public(r, principal) for r in rows], "total": total, "page": page, "page_size": page_size}


def delete_one(application: Application, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
    """Delete one record of the caller's area (unknown and out-of-area ids: the same 404)."""
    record_id = canonical(application, principal, kind, record_id)
    if not delete_record(application.engine, kind, record_id, principal.scope_for(kind)):
        raise not_found(kind, record_id)
    application.follow_changes()
    return {"deleted": True, "id": record_id}


async def import_upload(application: Application, principal: Principal, kind: str, file: Any) -> dict[str, Any]:
    """An uploaded ledger file, read here and ingested in the thread pool (see :func:`import_file`)."""
    from starlette.concurrency import run_in_threadpool

    data = await file.read()
    return await run_in_threadpool(import_file, application, principal, kind, file.filename or "", data)


def ensure_visible(application: Application, principal: Principal, kind: str, record_id: str) -> str:
    """The stored id (see :func:`canonical`); the same 404 as :func:`fetch` for an unknown or out-of-area
    id, without reading the record."""
    if application.visible(kind, record_id, principal.scope_for(kind)):
        return record_id
    return canonical(application, principal, kind, record_id)


def rejects_error(rejects: list[Any]) -> InputError:
    """A 422 naming the first refused field, every problem in both languages."""
    first = rejects[0]
    en = "; ".join(f"{r.column} {r.value!r}: {r.reason_en}" for r in rejects)
    zh = "；".join(f"{r.column}「{r.value}」{r.reason_zh}" for r in rejects)
    return InputError(
        f"the record was not accepted: {en}",
        f"记录未被接收：{zh}",
        field=first.column,
        value=first.value,
        allowed=first.reason_en,
        code="record_rejected",
    )


def notices_json(application: Application, principal: Principal, kind: str, notices: Any) -> list[dict[str, Any]]:
    """The notices (``matcher.ingest.Notice``) the caller may read: one naming another record only when
    that record is in the caller's area (else the notice would tell which ids hold an ID number in other
    counties), and the places of a household's members only to a key without an area."""
    scope = principal.scope_for(kind)
    out = []
    for n in notices:
        if n.code == "household_places_differ" and principal.county_code is not None:
            continue
        if n.other_id is not None and not application.visible(kind, n.other_id, scope):
            continue
        out.append(
            {"row": n.row, "field": n.field, "code": n.code, "message_zh": n.message_zh, "message_en": n.message_en}
        )
    return out


def rejects_json(rejects: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "row": int(r.row),
            "field": r.column,
            "value": None if r.value is None else str(r.value),
            "reason_zh": r.reason_zh,
            "reason_en": r.reason_en,
        }
        for r in rejects
    ]


def _area_check(principal: Principal, kind: str, *, file: bool) -> Callable[[pd.DataFrame], None] | None:
    """What the ingest calls with the valid rows and their places: refuse rows outside the key's area
    (``file``: a whole file, refused whole, its rows named)."""
    if principal.county_code is None:
        return None
    scope = principal.scope_for(kind)

    def check(placed: pd.DataFrame) -> dict[int, Exception] | None:
        bad = placed["county_code"].astype(str) != principal.county_code
        if scope.town_code is not None:
            bad |= placed["town_code"].astype(str) != scope.town_code
        if bad.any():
            outside = placed.loc[bad]
            err = _scope_error(principal, kind, outside["county_code"].iloc[0])
            if file:
                rows = ", ".join(str(r) for r in outside["row"].head(10))
                err.message_en += f" (rows {rows}); nothing was imported"
                err.message_zh += f"（第 {rows} 行），未导入任何记录"
            raise err
        # A row in the key's area whose id a record of another area holds: refused alone, and the
        # record of the other area is left as it was.
        taken = {
            int(row): _id_taken_error(kind, str(ident), scope)
            for row, ident, stored in zip(placed["row"], placed[ID_COLUMN[kind]], placed["stored_place"], strict=True)
            if stored is not None and not scope.admits(*stored)
        }
        return taken or None

    return check


def _where(scope: Any) -> str | None:
    """The key's area as its messages name it: its town, else its county."""
    return scope.town_code or scope.county_code


def _id_taken_error(kind: str, record_id: str, scope: Any) -> InputError:
    where = _where(scope)
    what_zh = "劳动力" if kind == "laborers" else "岗位"
    return InputError(
        f"the id {record_id} is already used by a record outside the key's area {where}: the row was not "
        "imported; check the id, or ask the administrator of the area that holds it",
        f"编号 {record_id} 已被本密钥管辖范围 {where} 以外的{what_zh}记录使用，本行未导入；请核对编号，"
        "或联系该记录所在地区的管理员",
        field=ID_COLUMN[kind],
        value=record_id,
        allowed=f"ids of records within {where}, or ids not yet used",
        code="id_outside_scope",
    )


def _scope_error(principal: Principal, kind: str, value: Any) -> InputError:
    scope = principal.scope_for(kind)
    where = _where(scope)
    return InputError(
        f"the record's place is outside the key's area {where}",
        f"记录所在地不在本密钥的管辖范围 {where} 内",
        field="town" if scope.town_code else "county",
        value=value,
        allowed=f"places within {where}",
        code="outside_scope",
    )


def write_one(
    application: Application, principal: Principal, kind: str, record_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Validate and upsert one record given as contract fields; returns the stored record, masked."""
    from features.contract import map_headers

    id_col = ID_COLUMN[kind]
    if not body:
        raise InputError("the body holds no fields", "请求体没有任何字段", field="body", code="empty_body")
    mapping, _ = map_headers(kind, [str(k) for k in body])
    row = {k: _cell(v) for k, v in body.items() if mapping.get(str(k)) != id_col}
    row[id_col] = record_id
    # A record of another area is invisible: the same 404 as an unknown id, decided in the write transaction
    # from where the record is stored then (see :func:`_row_check`). Not before the body is validated: a
    # bad body is then a 422 whether or not the id is taken elsewhere, so it cannot probe ids of other areas.
    result = application.write_record(kind, row, _row_check(principal, kind, record_id))
    if result.refused is not None:
        raise result.refused
    if result.rejects:
        raise rejects_error(result.rejects)
    stored = fetch(application, principal, kind, record_id)
    return {
        "inserted": int(result.outcome == "inserted"),
        "updated": int(result.outcome == "updated"),
        "unchanged": int(result.outcome in ("unchanged", "stale")),
        "record": public(stored, principal),
        "notices": notices_json(application, principal, kind, result.notices),
    }


def _row_check(principal: Principal, kind: str, record_id: str) -> Callable[[Any], Exception | None] | None:
    """One record's place check (see :func:`_area_check`): the error refusing a record outside the key's area.

    A stored record of another area answers as an unknown id does (404): the key neither changes it nor
    learns more of it than a read would tell."""
    if principal.county_code is None:
        return None
    scope = principal.scope_for(kind)

    def check(placed: Any) -> Exception | None:
        if placed.stored_place is not None and not scope.admits(*placed.stored_place):
            return not_found(kind, record_id)
        inside = scope.admits(str(placed.county_code), str(placed.town_code))
        return None if inside else _scope_error(principal, kind, placed.county_code)

    return check


def import_file(
    application: Application, principal: Principal, kind: str, filename: str, data: bytes
) -> dict[str, Any]:
    """Ingest an uploaded ledger file the way ``matcher ingest`` reads it; every row must be in scope."""
    from features.readers import read_table

    name = Path(filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise InputError(
            f"file type {suffix or '(none)'} is not supported",
            f"不支持的文件类型 {suffix or '（无）'}",
            field="file",
            value=name,
            allowed=", ".join(IMPORT_SUFFIXES),
            code="unsupported_file",
        )
    with tempfile.TemporaryDirectory(prefix="matcher-import-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        table = read_table(path)
    summary = application.ingest_table(kind, table, source=name, check_places=_area_check(principal, kind, file=True))
    notices = notices_json(application, principal, kind, summary.notices())
    # rows refused by the area check (an id of another area's record), listed with the other rejects
    refused = [
        Reject(row, str(err.field), err.value, err.message_en, err.message_zh)
        for row, err in summary.refused.items()
        if isinstance(err, InputError)
    ]
    return {
        "kind": kind,
        "rows": summary.rows,
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "stale": summary.stale,
        "rejected": summary.rejected + len(summary.refused),
        "rejects": rejects_json(sorted([*summary.rejects, *refused], key=lambda r: (r.row, r.column))),
        "ignored_columns": list(summary.ignored_columns),
        "notices": notices[:MAX_NOTICES],
        "notices_total": len(notices),
    }
