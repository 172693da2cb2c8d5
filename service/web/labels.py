"""Chinese words for every code a page shows (a person never reads an English code), dates and money.

Codes come from the data contract (:mod:`features.contract.vocab`), the flags
(:mod:`matcher.flags`), the explanations (:mod:`matcher.explain`) and the outcomes this desk
records (:mod:`store.outcomes`). An unknown code is shown as 「未知」, never as the code itself.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from matcher.explain import HOURS_ZH, KIND_ZH, MOBILITY_ZH, PHYSICAL_ZH, STEP_NAMES
from store.outcomes import DECLINE_REASONS, OUTCOMES

__all__ = [
    "ROLE", "FLAG", "FLAG_HINT", "STATUS", "EDUCATION", "HEALTH", "DISABILITY", "GENDER", "POST_STATUS",
    "WAGE_UNIT", "OUTCOME", "DECLINE", "VERDICT", "STEP", "KIND", "MOBILITY", "HOURS", "PHYSICAL",
    "word", "date_zh", "money", "wage_range", "yes_no", "number",
]  # fmt: skip

ROLE = {"admin": "系统管理员", "organizer": "就业服务组织员", "caseworker": "帮扶责任人", "readonly": "只读查看"}
FLAG = {
    "public_welfare": "公益性岗位托底",
    "home_based": "居家灵活就业",
    "training": "技能培训",
    "business": "创业扶持",
}
FLAG_HINT = {
    "public_welfare": "年龄偏大或难以就业，可安排公益性岗位兜底",
    "home_based": "不能离家，适合居家式车间、线上岗位等居家就业",
    "training": "有培训意愿，参加对应培训后可胜任更多岗位",
    "business": "有创业意愿，可申请创业担保贷款等扶持",
}
STATUS = {
    "unemployed": "未就业",
    "employed_local": "本地就业",
    "employed_away": "外出务工",
    "self_employed": "自主创业/灵活就业",
    "public_welfare": "公益性岗位",
    "farming": "务农",
    "unable": "无劳动能力",
    "student": "在校学生",
}
EDUCATION = {
    "none": "文盲或半文盲",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中专/职高",
    "college": "大专",
    "bachelor": "本科及以上",
}
HEALTH = {"healthy": "健康", "weak": "体弱", "chronic": "慢性病", "serious": "大病"}
DISABILITY = {
    "none": "无",
    "mild": "轻度残疾（四级）",
    "moderate": "中度残疾（三级）",
    "severe": "重度残疾（一、二级）",
}
DISABILITY_TYPE = {
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}
LABOUR = {
    "skilled": "技能劳动力",
    "ordinary": "普通劳动力",
    "weak": "弱劳动力或半劳动力",
    "lost": "丧失劳动力",
    "none": "无劳动力",
}
WORK_PLACE = {
    "village": "村内",
    "town": "乡镇内",
    "county": "县内乡外",
    "province": "省内县外",
    "out_of_province": "省外",
    "abroad": "境外",
}
GENDER = {"male": "男", "female": "女"}
POST_STATUS = {"open": "招聘中", "closed": "已结束", "filled": "已招满"}
WAGE_UNIT = {"month": "元/月", "day": "元/天", "piece": "元/月（计件）"}
OUTCOME = dict(OUTCOMES)
OUTCOME.update({"retained_6m": "稳定就业6个月", "quit": "已离职"})
DECLINE = dict(DECLINE_REASONS)
VERDICT = {"above": "高于期望", "meets": "达到期望", "below": "低于期望", "unknown": "无法比较"}
RELATION = {
    "online": "线上，在家即可",
    "same_village": "本村",
    "same_town": "同镇",
    "same_county": "县内",
    "same_province": "省内",
    "other_province": "省外",
}
STEP = dict(STEP_NAMES)
KIND = dict(KIND_ZH)
MOBILITY = dict(MOBILITY_ZH)
HOURS = dict(HOURS_ZH)
PHYSICAL = dict(PHYSICAL_ZH)
SKILL_LEVEL = {0: "", 1: "", 2: "职业相近", 3: "职业相近", 4: "职业一致"}

_TABLES = {
    "role": ROLE, "flag": FLAG, "status": STATUS, "education": EDUCATION, "health": HEALTH,
    "disability": DISABILITY, "disability_type": DISABILITY_TYPE, "labour": LABOUR, "work_place": WORK_PLACE,
    "gender": GENDER, "post_status": POST_STATUS, "wage_unit": WAGE_UNIT, "outcome": OUTCOME, "decline": DECLINE,
    "verdict": VERDICT, "relation": RELATION, "step": STEP, "kind": KIND, "mobility": MOBILITY, "hours": HOURS,
    "physical": PHYSICAL,
}  # fmt: skip


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def word(value: Any, table: str, unknown: str = "未填写") -> str:
    """The Chinese word for a code of ``table`` (``"status"``, ``"flag"`` …); ``unknown`` when blank."""
    if _blank(value):
        return unknown
    return _TABLES[table].get(str(value), "未知")


def _parsed(value: Any) -> Any:
    """An ISO text read as a datetime (other text returned as it is), a pandas timestamp as a datetime."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def date_zh(value: Any) -> str:
    """``2026年12月4日`` (a date, a datetime or an ISO text); ``""`` when blank."""
    if _blank(value):
        return ""
    value = _parsed(value)
    return value if isinstance(value, str) else f"{value.year}年{value.month}月{value.day}日"


def datetime_zh(value: Any) -> str:
    """``2026年12月4日 06:30`` (UTC shown as Beijing time, UTC+8); ``""`` when blank."""
    if _blank(value):
        return ""
    value = _parsed(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return date_zh(value)


def number(value: Any) -> str:
    """Thousands separated (``12,345``); ``""`` when blank."""
    if _blank(value):
        return ""
    return f"{float(value):,.0f}"


def money(value: Any) -> str:
    """``3,000元``; ``""`` when blank."""
    return "" if _blank(value) else f"{number(value)}元"


def wage_range(lo: Any, hi: Any, unit: Any = "month") -> str:
    """``3,000–4,500元/月`` (``日薪``, ``计件`` as the post states it); ``面议`` when neither bound is known."""
    lo = None if _blank(lo) else float(lo)
    hi = None if _blank(hi) else float(hi)
    if lo is None and hi is None:
        return "面议"
    if lo is not None and hi is not None and lo != hi:
        span = f"{lo:,.0f}–{hi:,.0f}"
    else:
        span = f"{(hi if hi is not None else lo):,.0f}"
    return span + WAGE_UNIT.get(str(unit or "month"), "元/月")


def yes_no(value: Any) -> str:
    if _blank(value):
        return "未填写"
    return "是" if bool(value) else "否"


def share(value: Any) -> str:
    """``45%``; ``""`` when blank."""
    return "" if _blank(value) else f"{float(value):.0%}"
