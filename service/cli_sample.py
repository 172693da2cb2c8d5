"""``matcher sample``: write a realistic sample county (thin wrapper over :mod:`sampledata`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["sample"]


def sample(
    laborers: Annotated[int, typer.Option(help="poor-laborer ledger size / 贫困劳动力人数")] = 6000,
    vacancies: Annotated[int, typer.Option(help="vacancy rows / 岗位条数")] = 600,
    seed: Annotated[int, typer.Option(help="random seed; equal seeds give equal files / 随机种子")] = 7,
    out: Annotated[Path, typer.Option(help="output directory / 输出目录")] = Path("var/sample"),
    county: Annotated[
        str | None,
        typer.Option(help="primary county, name or 6-digit code (default 永寿县) / 主县"),
    ] = None,
) -> None:
    """Write the four CSV files of a realistic sample county / 生成样例县数据."""
    import sampledata

    try:
        summary = sampledata.generate(laborers=laborers, vacancies=vacancies, seed=seed, out=out, county=county)
    except ValueError as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(2) from None
    for name, path in summary.files.items():
        typer.echo(f"{name:11s} {summary.rows[name]:>10,d} rows  {path}")
    typer.echo(f"counties / 县 ({len(summary.counties)}): {'、'.join(summary.counties)}")
