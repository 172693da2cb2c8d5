"""``matcher batch`` and ``matcher report``: thin wrappers over :mod:`matcher.batch`."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

_COUNTY_NOTE = re.compile(r"^county (\w+): ([\d,]+) recomputed of ([\d,]+)$")


def _note(note: str) -> str:
    """A progress note in Chinese: ``county 610426: 75 recomputed of 80`` → ``县 610426：重算 75 / 80 人``."""
    m = _COUNTY_NOTE.match(note)
    return f"县 {m.group(1)}：重算 {m.group(2)} / {m.group(3)} 人" if m else note


def _progress():  # type: ignore[no-untyped-def]
    """A progress bar on a terminal, plain progress lines in a log otherwise."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
        )
        task = {"id": None}

        def update(done: int, total: int, note: str) -> None:
            if task["id"] is None:
                bar.start()
                task["id"] = bar.add_task("batch", total=total)
            bar.update(task["id"], completed=done, description=_note(note)[:60])
            if done >= total:
                bar.stop()

        return update

    def plain(done: int, total: int, note: str) -> None:
        typer.echo(f"[{done}/{total}] {_note(note)}", err=True)

    return plain


def batch(
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="suggestions per person")] = 10,
    full: Annotated[bool, typer.Option("--full", help="recompute everyone, not only what changed")] = False,
    congestion: Annotated[
        bool,
        typer.Option("--congestion/--no-congestion", help="keep each post's exposure near a multiple of its openings"),
    ] = True,
    multiple: Annotated[float, typer.Option(help="exposure allowed per opening")] = 3.0,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="admin code prefix: province (2), city (4) or county (6 digits); repeatable"),
    ] = None,
    resume: Annotated[str | None, typer.Option("--resume", help="continue an interrupted run by its id")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address tcp://host:8786")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="start a local Dask cluster")] = None,
) -> None:
    """Recompute every job seeker's suggestions and publish them as a new run / 夜间批处理."""
    from matcher.batch.runner import BatchOptions, run_batch
    from service.context import cli_app

    for code in scope or []:
        if not (code.isdigit() and len(code) in (2, 4, 6)):
            typer.echo(
                f"--scope {code!r}：应为2、4或6位行政区划代码前缀 / must be a 2-, 4- or 6-digit admin code prefix",
                err=True,
            )
            raise typer.Exit(2)
    options = BatchOptions(
        k=k,
        full=full,
        congestion=congestion,
        multiple=multiple,
        scope=list(scope or []),
        resume=resume,
        scheduler=scheduler,
        workers=workers,
    )
    application = cli_app()
    run = run_batch(
        application.engine,
        options,
        progress=_progress(),
        today=application.today(),
        home=application.home,
        policy=application.policy,
    )
    for line in batch_lines(run.run_id, run.record, congestion):
        typer.echo(line)
    typer.echo(run.run_id)


def batch_lines(run_id: str, r: dict[str, Any], congestion: bool = True) -> list[str]:
    """What ``matcher batch`` prints about a published run, in Chinese (the run id follows on its own line)."""
    lines = [
        f"批处理 {run_id} 已发布：服务 {r.get('people_served', 0):,} 人，共 {r.get('suggestions', 0):,} 条建议；"
        f"有≥3条建议或写明缺口原因的占 {r.get('covered_share', 0):.1%}；用时 {r['timings']['total']:.1f} 秒"
    ]
    if "incremental" in r:
        inc = r["incremental"]
        lines.append(f"增量计算（基于 {inc['from_run']}）：重算 {inc['recomputed']:,} 人，沿用 {inc['copied']:,} 人")
    w, wo = r.get("exposure_with"), r.get("exposure_without")
    if congestion and w and wo:
        lines.append(
            f"拥堵控制：每个招聘名额最多被推荐 {wo['exposure_per_opening_max']:.1f} → "
            f"{w['exposure_per_opening_max']:.1f} 人次；平均匹配分 {wo['mean_score']:.3f} → {w['mean_score']:.3f}"
        )
    lines.append("晨报：matcher report latest --out 目录")
    return lines


def report(
    run_id: Annotated[str, typer.Argument(help="run id or 'latest'")] = "latest",
    out: Annotated[Path, typer.Option("--out", help="output directory")] = Path("report"),
    county: Annotated[
        str | None, typer.Option("--county", help="one county's report (6-digit code) / 只生成一个县的晨报")
    ] = None,
) -> None:
    """Write the morning report of a run (Excel workbook and charts) / 生成晨报."""
    from matcher.batch.runs import latest_run
    from service.context import cli_app
    from service.render.report import write_report

    if county is not None and not (county.isdigit() and len(county) == 6):
        typer.echo(f"--county {county!r}：应为6位县级行政区划代码 / must be a 6-digit county code", err=True)
        raise typer.Exit(2)
    run = latest_run(cli_app().runs, run_id=run_id)
    paths = write_report(run, out, county_code=county)
    typer.echo(f"批处理 {run.run_id} 的晨报已写入（工作簿、表格和图）/ morning report written:")
    for path in paths:
        typer.echo(str(path))
