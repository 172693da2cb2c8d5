"""The ``matcher`` command: parse arguments, hand over to the packages, print, set the exit code.

No domain logic lives here. Errors the user can fix are printed in Chinese
and English with a non-zero exit code; an unexpected error prints a short
bilingual message and the log file that holds the details, never a
traceback on the terminal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError  # typer ships its own click; its usage errors are these
from typer.core import TyperGroup

from service.errors import guarded, report_errors, setup_logging

_HELP = "（用 --help 查看用法）"
#: click's own usage messages (English) and what a person reads first, in Chinese.
_USAGE_ZH: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"No such command '(.+?)'\."), lambda m: f"没有「{m[1]}」这个命令"),
    (re.compile(r"No such option: (\S+)"), lambda m: f"没有 {m[1]} 这个选项"),
    (re.compile(r"Missing argument '?([^'.]+)'?"), lambda m: f"缺少参数 {m[1]}"),
    (re.compile(r"Missing option '?([^'.]+)'?"), lambda m: f"缺少选项 {m[1]}"),
    (re.compile(r"Invalid value for '?([^':]+)'?"), lambda m: f"{m[1]} 的值无效"),
    (re.compile(r"Option '?([^' ]+)'? requires an argument"), lambda m: f"选项 {m[1]} 后面缺少值"),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)"), lambda m: f"多余的参数：{m[1]}"),
)


def bilingual_usage(message: str) -> str:
    """click's English usage message with the Chinese line first (an unknown wording still gets one)."""
    for pattern, zh in _USAGE_ZH:
        found = pattern.search(message)
        if found:
            return f"{zh(found)}{_HELP}\n{message}"
    return f"用法有误{_HELP}\n{message}"


class _BilingualUsageError(UsageError):
    """A usage error whose message already holds both languages."""


#: ``ctx.meta`` key: the command line asked for ``--json`` (usage errors are then JSON too).
_JSON = "matcher.json"


def _usage_json(exc: UsageError, text: str) -> None:
    """A usage error in the API's error shape (its code for a request it cannot parse), on standard output."""
    from service.errors import emit
    from store.errors import InputError

    param = getattr(exc, "param", None)
    zh, _, en = text.partition("\n")
    emit(InputError(en, zh, field=getattr(param, "name", None), code="invalid_request"), as_json=True)


@contextmanager
def _bilingual_usage_errors(as_json: bool = False) -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        # click's "no arguments, show the help" is a usage error too; it prints help, not a message.
        if isinstance(exc, _BilingualUsageError) or type(exc).__name__ == "NoArgsIsHelpError":
            raise
        text = bilingual_usage(exc.format_message())
        if as_json:
            _usage_json(exc, text)
            raise typer.Exit(exc.exit_code) from None
        raise _BilingualUsageError(text, ctx=exc.ctx) from None


class _BilingualGroup(TyperGroup):
    """The root command: every usage error below it (unknown command or option, missing or bad value) bilingual.

    With ``--json`` on the command line a usage error is JSON on standard output, like every other error.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        as_json = "--json" in args
        with _bilingual_usage_errors(as_json):
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[_JSON] = as_json
        return ctx

    def invoke(self, ctx: Any) -> Any:
        with _bilingual_usage_errors(bool(ctx.meta.get(_JSON))):
            return super().invoke(ctx)


app = typer.Typer(
    name="matcher",
    help="就业扶贫岗位匹配 / Job matching for employment-based poverty alleviation.",
    cls=_BilingualGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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

    def waiting() -> None:
        typer.echo(
            "数据库正被另一个写入占用（导入、批处理或编辑），正在等待… / "
            "the store is busy with another writer (an import, a batch run or an edit); waiting…",
            err=True,
        )

    summary = cli_app().ingest_file(kind.value, file, dry_run=dry_run, on_wait=waiting)
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


#: The store's tables as a person reads them.
_TABLE_ZH = {
    "laborers": "劳动力",
    "households": "家庭户",
    "vacancies": "岗位",
    "placements": "就业结果",
    "job_fairs": "招聘会",
    "job_fair_vacancies": "招聘会岗位",
    "job_fair_invitations": "招聘会邀请",
    "batch_runs": "批处理记录",
    "ingest_runs": "导入记录",
    "api_keys": "服务密钥",
    "audit_log": "访问记录",
    "changes": "变更记录",
}


def next_steps(counts: dict[str, int], trained: bool) -> list[str]:
    """What to do next on a store with these row counts (empty when it is ready to suggest posts)."""
    steps = []
    if not counts.get("laborers"):
        steps.append("导入劳动力台账 / ingest the laborer ledger: matcher ingest laborers 台账文件 FILE")
    if not counts.get("vacancies"):
        steps.append("导入岗位清单 / ingest the vacancy list: matcher ingest vacancies 岗位文件 FILE")
    if not trained:
        steps.append("训练模型 / train the model: matcher train")
    return steps


@command()
def status() -> None:
    """Row counts of the store and what to do next / 数据库各表行数和下一步."""
    from matcher.artifact import latest_version
    from service.context import cli_app
    from store import count_rows

    application = cli_app()
    engine = application.engine
    zh, en = application.settings.home_source or ("新建的 ./var", "./var, new")
    typer.echo(f"数据目录 / data directory: {application.home}（来自{zh} / from {en}）")
    counts = count_rows(engine)
    for table, n in counts.items():
        label = f"{_TABLE_ZH.get(table, table)} {table}"
        typer.echo(f"{label:32s} {n:>10,d}")
    steps = next_steps(counts, latest_version(application.home) is not None)
    if steps:
        typer.echo("下一步 / next:")
        for n, step in enumerate(steps, start=1):
            typer.echo(f"  {n}. {step}")


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
    main()
