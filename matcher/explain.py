"""Reasons a caseworker can read aloud: why this post, for this person, from which step.

Every suggestion carries: the matched skills or occupation, the distance or
travel estimate, the wage against the person's expectation, the hours, why
it passed the hard constraints, and which widening step produced it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from features.contract.vocab import MOBILITY_ORDER
from matcher.pairs import PairSkills
from matcher.prepare import KINDS, People, Posts
from matcher.reach import PairGeo

__all__ = ["STEP_NAMES", "explain", "MOBILITY_ZH"]

STEP_NAMES: dict[str, str] = {
    "village": "第1步 本村及居家可做（含线上、居家式车间）",
    "half_hour": "第2步 半小时就业圈",
    "county": "第3步 县内",
    "province": "第4步 省内",
    "nationwide": "第4步 省外（劳务协作）",
    "training": "第5步 参加意向培训后可胜任",
    "safety_net": "第6步 托底安置（居家就业/公益性岗位）",
}
MOBILITY_ZH = {
    "home": "不能离家",
    "village": "村内",
    "town": "乡镇内",
    "county": "县内",
    "province": "省内",
    "nationwide": "省外也可",
}
KIND_ZH = {
    "enterprise": "企业岗位",
    "workshop_factory": "厂房式扶贫车间",
    "workshop_home": "居家式扶贫车间",
    "workshop_base": "基地式扶贫车间",
    "public_welfare": "公益性岗位",
    "online": "线上岗位",
}
HOURS_ZH = ("全日制", "非全日制", "灵活工时")
PHYSICAL_ZH = ("轻体力", "中等体力", "重体力")


class _PostText(NamedTuple):
    """The parts of a post's reasons that do not depend on the person (built once per post)."""

    place: str
    extras: str
    wage: str
    monthly: float
    kind: str
    hours: str
    flexible: bool
    occupation: str
    limits: tuple[int, int] | None
    physical: str
    training: bool


def _post_text(posts: Posts, j: int) -> _PostText:
    cache: dict[int, _PostText] | None = getattr(posts, "_explain_text", None)
    if cache is None:
        cache = posts._explain_text = {}  # type: ignore[attr-defined]
    hit = cache.get(j)
    if hit is not None:
        return hit
    place = "".join(str(posts.col(c)[j]) for c in ("county", "town", "village") if posts.col(c)[j] is not None) or str(
        posts.col("city")[j] or ""
    )
    extras = [w for w, flag in (("提供交通", posts.transport[j]), ("提供住宿", posts.lodging[j])) if flag]
    lo, hi, unit = posts.col("wage_min")[j], posts.col("wage_max")[j], posts.col("wage_unit")[j]
    if lo is None and hi is None:
        wage = "工资面议"
    else:
        span = (
            f"{lo:.0f}-{hi:.0f}"
            if lo is not None and hi is not None and lo != hi
            else f"{(hi if hi is not None else lo):.0f}"
        )
        wage = {"day": f"日薪{span}元", "piece": f"计件，约{span}元/月"}.get(unit, f"月薪{span}元")
    age_lo, age_hi = int(posts.age_min[j]), int(posts.age_max[j])
    hit = _PostText(
        place=place,
        extras=f"，{'、'.join(extras)}" if extras else "",
        wage=wage,
        monthly=float(posts.wage[j]) if lo is not None or hi is not None else float("nan"),
        kind=KIND_ZH[KINDS[posts.kind[j]]],
        hours=HOURS_ZH[max(int(posts.hours[j]), 0)],
        flexible=bool(posts.hours[j] >= 1),
        occupation=_occupation_name(posts.col("occupation_code")[j]),
        limits=(age_lo, age_hi) if age_lo > 0 or age_hi < 200 else None,
        physical=PHYSICAL_ZH[max(int(posts.physical[j]), 0)],
        training=bool(posts.training_provided[j]),
    )
    cache[j] = hit
    return hit


def _wage(text: _PostText, expected: float) -> str:
    if not (np.isfinite(expected) and expected > 0 and np.isfinite(text.monthly)):
        return text.wage
    verdict = "达到" if text.monthly >= expected else "低于"
    return f"{text.wage}（{verdict}期望{expected:.0f}元/月）"


def _distance(posts: Posts, j: int, geo: PairGeo, k: int, text: _PostText) -> str:
    kind = KINDS[posts.kind[j]]
    if kind == "online":
        return "线上岗位，在家即可工作"
    if kind == "workshop_home" and geo.same_county[k]:
        return "居家式车间，活计送到家（同县）"
    if geo.same_village[k]:
        return f"本村（{text.place}）"
    minutes = float(geo.minutes[k])
    where = "同镇" if geo.same_town[k] else "县内" if geo.same_county[k] else "省内" if geo.same_province[k] else "省外"
    head = (
        f"{where}，{text.place}，约{minutes:.0f}分钟车程（直线{geo.km[k]:.0f}公里）"
        if minutes <= 180
        else f"{where}，{text.place}（直线约{geo.km[k]:.0f}公里）"
    )
    return head + text.extras


def _match(level: int, shared: list[str], text: _PostText) -> str:
    if shared:
        return "技能对口：" + "、".join(shared[:3])
    name = text.occupation
    if level >= 4:
        return f"求职意向/技能与岗位职业一致（{name}）"
    if level >= 2:
        return f"职业相近（{name}）"
    return f"岗位职业：{name}" if name else "岗位对技能无特别要求"


def _occupation_name(code: object) -> str:
    if not isinstance(code, str):
        return ""
    from features.taxonomy import get_taxonomy

    tax = get_taxonomy()
    return tax.name(code) if code in tax else code


def _constraints(people: People, posts: Posts, i: int, j: int, text: _PostText) -> str:
    mob = MOBILITY_ZH[MOBILITY_ORDER[int(people.mobility[i])]]
    parts = [f"在外出意愿（{mob}）范围内"]
    age = people.age[i]
    if text.limits is not None and np.isfinite(age):
        lo, hi = text.limits
        parts.append(f"年龄{age:.0f}岁符合{lo if lo > 0 else 16}-{hi if hi < 200 else 65}岁要求")
    parts.append(f"{text.physical}，身体条件允许")
    parts.append(f"在招{int(posts.openings[j])}人")
    return "；".join(parts)


def explain(
    people: People,
    posts: Posts,
    i: int,
    j: int,
    k: int,
    geo: PairGeo,
    skills: PairSkills,
    level: int,
    step: str,
    score: float,
    prior: bool,
) -> tuple[str, ...]:
    """Reasons for suggesting ``posts[j]`` to ``people[i]`` (pair ``k`` of the candidate arrays)."""
    person_sk = people.skills[i]
    shared = [s for s in posts.skills[j] if s in person_sk]
    text = _post_text(posts, j)
    hours = text.hours + ("，便于照顾家庭" if people.care[i] and text.flexible else "")
    label = "先验模型估计" if prior else "预测"
    reasons = [
        _match(level, shared, text),
        _distance(posts, j, geo, k, text),
        _wage(text, float(people.expected_wage[i])),
        f"{text.kind}，{hours}",
        _constraints(people, posts, i, j, text),
        STEP_NAMES[step],
        f"{label}录用可能性{score:.0%}" if score >= 0.01 else f"{label}录用可能性不足1%",
    ]
    if text.training:
        reasons.insert(4, "单位提供岗前培训")
    return tuple(reasons)
