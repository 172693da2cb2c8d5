"""The ``matcher`` command: parse arguments, hand over to the packages, print, set the exit code.

No domain logic lives here. Errors the user can fix are printed in Chinese
and English with a non-zero exit code; an unexpected error prints a short
bilingual message and the log file that holds the details, never a
traceback on the terminal.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from service.errors import guarded, report_errors, setup_logging

app = typer.Typer(
    name="matcher",
    help="就业扶贫岗位匹配 / Job matching for employment-based poverty alleviation.",
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


@command()
def status() -> None:
    """Row counts of the store / 数据库各表行数."""
    from service.context import cli_app
    from store import count_rows

    application = cli_app()
    engine = application.engine
    zh, en = application.settings.home_source or ("新建的 ./var", "./var, new")
    typer.echo(f"数据目录 / data directory: {application.home}（来自{zh} / from {en}）")
    for table, n in count_rows(engine).items():
        typer.echo(f"{table:24s} {n:>10,d}")


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
