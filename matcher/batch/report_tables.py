"""The morning report's tables, computed from a :class:`~matcher.batch.report_data.ReportData`.

Every function returns a plain DataFrame with English column names; the
Chinese and English headers the workbook prints come from
:data:`service.render.report_tables.LABELS`.
Counts are of people (one person counts once per row however many flags or
suggestions they hold), except ``openings`` (招聘人数) and ``posts``.
Rows whose place is ``全部`` sum over the whole run.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from matcher.batch.report_data import SHORTFALL_CATEGORIES, ReportData

__all__ = [
    "ALL",
    "FLAG_NAMES",
    "coverage",
    "shortfall_reasons",
    "flags_by_kind",
    "flag_reasons",
    "supply_demand",
    "training_courses",
    "zero_households",
    "exposure",
    "run_record",
]

ALL = "全部"
FLAG_NAMES: dict[str, tuple[str, str]] = {
    "public_welfare": ("公益性岗位托底", "public-welfare post"),
    "home_based": ("居家灵活就业", "home-based work"),
    "training": ("技能培训", "training"),
    "business": ("创业扶持", "start-up support"),
}
#: Posts outnumber seekers (or the reverse) when one side is at least this many times the other.
IMBALANCE = 2.0


def _place_keys(level: str) -> list[str]:
    return ["county_code", "county"] if level == "county" else ["county_code", "county", "town_code", "town"]


def coverage(data: ReportData, level: str = "county") -> pd.DataFrame:
    """People served, with ≥ 3 suggestions, shortfalls by category, flags by kind, per county or town.

    Parameters
    ----------
    data : ReportData
    level : {"county", "town"}

    Returns
    -------
    pandas.DataFrame
        One row per place and a last row ``全部`` with the run's totals.
    """
    p = data.people
    zero_ids = set(data.households.loc[data.households["zero_employment"], "household_id"])
    frame = pd.DataFrame({key: p[key] for key in _place_keys(level)})
    n = p["n_suggestions"]
    frame["served"] = 1
    frame["with_3"] = (n >= 3).astype(int)
    frame["with_1_2"] = ((n >= 1) & (n < 3)).astype(int)
    frame["with_0"] = (n == 0).astype(int)
    frame["shortfall"] = p["shortfall"].notna().astype(int)
    frame["covered"] = ((n >= 3) | p["shortfall"].notna()).astype(int)
    for key in SHORTFALL_CATEGORIES:
        frame[f"shortfall_{key}"] = (p["shortfall"] == key).astype(int)
    for kind in FLAG_NAMES:
        frame[f"flag_{kind}"] = p[f"flag_{kind}"].astype(int)
    frame["wants_training"] = p["wants_training"].astype(int)
    keys = _place_keys(level)
    out = frame.groupby(keys, sort=True).sum().reset_index()
    # Households: zero-employment ones with a member in the run; "without" when no member got a suggestion.
    homes = p.loc[p["household_id"].isin(zero_ids), [*keys, "household_id", "n_suggestions"]]
    best = homes.groupby([*keys, "household_id"])["n_suggestions"].max().reset_index()
    best["none"] = best["n_suggestions"] == 0
    per_place = best.groupby(keys).agg(
        zero_households=("household_id", "size"), zero_households_without=("none", "sum")
    )
    out = out.merge(per_place.reset_index(), on=keys, how="left")
    total = out.drop(columns=keys).sum(numeric_only=True)
    # A household split over two towns counts once in the total.
    total["zero_households"] = best["household_id"].nunique()
    total["zero_households_without"] = best.groupby("household_id")["none"].all().sum()
    total_row = pd.DataFrame([{**{k: ALL for k in keys}, **total.to_dict()}])
    out = pd.concat([out, total_row], ignore_index=True)
    counts = [c for c in out.columns if c not in keys]
    out[counts] = out[counts].fillna(0).astype(np.int64)
    out.insert(len(keys) + 2, "share_with_3", out["with_3"] / out["served"].clip(lower=1))
    return out


def shortfall_reasons(data: ReportData) -> pd.DataFrame:
    """People with a shortfall by county, category and mobility, with a ``全部`` block first."""
    p = data.people[data.people["shortfall"].notna()]
    cols = ["county_code", "county", "category", "category_en", "mobility", "people"]
    if p.empty:
        return pd.DataFrame(columns=cols)
    frame = p[["county_code", "county", "shortfall", "mobility_zh"]].rename(
        columns={"shortfall": "key", "mobility_zh": "mobility"}
    )
    every = frame.assign(county_code=ALL, county=ALL)
    out = (
        pd.concat([every, frame])
        .groupby(["county_code", "county", "key", "mobility"], sort=False)
        .size()
        .rename("people")
        .reset_index()
    )
    order = {k: i for i, k in enumerate(SHORTFALL_CATEGORIES)}
    out["category"] = out["key"].map(lambda k: SHORTFALL_CATEGORIES[k][0])
    out["category_en"] = out["key"].map(lambda k: SHORTFALL_CATEGORIES[k][1])
    out["_o"] = out["key"].map(order)
    out["_all"] = out["county_code"] != ALL
    out = out.sort_values(["_all", "county_code", "_o", "people"], ascending=[True, True, True, False])
    return out[cols].reset_index(drop=True)


def flags_by_kind(data: ReportData) -> pd.DataFrame:
    """People holding each flag kind per county (``全部`` first), with the share of people served."""
    p = data.people
    rows: list[dict[str, Any]] = []
    groups = [((ALL, ALL), p), *p.groupby(["county_code", "county"], sort=True)]
    for (code, name), g in groups:
        for kind, (zh, _) in FLAG_NAMES.items():
            count = int(g[f"flag_{kind}"].sum())
            rows.append(
                {
                    "county_code": code,
                    "county": name,
                    "kind": kind,
                    "kind_zh": zh,
                    "people": count,
                    "share": count / max(len(g), 1),
                }
            )
    return pd.DataFrame(rows, columns=["county_code", "county", "kind", "kind_zh", "people", "share"])


#: A flag's age reason (``年龄58岁``) is counted under its five-year band (``年龄55–59岁``): one row per
#: band instead of one per age, and a real age range on the sheet, never a template like ``年龄N岁``.
_AGE = re.compile(r"^年龄(\d+)岁$")
_TRAINING = re.compile(r"^有培训意愿.*$")
_UNLOCK = re.compile(r"^参加(.+?)可解锁附近(\d+)个岗位$")
#: Width of the age bands of :func:`flag_reasons`.
AGE_BAND = 5


def reason_form(reason: str) -> str:
    """The row of the 标记原因 table a flag reason counts under (ages in five-year bands)."""
    if m := _AGE.match(reason):
        low = int(m.group(1)) // AGE_BAND * AGE_BAND
        return f"年龄{low}–{low + AGE_BAND - 1}岁"
    return "有培训意愿" if _TRAINING.match(reason) else reason


def flag_reasons(data: ReportData) -> pd.DataFrame:
    """How often each reason is given, per flag kind (ages counted in five-year bands, see :func:`reason_form`)."""
    counts: Counter[tuple[str, str]] = Counter()
    per_kind: Counter[str] = Counter()
    for kind, reasons in zip(data.flags["kind"], data.flags["reasons"], strict=True):
        per_kind[kind] += 1
        # Course reasons (参加…可解锁…) are counted by the course table.
        for form in dict.fromkeys(reason_form(r) for r in json.loads(reasons) if not _UNLOCK.match(r)):
            counts[(kind, form)] += 1
    order = {k: i for i, k in enumerate(FLAG_NAMES)}
    rows = [
        {"kind": k, "kind_zh": FLAG_NAMES.get(k, (k, k))[0], "reason": r, "people": c, "share_of_kind": c / per_kind[k]}
        for (k, r), c in counts.items()
    ]
    out = pd.DataFrame(rows, columns=["kind", "kind_zh", "reason", "people", "share_of_kind"])
    out["_o"] = out["kind"].map(order).fillna(len(order))
    return out.sort_values(["_o", "people"], ascending=[True, False]).drop(columns="_o").reset_index(drop=True)


def _balance(openings: pd.Series, seekers: pd.Series) -> pd.Series:
    more_posts = (openings > 0) & (openings >= IMBALANCE * seekers)
    more_people = (seekers > 0) & (seekers >= IMBALANCE * openings)
    return pd.Series(np.select([more_posts, more_people], ["岗多人少", "人多岗少"], "大致平衡"), index=openings.index)


def supply_demand(data: ReportData, level: int = 4) -> pd.DataFrame:
    """Open posts' openings versus job seekers per occupation, for the run (``全部``) and per county.

    Supply: the posts the run could suggest (open, current, with openings) by
    ``occupation_code``. Demand: people served whose skills or job intentions
    map to the occupation (:func:`matcher.prepare.occupation_lists`); a person
    may count under several occupations. ``balance`` says 岗多人少 where
    openings are at least :data:`IMBALANCE` times the seekers, 人多岗少 for
    the reverse.

    Parameters
    ----------
    data : ReportData
    level : {2, 4}
        Middle groups (中类) or detailed occupations (细类).
    """
    from features.taxonomy import get_taxonomy

    tax = get_taxonomy()
    groups: dict[tuple[str, int], str] = {}

    def at(code: str, lvl: int) -> str:
        key = (code, lvl)
        if key not in groups:
            groups[key] = (tax.group(code, lvl) if code in tax else None) or code
        return groups[key]

    posts = data.posts[
        data.posts["suggestible"] & (data.posts["openings"] > 0) & data.posts["occupation_code"].notna()
    ].copy()
    posts["occ"] = [at(c, level) for c in posts["occupation_code"]]
    people = data.people
    codes = data.occupations()
    pairs = pd.DataFrame(
        {
            "laborer_id": np.repeat(people["laborer_id"].to_numpy(), [len(c) for c in codes]),
            "county_code": np.repeat(people["county_code"].to_numpy(), [len(c) for c in codes]),
            "occ": [at(c, level) for cs in codes for c in cs],
        }
    ).drop_duplicates()
    names = people.drop_duplicates("county_code").set_index("county_code")["county"]
    frames = []
    for scope, post_rows, pair_rows in [
        (ALL, posts, pairs),
        *[(c, posts[posts["county_code"] == c], pairs[pairs["county_code"] == c]) for c in names.index],
    ]:
        supply = post_rows.groupby("occ").agg(posts=("vacancy_id", "size"), openings=("openings", "sum"))
        demand = pair_rows.groupby("occ")["laborer_id"].nunique().rename("seekers")
        both = supply.join(demand, how="outer").fillna(0).astype(np.int64).reset_index()
        both.insert(0, "county", ALL if scope == ALL else names[scope])
        both.insert(0, "county_code", scope)
        frames.append(both)
    cols = [
        "county_code",
        "county",
        "occupation_code",
        "occupation",
        *(["group"] if level > 2 else []),
        "posts",
        "openings",
        "seekers",
        "openings_per_seeker",
        "gap",
        "balance",
    ]
    out = pd.concat(frames, ignore_index=True).rename(columns={"occ": "occupation_code"})
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["occupation"] = [_name(tax, c) for c in out["occupation_code"]]
    if level > 2:
        out["group"] = [_name(tax, at(c, 2)) for c in out["occupation_code"]]
    out["openings_per_seeker"] = out["openings"] / out["seekers"].replace(0, np.nan)
    out["gap"] = out["openings"] - out["seekers"]
    out["balance"] = _balance(out["openings"], out["seekers"])
    out["_all"] = out["county_code"] != ALL
    out["_size"] = np.maximum(out["openings"], out["seekers"])
    out = out.sort_values(["_all", "county_code", "_size", "occupation_code"], ascending=[True, True, False, True])
    return out[cols].reset_index(drop=True)


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple | np.ndarray) else []


def _name(tax: Any, code: str) -> str:
    return tax.name(code) if code in tax else code


def _course_openings(posts: pd.DataFrame) -> pd.DataFrame:
    """Per course: the open posts (and their openings) that ask for a skill the course teaches."""
    from features.skills import get_skill_table
    from matcher.prepare import canonical_skill_lists

    table = get_skill_table()
    skills = canonical_skill_lists(
        [_list(s) + [t] for s, t in zip(posts["required_skills"], posts["title"].fillna(""), strict=True)]
    )
    rows = [
        (c, v, o)
        for v, o, ss in zip(posts["vacancy_id"], posts["openings"], skills, strict=True)
        for c in {table.get(s).course for s in ss if s in table}
        if c
    ]
    return pd.DataFrame(rows, columns=["course", "vacancy_id", "openings"])


def training_courses(data: ReportData) -> pd.DataFrame:
    """因岗定培: the courses suggested to people who want training, and the openings each unlocks.

    Per county (``全部`` first) and course: people whose training flag names
    the course (and for how many it is the first choice), the mean openings
    nearby it unlocks for them (the flag's own figure), and the open posts and
    openings in the county (plus online posts) that ask for a skill it teaches.
    """
    cols = [
        "county_code",
        "county",
        "course",
        "suggested",
        "first_choice",
        "unlocked_mean",
        "course_posts",
        "course_openings",
    ]
    tr = data.flags[data.flags["kind"] == "training"]
    rows = []
    for pid, county, reasons, suggest in zip(
        tr["laborer_id"], tr["county_code"], tr["reasons"], tr["suggest"], strict=True
    ):
        unlocked = {m.group(1): int(m.group(2)) for r in json.loads(reasons) if (m := _UNLOCK.match(r))}
        for rank, course in enumerate(json.loads(suggest)):
            rows.append((pid, str(county), course, rank == 0, unlocked.get(course, 0)))
    if not rows:
        return pd.DataFrame(columns=cols)
    picks = pd.DataFrame(rows, columns=["laborer_id", "county_code", "course", "first", "unlocked"])
    names = data.people.drop_duplicates("county_code").set_index("county_code")["county"]
    open_posts = data.posts[data.posts["suggestible"] & (data.posts["openings"] > 0)]
    need = _course_openings(open_posts).merge(open_posts[["vacancy_id", "county_code"]], on="vacancy_id")
    frames = []
    for scope, sub in [(ALL, picks), *picks.groupby("county_code", sort=True)]:
        agg = sub.groupby("course").agg(
            suggested=("laborer_id", "nunique"), first_choice=("first", "sum"), unlocked_mean=("unlocked", "mean")
        )
        here = need if scope == ALL else need[(need["county_code"] == scope) | need["county_code"].isna()]
        posts = here.groupby("course").agg(course_posts=("vacancy_id", "nunique"), course_openings=("openings", "sum"))
        agg = agg.join(posts, how="left").fillna({"course_posts": 0, "course_openings": 0}).reset_index()
        agg.insert(0, "county", ALL if scope == ALL else names.get(scope, scope))
        agg.insert(0, "county_code", scope)
        frames.append(agg.sort_values(["suggested", "course_openings"], ascending=False))
    out = pd.concat(frames, ignore_index=True)
    for c in ("first_choice", "course_posts", "course_openings"):
        out[c] = out[c].astype(np.int64)
    return out[cols]


def zero_households(data: ReportData) -> pd.DataFrame:
    """Zero-employment households whose members in the run got no suggestion at all, by place."""
    cols = [
        "county",
        "town",
        "village",
        "household_id",
        "members",
        "members_in_run",
        "member_ids",
        "flags",
        "shortfall_reason",
    ]
    zero = data.households[data.households["zero_employment"]].set_index("household_id")["members"]
    p = data.people[data.people["household_id"].isin(zero.index)]
    if p.empty:
        return pd.DataFrame(columns=cols)
    best = p.groupby("household_id")["n_suggestions"].max()
    p = p[p["household_id"].isin(best.index[best == 0])]
    kinds = [k for k in FLAG_NAMES]
    p = p.assign(
        flag_text=[
            "、".join(FLAG_NAMES[k][0] for k, on in zip(kinds, row, strict=True) if on)
            for row in p[[f"flag_{k}" for k in kinds]].to_numpy()
        ]
    )
    out = (
        p.groupby("household_id", sort=False)
        .agg(
            county=("county", "first"),
            town=("town", "first"),
            village=("village", "first"),
            members_in_run=("laborer_id", "size"),
            member_ids=("laborer_id", "、".join),
            flags=("flag_text", lambda s: "、".join(dict.fromkeys(x for t in s for x in t.split("、") if x))),
            shortfall_reason=("shortfall_reason", lambda s: "；".join(dict.fromkeys(s.dropna()))),
        )
        .reset_index()
    )
    out["members"] = out["household_id"].map(zero).fillna(0).astype(np.int64)
    return out.sort_values(["county", "town", "village", "household_id"])[cols].reset_index(drop=True)


#: Columns of :func:`zero_households_by_village`.
VILLAGE_COLUMNS = ["county", "town", "village", "households", "members", "members_in_run"]


def zero_households_by_village(zero: pd.DataFrame) -> pd.DataFrame:
    """:func:`zero_households` as counts per village: no household id, member ids or per-household remarks
    (what a reader of aggregates alone is given)."""
    if zero.empty:
        return pd.DataFrame(columns=VILLAGE_COLUMNS)
    places = zero[["county", "town", "village"]].astype(object).fillna("")
    out = (
        zero.assign(county=places["county"], town=places["town"], village=places["village"])
        .groupby(["county", "town", "village"], sort=True)
        .agg(households=("household_id", "size"), members=("members", "sum"), members_in_run=("members_in_run", "sum"))
        .reset_index()
    )
    for c in ("households", "members", "members_in_run"):
        out[c] = out[c].astype(np.int64)
    return out[VILLAGE_COLUMNS]


def exposure(data: ReportData, candidates: pd.DataFrame, suggestions: pd.DataFrame) -> pd.DataFrame:
    """Exposure of every post with openings: top-k without the congestion step versus the published lists.

    Parameters
    ----------
    data : ReportData
    candidates : pandas.DataFrame
        The run's candidate lists (``laborer_id, vacancy_id, score``).
    suggestions : pandas.DataFrame
        The published suggestions (``laborer_id, vacancy_id``).
    """
    from matcher.congestion import independent_topk

    posts = data.posts[data.posts["openings"] > 0][["vacancy_id", "title", "kind", "openings"]].copy()
    if len(candidates):
        person, _ = pd.factorize(candidates["laborer_id"])
        keep = independent_topk(person, candidates["score"].to_numpy(dtype=np.float64), data.k)
        plain = candidates.loc[keep, "vacancy_id"].value_counts()
    else:
        plain = pd.Series(dtype=np.int64)
    final = suggestions["vacancy_id"].value_counts()
    posts["exposure_without"] = posts["vacancy_id"].map(plain).fillna(0).astype(np.int64)
    posts["exposure_with"] = posts["vacancy_id"].map(final).fillna(0).astype(np.int64)
    posts["per_opening_without"] = posts["exposure_without"] / posts["openings"]
    posts["per_opening_with"] = posts["exposure_with"] / posts["openings"]
    return posts.sort_values("per_opening_without", ascending=False).reset_index(drop=True)


_RECORD_LABELS: dict[str, str] = {
    "run_id": "批次编号",
    "status": "状态",
    "started_at": "开始时间（UTC）",
    "finished_at": "结束时间（UTC）",
    "artifact": "模型版本",
    "today": "计算日期",
    "prior": "先验排序（无历史数据）",
    "change_seq": "数据变更序号",
    "people": "求职人数",
    "people_served": "服务人数",
    "people_with_3": "≥3条建议人数",
    "shortfalls": "有缺口说明人数",
    "covered_share": "≥3条或有缺口说明占比",
    "suggestions": "建议条数",
    "candidates": "候选条数",
    "options": "参数",
    "timings": "耗时（秒）",
    "incremental": "增量计算",
    "exposure_with": "拥堵控制后",
    "exposure_without": "拥堵控制前",
    "errors": "错误",
    "resumed_at": "续跑时间",
    "k": "每人建议数",
    "full": "全量重算",
    "congestion": "拥堵控制",
    "multiple": "每个名额最多推荐人次（名额的倍数）",
    "scope": "范围",
    "resume": "续跑批次",
    "scheduler": "分布式调度地址",
    "workers": "本地工作进程",
    "block": "分块人数",
    "candidates_per_person": "每人候选数",
    "load": "读取",
    "compute": "计算",
    "incremental_check": "增量判断",
    "congestion_and_write": "拥堵控制与写出",
    "total": "合计",
    "from_run": "基于批次",
    "recomputed": "重算人数",
    "repaired": "修补人数",
    "copied": "沿用人数",
    "reasons": "重算原因",
    "changed_people": "本人信息有变",
    "previous_run_too_old": "上一批次版本过旧",
    "shortfall_reach_moved": "缺口范围内岗位有变",
    "lost_training_or_safety_post": "培训或托底岗位已失效",
    "zero_employment_lost_post": "零就业家庭失去岗位",
    "list_below_refill": "建议不足需补充",
    "repair_needs_recompute": "修补后需重算",
    "exposure_per_opening_max": "每个名额最多被推荐人次",
    "exposure_per_opening_p99": "99%的岗位每个名额被推荐人次不超过",
    "exposure_gini": "推荐集中程度（0为各岗位平均，越接近1越集中于少数岗位）",
    "mean_score": "平均匹配分",
}
#: Values of the run record a person reads in words (the record itself keeps the codes).
RECORD_VALUES: dict[str, str] = {"complete": "已完成", "running": "运行中", "failed": "失败"}


def run_record(record: dict[str, Any]) -> pd.DataFrame:
    """The run record flattened to ``item, item_en, value`` rows (nested keys joined by dots)."""
    rows: list[tuple[str, str, Any]] = []

    def walk(prefix_zh: str, prefix_en: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = str(key)
                zh = _RECORD_LABELS.get(name, name)
                walk(f"{prefix_zh}·{zh}" if prefix_zh else zh, f"{prefix_en}.{name}" if prefix_en else name, sub)
        elif isinstance(value, list):
            rows.append((prefix_zh, prefix_en, "；".join(map(str, value))))
        else:
            rows.append((prefix_zh, prefix_en, value))

    walk("", "", record)
    return pd.DataFrame(rows, columns=["item", "item_en", "value"])
