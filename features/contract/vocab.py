"""Value vocabularies of the data contract: canonical codes and the words clerks use for them.

Every enumerated column has a small set of canonical English codes (what the
store keeps and the matcher reasons about) and the Chinese and English words
county offices write for each. Matching is done on normalised text
(Simplified, half-width, lower case, blanks removed), so ``县 内`` and
``縣內`` both reach ``county``.

Mapping choices that are judgement calls are documented here, because a
wrong guess in the permissive direction would send someone farther than
they said they would go:

* ``市内`` (within the prefecture) has no level of its own; it maps to
  ``county``, the stricter neighbour, so reach is never widened past what
  the person said.
* ``残疾`` / ``是`` with no grade maps to ``moderate``; grades 1–2 are
  ``severe``, grade 3 ``moderate``, grade 4 ``mild`` (the national grading,
  1 being the most severe).
"""

from __future__ import annotations

from collections.abc import Mapping

BOOL: Mapping[str, tuple[str, ...]] = {
    "true": ("true", "t", "yes", "y", "1", "是", "有", "愿意", "需要", "√", "✓", "对", "要"),
    "false": (
        "false",
        "f",
        "no",
        "n",
        "0",
        "否",
        "无",
        "不愿意",
        "没有",
        "不需要",
        "×",
        "x",
        "不",
        "不要",
    ),
}

GENDER: Mapping[str, tuple[str, ...]] = {
    "male": ("male", "m", "男", "男性"),
    "female": ("female", "f", "女", "女性"),
}

EDUCATION: Mapping[str, tuple[str, ...]] = {
    "none": ("none", "文盲", "半文盲", "未上学", "未上过学", "无", "学龄前", "文盲或半文盲"),
    "primary": ("primary", "小学", "小学文化", "小学毕业"),
    "junior": ("junior", "初中", "初中文化", "初中毕业", "初级中学"),
    "senior": ("senior", "高中", "高中文化", "高中毕业", "普通高中"),
    "vocational": (
        "vocational",
        "中专",
        "职高",
        "技校",
        "中职",
        "中技",
        "职业高中",
        "中等专科",
        "中专/职高",
        "中专/技校",
    ),
    "college": ("college", "大专", "专科", "高职", "大学专科"),
    "bachelor": (
        "bachelor",
        "本科",
        "大学",
        "大学本科",
        "本科及以上",
        "研究生",
        "硕士",
        "博士",
    ),
}

DISABILITY: Mapping[str, tuple[str, ...]] = {
    "none": ("none", "无", "否", "健全", "非残疾", "正常", "没有", "不是"),
    "mild": ("mild", "四级", "4级", "轻度", "轻微", "四级残疾"),
    "moderate": ("moderate", "三级", "3级", "中度", "是", "有", "残疾", "三级残疾"),
    "severe": (
        "severe",
        "一级",
        "二级",
        "1级",
        "2级",
        "重度",
        "一级残疾",
        "二级残疾",
        "重度残疾",
    ),
}

HEALTH: Mapping[str, tuple[str, ...]] = {
    "healthy": ("healthy", "健康", "良好", "好", "健康或良好", "身体健康", "正常"),
    "weak": ("weak", "一般", "较差", "体弱", "差", "体弱多病"),
    "chronic": ("chronic", "慢性病", "长期慢性病", "患有慢性病", "有慢性病"),
    "serious": ("serious", "大病", "重病", "患有大病", "重大疾病", "患有重病"),
}

MOBILITY: Mapping[str, tuple[str, ...]] = {
    "home": (
        "home",
        "不能离家",
        "居家",
        "在家",
        "家中",
        "不外出",
        "不愿外出",
        "无法外出",
        "居家就业",
        "不能外出",
        "家里",
    ),
    "village": ("village", "村内", "本村", "村里", "就近(村内)"),
    "town": ("town", "乡镇内", "镇内", "乡内", "本乡镇", "乡镇", "本镇", "乡镇内就业"),
    "county": ("county", "县内", "本县", "县域内", "县城", "县内就业", "市内", "本市"),
    "province": ("province", "省内", "本省", "省内县外", "省内就业"),
    "nationwide": (
        "nationwide",
        "省外",
        "全国",
        "不限",
        "出省",
        "跨省",
        "外省",
        "均可",
        "国内",
        "省外就业",
        "外出",
        "外地",
    ),
}

#: Reach order: a person willing to go to a level accepts every level before it.
MOBILITY_ORDER: tuple[str, ...] = ("home", "village", "town", "county", "province", "nationwide")

EMPLOYMENT_STATUS: Mapping[str, tuple[str, ...]] = {
    "unemployed": ("unemployed", "未就业", "失业", "待业", "无业", "未就业(有意愿)"),
    "employed_local": (
        "employed_local",
        "本地就业",
        "县内就业",
        "县内务工",
        "就近就业",
        "乡镇内务工",
        "就地就业",
        "本地务工",
    ),
    "employed_away": (
        "employed_away",
        "外出务工",
        "省外务工",
        "县外务工",
        "外出就业",
        "省内县外务工",
        "转移就业",
        "异地就业",
    ),
    "self_employed": ("self_employed", "自主创业", "创业", "灵活就业", "个体", "自营"),
    "public_welfare": ("public_welfare", "公益性岗位", "公益岗位", "扶贫专岗", "公益岗"),
    "farming": ("farming", "务农", "农业生产", "在家务农", "种养殖"),
    "unable": ("unable", "无劳动能力", "丧失劳动能力", "弱劳动力"),
    "student": ("student", "在校生", "在读", "学生"),
}

#: Statuses that count as "in work" for the zero-employment household rule.
EMPLOYED_STATUSES: tuple[str, ...] = (
    "employed_local",
    "employed_away",
    "self_employed",
    "public_welfare",
)

KIND: Mapping[str, tuple[str, ...]] = {
    "enterprise": ("enterprise", "企业", "企业岗位", "工厂", "公司", "普通岗位", "企业用工"),
    "workshop_factory": (
        "workshop_factory",
        "扶贫车间",
        "厂房式",
        "厂房式扶贫车间",
        "就业扶贫车间",
        "厂房式车间",
    ),
    "workshop_home": (
        "workshop_home",
        "居家式",
        "居家式扶贫车间",
        "居家就业",
        "家庭作坊",
        "来料加工",
        "居家式车间",
    ),
    "workshop_base": (
        "workshop_base",
        "基地式",
        "基地式扶贫车间",
        "扶贫基地",
        "种养基地",
        "基地",
        "基地式车间",
    ),
    "public_welfare": (
        "public_welfare",
        "公益性岗位",
        "公益岗",
        "公益岗位",
        "扶贫专岗",
        "乡村公益岗",
        "公益性岗",
    ),
    "online": ("online", "线上", "网络", "互联网", "云端", "网上", "云端就业", "线上岗位"),
}

WAGE_UNIT: Mapping[str, tuple[str, ...]] = {
    "month": ("month", "月", "元/月", "月薪", "按月", "每月", "/月"),
    "day": ("day", "日", "天", "元/天", "日结", "按天", "元/日", "每天", "/天", "/日"),
    "piece": ("piece", "计件", "件", "按件", "元/件", "计件工资"),
}

HOURS: Mapping[str, tuple[str, ...]] = {
    "full_time": ("full_time", "全日制", "全职", "全天", "全日"),
    "part_time": ("part_time", "非全日制", "兼职", "半天", "非全日"),
    "flexible": ("flexible", "灵活", "弹性", "灵活就业", "自由", "弹性工作", "灵活用工"),
}

PHYSICAL_DEMAND: Mapping[str, tuple[str, ...]] = {
    "low": ("low", "轻", "低", "轻体力", "轻体力劳动", "轻度", "轻松"),
    "medium": ("medium", "中", "中等", "一般", "中体力", "中等体力"),
    "high": ("high", "重", "高", "重体力", "重体力劳动", "强"),
}

STATUS: Mapping[str, tuple[str, ...]] = {
    "open": ("open", "招聘中", "开放", "有效", "在招", "active", "正常", "发布"),
    "closed": ("closed", "已结束", "关闭", "停止招聘", "已下架", "过期", "结束", "已关闭"),
    "filled": ("filled", "已满", "招满", "已招满", "满员"),
}

OUTCOME: Mapping[str, tuple[str, ...]] = {
    "recommended": ("recommended", "已推荐", "推荐", "推送"),
    "applied": ("applied", "已报名", "报名", "投递", "已投递"),
    "interviewed": ("interviewed", "已面试", "面试", "参加面试"),
    "hired": ("hired", "录用", "已录用", "签约", "上岗", "已上岗", "达成意向"),
    "retained_6m": ("retained_6m", "稳定就业6个月", "在岗6个月", "稳岗6个月", "稳定就业"),
    "rejected": ("rejected", "未录用", "不录用", "拒绝", "未通过", "未成功"),
    "quit": ("quit", "离职", "辞职", "已离职"),
}


def lookup_table(vocab: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Flatten a vocabulary to ``{normalised word: canonical code}``."""
    table: dict[str, str] = {}
    for code, words in vocab.items():
        for word in (code, *words):
            table[squash(word)] = code
    return table


def squash(text: str) -> str:
    """Lower-case and drop blanks and underscores/hyphens: the key words are matched on."""
    return "".join(ch for ch in text.lower() if not ch.isspace() and ch not in "_-")
