"""``matcher evaluate``: a thin wrapper over :func:`matcher.evaluate.evaluate_store`."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def evaluate(
    seed: Annotated[int, typer.Option(help="random seed (folds, sample, models, random baseline)")] = 0,
    max_people: Annotated[
        int | None, typer.Option("--max-people", min=1, help="evaluate at most N people with a hire / 最多评估人数")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="person folds; each fold's ranker never sees its people")] = 5,
    target: Annotated[
        str,
        typer.Option(
            help="held out per person: 'turned' (last post applied to or further) or 'hired' (last hire) / "
            "留出：最后一次投递（turned）或最后一次录用（hired）"
        ),
    ] = "turned",
    json_: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Offline quality on held-out answers: the full pipeline against its peers and baselines / 离线评估匹配质量."""
    from matcher.evaluate import evaluate_store
    from service.context import cli_app

    report = evaluate_store(cli_app().engine, seed=seed, max_people=max_people, folds=folds, target=target)
    if json_:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.format())
