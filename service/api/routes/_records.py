"""What the laborer and vacancy routes share: scoped reads, masked output, one-row writes, imports."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.encoders import jsonable_encoder

from matcher.app import Application, _cell
from service.api.deps import Principal
from service.api.errors import not_found
from service.masking import mask_record
from store.errors import InputError
from store.ledger import Scope, get_record

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


def fetch(application: Application, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
    """The record within the caller's scope; unknown and out-of-scope ids are the same 404."""
    record = get_record(application.engine, kind, record_id, principal.scope_for(kind))
    if record is None:
        raise not_found(kind, record_id)
    return record


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


def _places(application: Application, kind: str, frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Validated rows with their resolved county/town codes (rejects raise)."""
    from features.contract import validate_frame
    from features.places import attach_places

    checked = validate_frame(kind, frame, first_row_number=first_row, today=application.today())
    if checked.rejects and len(frame) == 1:
        raise rejects_error(checked.rejects)
    placed, _ = attach_places(checked.frame)
    return placed


def _outside(principal: Principal, kind: str, placed: pd.DataFrame) -> pd.DataFrame:
    if principal.county_code is None:
        return placed.iloc[0:0]
    bad = placed["county_code"].astype(str) != principal.county_code
    scope = principal.scope_for(kind)
    if scope.town_code is not None:
        bad |= placed["town_code"].astype(str) != scope.town_code
    return placed.loc[bad]


def _scope_error(principal: Principal, kind: str, value: Any) -> InputError:
    scope = principal.scope_for(kind)
    where = scope.town_code or scope.county_code
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
    # a record of another area is invisible: the same 404 as an unknown id
    if get_record(application.engine, kind, record_id, Scope(None)) is not None:
        fetch(application, principal, kind, record_id)
    frame = pd.DataFrame([row])
    placed = _places(application, kind, frame, 1)
    outside = _outside(principal, kind, placed)
    if len(outside):
        raise _scope_error(principal, kind, outside["county_code"].iloc[0])
    summary = application.ingest_frame(kind, frame, source="api")
    if summary.rejects:
        raise rejects_error(summary.rejects)
    stored = fetch(application, principal, kind, record_id)
    return {
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged + summary.stale,
        "record": public(stored, principal),
    }


def import_file(
    application: Application, principal: Principal, kind: str, filename: str, data: bytes
) -> dict[str, Any]:
    """Ingest an uploaded ledger file the way ``matcher ingest`` reads it; every row must be in scope."""
    from features.readers import read_table
    from matcher.ingest import ingest_table

    application.check_schema()
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
    if principal.county_code is not None and len(table.frame):
        placed = _places(application, kind, table.frame, table.first_row_number)
        outside = _outside(principal, kind, placed)
        if len(outside):
            rows = ", ".join(str(r) for r in outside["row"].head(10))
            err = _scope_error(principal, kind, outside["county_code"].iloc[0])
            err.message_en += f" (rows {rows}); nothing was imported"
            err.message_zh += f"（第 {rows} 行），未导入任何记录"
            raise err
    summary = ingest_table(kind, table, Path(name), engine=application.engine, write_rejects=False)
    return {
        "kind": kind,
        "rows": summary.rows,
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "stale": summary.stale,
        "rejected": summary.rejected,
        "rejects": rejects_json(summary.rejects),
        "ignored_columns": list(summary.ignored_columns),
    }
