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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
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
    #: Cells the reader could not read: ``(position in frame, header, what was there)`` (a formula
    #: without a saved value); the ingest refuses their rows, naming the cell.
    cell_problems: list[tuple[int, str, str]] = field(default_factory=list)
    #: Workbook sheets read, and sheets with content but no recognisable header.
    sheets: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


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
    return _find_header(rows, kind) or 0


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
            rows: list[list[object]] = [list(r) for r in csv.reader(head)]
        except csv.Error:
            rows = []
        skip = header_row(rows, kind) if rows else 0
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


#: Helper columns a workbook of several sheets gets: which sheet and row each row comes from.
SHEET_COLUMN, SHEET_ROW_COLUMN = "工作表 sheet", "表内行号 sheet row"


def _workbook_parts(path: Path) -> tuple[bool, bool]:
    """Whether any sheet has merged cells and whether any has formulas (read from the zip, cheaply)."""
    import zipfile

    merged = formulas = False
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = zf.read(name)
                merged = merged or b"<mergeCell " in data
                formulas = formulas or b"<f>" in data or b"<f " in data
    return merged, formulas


def _find_header(rows: list[list[object]], kind: str | None) -> int | None:
    """Index of a recognisable header among the first rows: one that names a required column of ``kind``
    or two of its columns (without a kind: the first non-blank row); None when there is none."""
    if kind is None:
        return next((i for i, r in enumerate(rows) if any(v is not None and str(v).strip() for v in r)), None)
    from features.contract import map_headers, schema

    required = {c.name for c in schema(kind) if c.required}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [str(c) for c in row if c is not None and str(c).strip()]
        if cells:
            found = set(map_headers(kind, cells)[0].values())
            if found & required or len(found) >= 2:
                return i
    return None


def _numbered(headers: list[object]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(headers):  # as pandas names them: a blank header or a repeated one gets a number
        h = str(raw) if raw is not None and str(raw).strip() else f"Unnamed: {i}"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h}.{seen[h] - 1}")
    return out


def _read_excel(path: Path, kind: str | None) -> RawTable:
    """Every sheet with a recognisable header (with ``kind``; else the first sheet), as the clerk sees it:
    merged cells filled with their value (down and across), a formula read as its saved value, and a
    formula without one reported per cell (``RawTable.cell_problems``)."""
    from openpyxl import load_workbook

    try:
        has_merged, has_formulas = _workbook_parts(path)
        probe = load_workbook(path, read_only=True)
        widest = max((ws.max_column or 0 for ws in probe.worksheets), default=0)
        probe.close()
        if widest > MAX_COLUMNS:
            raise _too_many_columns(widest, path.name)
        book = load_workbook(path, read_only=not has_merged, data_only=True)
        formula_book = load_workbook(path, read_only=True, data_only=False) if has_formulas else None
    except UnusableFile:
        raise
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnusableFile(
            f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__})",
            f"{path.name}：无法读取的 Excel 工作簿",
        ) from None
    parts: list[tuple[str, pd.DataFrame, int, list[tuple[int, str, str]]]] = []
    skipped: list[str] = []
    for ws in book.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if has_merged and hasattr(ws, "merged_cells"):
            for rng in ws.merged_cells.ranges:
                top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(rows) else None
                for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
                    for c in range(rng.min_col - 1, min(rng.max_col, len(rows[r]))):
                        rows[r][c] = top
        formulas: dict[tuple[int, int], str] = {}
        if formula_book is not None:
            for r, frow in enumerate(formula_book[ws.title].iter_rows(values_only=True)):
                for c, v in enumerate(frow):
                    if isinstance(v, str) and v.startswith("=") and r < len(rows) and c < len(rows[r]):
                        if rows[r][c] is None:
                            formulas[(r, c)] = v
        at = _find_header(rows[:HEADER_SEARCH_ROWS], kind)
        if at is None:
            if any(any(v is not None and str(v).strip() for v in r) for r in rows):
                skipped.append(ws.title)
            continue
        headers = _numbered(rows[at])
        body = [[_cell_text(v) for v in r[: len(headers)]] + [None] * (len(headers) - len(r)) for r in rows[at + 1 :]]
        frame = pd.DataFrame(body, columns=headers, dtype=object)
        problems = [
            (r - at - 1, headers[c], text) for (r, c), text in sorted(formulas.items()) if r > at and c < len(headers)
        ]
        parts.append((ws.title, frame, at + 2, problems))
        if kind is None:
            break
    book.close()
    if formula_book is not None:
        formula_book.close()
    if not parts:
        return RawTable(pd.DataFrame(), None, 2, "xlsx")
    if len(parts) == 1:
        title, frame, first, problems = parts[0]
        table = RawTable(frame, None, first, "xlsx")
        table.cell_problems = problems
        table.sheets, table.skipped_sheets = [title], skipped
        return table
    # Several sheets of people: one table, each sheet's headers under the contract's names (so two sheets
    # may spell them differently), each row saying where it comes from.
    from features.contract import map_headers
    from features.contract.validate import header_conflicts

    frames = []
    problems_all: list[tuple[int, str, str]] = []
    offset = 0
    for title, frame, first, problems in parts:
        conflicts = header_conflicts(kind or "", list(frame.columns)) if kind else []
        if conflicts:
            col, names = conflicts[0]
            raise UnusableFile(
                f"{path.name}, sheet {title}: more than one header for {col} ({' and '.join(names)}); keep one",
                f"{path.name}，工作表 {title}：{col} 有多个表头（{'和'.join(names)}），请只保留一个",
            )
        mapping = map_headers(kind, list(frame.columns))[0] if kind else {}
        frame = frame.rename(columns=mapping)
        frame.insert(0, SHEET_ROW_COLUMN, [str(first + i) for i in range(len(frame))])
        frame.insert(0, SHEET_COLUMN, title)
        problems_all += [(offset + i, mapping.get(h, h), text) for i, h, text in problems]
        offset += len(frame)
        frames.append(frame)
    table = RawTable(pd.concat(frames, ignore_index=True), None, 2, "xlsx")
    table.cell_problems = problems_all
    table.sheets, table.skipped_sheets = [p[0] for p in parts], skipped
    return table


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
            if table.cell_problems:  # positions of the rows kept
                new_position = {int(old): new for new, old in enumerate(np.flatnonzero(keep.to_numpy()))}
                table.cell_problems = [(new_position[p], h, t) for p, h, t in table.cell_problems if p in new_position]
    table.modified = file_modified(path)
    return table
