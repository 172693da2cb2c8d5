"""``matcher train`` and ``matcher recommend``: thin wrappers over :mod:`matcher.artifact` and :mod:`matcher.lookup`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from matcher.recommend import PersonResult

STEP_LABEL = {
    "village": "本村/居家",
    "half_hour": "半小时圈",
    "county": "县内",
    "province": "省内",
    "nationwide": "省外",
    "training": "培训后",
    "safety_net": "托底",
}


def train(seed: Annotated[int, typer.Option(help="random seed")] = 0) -> None:
    """Fit encoder, ranker and index from the store; write a new artifact version / 训练模型."""
    from service.context import cli_app

    application = cli_app()
    path = application.train(seed=seed)
    model = application.load_model(path)
    info = model.manifest["training"]
    typer.echo(f"model version {path.name} written to {path}")
    if model.is_prior:
        typer.echo(f"ranker: documented prior (先验模型) — {info.get('why_prior', '')}")
    else:
        typer.echo(
            f"ranker: gradient-boosted, calibrated; trained on {info['training_rows']:,} pairs "
            f"({info['training_positives']:,} hires) from {info['history_pairs']:,} history pairs"
        )


def _print(result: PersonResult) -> None:
    typer.echo(
        f"== {result.laborer_id}" + ("   [先验模型 prior ranker: no placement history yet]" if result.prior else "")
    )
    for flag in result.flags:
        typer.echo(f"  flag {flag.kind}: {'，'.join(flag.reasons)}")
    for n, rec in enumerate(result.recommendations, 1):
        typer.echo(
            f"  {n}. {rec.title} [{rec.vacancy_id}] {rec.kind} score {rec.score:.3f} "
            f"({STEP_LABEL.get(rec.step, rec.step)})"
        )
        for reason in rec.reasons:
            typer.echo(f"       - {reason}")
    if result.shortfall is not None:
        typer.echo(f"  shortfall: {result.shortfall.reason} / {result.shortfall.reason_en}")


def recommend(
    laborer_id: Annotated[str | None, typer.Argument(help="ledger id / 劳动力编号")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="how many posts")] = 10,
    json_: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    profile: Annotated[Path | None, typer.Option("--profile", help="JSON file of a person not in the ledger")] = None,
    from_run: Annotated[
        str | None,
        typer.Option("--from-run", help="read a published batch run ('latest' or an id) instead of computing now"),
    ] = None,
) -> None:
    """Suggest posts, flags and any shortfall for one person / 为一名劳动力推荐岗位."""
    from service.context import cli_app

    if from_run is not None:
        _from_run(laborer_id, from_run, json_)
        return

    if (laborer_id is None) == (profile is None):
        typer.echo(
            "请给出劳动力编号或 --profile 文件（二选一） / give a LABORER_ID or --profile FILE (one of them)", err=True
        )
        raise typer.Exit(2)
    lookup = cli_app()
    if profile is not None:
        try:
            data = json.loads(profile.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            typer.echo(f"无法读取 {profile}：{exc.__class__.__name__} / cannot read {profile} as JSON", err=True)
            raise typer.Exit(2) from None
        if not isinstance(data, dict):
            typer.echo("profile 应为一个 JSON 对象 / the profile must be one JSON object", err=True)
            raise typer.Exit(2)
        result = lookup.recommend_profile(data, k=k)
    else:
        assert laborer_id is not None
        result = lookup.recommend([laborer_id], k=k)[0]
    if json_:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print(result)


def _from_run(laborer_id: str | None, run_id: str, as_json: bool) -> None:
    from matcher.batch.runs import latest_run, stored_result
    from matcher.errors import UnknownIdError
    from service.context import cli_app
    from store import load_laborers

    if laborer_id is None:
        typer.echo("--from-run 需要劳动力编号 / --from-run needs a LABORER_ID", err=True)
        raise typer.Exit(2)
    application = cli_app()
    run = latest_run(application.runs, run_id=run_id)
    person = load_laborers(application.engine, ids=[laborer_id])
    if person.empty:
        raise UnknownIdError(
            f"no laborer with id {laborer_id} in the store",
            f"库中没有编号为 {laborer_id} 的劳动力",
            field="laborer_id",
            value=laborer_id,
            code="laborer_not_found",
        )
    data = stored_result(run, laborer_id, str(person["county_code"].iloc[0] or "000000"))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"== {laborer_id} (batch run {run.run_id})")
    for flag in data["flags"]:
        typer.echo(f"  flag {flag['kind']}: {'，'.join(flag['reasons'])}")
    for n, rec in enumerate(data["recommendations"], 1):
        typer.echo(
            f"  {n}. {rec['title']} [{rec['vacancy_id']}] {rec['kind']} score {rec['score']:.3f} "
            f"({STEP_LABEL.get(rec['step'], rec['step'])})"
        )
    if data["shortfall"]:
        typer.echo(f"  shortfall: {data['shortfall']['reason']}")
