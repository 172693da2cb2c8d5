"""``matcher occupation``: map post titles or skills to 2022 occupation codes.

The lead registers :func:`occupation` on the main app; it parses, calls
:func:`features.occupations.get_normalizer`, prints. Bad input exits with
code 2 and a bilingual message, never a traceback.

Each title gets an answer: the code with its calibrated confidence, or
**未知 / unknown** when the confidence is below the calibrated threshold (the
post should go to a clerk), with the best guesses listed either way. JSON gives
``code``/``name`` (``null`` when unknown), ``confidence``, ``unknown``,
``status`` (``matched`` / ``unknown``), a bilingual ``note`` and ``matches``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from features.occupations import OccupationResult

__all__ = ["occupation"]

EXIT_USAGE = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(EXIT_USAGE)


def _read_titles(file: Path) -> list[str]:
    """One title per line, UTF-8 (with or without BOM) or GBK; blank lines skipped."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(
            f"无法读取文件 --file={str(file)!r}：{exc.strerror or exc} / cannot read "
            f"--file={str(file)!r}: {exc.strerror or exc}; give a readable text file, "
            "one title per line"
        ) from None
    # County offices export either UTF-8 or GBK; GB18030 is GBK's superset.
    text = None
    if b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise _fail(
            f"文件 --file={str(file)!r} 不是 UTF-8 或 GBK 文本 / --file={str(file)!r} is not "
            "UTF-8 or GBK text; give a text file, one title per line"
        )
    return [line.strip() for line in text.splitlines() if line.strip()]


def _note(result: OccupationResult, threshold: float) -> tuple[str, str]:
    if not result.matches:
        return ("未识别出职业，请人工核定", "no occupation recognised; a clerk should assign one")
    if result.unknown:
        return (
            f"置信度 {result.confidence:.2f} 低于 {threshold:.2f}，未知，请人工核定（以下为候选）",
            f"confidence {result.confidence:.2f} is below {threshold:.2f}: unknown, a clerk should assign "
            "the code (best guesses below)",
        )
    return (f"置信度 {result.confidence:.2f}", f"confidence {result.confidence:.2f}")


def _as_json(query: str, result: OccupationResult, threshold: float) -> dict[str, Any]:
    zh, en = _note(result, threshold)
    return {
        "query": query,
        "status": "unknown" if result.unknown else "matched",
        "unknown": result.unknown,
        "code": result.code,
        "name": result.name,
        "confidence": result.confidence,
        "threshold": threshold,
        "note_zh": zh,
        "note_en": en,
        "matches": [m._asdict() for m in result.matches],
    }


def _print_table(console: Console, query: str, result: OccupationResult, threshold: float) -> None:
    zh, en = _note(result, threshold)
    if result.unknown:
        headline = f"{query} → 未知 / unknown — {zh} / {en}"
    else:
        headline = f"{query} → {result.code} {result.name} — {zh} / {en}"
    table = Table(title=headline, title_justify="left")
    table.add_column("代码 code")
    table.add_column("职业 name")
    table.add_column("得分 score", justify="right")
    table.add_column("来源 source")
    for m in result.matches:
        table.add_row(m.code, m.name, f"{m.score:.3f}", m.source)
    if not result.matches:
        table.add_row("-", "无匹配 / no match", "", "")
    console.print(table)


def occupation(
    text: Annotated[
        str | None,
        typer.Argument(help="post title, skill or job intention / 岗位名称、技能或求职意向"),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="text file, one title per line / 每行一个岗位名称的文本文件"),
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="matches per title / 每条返回个数")] = 5,
    json_: Annotated[bool, typer.Option("--json", help="print machine-readable JSON / 输出 JSON")] = False,
) -> None:
    """Map titles or skills to 2022 level-4 occupation codes / 岗位名称→职业代码."""
    if k < 1:
        raise _fail(f"参数 --k={k} 无效，须为 ≥1 的整数 / --k={k} is invalid; give an integer ≥ 1")
    if (text is None or not text.strip()) and file is None:
        raise _fail(
            "请给出岗位名称 TEXT 或 --file 文件 / give a title TEXT or --file FILE "
            '(e.g. matcher occupation "拼多多运营")'
        )
    if text is not None and text.strip() and file is not None:
        raise _fail("TEXT 与 --file 只能二选一 / give either TEXT or --file, not both")
    titles = _read_titles(file) if file is not None else [str(text)]
    if not titles:
        raise _fail(f"文件 --file={str(file)!r} 没有内容 / --file={str(file)!r} holds no titles")

    from features.occupations import get_normalizer

    normalizer = get_normalizer()
    results = normalizer.resolve(titles, k=k)
    threshold = float(normalizer.calibration_["threshold"])
    if json_:
        payload: Any = [_as_json(q, r, threshold) for q, r in zip(titles, results, strict=True)]
        if file is None:
            payload = payload[0]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console(soft_wrap=True)
    for query, result in zip(titles, results, strict=True):
        _print_table(console, query, result, threshold)
