"""Read ledger files as county offices send them: CSV, Excel or JSON, any common encoding.

Every cell is read as text (or a JSON scalar/list) so that the validator
sees exactly what the clerk typed: no silent float conversion of ID numbers,
no dropped leading zeros.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from store.errors import InputError

__all__ = [
    "UnusableFile",
    "RawTable",
    "read_table",
    "check_readable",
    "file_modified",
    "header_row",
    "SUPPORTED_SUFFIXES",
]

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
    """A file read as text cells.

    ``modified``: when the file was last changed (naive UTC, never after now); the date a row without
    ``updated_at`` gets, so "newer wins" still holds when next month's file comes. None for rows that
    did not come from a file (the ingest time is used).
    """

    frame: pd.DataFrame
    encoding: str | None
    first_row_number: int
    fmt: str
    modified: dt.datetime | None = None


def check_readable(path: Path) -> None:
    """Refuse a path that is not a readable file (missing, a directory, no permission) as an unusable file."""
    if not path.exists():
        raise UnusableFile(f"{path}: file not found", f"{path}：文件不存在")
    if not path.is_file():
        raise UnusableFile(
            f"{path}: not a file (a directory?); give the ledger file itself",
            f"{path}：不是文件（是文件夹？），请指定台账文件本身",
        )
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise UnusableFile(
            f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__}); check its permissions",
            f"{path}：无法读取（{exc.strerror or exc.__class__.__name__}），请检查文件权限",
        ) from None


def file_modified(path: Path) -> dt.datetime:
    """The file's modification time as naive UTC to the second, never later than now."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None, microsecond=0)
    except OSError:
        return now
    return min(stamp, now)


#: Rows searched for the header when a title (or the rejects file's note) sits above it.
HEADER_SEARCH_ROWS = 30


def header_row(rows: list[list[object]], kind: str | None) -> int:
    """Index of the header among the first rows: the first that names a required column of ``kind`` or
    two of its columns (0 when none does, or without a kind)."""
    if kind is None:
        return 0
    from features.contract import map_headers, schema

    required = {c.name for c in schema(kind) if c.required}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [str(c) for c in row if c is not None and str(c).strip()]
        if not cells:
            continue
        found = set(map_headers(kind, cells)[0].values())
        if found & required or len(found) >= 2:
            return i
    return 0


_QUOTED_FORMULA = re.compile(r"^'(?=[=+\-@\t\r\uff1d\uff0b\uff0d\uff20])")


def _unquote(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the quote the project's own files put before a formula-like cell (``'=…`` → ``=…``), so a
    rejects file can be corrected and ingested again without the quote reaching the store."""
    for col in frame.columns:
        series = frame[col]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        quoted = series.map(lambda v: isinstance(v, str) and v.startswith("'")).astype(bool)
        if quoted.any():
            frame[col] = series.map(lambda v: _QUOTED_FORMULA.sub("", v) if isinstance(v, str) else v)
    return frame


#: Most columns a ledger may have; a header with more is refused before any parsing.
MAX_COLUMNS = 1_000


def _too_many_columns(count: int, name: str) -> UnusableFile:
    return UnusableFile(
        f"{name}: the header has {count:,} columns; a ledger has at most {MAX_COLUMNS:,}",
        f"{name}：表头有{count:,}列，台账最多{MAX_COLUMNS:,}列",
    )


def _mixed_encoding(data: bytes, name: str) -> None:
    """Refuse a file whose lines are in two encodings (UTF-8 lines beside GBK ones), naming the first line
    of the minority: decoding it as either would store mojibake."""
    utf8: list[int] = []
    other: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
        else:
            utf8.append(number)
    if utf8 and other:
        first = (other if len(other) <= len(utf8) else utf8)[0]
        raise UnusableFile(
            f"{name}: line {first} is in another encoding than the rest (mixed UTF-8 and GBK); save the whole "
            "file again as UTF-8 CSV",
            f"{name}：第{first}行的编码与其他行不同（UTF-8 与 GBK 混用），请把整个文件另存为 UTF-8 编码的 CSV",
        )


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            _mixed_encoding(data, name)  # not all UTF-8: refuse a file that is partly UTF-8
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


def _read_csv(path: Path, kind: str | None) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise UnusableFile(f"{path.name}: the file is empty", f"{path.name}：文件为空")
    text, enc = _decode(data, path.name)
    # The header may sit below a title row (or the note a rejects file starts with).
    head = [line.rstrip("\r") for line in text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]]
    skip = 0
    if kind is not None and head:
        try:
            rows = list(csv.reader(head))
        except csv.Error:
            rows = []
        skip = header_row([r for r in rows], kind) if rows else 0
    header_line = head[skip] if head else ""
    widest = max((max(line.count(sep) for sep in ",\t;|") for line in head), default=0)
    if widest + 1 > MAX_COLUMNS:
        raise _too_many_columns(widest + 1, path.name)
    try:
        dialect = csv.Sniffer().sniff(header_line, delimiters=",\t;|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
            skiprows=skip,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise UnusableFile(
            f"{path.name}: not a readable table ({exc.__class__.__name__})", f"{path.name}：不是可读的表格文件"
        ) from None
    return RawTable(_unquote(frame), enc, skip + 2, "csv")


def _cell_text(value: object) -> object:
    """A workbook cell as text, as the clerk sees it: whole numbers without ``.0``; a number of 15 digits or
    more as Excel shows it (``6.10426198001011E+17``: an ID number stored as a number has lost its digits,
    and the validator says so instead of storing a wrong number)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and abs(value) >= 10**15:  # a workbook number holds 15 significant digits
        return f"{float(value):.15G}"
    if isinstance(value, float):
        if value != value:
            return None
        if abs(value) >= 1e15:
            return f"{value:.15G}"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_excel(path: Path, kind: str | None) -> RawTable:
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        widest = max((ws.max_column or 0 for ws in book.worksheets), default=0)
        book.close()
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnusableFile(
            f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__})",
            f"{path.name}：无法读取的 Excel 工作簿",
        ) from None
    if widest > MAX_COLUMNS:
        raise _too_many_columns(widest, path.name)
    try:
        grid = pd.read_excel(path, dtype=object, keep_default_na=False, engine="openpyxl", header=None)
        grid = grid.map(_cell_text)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnusableFile(
            f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__})",
            f"{path.name}：无法读取的 Excel 工作簿",
        ) from None
    if grid.empty:
        return RawTable(pd.DataFrame(), None, 2, "xlsx")
    skip = header_row(grid.head(HEADER_SEARCH_ROWS).to_numpy().tolist(), kind)
    headers = [str(h) for h in grid.iloc[skip]]
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):  # as pandas names them: a blank header or a repeated one gets a number
        h = h if h.strip() else f"Unnamed: {i}"
        seen[h] = seen.get(h, 0) + 1
        headers[i] = h if seen[h] == 1 else f"{h}.{seen[h] - 1}"
    frame = grid.iloc[skip + 1 :].reset_index(drop=True)
    frame.columns = headers
    return RawTable(frame, None, skip + 2, "xlsx")


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


def read_table(path: Path, kind: str | None = None) -> RawTable:
    """Read one ledger file.

    ``kind`` (laborers, vacancies, placements): find the header among the first rows when a title
    row sits above it; without it the first row is the header.

    Raises
    ------
    UnusableFile
        Missing file, a directory, an unreadable file, unknown suffix, undecodable bytes, or no table inside.
    """
    check_readable(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path, kind)
    elif suffix in (".json", ".jsonl"):
        table = _read_json(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _read_csv(path, kind)
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
    table.modified = file_modified(path)
    return table
