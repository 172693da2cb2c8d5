"""``matcher fair …``: create and list job fairs, write their shortlists, report on them.

Thin wrappers over :mod:`matcher.fair`; every command goes through
:func:`service.errors.guarded`, so errors are bilingual and never a traceback.
Outcomes after the fair go in with ``matcher ingest placements`` (a file
with ``fair_id``, or the fair's workbook filled in by hand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from service.errors import guarded

fair_app = typer.Typer(
    help="专场招聘会：邀请名单与总结 / job fairs: shortlists and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        fair_app.command(name)(guarded(fn))
        return fn

    return register


def _line(value: object) -> str:
    """A value on one console line: tabs, carriage returns and other control characters as spaces."""
    return " ".join(str(value or "").split())


def _date(value: str) -> dt.date:
    from features.contract.parse import to_datetime

    try:
        parsed = to_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        typer.echo(
            f"错误：--date「{value}」不是日期，例如 2025-03-15 或 2025年3月15日\n"
            f"error: --date {value!r} is not a date; write e.g. 2025-03-15",
            err=True,
        )
        raise typer.Exit(2)
    return parsed.date()


@_command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="招聘会名称 / the fair's name")],
    date: Annotated[str, typer.Option("--date", help="日期 / date, e.g. 2025-03-15")],
    place: Annotated[str, typer.Option("--place", help="举办地点 / venue, e.g. 永寿县马坊镇罗家村广场")],
    vacancies: Annotated[
        Path | None, typer.Option("--vacancies", help="岗位编号文件（每行一个）或岗位清单 / ids file or vacancy file")
    ] = None,
    county: Annotated[
        str | None,
        typer.Option("--county", help="6位县代码：该县全部在招市场岗位 / all open market posts of this county"),
    ] = None,
    place_code: Annotated[
        str | None, typer.Option("--place-code", help="地点的行政区划代码（可选） / admin code of the venue")
    ] = None,
) -> None:
    """Create a fair; its id is printed on the last line / 创建招聘会（最后一行为编号）."""
    from matcher.fair.model import create_fair, read_vacancy_ids
    from service.context import cli_app

    day = _date(date)
    ids = read_vacancy_ids(vacancies) if vacancies is not None else None
    fair = create_fair(
        cli_app().engine, name=name, date=day, place=place, vacancy_ids=ids, county=county, place_code=place_code
    )
    typer.echo(
        f"招聘会已创建 / fair created: {_line(fair.name)}，{fair.date}，{_line(fair.place)}；"
        f"{len(fair.vacancy_ids)}个岗位 posts；地点代码 venue {fair.venue_code or '未识别 unresolved'}"
    )
    typer.echo(fair.fair_id)


@_command("list")
def list_() -> None:
    """List the fairs / 列出招聘会."""
    from matcher.fair.model import list_fairs
    from service.context import cli_app

    frame = list_fairs(cli_app().engine)
    if frame.empty:
        typer.echo("还没有招聘会 / no fairs yet; create one with `matcher fair create`")
        return
    typer.echo(f"{'编号':14s} {'日期':8s} {'岗位数':>4s} {'招聘人数':>5s} {'已邀请':>5s}  名称 / 地点")
    for r in frame.itertuples(index=False):
        typer.echo(
            f"{r.fair_id:16s} {str(r.date)[:10]:10s} {r.posts:>6d} {r.openings:>9d} "
            f"{r.invitations:>8d}  {_line(r.name)} / {_line(r.place)}"
        )


@_command("shortlist")
def shortlist(
    fair_id: Annotated[str, typer.Argument(help="招聘会编号 / fair id")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")] = Path("."),
    factor: Annotated[
        float, typer.Option("--factor", min=0.5, max=20.0, help="每岗邀请上限 = 招聘人数 × factor")
    ] = 3.0,
    per_person: Annotated[
        int, typer.Option("--per-person", min=1, max=10, help="每人最多展位数 / booths per person")
    ] = 3,
    with_pii: Annotated[
        bool, typer.Option("--with-pii", help="不遮盖姓名、身份证号和电话 / unmasked names, ID numbers, phones")
    ] = False,
    counties: Annotated[
        str | None,
        typer.Option("--counties", help="求职者来自哪些县（逗号分隔的6位代码，默认举办县） / candidate counties"),
    ] = None,
) -> None:
    """Compute the invitations and write the workbook and printable page / 生成邀请名单."""
    from matcher.fair.shortlist import build_shortlist
    from matcher.fair.solver import FairSettings
    from service.context import cli_app
    from service.render.fair_export import summary_lines, write_outputs

    codes = [c.strip() for c in counties.split(",") if c.strip()] if counties else None
    bad = [c for c in codes or [] if not (len(c) == 6 and c.isdigit())]
    if bad:
        typer.echo(
            f"错误：--counties「{bad[0]}」应为6位县代码，例如 610426\n"
            f"error: --counties {bad[0]!r} must be 6-digit county codes such as 610426",
            err=True,
        )
        raise typer.Exit(2)
    application = cli_app()
    sl = build_shortlist(
        application.engine,
        fair_id,
        FairSettings(factor=factor, per_person=per_person),
        counties=codes,
        home=application.home,
    )
    paths = write_outputs(sl, out, with_pii=with_pii)
    for line in summary_lines(sl):
        typer.echo(line)
    typer.echo(f"工作簿：{paths['xlsx']}")
    typer.echo(f"打印页：{paths['html']}")
    typer.echo(f"PDF：{paths['pdf']}" if paths["pdf"] else "PDF：未生成（本机没有 Chromium），请用浏览器打开打印页打印")
    if not with_pii:
        typer.echo("姓名、身份证号、电话已遮盖，村通知名单不含电话；需要原文请加 --with-pii")


@_command("report")
def report(
    fair_id: Annotated[str, typer.Argument(help="招聘会编号 / fair id")],
    booths: Annotated[bool, typer.Option("--booths", help="逐个展位列出 / one line per booth")] = False,
) -> None:
    """Invitations, attendance, interviews, hires and openings left after the fair / 招聘会总结."""
    from matcher.fair.report import fair_report
    from service.context import cli_app
    from service.render.fair_report import report_lines

    rep = fair_report(cli_app().engine, fair_id)
    for line in report_lines(rep):
        typer.echo(line)
    if booths:
        typer.echo("      岗位编号   招聘 邀请 到场 面试 录用 剩余  岗位")
        for r in rep.booths.itertuples(index=False):
            row: Any = r
            typer.echo(
                f"      {row.vacancy_id:10s} {row.openings:4d} {row.invited:4d} {row.attended:4d} "
                f"{row.interviews:4d} {row.hires:4d} {row.openings_left:4d}  {_line(row.title)}"
            )
