"""Ingestion that loses nothing: validate, resolve, upsert in one transaction, report.

The ledger is re-sent every month, so ingestion is an upsert by id: the same
file twice changes nothing, a newer ``updated_at`` wins, an older one is
kept out (``stale``). Valid rows land in one transaction; an exception or
Ctrl-C before the commit leaves the store exactly as it was. Every rejected
row goes, with row number, column and reason in Chinese and English, to
``<input file name>.rejects.csv`` next to the input (``laborers.csv`` →
``laborers.csv.rejects.csv``, so two inputs never share one), in a form that
can be corrected and ingested again (extra columns are ignored by the reader,
and the note on its first line is skipped when the header is looked for).

The rejects file holds personal data by design (a clerk corrects the rows and
sends them again); its first line says so. Its cells are made safe to open in a
spreadsheet (:func:`store.cells.safe_text`), the values quoted in its messages are
shortened, and it is written *before* the commit: when it cannot be written,
nothing is stored. :meth:`IngestSummary.write_masked_rejects` writes a masked
copy (names, ID numbers and phones masked) that can be passed around.

A row without ``updated_at`` gets the file's modification time (a frame sent
to the service: the ingest time), so "newer wins" still holds next month; an
id listed twice in one file keeps its newest row (ties: the later one), chosen
among the rows that passed every check.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from features.contract import ID_COLUMN, Reject, drop_duplicate_ids, schema, validate_frame
from features.places import attach_places
from features.readers import RawTable, UnusableFile, check_readable, read_table
from store import (
    check_schema,
    get_engine,
    load_known_ids,
    recompute_households,
    record_ingest_run,
    upsert,
)
from store.cells import safe_text
from store.engine import WRITE_OPTION
from store.errors import InputError
from store.upsert import Stored, read_stored

__all__ = [
    "IngestSummary",
    "ingest_file",
    "ingest_table",
    "reject_path",
    "masked_reject_path",
    "UnusableFile",
    "RejectsNotWritten",
    "PERSONAL_DATA_NOTE",
    "MASKED_NOTE",
]

#: The first line of every rejects file.
PERSONAL_DATA_NOTE = (
    "# 本文件含个人信息（姓名、身份证号、电话等），这是为了更正后重新导入；请勿外传，需要外传时用 "
    "matcher ingest --rejects-masked 生成脱敏副本 / This file holds personal data by design (so the rows can "
    "be corrected and ingested again): do not pass it around; matcher ingest --rejects-masked writes a masked "
    "copy that can be"
)
#: The first line of the masked copy.
MASKED_NOTE = (
    "# 脱敏副本：姓名、身份证号、电话已遮盖，可以外传，但不能据此重新导入 / Masked copy: names, ID numbers and "
    "phones are masked; it can be passed around, but not ingested again"
)
#: Longest value quoted in a rejects message (the whole cell stays in its column).
MESSAGE_VALUE_CHARS = 60

#: Masks one cell of the masked copy: ``(contract column or None, text) -> masked text``.
Masker = Callable[[str | None, str], str]


class RejectsNotWritten(InputError):
    """The rejects file could not be written; nothing was stored (exit code 2)."""

    default_code = "rejects_not_written"


log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNUSABLE, EXIT_REJECTS = 0, 2, 3


class Notice(NamedTuple):
    """Something to check in a row that was taken (stored as it came): not an error, so the row is not
    refused, but a caseworker should look at it (an unknown place name, a post title that tells no
    occupation, the same ID number under two laborer ids, a household whose members live apart)."""

    #: ``place_unresolved``, ``occupation_unknown``, ``same_person_two_ids`` or ``household_places_differ``.
    code: str
    #: The row number as the person sees it (1 for the one record of an API write).
    row: int
    #: The contract field concerned.
    field: str
    message_zh: str
    message_en: str
    #: The other record a notice names (the laborer id holding the same ID number), for a caller that may
    #: only name records of its own area.
    other_id: str | None = None


@dataclass
class IngestSummary:
    """What one ingest did; ``line()`` is the summary line the CLI prints."""

    kind: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0
    dry_run: bool = False
    reject_file: Path | None = None
    encoding: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    unresolved_places: Counter[tuple[str, str]] = field(default_factory=Counter)
    occupation_filled: int = 0
    #: Posts whose title did not tell the occupation (row, vacancy id, title): stored without a code for a clerk.
    occupation_unknown: list[tuple[int, str, str]] = field(default_factory=list)
    #: Cells whose control characters (NUL, escape sequences …) were removed.
    control_cells: int = 0
    #: Workbook sheets read, and sheets with content but no recognisable header.
    sheets: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    #: Rows whose ID number another laborer id holds: ``(row, laborer_id, other id, "store" or "row N")``.
    same_person: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: Households whose members (this file's and the stored ones) are in different places.
    household_conflicts: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Every refused cell: row number (as in the file), column, value, reason in Chinese and English.
    rejects: list[Reject] = field(default_factory=list)
    #: Per row number written: ``inserted``, ``updated``, ``unchanged`` or ``stale`` (``store.upsert.UpsertCounts``).
    outcomes: dict[int, str] = field(default_factory=dict)
    #: Rows the caller's place check refused one by one (row number → the error), not written.
    refused: dict[int, Exception] = field(default_factory=dict)
    #: Per row number, the place names that could not be resolved (``[field, name]`` pairs).
    unresolved_rows: dict[int, list[list[str]]] = field(default_factory=dict)
    #: Per laborer row number taken, its household id (for :meth:`notices` of household conflicts).
    household_rows: dict[int, str] = field(default_factory=dict)
    masked_file: Path | None = None
    #: What the masked copy is made from: the table read, its header map, the input's path.
    _source: tuple[RawTable, dict[str, str], Path] | None = field(default=None, repr=False)

    def write_masked_rejects(self, masker: Masker) -> Path | None:
        """Write ``<input>.rejects-masked.csv``: the rejects file with every cell passed through ``masker``
        (names, ID numbers and phones by their column, free text scrubbed). None when nothing was rejected."""
        if self._source is None:
            return None
        table, header_map, path = self._source
        out = masked_reject_path(path)
        self.masked_file = _write_rejects(
            out, table.frame, self.rejects, table.first_row_number, header_map, masker=masker
        )
        return self.masked_file

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTS if self.rejected else EXIT_OK

    def line(self) -> str:
        """The summary, Chinese first (the English after the slash, for logs and other systems)."""
        prefix = "[试运行，未写入 / dry run] " if self.dry_run else ""
        older = f"（其中{self.stale}行早于库中记录）" if self.stale else ""
        older_en = f" (of which {self.stale} older than the stored row)" if self.stale else ""
        return (
            f"{prefix}{self.kind} {self.source}：共{self.rows}行：新增{self.inserted}，更新{self.updated}，"
            f"未变{self.unchanged + self.stale}{older}，拒收{self.rejected} / {self.rows} rows — inserted "
            f"{self.inserted}, updated {self.updated}, unchanged {self.unchanged + self.stale}{older_en}, "
            f"rejected {self.rejected}"
        )

    def notices(self) -> list[Notice]:
        """What a person should check in the rows taken, one notice per row and matter (the rows were
        stored; see :class:`Notice`), in row order."""
        out: list[Notice] = []
        for row, pairs in self.unresolved_rows.items():
            for place_field, name in pairs:
                out.append(
                    Notice(
                        "place_unresolved",
                        row,
                        place_field,
                        f"地名「{_short(name)}」无法识别，已按上级区划定位；请核对名称",
                        f"the place name {_short(name)!r} ({place_field}) could not be resolved; the record is placed "
                        "at its nearest known parent: check the name",
                    )
                )
        for row, vacancy_id, title in self.occupation_unknown:
            out.append(
                Notice(
                    "occupation_unknown",
                    row,
                    "occupation_code",
                    f"岗位 {vacancy_id} 的名称「{_short(title)}」看不出职业，已留空待人工填写职业代码",
                    f"the title of post {vacancy_id} does not tell the occupation; stored without an occupation code "
                    "for a clerk to fill in",
                )
            )
        for row, laborer_id, other, where in self.same_person:
            in_zh = "库中已有的" if where == "store" else f"本文件第 {where.removeprefix('row ')} 行的"
            in_en = "a stored record" if where == "store" else where
            out.append(
                Notice(
                    "same_person_two_ids",
                    row,
                    "id_number",
                    f"{laborer_id} 的身份证号已属于{in_zh}劳动力编号 {other}（同一人两个编号？请只保留一个）",
                    f"the ID number of {laborer_id} belongs to another laborer id, {other} ({in_en}): the same "
                    "person under two ids? keep one",
                    str(other),
                )
            )
        if self.household_conflicts:
            places = dict(self.household_conflicts)
            for row, household in self.household_rows.items():
                if household in places:
                    shown = " / ".join(places[household])
                    out.append(
                        Notice(
                            "household_places_differ",
                            row,
                            "household_id",
                            f"户 {household} 的成员所在地不一致（{shown}），以第一位成员为准，请更正其他成员",
                            f"the members of household {household} are in different places ({shown}); the first "
                            "member's place is the household's: correct the others",
                        )
                    )
        taken = self.outcomes  # rows refused after these checks ran get no notice
        return sorted((n for n in out if n.row in taken), key=lambda n: n.row)

    def details(self) -> list[str]:
        lines = []
        if self.reject_file is not None:
            lines.append(
                f"拒收行已写入（含个人信息） / rejected rows written to (holds personal data): {self.reject_file}"
            )
        if self.masked_file is not None:
            lines.append(f"脱敏副本 / masked copy: {self.masked_file}")
        if self.ignored_columns:
            shown = [_short(c) for c in self.ignored_columns[:30]] + (["…"] if len(self.ignored_columns) > 30 else [])
            lines.append("未识别的列 / ignored columns (not in the contract): " + "、".join(shown))
        if self.unresolved_places:
            total = sum(self.unresolved_places.values())
            top = "、".join(f"{f}={n}（{c}行）" for (f, n), c in self.unresolved_places.most_common(8))
            lines.append(
                f"{total} place names could not be resolved; rows kept and placed at the nearest known parent / "
                f"{total}处地名无法识别，已保留并按上级区划定位: {top}"
            )
        if self.occupation_filled:
            named = self.occupation_filled - len(self.occupation_unknown)
            lines.append(f"{named}个岗位按名称补全了职业代码 / occupation_code filled from the title for {named} posts")
        if self.occupation_unknown:
            shown = "、".join(f"{v}「{_short(t)}」（第{r}行）" for r, v, t in self.occupation_unknown[:10])
            more = " …" if len(self.occupation_unknown) > 10 else ""
            lines.append(
                f"{len(self.occupation_unknown)}个岗位的名称看不出职业，已留空待人工填写职业代码 / "
                f"{len(self.occupation_unknown)} post titles do not tell the occupation; stored without a code for a "
                f"clerk to fill in (occupation_source unknown): {shown}{more}"
            )
        if len(self.sheets) > 1 or self.skipped_sheets:
            lines.append(f"已读取的工作表 / sheets read: {'、'.join(self.sheets) or '—'}")
        if self.skipped_sheets:
            lines.append(
                "没有可识别表头、未读取的工作表 / sheets without a recognisable header, not read: "
                + "、".join(self.skipped_sheets)
            )
        if self.same_person:
            shown = "; ".join(
                f"row {r} {lid} = {other} ({'stored' if where == 'store' else where})"
                for r, lid, other, where in self.same_person[:5]
            )
            more = " …" if len(self.same_person) > 5 else ""
            lines.append(
                f"{len(self.same_person)} rows give an ID number another laborer id already has (the same person "
                f"under two ids? keep one id) / {len(self.same_person)}行的身份证号已属于另一个劳动力编号"
                f"（同一人两个编号？请只保留一个）: {shown}{more}"
            )
        if self.household_conflicts:
            shown = "; ".join(f"{h}: {' / '.join(p)}" for h, p in self.household_conflicts[:5])
            more = " …" if len(self.household_conflicts) > 5 else ""
            lines.append(
                f"{len(self.household_conflicts)} households have members in different places (the first "
                f"member's place is the household's; correct the others) / {len(self.household_conflicts)}户"
                f"的成员所在地不一致（以第一位成员为准，请更正其他成员）: {shown}{more}"
            )
        if self.control_cells:
            lines.append(
                f"control characters (NUL, escape sequences …) removed from {self.control_cells} cells / "
                f"已删除{self.control_cells}个单元格中的控制字符"
            )
        if self.encoding and self.encoding not in ("utf-8-sig", "utf-8"):
            lines.append(f"file encoding detected as {self.encoding} / 文件编码识别为 {self.encoding}")
        return lines


def reject_path(path: Path) -> Path:
    """Where the rejects of ``path`` go: ``laborers.csv`` → ``laborers.csv.rejects.csv`` (the whole name, so
    ``laborers.csv`` and ``laborers.xlsx`` never share one)."""
    return path.with_name(f"{path.name}.rejects.csv")


def masked_reject_path(path: Path) -> Path:
    """Where the masked copy of the rejects of ``path`` goes: ``laborers.csv.rejects-masked.csv``."""
    return path.with_name(f"{path.name}.rejects-masked.csv")


def _check_header(kind: str, table: RawTable, header_map: dict[str, str], name: str) -> None:
    required = {c.name for c in schema(kind) if c.required}
    found = set(header_map.values())
    if not found & required:
        from features.contract.validate import CONTROL

        headers = [_short(CONTROL.sub("", str(c))) for c in table.frame.columns][:30]
        need = "、".join(sorted(required))
        raise UnusableFile(
            f"{name}: no recognisable {kind} header; found: {', '.join(headers) or '(none)'}; "
            f"expected at least one of: {need} (or their Chinese headers: `matcher contract {kind}` lists them)",
            f"{name}：无法识别表头；文件中的表头为：{'、'.join(headers) or '（无）'}；"
            f"至少需要：{need}（或其中文表头，`matcher contract {kind}` 可列出）",
        )


def _same_person_under_two_ids(engine: Engine, frame: pd.DataFrame) -> list[tuple[int, str, str, str]]:
    """Rows whose ID number belongs to another laborer id, in the store or earlier in the file:
    ``[(row, laborer_id, the other id, "store" or "row N")]``. Reported, not refused: which of the two
    ids is the person's is for the caseworker to say (one person must not keep two lists)."""
    import sqlalchemy as sa

    from store.schema import laborers

    id_numbers = frame["id_number"].to_numpy(dtype=object)
    given = pd.notna(id_numbers)
    if not given.any():
        return []
    numbered = zip(
        frame["laborer_id"].to_numpy(dtype=object)[given],
        id_numbers[given],
        frame["row"].to_numpy()[given],
        strict=True,
    )
    stored: dict[str, set[str]] = {}
    numbers = list(dict.fromkeys(id_numbers[given].tolist()))
    stmt = sa.select(laborers.c.id_number, laborers.c.laborer_id).where(
        laborers.c.id_number.in_(sa.bindparam("n", expanding=True))
    )
    with engine.connect() as conn:
        for start in range(0, len(numbers), 10_000):
            for number, lid in conn.execute(stmt, {"n": numbers[start : start + 10_000]}):
                stored.setdefault(number, set()).add(lid)
    first_in_file: dict[str, tuple[str, int]] = {}
    found: list[tuple[int, str, str, str]] = []
    for lid, number, row in numbered:
        others = sorted(stored.get(number, set()) - {lid})
        earlier = first_in_file.setdefault(number, (lid, int(row)))
        if others:
            found.append((int(row), str(lid), others[0], "store"))
        elif earlier[0] != lid:
            found.append((int(row), str(lid), earlier[0], f"row {earlier[1]}"))
    return found


def _household_place_conflicts(conn: Connection, household_ids: list[str]) -> list[tuple[str, list[str]]]:
    """Households (of this file) whose members, stored now, live in different places: ``[(id, [places])]``."""
    import sqlalchemy as sa

    from store.schema import laborers

    lab = laborers.c
    place = sa.func.coalesce(lab.village_code, lab.town_code, lab.county_code, lab.village, lab.town, lab.county)
    out: dict[str, set[str]] = {}
    stmt = (
        sa.select(lab.household_id, place)
        .where(lab.household_id.in_(sa.bindparam("h", expanding=True)))
        .group_by(lab.household_id, place)
    )
    for start in range(0, len(household_ids), 10_000):
        for hid, where in conn.execute(stmt, {"h": household_ids[start : start + 10_000]}):
            if where is not None:
                out.setdefault(str(hid), set()).add(str(where))
    return [(hid, sorted(places)) for hid, places in sorted(out.items()) if len(places) > 1]


def _refuse_conflicting_headers(kind: str, table: RawTable, name: str) -> None:
    from features.contract.validate import clean_headers, header_conflicts

    headers = clean_headers(table.frame.columns)
    conflicts = header_conflicts(kind, headers)
    if conflicts:
        en = "; ".join(f"{' and '.join(_short(h) for h in names)} are all {col}" for col, names in conflicts)
        zh = "；".join(f"{'和'.join(_short(h) for h in names)}都是{col}" for col, names in conflicts)
        raise UnusableFile(
            f"{name}: more than one header for the same column ({en}); keep one of them",
            f"{name}：同一列有多个表头（{zh}），请只保留其中一个",
        )


def _short(text: str) -> str:
    """A value as quoted in a message: at most :data:`MESSAGE_VALUE_CHARS` characters."""
    if len(text) <= MESSAGE_VALUE_CHARS:
        return text
    return f"{text[:MESSAGE_VALUE_CHARS]}…（{len(text)} characters / 共{len(text)}字）"


def _write_rejects(
    out: Path,
    raw: pd.DataFrame,
    rejects: list[Reject],
    first_row_number: int,
    header_map: dict[str, str],
    *,
    masker: Masker | None = None,
) -> Path | None:
    """Write the rejected rows (their original cells and every reason) to ``out``; remove a stale one.

    Every text cell goes through :func:`store.cells.safe_text`; with ``masker`` every cell is masked
    first (the masked copy)."""
    if not rejects:
        out.unlink(missing_ok=True)
        return None
    by_row: dict[int, list[Reject]] = {}
    for r in rejects:
        by_row.setdefault(r.row, []).append(r)
    raw_cols = [str(c) for c in raw.columns]
    column_of = [header_map.get(c) for c in raw_cols]

    def cell(column: str | None, value: object) -> object:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        text = value if isinstance(value, str) else str(value)
        if masker is not None:
            text = masker(column, text)
        return safe_text(text)

    def message(text: str) -> str:
        return safe_text(masker(None, text) if masker is not None else text)

    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([MASKED_NOTE if masker is not None else PERSONAL_DATA_NOTE])
        writer.writerow(["行号 row", "列 column", "原因", "reason", *(safe_text(c) for c in raw_cols)])
        for row_number, items in sorted(by_row.items()):
            values = raw.iloc[row_number - first_row_number].tolist()
            writer.writerow(
                [
                    row_number,
                    "; ".join(dict.fromkeys(r.column for r in items)),
                    message("；".join(f"{r.column}「{_short(r.value)}」{r.reason_zh}" for r in items)),
                    message("; ".join(f"{r.column} {_short(r.value)!r}: {r.reason_en}" for r in items)),
                    *[cell(col, v) for col, v in zip(column_of, values, strict=True)],
                ]
            )
    tmp.replace(out)
    return out


def _fill_occupations(frame: pd.DataFrame, rejects: list[Reject]) -> tuple[pd.DataFrame, int]:
    """Check given occupation codes exist; fill missing ones from the title (``occupation_source``:
    ``input``, ``normalised``, or ``unknown`` when the title does not tell the occupation with the
    normaliser's calibrated confidence: the post is stored without a code and listed for a clerk)."""
    from features.occupations import get_normalizer, get_taxonomy

    if frame.empty:
        frame["occupation_source"] = pd.Series(dtype=object)
        return frame, 0
    taxonomy = get_taxonomy()
    # On arrays, and the frame copied only when a row goes: a one-record write (an API PUT) otherwise paid
    # pandas' fixed cost for a mask Series, a filtered copy and a column assignment through ``loc``.
    codes = frame["occupation_code"].to_numpy(dtype=object)
    unknown = np.fromiter((c is not None and c not in taxonomy for c in codes), dtype=bool, count=len(codes))
    if unknown.any():
        rows = frame["row"].to_numpy()
        for pos in np.flatnonzero(unknown):
            rejects.append(
                Reject(
                    int(rows[pos]),
                    "occupation_code",
                    str(codes[pos]),
                    "not a code of the 2022 classification",
                    "不是2022版职业分类大典中的代码",
                )
            )
        frame = frame.loc[~unknown].copy()
        codes = codes[~unknown]
    else:
        frame = frame.copy(deep=False)  # the columns added below go to this frame only
    missing = np.fromiter((c is None for c in codes), dtype=bool, count=len(codes))
    source = np.where(missing, None, "input")  # an object array (None beside text)
    if missing.any():
        titles = frame["title"].to_numpy(dtype=object)[missing].tolist()
        # below the calibrated confidence the title gets no code ("unknown", for a clerk), never a junk one
        answers = get_normalizer().resolve(titles, k=1)
        codes = codes.copy()
        codes[missing] = [a.code for a in answers]
        source[missing] = ["normalised" if a.code is not None else "unknown" for a in answers]
        frame["occupation_code"] = pd.Series(codes, index=frame.index, dtype=frame["occupation_code"].dtype)
    frame["occupation_source"] = pd.Series(source, index=frame.index, dtype=object)
    return frame, int(missing.sum())


def _check_references(engine: Engine, frame: pd.DataFrame, rejects: list[Reject]) -> pd.DataFrame:
    known_l = load_known_ids(engine, "laborers", frame["laborer_id"].unique().tolist())
    known_v = load_known_ids(engine, "vacancies", frame["vacancy_id"].unique().tolist())
    bad_l = ~frame["laborer_id"].isin(known_l).to_numpy()
    bad_v = ~frame["vacancy_id"].isin(known_v).to_numpy()
    for col, bad, en, zh in (
        (
            "laborer_id",
            bad_l,
            "no such laborer in the store; ingest the laborers first",
            "库中没有此劳动力，请先导入劳动力台账",
        ),
        (
            "vacancy_id",
            bad_v,
            "no such post in the store; ingest the vacancies first",
            "库中没有此岗位，请先导入岗位清单",
        ),
    ):
        for pos in np.flatnonzero(bad):
            rejects.append(Reject(int(frame["row"].iat[pos]), col, str(frame[col].iat[pos]), en, zh))
    return frame.loc[~(bad_l | bad_v)]


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)  # the store keeps naive UTC
    from features.contract.validate import python_cells

    names = [c for c in frame.columns if c != "row"]
    columns = python_cells(frame, names, native=True)
    return [{**dict(zip(names, row, strict=True)), "ingested_at": now} for row in zip(*columns, strict=True)]


def ingest_table(
    kind: str,
    table: RawTable,
    path: Path,
    *,
    engine: Engine | None = None,
    dry_run: bool = False,
    write_rejects: bool = True,
    schema_checked: bool = False,
    check_places: Callable[[pd.DataFrame], dict[int, Exception] | None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> IngestSummary:
    """Ingest an already-read table; see :func:`ingest_file`.

    ``write_rejects``: also write the rejected rows beside ``path`` (a file's ingest); the summary's
    ``rejects`` lists them either way (an API request answers with them instead of a file).
    ``schema_checked``: the caller verified the schema already (the application, once).
    ``check_places``: called with the rows that passed validation, their places resolved
    (``county_code``, ``town_code``, ``row``) and, for laborers and vacancies, where each record is
    stored now (``stored_place``: ``(county_code, town_code)``, None for a new id), in the write
    transaction before anything is written; raising refuses the table, returning ``{row: error}``
    refuses those rows alone (``summary.refused``).
    """
    engine = engine or get_engine()
    summary = IngestSummary(
        kind=kind, source=path.name, rows=len(table.frame), dry_run=dry_run, encoding=table.encoding
    )
    # A row without updated_at gets the file's date (or, for rows that came without a file, now).
    stamp = table.modified or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    _refuse_conflicting_headers(kind, table, path.name)
    validated = validate_frame(
        kind, table.frame, first_row_number=table.first_row_number, default_updated_at=stamp, dedupe=False
    )
    _check_header(kind, table, validated.header_map, path.name)
    summary.control_cells = validated.control_cells
    from features.readers import SHEET_COLUMN, SHEET_ROW_COLUMN

    summary.ignored_columns = [c for c in validated.ignored_columns if c not in (SHEET_COLUMN, SHEET_ROW_COLUMN)]
    summary.sheets, summary.skipped_sheets = list(table.sheets), list(table.skipped_sheets)
    rejects = list(validated.rejects)
    for position, header, formula in table.cell_problems:
        column = validated.header_map.get(header, header)
        rejects.append(
            Reject(
                position + table.first_row_number,
                column,
                _short(formula),
                "a formula without a saved value: open the workbook in Excel or WPS and save it, or paste the values",
                "公式没有保存的计算结果：请用 Excel 或 WPS 打开并保存，或粘贴为数值",
            )
        )
    frame = validated.frame
    if not schema_checked:
        check_schema(engine)
    if kind in ("laborers", "vacancies"):
        frame, summary.unresolved_places = attach_places(frame)
        if summary.unresolved_places:
            summary.unresolved_rows = {
                int(r): list(u) for r, u in zip(frame["row"], frame["geo_unresolved"], strict=True) if u
            }
    if kind == "vacancies":
        frame, summary.occupation_filled = _fill_occupations(frame, rejects)
        unknown = frame["occupation_source"].eq("unknown").to_numpy()
        summary.occupation_unknown = [
            (int(r), str(v), str(t))
            for r, v, t in zip(
                frame["row"][unknown], frame["vacancy_id"][unknown], frame["title"][unknown], strict=True
            )
        ]
    if kind == "placements":
        frame = _check_references(engine, frame, rejects)
    rejected_rows = {r.row for r in rejects}
    frame = frame.loc[~frame["row"].isin(rejected_rows)]
    # Last, among the rows that passed every check: an id listed twice keeps its newest row.
    frame, duplicates = drop_duplicate_ids(kind, frame)
    rejects += duplicates
    rejected_rows |= {r.row for r in duplicates}
    if kind == "laborers":
        summary.same_person = _same_person_under_two_ids(engine, frame)
    summary.rejected = len(rejected_rows)
    summary.rejects = sorted(rejects, key=lambda r: (r.row, r.column))
    summary._source = (table, validated.header_map, path)
    row_ids = dict(zip(frame["row"].astype(int), frame[ID_COLUMN[kind]].astype(str), strict=True))
    records = _records(frame)
    with engine.connect() as conn:
        trans = _begin_write(conn, on_wait)
        try:
            stored = None
            if check_places is not None and len(frame):
                refused, stored = _check_places(conn, kind, frame, check_places)
                if refused:  # a check of many callers' rows refuses each one on its own
                    summary.refused = dict(refused)
                    keep = [row not in refused for row in row_ids]
                    records = [r for r, kept in zip(records, keep, strict=True) if kept]
                    row_ids = {row: i for row, i in row_ids.items() if row not in refused}
            counts = upsert(conn, kind, records, stored=stored)
            if kind == "laborers" and records:
                # The households of the records written and of those their people left: an unchanged
                # record changes no household.
                recompute_households(conn, sorted(counts.households))
                by_row = {
                    row: str(r["household_id"]) for row, r in zip(row_ids, records, strict=True) if r["household_id"]
                }
                summary.household_conflicts = _household_place_conflicts(conn, sorted(set(by_row.values())))
                if summary.household_conflicts:  # what notices() names the rows of
                    summary.household_rows = by_row
            record_ingest_run(
                conn,
                kind=kind,
                source_name=path.name,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                stale=counts.stale,
                rejected=summary.rejected,
                dry_run=dry_run,
            )
            if write_rejects:  # before the commit: rows are never stored without their rejects written
                summary.reject_file = _save_rejects(path, table, summary.rejects, validated.header_map)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    summary.inserted, summary.updated = counts.inserted, counts.updated
    summary.outcomes = {row: counts.outcomes[i] for row, i in row_ids.items() if i in counts.outcomes}
    summary.unchanged, summary.stale = counts.unchanged, counts.stale
    log.info("ingest %s %s: %d rows, %d rejected", kind, path.name, summary.rows, summary.rejected)
    return summary


def _check_places(
    conn: Connection,
    kind: str,
    frame: pd.DataFrame,
    check: Callable[[pd.DataFrame], dict[int, Exception] | None],
) -> tuple[dict[int, Exception] | None, dict[str, Stored] | None]:
    """``check`` called with the rows about to be written, each with where its record is stored now
    (``stored_place``: ``(county_code, town_code)``, None for a new id), read in the write transaction:
    a key of one area can neither change nor take over a record of another, however it names it.
    Returns what ``check`` refused and the stored state read (for :func:`store.upsert.upsert`)."""
    if kind not in ("laborers", "vacancies"):
        return check(frame), None
    ids = [str(i) for i in frame[ID_COLUMN[kind]].to_numpy(dtype=object)]
    stored = read_stored(conn, kind, ids, for_update=True)
    places = np.empty(len(ids), dtype=object)
    for n, ident in enumerate(ids):
        found = stored.get(ident)
        places[n] = None if found is None else (found.county_code, found.town_code)
    return check(frame.assign(stored_place=places)), stored


#: Seconds a writer waits for the store's write lock before it says so (it goes on waiting: SQLite's
#: busy timeout, ``store.engine.SQLITE_BUSY_TIMEOUT_MS``, then "the store is busy, try again").
WAIT_NOTICE_S = 1.0


def _begin_write(conn: Connection, on_wait: Callable[[], None] | None) -> Any:
    """Begin the write transaction (``IMMEDIATE`` on SQLite: the lock is taken here, before any row is
    written); ``on_wait`` is called once if that takes longer than :data:`WAIT_NOTICE_S`."""
    if on_wait is None:
        return conn.execution_options(**{WRITE_OPTION: True}).begin()
    import threading

    timer = threading.Timer(WAIT_NOTICE_S, on_wait)
    timer.daemon = True
    timer.start()
    try:
        return conn.execution_options(**{WRITE_OPTION: True}).begin()
    finally:
        timer.cancel()


def _save_rejects(path: Path, table: RawTable, rejects: list[Reject], header_map: dict[str, str]) -> Path | None:
    out = reject_path(path)
    try:
        return _write_rejects(out, table.frame, rejects, table.first_row_number, header_map)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise RejectsNotWritten(
            f"{out}: the rejects file cannot be written ({reason}); nothing was stored. Copy the ledger "
            "to a folder you can write to and ingest it from there",
            f"{out}：无法写入拒收文件（{reason}），本次未写入任何数据。请把台账复制到可写的文件夹后再导入",
        ) from None


def ingest_file(
    kind: str,
    path: Path,
    *,
    engine: Engine | None = None,
    dry_run: bool = False,
    schema_checked: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> IngestSummary:
    """Validate and upsert one ledger file.

    Parameters
    ----------
    kind : {'laborers', 'vacancies', 'placements'}
    path : Path
        CSV (any of UTF-8, GBK/GB18030, UTF-16), ``.xlsx`` or JSON.
    engine : sqlalchemy.engine.Engine, optional
        Defaults to the configured store.
    dry_run : bool
        Validate and count inside a transaction that is rolled back.
    on_wait : callable, optional
        Called once when the store's write lock is not had within :data:`WAIT_NOTICE_S` (another
        writer holds it: an import, a batch run, an edit): the command says it is waiting.

    Raises
    ------
    UnusableFile
        The file cannot be read or has no recognisable header.
    """
    schema(kind)  # refuse an unknown kind before touching the file
    check_readable(path)  # a directory or an unreadable path is an unusable file, never an internal error
    from matcher.fair.workbook import fair_workbook_table  # hook: a job fair's own workbook, filled in by hand

    fair_table = fair_workbook_table(path) if kind == "placements" else None
    table = fair_table or read_table(path, kind)
    if table.modified is None:
        from features.readers import file_modified

        table.modified = file_modified(path)
    return ingest_table(
        kind, table, path, engine=engine, dry_run=dry_run, schema_checked=schema_checked, on_wait=on_wait
    )
