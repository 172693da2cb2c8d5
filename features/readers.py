"""Read ledger files as county offices send them: CSV, Excel or JSON, any common encoding.

Every cell is read as text (or a JSON scalar/list) so that the validator
sees exactly what the clerk typed: no silent float conversion of ID numbers,
no dropped leading zeros.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from store.errors import InputError

__all__ = ["UnusableFile", "RawTable", "read_table", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".json", ".jsonl")
# Tried in order. GB18030 is a superset of GBK and GB2312, which Chinese
# office software still writes by default.
_ENCODINGS = ("utf-8-sig", "gb18030", "utf-16")


class UnusableFile(InputError):
    """The file cannot be read as a table at all (exit code 2 at the CLI).

    ``message_en`` / ``message_zh`` name the file problem; neither holds any
    cell content, so no personal data leaks into logs.
    """

    default_code = "unusable_file"


@dataclass
class RawTable:
    """A file read as text cells."""

    frame: pd.DataFrame
    encoding: str | None
    first_row_number: int
    fmt: str


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for enc in _ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-16" and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            continue  # only trust UTF-16 with a byte-order mark
        return text, enc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    raise UnusableFile(
        f"{name}: cannot decode the text (tried UTF-8, GB18030/GBK, UTF-16); save it as UTF-8 CSV",
        f"{name}：无法识别文件编码（已尝试 UTF-8、GB18030/GBK、UTF-16），请另存为 UTF-8 编码的 CSV",
    )


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise UnusableFile(f"{path.name}: the file is empty", f"{path.name}：文件为空")
    text, enc = _decode(data, path.name)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True, engine="c"
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise UnusableFile(
            f"{path.name}: not a readable table ({exc.__class__.__name__})", f"{path.name}：不是可读的表格文件"
        ) from None
    return RawTable(frame, enc, 2, "csv")


def _read_excel(path: Path) -> RawTable:
    try:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnusableFile(
            f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__})",
            f"{path.name}：无法读取的 Excel 工作簿",
        ) from None
    return RawTable(frame, None, 2, "xlsx")


def _read_json(path: Path) -> RawTable:
    text, enc = _decode(path.read_bytes(), path.name)
    try:
        if path.suffix.lower() == ".jsonl":
            data: object = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableFile(
            f"{path.name}: invalid JSON at line {exc.lineno}", f"{path.name}：JSON 格式错误（第{exc.lineno}行）"
        ) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise UnusableFile(
            f"{path.name}: JSON must be a list of objects (one per row)",
            f"{path.name}：JSON 应为对象数组（每行一个对象）",
        )
    frame = pd.DataFrame.from_records(data).astype(object)
    frame = frame.where(frame.notna(), None)
    return RawTable(frame, enc, 1, "json")


def read_table(path: Path) -> RawTable:
    """Read one ledger file.

    Raises
    ------
    UnusableFile
        Missing file, unknown suffix, undecodable bytes, or no table inside.
    """
    if not path.exists():
        raise UnusableFile(f"{path}: file not found", f"{path}：文件不存在")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path)
    elif suffix in (".json", ".jsonl"):
        table = _read_json(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _read_csv(path)
    else:
        raise UnusableFile(
            f"{path.name}: unsupported file type {suffix or '(none)'}; allowed: {', '.join(SUPPORTED_SUFFIXES)}",
            f"{path.name}：不支持的文件类型 {suffix or '（无）'}；支持：{'、'.join(SUPPORTED_SUFFIXES)}",
        )
    # Drop rows that are entirely blank (trailing lines of a spreadsheet).
    frame = table.frame
    if len(frame):
        blank = frame.apply(lambda c: c.map(lambda v: v is None or (isinstance(v, str) and not v.strip()))).all(axis=1)
        if blank.any():
            keep = ~blank
            table.frame = frame.loc[keep]
    return table
