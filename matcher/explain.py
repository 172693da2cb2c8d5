"""Reasons a caseworker can read aloud: why this post, for this person, from which step.

Every suggestion carries: the matched skills or occupation, the distance or
travel estimate, the wage against the person's expectation, the hours, why
it passed the hard constraints, and which widening step produced it.

One function, :func:`describe`, computes all of it as an immutable
:class:`Explanation` (the fields an API returns); the Chinese sentences are
derived from that object (:meth:`Explanation.sentences`), so the words and
the fields cannot disagree. :func:`explain` gives the sentences directly.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from features.contract.vocab import MOBILITY_ORDER
from matcher.pairs import FEATURES, PairSkills
from matcher.prepare import HOURS, KINDS, PHYSICAL, People, Posts
from matcher.reach import PairGeo

__all__ = [
    "STEP_NAMES",
    "MOBILITY_ZH",
    "KIND_ZH",
    "RELATIONS",
    "VERDICTS",
    "WAGE_MEETS_BAND",
    "Constraint",
    "Explanation",
    "PostFacts",
    "describe",
    "explain",
]

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
HOURS_ZH = dict(zip(HOURS, ("全日制", "非全日制", "灵活工时"), strict=True))
PHYSICAL_ZH = dict(zip(PHYSICAL, ("轻体力", "中等体力", "重体力"), strict=True))
#: Where the post lies relative to the person, nearest first (``online``: no travel at all).
RELATIONS: tuple[str, ...] = ("online", "same_village", "same_town", "same_county", "same_province", "other_province")
_WHERE_ZH = {"same_town": "同镇", "same_county": "县内", "same_province": "省内", "other_province": "省外"}
#: The post's monthly wage against the expectation; ``unknown`` when either is not stated.
VERDICTS: tuple[str, ...] = ("above", "meets", "below", "unknown")
#: A wage that reaches the expectation by less than this share ``meets`` it; more is ``above``.
WAGE_MEETS_BAND = 0.10
#: Travel estimates beyond this many minutes are not read out (only the straight-line distance).
_MAX_MINUTES_SAID = 180
#: The ages a sentence names when a post states only one of its limits.
_AGE_DEFAULT = (16, 65)


class Constraint(NamedTuple):
    """One hard constraint a pair passed: a short code and its Chinese sentence."""

    code: str  # mobility | age | physical | openings
    text: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``posts[j]`` is suggested to ``people[i]``, as plain fields (see :func:`describe`).

    Unknown values are None, never NaN. Wages are in yuan, travel in minutes and
    straight-line km (an online post: 0 minutes, no km).
    """

    vacancy_id: str
    kind: str  # matcher.prepare.KINDS
    relation: str  # RELATIONS
    place: str  # county/town/village names of the post ("" when unknown)
    travel_minutes: float | None  # to a tenth of a minute
    travel_km: float | None  # to ten metres
    home_delivery: bool  # a home-style workshop post of the own county: the work is brought to the house
    transport: bool
    lodging: bool
    wage_min: float | None
    wage_max: float | None
    wage_unit: str | None  # month | day | piece, as the post states it
    wage_monthly: float | None  # the post's monthly equivalent (mid-range; day wages × 22)
    expected_monthly: float | None  # the person's expected monthly wage (None: not stated)
    wage_verdict: str  # VERDICTS
    matched_skills: tuple[str, ...]  # canonical skills the person has and the post asks for, post order
    occupation_code: str | None
    occupation_name: str | None
    occupation_level: int  # deepest shared level of the classification, 0–4
    hours: str  # full_time | part_time | flexible
    hours_suit_care: bool  # not full-time: the hours leave room for care duties
    care_duties: bool  # the person has care duties
    employer_trains: bool
    mobility: str  # the person's mobility (features.contract.vocab.MOBILITY_ORDER)
    age: int | None  # the person's age (None: unknown)
    age_min: int | None  # the post's limits as stated (None: no limit on that side)
    age_max: int | None
    physical_demand: str  # low | medium | high
    openings: int
    step: str  # widening step (STEP_NAMES)
    score: float  # calibrated hire probability
    prior: bool  # scored by the hand-set prior (a county without placement history)
    starts_on: str | None = None  # ISO date the post starts, when that is after the day of the suggestion
    #: The score is the probability of a response (applied or further), not of a hire: a county whose
    #: history holds too few hires to calibrate on (``models.ranker.HireRanker.probability_of_``).
    response: bool = False
    #: The person turned to (applied or further) a post of the same detailed occupation / of this employer.
    history_occupation: bool = False
    history_employer: bool = False

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """The hard constraints passed, in the order they are read out."""
        out = [Constraint("mobility", f"在外出意愿（{MOBILITY_ZH[self.mobility]}）范围内")]
        if self.age is not None and (self.age_min is not None or self.age_max is not None):
            lo = self.age_min if self.age_min is not None else _AGE_DEFAULT[0]
            hi = self.age_max if self.age_max is not None else _AGE_DEFAULT[1]
            out.append(Constraint("age", f"年龄{self.age}岁符合{lo}-{hi}岁要求"))
        out.append(Constraint("physical", f"{PHYSICAL_ZH[self.physical_demand]}，身体条件允许"))
        out.append(Constraint("openings", f"在招{self.openings}人"))
        if self.starts_on is not None:
            day = dt.date.fromisoformat(self.starts_on)
            out.append(Constraint("start", f"{day.month}月{day.day}日开工"))
        return tuple(out)

    def sentences(self) -> tuple[str, ...]:
        """The Chinese reasons, in the order a caseworker reads them."""
        hours = HOURS_ZH[self.hours] + ("，便于照顾家庭" if self.care_duties and self.hours_suit_care else "")
        label = "先验模型估计" if self.prior else "预测"
        what = "应聘可能性" if self.response else "录用可能性"
        reasons = [
            self._match(),
            self._distance(),
            self._wage(),
            f"{KIND_ZH[self.kind]}，{hours}",
            "；".join(c.text for c in self.constraints),
            STEP_NAMES[self.step],
            f"{label}{what}{self.score:.0%}" if self.score >= 0.01 else f"{label}{what}不足1%",
        ]
        if self.employer_trains:
            reasons.insert(4, "单位提供岗前培训")
        return tuple(reasons)

    def to_json(self) -> dict[str, Any]:
        """The fields as plain JSON types (lists for tuples, None for unknown)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["matched_skills"] = list(self.matched_skills)
        out["constraints"] = [{"code": c.code, "text": c.text} for c in self.constraints]
        return out

    def _match(self) -> str:
        said = self._fit()
        if self.history_employer:
            said += "；本人曾向该单位投递"
        return said

    def _fit(self) -> str:
        if self.matched_skills:
            return "技能对口：" + "、".join(self.matched_skills[:3])
        name = self.occupation_name or ""
        if self.occupation_level >= 4:
            return f"求职意向/技能与岗位职业一致（{name}）"
        if self.history_occupation:
            return f"与本人投递过的岗位同一职业（{name}）"
        if self.occupation_level >= 2:
            return f"职业相近（{name}）"
        return f"岗位职业：{name}" if name else "岗位对技能无特别要求"

    def _distance(self) -> str:
        if self.relation == "online":
            return "线上岗位，在家即可工作"
        if self.home_delivery:
            return "居家式车间，活计送到家（同县）"
        if self.relation == "same_village":
            return f"本村（{self.place}）"
        where = _WHERE_ZH[self.relation]
        extras = [w for w, flag in (("提供交通", self.transport), ("提供住宿", self.lodging)) if flag]
        tail = f"，{'、'.join(extras)}" if extras else ""
        km = self.travel_km if self.travel_km is not None else math.nan
        if self.travel_minutes is not None and self.travel_minutes <= _MAX_MINUTES_SAID:
            return f"{where}，{self.place}，约{self.travel_minutes:.0f}分钟车程（直线{km:.0f}公里）{tail}"
        return f"{where}，{self.place}（直线约{km:.0f}公里）{tail}"

    def _wage(self) -> str:
        lo, hi = self.wage_min, self.wage_max
        if lo is None and hi is None:
            return "工资面议"
        if lo is not None and hi is not None and lo != hi:
            span = f"{lo:.0f}-{hi:.0f}"
        else:
            span = f"{(hi if hi is not None else lo):.0f}"
        said = {"day": f"日薪{span}元", "piece": f"计件，约{span}元/月"}.get(self.wage_unit or "", f"月薪{span}元")
        if self.wage_verdict == "unknown":
            return said
        verdict = "低于" if self.wage_verdict == "below" else "达到"
        return f"{said}（{verdict}期望{self.expected_monthly:.0f}元/月）"


class _Post(NamedTuple):
    """The parts of an explanation that depend on the post only."""

    vacancy_id: str
    kind: str
    place: str
    transport: bool
    lodging: bool
    wage_min: float | None
    wage_max: float | None
    wage_unit: str | None
    wage_monthly: float | None
    occupation_code: str | None
    occupation_name: str | None
    hours: str
    employer_trains: bool
    age_min: int | None
    age_max: int | None
    physical_demand: str


class PostFacts:
    """The post-only parts of explanations for one set of posts, built on first use and shared.

    Safe to share between threads: an entry is computed outside the lock and
    published under it (two threads computing the same post get equal values).
    Bounded by the number of posts (one entry per row).
    """

    def __init__(self, posts: Posts) -> None:
        self.posts = posts
        self._lock = threading.Lock()
        self._rows: dict[int, _Post] = {}

    def carried(self, posts: Posts) -> PostFacts:
        """The facts for ``posts``, the same posts with other openings or open flags (a patched
        snapshot): the facts hold neither, so every entry built so far stays true and is kept."""
        out = PostFacts(posts)
        with self._lock:
            out._rows = dict(self._rows)
        return out

    def get(self, j: int) -> _Post:
        hit = self._rows.get(j)
        if hit is None:
            hit = _post_facts(self.posts, j)
            with self._lock:
                hit = self._rows.setdefault(j, hit)
        return hit


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _post_facts(posts: Posts, j: int) -> _Post:
    place = "".join(str(posts.col(c)[j]) for c in ("county", "town", "village") if posts.col(c)[j] is not None) or str(
        posts.col("city")[j] or ""
    )
    lo, hi = _number(posts.col("wage_min")[j]), _number(posts.col("wage_max")[j])
    monthly = float(posts.wage[j])
    code = posts.col("occupation_code")[j]
    age_lo, age_hi = int(posts.age_min[j]), int(posts.age_max[j])
    unit = posts.col("wage_unit")[j]
    return _Post(
        vacancy_id=str(posts.ids[j]),
        kind=KINDS[posts.kind[j]],
        place=place,
        transport=bool(posts.transport[j]),
        lodging=bool(posts.lodging[j]),
        wage_min=lo,
        wage_max=hi,
        wage_unit=None if unit is None else str(unit),
        wage_monthly=monthly if (lo is not None or hi is not None) and math.isfinite(monthly) else None,
        occupation_code=code if isinstance(code, str) else None,
        occupation_name=_occupation_name(code) or None,
        hours=HOURS[max(int(posts.hours[j]), 0)],
        employer_trains=bool(posts.training_provided[j]),
        age_min=age_lo if age_lo > 0 else None,
        age_max=age_hi if age_hi < 200 else None,
        physical_demand=PHYSICAL[max(int(posts.physical[j]), 0)],
    )


def _occupation_name(code: object) -> str:
    if not isinstance(code, str):
        return ""
    from features.taxonomy import get_taxonomy

    tax = get_taxonomy()
    return tax.name(code) if code in tax else code


def _relation(post: _Post, geo: PairGeo, k: int) -> str:
    if post.kind == "online":
        return "online"
    for name, same in zip(RELATIONS[1:5], geo[2:6], strict=True):
        if same[k]:
            return name
    return "other_province"


def _verdict(monthly: float | None, expected: float | None) -> str:
    if monthly is None or expected is None:
        return "unknown"
    if monthly < expected:
        return "below"
    return "meets" if monthly < expected * (1 + WAGE_MEETS_BAND) else "above"


def _finite(value: float, decimals: int) -> float | None:
    """``value`` rounded to ``decimals`` places (None when not finite).

    Travel times and distances are shown to a tenth of a minute and to ten metres: finer digits say
    nothing, and a distance computed for one pair and the same one computed on a grid of many can differ
    in the last bits, which made one list's answer differ between the ranker's pass and its re-check.
    """
    return round(value, decimals) if math.isfinite(value) else None


_HISTORY_OCCUPATION = FEATURES.index("history_occupation")
_HISTORY_EMPLOYER = FEATURES.index("history_employer")


def history_of(x: np.ndarray) -> tuple[bool, bool]:
    """From one pair's feature row (:data:`matcher.pairs.FEATURES`): whether the person turned to a post of
    the same detailed occupation, and to this employer."""
    return bool(x[_HISTORY_OCCUPATION] >= 1.0), bool(x[_HISTORY_EMPLOYER] > 0)


def describe(
    people: People,
    posts: Posts,
    i: int,
    j: int,
    k: int,
    geo: PairGeo,
    level: int,
    step: str,
    score: float,
    prior: bool,
    *,
    facts: PostFacts | None = None,
    today: dt.date | None = None,
    response: bool = False,
    history: tuple[bool, bool] = (False, False),
) -> Explanation:
    """The explanation of suggesting ``posts[j]`` to ``people[i]`` (pair ``k`` of the ``geo`` arrays).

    ``level``: the shared occupation level (0–4) of the pair; ``facts``: the posts' shared
    :class:`PostFacts` (computed here for this post when None or built for other posts); ``today``: the
    day of the suggestion (a post starting after it says when: ``starts_on``); ``response``: the score is
    the probability of a response; ``history``: the person turned to a post of the same detailed
    occupation, to this employer (:func:`history_of` reads both from the pair's features).
    """
    post = facts.get(j) if facts is not None and facts.posts is posts else _post_facts(posts, j)
    relation = _relation(post, geo, k)
    online = relation == "online"
    expected = float(people.expected_wage[i])
    expected_monthly = expected if math.isfinite(expected) and expected > 0 else None
    age = float(people.age[i])
    person_skills = people.skills[i]
    return Explanation(
        vacancy_id=post.vacancy_id,
        kind=post.kind,
        relation=relation,
        place=post.place,
        travel_minutes=0.0 if online else _finite(float(geo.minutes[k]), 1),
        travel_km=None if online else _finite(float(geo.km[k]), 2),
        home_delivery=post.kind == "workshop_home" and bool(geo.same_county[k]),
        transport=post.transport,
        lodging=post.lodging,
        wage_min=post.wage_min,
        wage_max=post.wage_max,
        wage_unit=post.wage_unit,
        wage_monthly=post.wage_monthly,
        expected_monthly=expected_monthly,
        wage_verdict=_verdict(post.wage_monthly, expected_monthly),
        matched_skills=tuple(s for s in posts.skills[j] if s in person_skills),
        occupation_code=post.occupation_code,
        occupation_name=post.occupation_name,
        occupation_level=int(level),
        hours=post.hours,
        hours_suit_care=post.hours != "full_time",
        care_duties=bool(people.care[i]),
        employer_trains=post.employer_trains,
        mobility=MOBILITY_ORDER[int(people.mobility[i])],
        age=int(np.round(age)) if math.isfinite(age) else None,
        age_min=post.age_min,
        age_max=post.age_max,
        physical_demand=post.physical_demand,
        openings=int(posts.openings[j]),
        step=step,
        score=float(score),
        prior=bool(prior),
        response=bool(response),
        history_occupation=bool(history[0]),
        history_employer=bool(history[1]),
        starts_on=_starts_on(int(posts.start[j]), today),
    )


def _starts_on(start: int, today: dt.date | None) -> str | None:
    """The start date (ISO) of a post that starts after ``today`` (a proleptic ordinal ``start``), else None."""
    if today is None or start <= today.toordinal():
        return None
    return dt.date.fromordinal(start).isoformat()


def explain(
    people: People,
    posts: Posts,
    i: int,
    j: int,
    k: int,
    geo: PairGeo,
    skills: PairSkills | None,
    level: int,
    step: str,
    score: float,
    prior: bool,
    *,
    facts: PostFacts | None = None,
) -> tuple[str, ...]:
    """Reasons for suggesting ``posts[j]`` to ``people[i]`` (pair ``k`` of the candidate arrays).

    The sentences of :func:`describe`'s explanation; ``skills`` is not read (kept for callers).
    """
    return describe(people, posts, i, j, k, geo, level, step, score, prior, facts=facts).sentences()
