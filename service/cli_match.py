"""``matcher train`` and ``matcher recommend``: thin wrappers over :mod:`matcher.artifact` and :mod:`matcher.lookup`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.recommend import PersonResult
from store.errors import InputError

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
    typer.echo(f"模型版本 {path.name} 已写入 {path}（model version written）")
    if model.is_prior:
        typer.echo(
            f"排序：先验模型（历史中没有可学习的对接结果） / ranker: documented prior — {info.get('why_prior', '')}"
        )
    else:
        typer.echo(training_summary(info))


#: The funnels' furthest stages and endings as the training summary names them.
STAGE_ZH = {
    "recommended": "推荐",
    "contacted": "联系",
    "applied": "投递",
    "interviewed": "面试",
    "hired": "录用",
    "retained_6m": "稳定就业6个月",
    "ended_rejected": "其中被拒",
    "ended_declined": "其中本人谢绝",
    "ended_quit": "其中离职",
}


def training_summary(info: dict[str, object]) -> str:
    """What the ranker learned from, in Chinese then English (``matcher train``)."""
    learned = dict(info.get("learned_from") or {})  # type: ignore[call-overload]
    zh = "，".join(f"{STAGE_ZH.get(k, k)} {v:,}" for k, v in learned.items())
    en = ", ".join(f"{k} {v:,}" for k, v in learned.items())
    share = float(info.get("prior_share", 0.0))  # type: ignore[arg-type]
    meaning_zh = "录用可能性" if info.get("probability_of") == "hire" else "应聘可能性（录用太少，无法按录用校准）"
    meaning_en = "hire probability" if info.get("probability_of") == "hire" else "response probability (too few hires)"
    return (
        f"排序：梯度提升树，从 {info['history_pairs']:,} 条对接过程学习（按最远环节：{zh}），"
        f"训练样本 {info['training_rows']:,} 对；先验占比 {share:.1%}；显示的概率为{meaning_zh}\n"
        f"ranker: gradient-boosted, learned from {info['history_pairs']:,} funnels by furthest stage ({en}); "
        f"{info['training_rows']:,} training rows; prior share {share:.1%}; probabilities are {meaning_en}"
    )


def _flag_line(kind: str, reasons: list[str] | tuple[str, ...], suggest: list[str] | tuple[str, ...]) -> str:
    """One flag as a caseworker reads it: the kind of help, the reasons, what to offer (post kinds in words)."""
    from matcher.batch.report_tables import FLAG_NAMES
    from matcher.explain import KIND_ZH

    offer = "、".join(KIND_ZH.get(s, s) for s in suggest)
    return f"  帮扶：{FLAG_NAMES.get(kind, (kind,))[0]}（{'，'.join(reasons)}）" + (f"；建议：{offer}" if offer else "")


def _rec_line(n: int, title: str, vacancy_id: str, kind: str, score: float, step: str) -> str:
    from matcher.explain import KIND_ZH

    return (
        f"  {n}. {title} [{vacancy_id}] {KIND_ZH.get(kind, kind)} · {STEP_LABEL.get(step, step)} · 匹配分 {score:.3f}"
    )


def _print(result: PersonResult) -> None:
    typer.echo(
        f"== 劳动力 {result.laborer_id}" + ("   [先验模型：还没有录用记录可学 / prior ranker]" if result.prior else "")
    )
    for flag in result.flags:
        typer.echo(_flag_line(flag.kind, flag.reasons, flag.suggest))
    for n, rec in enumerate(result.recommendations, 1):
        typer.echo(_rec_line(n, rec.title, rec.vacancy_id, rec.kind, rec.score, rec.step))
        for reason in rec.reasons:
            typer.echo(f"       - {reason}")
    if result.shortfall is not None:
        typer.echo(f"  缺口：{result.shortfall.reason}")


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
        raise InputError(
            "give a LABORER_ID or --profile FILE (one of them)",
            "请给出劳动力编号或 --profile 文件（二选一）",
            field="laborer_id",
        )
    lookup = cli_app()
    if profile is not None:
        try:
            data = json.loads(profile.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot read {profile} as JSON ({exc.__class__.__name__})",
                f"无法读取 {profile}（{exc.__class__.__name__}），应为 JSON 文件",
                field="profile",
                value=str(profile),
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                "the profile must be one JSON object", "profile 应为一个 JSON 对象", field="profile", value=str(profile)
            )
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
        raise InputError("--from-run needs a LABORER_ID", "--from-run 需要劳动力编号", field="laborer_id")
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
    data: dict[str, Any] = stored_result(run, laborer_id, str(person["county_code"].iloc[0] or "000000"))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"== 劳动力 {laborer_id}（批处理 {run.run_id}）")
    for flag in data["flags"]:
        typer.echo(_flag_line(flag["kind"], flag["reasons"], flag.get("suggest") or []))
    for n, rec in enumerate(data["recommendations"], 1):
        typer.echo(_rec_line(n, rec["title"], rec["vacancy_id"], rec["kind"], rec["score"], rec["step"]))
    if data["shortfall"]:
        typer.echo(f"  缺口：{data['shortfall']['reason']}")
