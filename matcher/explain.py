"""Reasons a caseworker can read aloud: why this post, for this person, from which step.

Every suggestion carries: the matched skills or occupation, the distance or
travel estimate, the wage against the person's expectation, the hours, why
it passed the hard constraints, and which widening step produced it.
"""

from __future__ import annotations

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


def _wage(posts: Posts, j: int, expected: float) -> str:
    lo, hi, unit = posts.col("wage_min")[j], posts.col("wage_max")[j], posts.col("wage_unit")[j]
    if lo is None and hi is None:
        return "工资面议"
    span = (
        f"{lo:.0f}-{hi:.0f}"
        if lo is not None and hi is not None and lo != hi
        else f"{(hi if hi is not None else lo):.0f}"
    )
    text = {"day": f"日薪{span}元", "piece": f"计件，约{span}元/月"}.get(unit, f"月薪{span}元")
    if np.isfinite(expected) and expected > 0:
        monthly = posts.wage[j]
        if np.isfinite(monthly):
            verdict = "达到" if monthly >= expected else "低于"
            text += f"（{verdict}期望{expected:.0f}元/月）"
    return text


def _distance(people: People, posts: Posts, i: int, j: int, geo: PairGeo, k: int) -> str:
    kind = KINDS[posts.kind[j]]
    if kind == "online":
        return "线上岗位，在家即可工作"
    if kind == "workshop_home" and geo.same_county[k]:
        return "居家式车间，活计送到家（同县）"
    place = "".join(str(posts.col(c)[j]) for c in ("county", "town", "village") if posts.col(c)[j] is not None) or str(
        posts.col("city")[j] or ""
    )
    if geo.same_village[k]:
        return f"本村（{place}）"
    minutes = float(geo.minutes[k])
    where = "同镇" if geo.same_town[k] else "县内" if geo.same_county[k] else "省内" if geo.same_province[k] else "省外"
    text = (
        f"{where}，{place}，约{minutes:.0f}分钟车程（直线{geo.km[k]:.0f}公里）"
        if minutes <= 180
        else f"{where}，{place}（直线约{geo.km[k]:.0f}公里）"
    )
    extras = [w for w, flag in (("提供交通", posts.transport[j]), ("提供住宿", posts.lodging[j])) if flag]
    return text + (f"，{'、'.join(extras)}" if extras else "")


def _match(people: People, posts: Posts, i: int, j: int, level: int, shared: list[str]) -> str:
    if shared:
        return "技能对口：" + "、".join(shared[:3])
    code = posts.col("occupation_code")[j]
    name = _occupation_name(code)
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


def _constraints(people: People, posts: Posts, i: int, j: int) -> str:
    mob = MOBILITY_ZH[MOBILITY_ORDER[int(people.mobility[i])]]
    parts = [f"在外出意愿（{mob}）范围内"]
    lo, hi = int(posts.age_min[j]), int(posts.age_max[j])
    age = people.age[i]
    if np.isfinite(age) and (lo > 0 or hi < 200):
        parts.append(f"年龄{age:.0f}岁符合{lo if lo > 0 else 16}-{hi if hi < 200 else 65}岁要求")
    parts.append(f"{PHYSICAL_ZH[max(int(posts.physical[j]), 0)]}，身体条件允许")
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
    person_sk = set(people.skills[i])
    shared = [s for s in posts.skills[j] if s in person_sk]
    kind = KINDS[posts.kind[j]]
    hours = HOURS_ZH[max(int(posts.hours[j]), 0)]
    if people.care[i] and posts.hours[j] >= 1:
        hours += "，便于照顾家庭"
    reasons = [
        _match(people, posts, i, j, level, shared),
        _distance(people, posts, i, j, geo, k),
        _wage(posts, j, float(people.expected_wage[i])),
        f"{KIND_ZH[kind]}，{hours}",
        _constraints(people, posts, i, j),
        STEP_NAMES[step],
        f"{'先验模型估计' if prior else '预测'}录用可能性{score:.0%}"
        if score >= 0.01
        else f"{'先验模型估计' if prior else '预测'}录用可能性不足1%",
    ]
    if posts.training_provided[j]:
        reasons.insert(4, "单位提供岗前培训")
    return tuple(reasons)
