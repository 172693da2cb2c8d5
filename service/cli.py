"""The ``matcher`` command: parse arguments, hand over to the packages, print, set the exit code.

No domain logic lives here. Errors the user can fix are printed in Chinese
and English with a non-zero exit code; an unexpected error prints a short
bilingual message and the log file that holds the details, never a
traceback on the terminal.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from service.errors import guarded, report_errors, setup_logging

#: Click's own usage messages (unknown command, bad option …) and their Chinese, tried in order.
_USAGE_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"No such command '([^']*)'"), "没有「{0}」这个命令"),
    (re.compile(r"No such option: (\S+)"), "没有 {0} 这个选项"),
    (re.compile(r"Missing argument '([^']*)'"), "缺少参数 {0}"),
    (re.compile(r"Missing parameter: (\S+)"), "缺少参数 {0}"),
    (re.compile(r"Missing option '([^']*)'"), "缺少选项 {0}"),
    (re.compile(r"Option '([^']*)' requires an argument"), "选项 {0} 后面需要一个值"),
    (re.compile(r"Invalid value for '([^']*)'"), "{0} 的值无效"),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)"), "多余的参数：{0}"),
    (re.compile(r"Option '([^']*)' does not take a value"), "选项 {0} 不带值"),
)


def bilingual_usage(message: str) -> str:
    """A click usage message with its Chinese first: ``没有「x」这个命令 / No such command 'x'.``."""
    for pattern, zh in _USAGE_ZH:
        m = pattern.search(message)
        if m:
            return f"{zh.format(*m.groups())}（用 --help 查看用法）\n{message}"
    return f"用法有误（用 --help 查看用法）\n{message}"


def _usage_error(exc: BaseException) -> bool:
    """A click usage error (Typer vendors its own click, so the class is recognised by name)."""
    names = {c.__name__ for c in type(exc).__mro__}
    return "UsageError" in names and "NoArgsIsHelpError" not in names and isinstance(getattr(exc, "message", None), str)


class _BilingualGroup(TyperGroup):
    """The ``matcher`` group: click's usage errors, anywhere below it, are shown in Chinese and English."""

    @staticmethod
    def _translate(exc: Exception) -> None:
        if _usage_error(exc) and not getattr(exc, "_bilingual", False):
            # format_message() adds the parameter's name to a bad value; the whole text is translated once.
            text = bilingual_usage(exc.format_message())  # type: ignore[attr-defined]
            exc.format_message = lambda: text  # type: ignore[attr-defined]
            exc.message = text  # type: ignore[attr-defined]
            exc._bilingual = True  # type: ignore[attr-defined]

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            self._translate(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            self._translate(exc)
            raise


app = typer.Typer(
    name="matcher",
    help="就业扶贫岗位匹配 / Job matching for employment-based poverty alleviation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_BilingualGroup,
)

log = logging.getLogger("matcher.cli")


@app.callback()
def _start(ctx: typer.Context) -> None:
    """Read the settings afresh for this command and log under its data directory."""
    from service.context import begin, cli_settings
    from store.errors import AppError

    begin(ctx.invoked_subcommand)
    try:
        home = cli_settings().home
    except AppError:
        home = None  # the command reports the bad setting itself
    setup_logging(home)


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose errors are reported in Chinese and English, never as a traceback."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        app.command(name)(guarded(fn))
        return fn

    return register


class LedgerKind(StrEnum):
    laborers = "laborers"
    vacancies = "vacancies"
    placements = "placements"


@command()
def ingest(
    kind: Annotated[LedgerKind, typer.Argument(help="laborers | vacancies | placements")],
    file: Annotated[Path, typer.Argument(help="CSV, .xlsx or JSON file / 台账文件")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate and count, write nothing / 只校验不写入")
    ] = False,
    rejects_masked: Annotated[
        bool,
        typer.Option(
            "--rejects-masked",
            help="also write FILE.rejects-masked.csv, names, ID numbers and phones masked, to pass around "
            "/ 另存一份脱敏的拒收文件，可以外传",
        ),
    ] = False,
) -> None:
    """Validate and upsert a ledger file; rejected rows go to FILE.rejects.csv (it holds personal data).

    Exit codes: 0 all rows taken, 3 some rows rejected, 2 unusable file.
    """
    from service.context import cli_app

    summary = cli_app().ingest_file(kind.value, file, dry_run=dry_run)
    if rejects_masked:
        from service.masking import mask_id_number, mask_name, mask_phone, scrub_text

        maskers = {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone}

        def mask(column: str | None, text: str) -> str:
            return maskers[column](text) if column in maskers else scrub_text(text)

        summary.write_masked_rejects(mask)
    for line in summary.details():
        typer.echo(line)
    typer.echo(summary.line())
    raise typer.Exit(summary.exit_code)


@command()
def migrate() -> None:
    """Create or upgrade the store's schema (Alembic) / 创建或升级数据库结构."""
    from service.context import cli_app

    application = cli_app()
    application.migrate()
    engine = application.engine
    typer.echo(f"store is at the latest schema / 数据库结构已是最新: {engine.url.render_as_string(hide_password=True)}")


#: The store's tables as ``matcher status`` names them.
TABLE_ZH = {
    "laborers": "劳动力",
    "households": "家庭户",
    "vacancies": "岗位",
    "placements": "就业记录",
    "batch_runs": "批处理记录",
    "ingest_runs": "导入记录",
    "job_fairs": "招聘会",
    "job_fair_vacancies": "招聘会岗位",
    "job_fair_invitations": "招聘会邀请",
    "api_keys": "接口密钥",
    "audit_log": "访问审计",
    "changes": "变更记录",
}


@command()
def status() -> None:
    """Row counts of the store, and what to do next / 数据库各表行数及下一步."""
    from matcher.artifact import latest_version
    from service.context import cli_app
    from store import check_schema, count_rows

    application = cli_app()
    engine = application.engine
    zh, en = application.settings.home_source or ("新建的 ./var", "./var, new")
    typer.echo(f"数据目录 / data directory: {application.home}（来自{zh} / from {en}）")
    typer.echo(f"数据库 / database: {engine.url.render_as_string(hide_password=True)}")
    check_schema(engine)
    counts = count_rows(engine)
    order = [t for t in TABLE_ZH if t in counts] + [t for t in counts if t not in TABLE_ZH]
    for table in order:
        label = TABLE_ZH.get(table, table)
        typer.echo(f"{label}{' ' * max(1, 12 - 2 * len(label))}{counts[table]:>10,d}   {table}")
    if not counts.get("laborers"):
        step = ("导入劳动力台账：matcher ingest laborers 文件", "ingest a laborer ledger: matcher ingest laborers FILE")
    elif not counts.get("vacancies"):
        step = ("导入岗位清单：matcher ingest vacancies 文件", "ingest a vacancy list: matcher ingest vacancies FILE")
    elif latest_version(application.home) is None:
        step = ("训练模型：matcher train", "train the model: matcher train")
    else:
        return
    typer.echo(f"下一步：{step[0]}\nnext: {step[1]}")


@command()
def contract(
    kind: Annotated[LedgerKind, typer.Argument(help="laborers | vacancies | placements")],
) -> None:
    """Print the data contract of one ledger as a Markdown table / 打印台账字段说明."""
    from features.contract import contract_markdown

    typer.echo(contract_markdown(kind.value))


def _register_optional() -> None:
    """Attach the commands that live in their own modules."""
    from service import cli_batch, cli_evaluate, cli_fair, cli_match, cli_occupation, cli_sample, cli_serve

    command("sample")(cli_sample.sample)
    command("occupation")(cli_occupation.occupation)
    command("train")(cli_match.train)
    command("recommend")(cli_match.recommend)
    app.add_typer(cli_fair.fair_app, name="fair")
    command("evaluate")(cli_evaluate.evaluate)
    command("batch")(cli_batch.batch)
    command("report")(cli_batch.report)
    command("serve")(cli_serve.serve)
    from service import cli_keys

    app.add_typer(cli_keys.keys_app, name="keys")
    command("audit")(cli_keys.audit)


_register_optional()


def main() -> None:
    """Console entry point (``matcher``)."""
    with report_errors():
        app(standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
