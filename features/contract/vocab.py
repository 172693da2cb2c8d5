"""Value vocabularies of the data contract: canonical codes and the words clerks use for them.

Every enumerated column has a small set of canonical English codes (what the
store keeps and the matcher reasons about) and the Chinese and English words
county offices write for each: the words of the national poverty-alleviation
information system (建档立卡) and its provincial copies, of hand-made Excel
sheets, and the English another system or a clerk would write. Matching is
done on normalised text (Simplified, half-width, lower case, blanks, ``_``
and ``-`` removed), so ``县 内`` and ``縣內`` both reach ``county`` and
``Full time``, ``full_time`` and ``full-time`` are one word. Every word is
listed in the contract tables of docs/data-contract.md (generated from this module).

Mapping choices that are judgement calls are documented here, because a
wrong guess in the permissive direction would send someone farther than
they said they would go, or to heavier work than they can do:

* ``市内`` (within the prefecture) has no level of its own; it maps to
  ``county``, the stricter neighbour, so reach is never widened past what
  the person said.
* Disability grade: ``残疾`` / ``是`` with no grade maps to ``moderate``;
  grades 1–2 are ``severe``, grade 3 ``moderate``, grade 4 ``mild`` (the
  national grading, 1 being the most severe). The *type* (残疾类别: 视力,
  听力, 言语, 肢体, 智力, 精神, 多重) is kept in ``disability_type``; type and
  grade may share one cell (``肢体残疾二级``, ``二级肢体``) or come in two
  columns. A type with no grade counts as ``moderate`` (三级), like
  ``残疾`` alone: posts of high physical demand are closed to the person,
  medium ones stay open. Two different types in one cell are ``multiple``
  (多重残疾, by definition). ``听力言语残疾`` (the pre-2006 category) is
  ``hearing``.
* Health: ``患病`` (ill, unspecified) is ``chronic``, the middle of the
  scale: high-demand posts closed, medium ones open. ``残疾`` in the health
  column (the national ledger lists it there) leaves health unknown and
  sets the disability to ``moderate`` unless a grade is given; a cell may
  list several states (``长期慢性病、残疾``), the worst health wins.
* Labour capacity (劳动技能): ``丧失劳动力`` and ``无劳动力`` make the
  person ``unable`` when no employment status is given, and nobody assumes
  such a person wants a job (``wants_job`` empty → false).
* Employment: the words that name a place (``乡镇内务工``, ``省外务工``)
  also fill ``work_place``. Work inside the county (village, town, county)
  is ``employed_local``, outside it (province, other provinces, abroad)
  ``employed_away``; ``务工`` / ``已就业`` with no place is
  ``employed_local`` (in work, place unknown); a work place with no status
  means the person works there.
* ``大专及以上`` is ``college``, the lower of the levels it covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from features.memo import IdentityMemo

BOOL: Mapping[str, tuple[str, ...]] = {
    "true": (
        "true", "t", "yes", "y", "1", "1.0", "是", "有", "愿意", "需要", "√", "✓", "对", "要", "是的", "有意愿",
    ),
    "false": (
        "false", "f", "no", "n", "0", "0.0", "否", "无", "不愿意", "没有", "不需要", "×", "x", "不", "不要",
        "无意愿",
    ),
}  # fmt: skip

GENDER: Mapping[str, tuple[str, ...]] = {
    "male": ("male", "m", "男", "男性", "man"),
    "female": ("female", "f", "女", "女性", "woman"),
}

EDUCATION: Mapping[str, tuple[str, ...]] = {
    "none": (
        "none", "文盲", "半文盲", "未上学", "未上过学", "无", "学龄前", "文盲或半文盲", "文盲半文盲", "不识字",
        "学龄前儿童", "illiterate", "no schooling",
    ),
    "primary": ("primary", "小学", "小学文化", "小学毕业", "primary school", "elementary school"),
    "junior": (
        "junior", "初中", "初中文化", "初中毕业", "初级中学", "junior high", "junior high school", "middle school",
    ),
    "senior": (
        "senior", "高中", "高中文化", "高中毕业", "普通高中", "senior high", "senior high school", "high school",
    ),
    "vocational": (
        "vocational", "中专", "职高", "技校", "中职", "中技", "职业高中", "中等专科", "中专/职高", "中专/技校",
        "中专/中职", "中专或中职", "中职/中专", "中专(含技校)", "技工学校", "中等职业教育", "vocational school",
        "technical school",
    ),
    "college": (
        "college", "大专", "专科", "高职", "大学专科", "大专及以上", "大学专科及以上", "专科及以上", "高职高专",
        "junior college", "associate degree",
    ),
    "bachelor": (
        "bachelor", "本科", "大学", "大学本科", "本科及以上", "研究生", "硕士", "博士", "研究生及以上", "university",
        "master", "postgraduate",
    ),
}  # fmt: skip

#: Disability grade (残疾等级). A grade may share a cell with a type, see :data:`DISABILITY_TYPE`.
DISABILITY: Mapping[str, tuple[str, ...]] = {
    "none": ("none", "无", "否", "健全", "非残疾", "正常", "没有", "不是", "无残疾", "非残疾人", "健全人", "no", "n"),
    "mild": ("mild", "四级", "4级", "轻度", "轻微", "四级残疾", "轻度残疾", "grade 4"),
    "moderate": (
        "moderate", "三级", "3级", "中度", "是", "有", "残疾", "三级残疾", "中度残疾", "残疾人", "yes", "y", "grade 3",
    ),
    "severe": (
        "severe", "一级", "二级", "1级", "2级", "重度", "一级残疾", "二级残疾", "重度残疾", "极重度", "极重度残疾",
        "grade 1", "grade 2",
    ),
}  # fmt: skip

#: The words of :data:`DISABILITY` that state a grade (not just "yes"/"no"); only these may
#: share a cell with a type (``肢体残疾二级``).
DISABILITY_GRADE_WORDS: tuple[str, ...] = (
    "四级", "4级", "轻度", "三级", "3级", "中度", "一级", "二级", "1级", "2级", "重度", "极重度",
    "grade 4", "grade 3", "grade 2", "grade 1", "mild", "moderate", "severe",
)  # fmt: skip

#: Disability type (残疾类别), kept as sent: it matters for what work fits.
DISABILITY_TYPE: Mapping[str, tuple[str, ...]] = {
    "visual": ("visual", "视力残疾", "视力", "视残", "盲", "低视力", "visual impairment", "blind"),
    "hearing": ("hearing", "听力残疾", "听力", "听残", "聋", "听力言语残疾", "听力语言残疾", "deaf"),
    "speech": ("speech", "言语残疾", "言语", "语言残疾", "语残", "哑"),
    "physical": ("physical", "肢体残疾", "肢体", "肢残", "physical disability"),
    "intellectual": ("intellectual", "智力残疾", "智力", "智残"),
    "mental": ("mental", "精神残疾", "精神", "精残"),
    "multiple": ("multiple", "多重残疾", "多重"),
}

#: Grade of a disability whose type is known and grade is not (documented above).
GRADE_OF_TYPE_ONLY = "moderate"

#: Words that may stand around a type and a grade in one cell (``肢体残疾人``, ``二级残疾``).
DISABILITY_FILLER: tuple[str, ...] = ("残疾人", "残疾", "残", "人", "disability", "disabled", "impairment", "grade")

HEALTH: Mapping[str, tuple[str, ...]] = {
    "healthy": ("healthy", "健康", "良好", "好", "健康或良好", "身体健康", "正常", "good", "fine"),
    "weak": ("weak", "一般", "较差", "体弱", "差", "体弱多病", "身体较弱", "frail", "poor"),
    "chronic": (
        "chronic", "慢性病", "长期慢性病", "患有慢性病", "有慢性病", "患病", "患有疾病", "疾病", "有病",
        "chronic illness", "ill", "sick",
    ),
    "serious": ("serious", "大病", "重病", "患有大病", "重大疾病", "患有重病", "serious illness", "critical illness"),
}  # fmt: skip

#: Words in the health column that mean "disabled" (the national ledger lists 残疾 under 健康状况):
#: health is left unknown and the disability grade is ``moderate`` unless one is given.
HEALTH_DISABLED: tuple[str, ...] = ("残疾", "残疾人", "disabled", "disability")

#: Labour capacity (劳动技能) as the national ledger grades it.
LABOUR_CAPACITY: Mapping[str, tuple[str, ...]] = {
    "skilled": ("skilled", "技能劳动力", "技能型劳动力", "技能型", "skilled labour", "skilled labor"),
    "ordinary": ("ordinary", "普通劳动力", "一般劳动力", "普通", "ordinary labour", "ordinary labor", "normal"),
    "weak": (
        "weak", "弱劳动力或半劳动力", "弱劳动力", "半劳动力", "弱劳动力/半劳动力", "弱或半劳动力", "half",
        "weak labour", "weak labor", "partial",
    ),
    "lost": ("lost", "丧失劳动力", "丧失劳动能力", "lost capacity"),
    "none": ("none", "无劳动力", "无劳动能力", "no capacity"),
}  # fmt: skip

#: Capacities that make a person ``unable`` (no status given) and not a job seeker by default.
NO_LABOUR_CAPACITY: tuple[str, ...] = ("lost", "none")

MOBILITY: Mapping[str, tuple[str, ...]] = {
    "home": (
        "home", "不能离家", "居家", "在家", "家中", "不外出", "不愿外出", "无法外出", "居家就业", "不能外出", "家里",
        "stay home", "home only",
    ),
    "village": ("village", "村内", "本村", "村里", "就近(村内)", "within the village"),
    "town": ("town", "乡镇内", "镇内", "乡内", "本乡镇", "乡镇", "本镇", "乡镇内就业", "within the town"),
    "county": ("county", "县内", "本县", "县域内", "县城", "县内就业", "市内", "本市", "within the county"),
    "province": ("province", "省内", "本省", "省内县外", "省内就业", "within the province"),
    "nationwide": (
        "nationwide", "省外", "全国", "不限", "出省", "跨省", "外省", "均可", "国内", "省外就业", "外出", "外地",
        "anywhere", "national",
    ),
}  # fmt: skip

#: Reach order: a person willing to go to a level accepts every level before it.
MOBILITY_ORDER: tuple[str, ...] = ("home", "village", "town", "county", "province", "nationwide")

#: Where a person in work works (务工地点 / 务工区域).
WORK_PLACE: Mapping[str, tuple[str, ...]] = {
    "village": ("village", "村内", "本村", "村内务工", "本村务工"),
    "town": (
        "town", "乡镇内", "乡镇内务工", "本乡镇", "镇内", "乡内", "本乡镇务工", "乡镇内就业", "镇内务工", "乡内务工",
    ),
    "county": (
        "county", "县内", "县内乡外", "县内乡镇外", "县内务工", "本县", "县内就业", "县内乡外务工", "本县务工",
    ),
    "province": (
        "province", "省内", "省内县外", "县外省内", "省内务工", "省内县外务工", "县外省内务工", "本省", "省内就业",
        "市内县外",
    ),
    "out_of_province": (
        "out_of_province", "省外", "省外务工", "出省", "跨省", "外省", "省外就业", "出省务工", "跨省务工",
        "other province",
    ),
    "abroad": ("abroad", "境外", "国外", "出国", "境外务工", "国(境)外", "国外务工"),
}  # fmt: skip

#: Work places inside the person's county (their work is ``employed_local``); the others are ``employed_away``.
LOCAL_WORK_PLACES: tuple[str, ...] = ("village", "town", "county")

EMPLOYMENT_STATUS: Mapping[str, tuple[str, ...]] = {
    "unemployed": (
        "unemployed", "未就业", "失业", "待业", "无业", "未就业(有意愿)", "未务工", "未外出务工", "没有工作",
        "not working", "jobless",
    ),
    "employed_local": (
        "employed_local", "本地就业", "县内就业", "县内务工", "就近就业", "乡镇内务工", "就地就业", "本地务工",
        "村内务工", "本村务工", "镇内务工", "乡内务工", "本乡镇务工", "县内乡外务工", "本县务工", "local",
        "employed locally",
    ),
    "employed_away": (
        "employed_away", "外出务工", "省外务工", "县外务工", "外出就业", "省内县外务工", "转移就业", "异地就业",
        "省内务工", "县外省内务工", "出省务工", "跨省务工", "境外务工", "国外务工", "away", "migrant",
        "employed away",
    ),
    "self_employed": ("self_employed", "自主创业", "创业", "灵活就业", "个体", "自营", "个体经营", "self employed"),
    "public_welfare": ("public_welfare", "公益性岗位", "公益岗位", "扶贫专岗", "公益岗", "public welfare post"),
    "farming": ("farming", "务农", "农业生产", "在家务农", "种养殖", "种地", "农业", "farmer"),
    "unable": ("unable", "无劳动能力", "丧失劳动能力", "弱劳动力", "unable to work"),
    "student": ("student", "在校生", "在读", "学生", "在校学生"),
}  # fmt: skip

#: Status words that say "in work" without saying where: ``employed_local`` or ``employed_away``
#: by ``work_place`` (``employed_local`` when no place is given).
EMPLOYED_SOMEWHERE: tuple[str, ...] = (
    "务工", "已务工", "就业", "已就业", "在岗", "在业", "务工就业", "employed", "working", "in work",
)  # fmt: skip

#: Statuses that count as "in work" for the zero-employment household rule.
EMPLOYED_STATUSES: tuple[str, ...] = (
    "employed_local",
    "employed_away",
    "self_employed",
    "public_welfare",
)

KIND: Mapping[str, tuple[str, ...]] = {
    "enterprise": (
        "enterprise", "企业", "企业岗位", "工厂", "公司", "普通岗位", "企业用工", "company", "factory",
    ),
    "workshop_factory": (
        "workshop_factory", "扶贫车间", "厂房式", "厂房式扶贫车间", "就业扶贫车间", "厂房式车间",
        "factory workshop", "poverty alleviation workshop",
    ),
    "workshop_home": (
        "workshop_home", "居家式", "居家式扶贫车间", "居家就业", "家庭作坊", "来料加工", "居家式车间",
        "home workshop", "home based", "homework",
    ),
    "workshop_base": (
        "workshop_base", "基地式", "基地式扶贫车间", "扶贫基地", "种养基地", "基地", "基地式车间", "base workshop",
    ),
    "public_welfare": (
        "public_welfare", "公益性岗位", "公益岗", "公益岗位", "扶贫专岗", "乡村公益岗", "公益性岗",
        "public welfare post",
    ),
    "online": (
        "online", "线上", "网络", "互联网", "云端", "网上", "云端就业", "线上岗位", "remote", "internet",
    ),
}  # fmt: skip

WAGE_UNIT: Mapping[str, tuple[str, ...]] = {
    "month": ("month", "月", "元/月", "月薪", "按月", "每月", "/月", "monthly", "per month"),
    "day": ("day", "日", "天", "元/天", "日结", "按天", "元/日", "每天", "/天", "/日", "daily", "per day"),
    "piece": ("piece", "计件", "件", "按件", "元/件", "计件工资", "piecework", "piece rate", "per piece"),
}

HOURS: Mapping[str, tuple[str, ...]] = {
    "full_time": ("full_time", "全日制", "全职", "全天", "全日", "full time", "fulltime"),
    "part_time": ("part_time", "非全日制", "兼职", "半天", "非全日", "part time", "parttime"),
    "flexible": (
        "flexible", "灵活", "弹性", "灵活就业", "自由", "弹性工作", "灵活用工", "flexible hours", "flexitime",
    ),
}  # fmt: skip

PHYSICAL_DEMAND: Mapping[str, tuple[str, ...]] = {
    "low": ("low", "轻", "低", "轻体力", "轻体力劳动", "轻度", "轻松", "light", "light work"),
    "medium": ("medium", "中", "中等", "一般", "中体力", "中等体力", "moderate", "medium work"),
    "high": ("high", "重", "高", "重体力", "重体力劳动", "强", "heavy", "heavy work", "hard"),
}

STATUS: Mapping[str, tuple[str, ...]] = {
    "open": ("open", "招聘中", "开放", "有效", "在招", "active", "正常", "发布"),
    "closed": ("closed", "已结束", "关闭", "停止招聘", "已下架", "过期", "结束", "已关闭", "expired", "inactive"),
    "filled": ("filled", "已满", "招满", "已招满", "满员", "full"),
}

OUTCOME: Mapping[str, tuple[str, ...]] = {
    "recommended": ("recommended", "已推荐", "推荐", "推送"),
    "contacted": ("contacted", "已联系", "联系", "已电话联系"),
    "declined": ("declined", "本人婉拒", "婉拒", "本人放弃", "放弃"),
    "applied": ("applied", "已报名", "报名", "投递", "已投递"),
    "interviewed": ("interviewed", "已面试", "面试", "参加面试"),
    "hired": ("hired", "录用", "已录用", "签约", "上岗", "已上岗", "达成意向"),
    "retained_6m": ("retained_6m", "稳定就业6个月", "在岗6个月", "稳岗6个月", "稳定就业"),
    "rejected": ("rejected", "未录用", "不录用", "拒绝", "未通过", "未成功"),
    "quit": ("quit", "离职", "辞职", "已离职"),
}


#: Flattened vocabularies by the identity of the mapping (the vocabularies are this module's constants,
#: so the memo holds a handful of entries).
_LOOKUP_MEMO_SIZE = 64
_lookup_memo: IdentityMemo[Mapping[str, str]] = IdentityMemo(_LOOKUP_MEMO_SIZE)


def lookup_table(vocab: Mapping[str, tuple[str, ...]]) -> Mapping[str, str]:
    """Flatten a vocabulary to ``{normalised word: canonical code}`` (read-only; built once per vocabulary:
    a one-record write parses a dozen choice columns, and rebuilding each table cost more than the parsing)."""

    def build() -> Mapping[str, str]:
        table: dict[str, str] = {}
        for code, words in vocab.items():
            for word in (code, *words):
                table[squash(word)] = code
        return MappingProxyType(table)

    return _lookup_memo.get((vocab,), build)


def squash(text: str) -> str:
    """Lower-case and drop blanks and underscores/hyphens: the key words are matched on."""
    return "".join(ch for ch in text.lower() if not ch.isspace() and ch not in "_-")
