"""The data contract: every column of every ledger, its type, its aliases, its rules.

This module is the single source of truth. The validator, the store's
content hash, the contract tables of docs/data-contract.md (``contract_markdown``) and the
sample generator's headers all read it, so a column cannot exist in one
place and not another.

Kinds
-----
``id``        non-empty text up to 64 characters, no blanks inside
``text``      free text, normalised (Simplified, half-width, no pinyin residue)
``int``/``float``  numbers within ``[lo, hi]``
``bool``      是/否, 有/无, yes/no, 1/0 …
``enum``      one of a vocabulary (see :mod:`features.contract.vocab`)
``disability`` a disability grade and/or type, in one cell or two (``肢体残疾二级``)
``health``    a health state, or several (``长期慢性病、残疾``); a disability named here sets ``disability``
``employment`` an employment status; a word naming a place (``省外务工``) also fills ``work_place``
``list``      items separated by any of ``、 , ， ; ；`` ``/`` and blanks
``date``/``datetime``  ISO dates, ``2024年3月5日``, ``2024/3/5``, ``20240305`` …
``id_number`` an 18-digit 居民身份证号 with a valid GB 11643 check character
``phone``     an 11-digit mobile number or a landline
``occupation_code``  a code of the 2022 classification such as ``6-18-02-04``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from features.contract import vocab

__all__ = ["Column", "SCHEMAS", "schema", "contract_markdown", "accepted_words", "PII_COLUMNS"]


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    kind: str
    meaning: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] | None = None
    lo: float | None = None
    hi: float | None = None
    pii: bool = False
    note: str = ""
    hashed: bool = field(default=True)
    #: Hashed only when set: a column added after ledgers were stored (an empty one keeps old digests).
    hash_if_set: bool = False

    def allowed(self) -> str:
        """Human description of the allowed values (English), used in messages and docs."""
        if self.choices is not None:
            return ", ".join(self.choices)
        if self.kind in ("int", "float") and self.lo is not None and self.hi is not None:
            lo = int(self.lo) if float(self.lo).is_integer() else self.lo
            hi = int(self.hi) if float(self.hi).is_integer() else self.hi
            return f"{lo}–{hi}"
        return {
            "id": "text up to 64 characters without blanks",
            "text": "free text",
            "bool": "是/否, yes/no, true/false, 1/0",
            "list": "items separated by 、 , ， ; ； or blanks",
            "date": "a date such as 2024-03-05 or 2024年3月5日",
            "datetime": "a date and time such as 2024-03-05 08:30",
            "id_number": "18-digit 居民身份证号 with a valid check character",
            "phone": "11-digit mobile number or landline",
            "occupation_code": "a 2022 classification code such as 6-18-02-04",
            "lat": "latitude 3–54 (China)",
            "lon": "longitude 73–136 (China)",
            "range": "a range such as 3000-4500, 18—45岁, or one number",
        }.get(self.kind, self.kind)


def _place(required_county: bool) -> tuple[Column, ...]:
    return (
        Column("province", "text", "province name (省)", aliases=("省", "省份", "所在省", "省(区、市)")),
        Column("city", "text", "prefecture name (市/州)", aliases=("市", "地市", "所在市", "市州", "市(州)")),
        Column(
            "county",
            "text",
            "county name (县/区)",
            note=(
                "required unless admin_code is given (a city without counties, e.g. 东莞市: give city)"
                if required_county
                else "required for posts that are not online, unless admin_code is given "
                "(a city without counties, e.g. 东莞市: give city)"
            ),
            aliases=("县", "县区", "区县", "所在县", "县(市、区)", "县(区)", "县市区"),
        ),
        Column(
            "town",
            "text",
            "township name (乡/镇/街道)",
            aliases=("乡镇", "镇", "所在乡镇", "乡(镇)", "乡镇(街道)", "街道"),
        ),
        Column(
            "village", "text", "village name (村/社区)", aliases=("村", "所在村", "行政村", "村(社区)", "村居", "社区")
        ),
        Column(
            "admin_code",
            "text",
            "administrative code (12-digit village/town code or 6-digit county code); wins over names",
            aliases=("行政区划代码", "区划代码", "村代码", "地区代码"),
        ),
        Column("lat", "lat", "latitude, GCJ-02", aliases=("纬度", "latitude")),
        Column("lon", "lon", "longitude, GCJ-02", aliases=("经度", "longitude", "lng")),
    )


LABORER: tuple[Column, ...] = (
    Column(
        "laborer_id",
        "id",
        "ledger id of the person",
        required=True,
        aliases=("劳动力编号", "人员编号", "个人编号", "编号", "劳动力id", "人员id"),
    ),
    Column("name", "text", "full name (sensitive)", aliases=("姓名", "名字"), pii=True),
    Column(
        "id_number",
        "id_number",
        "居民身份证号; age, birth date and gender derived from it when empty",
        aliases=("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"),
        pii=True,
    ),
    Column(
        "phone",
        "phone",
        "phone number (sensitive)",
        aliases=("电话", "联系电话", "手机", "手机号", "手机号码"),
        pii=True,
    ),
    Column("gender", "enum", "gender", aliases=("性别",), choices=vocab.GENDER),
    Column(
        "age", "int", "age in years (one of age, birth_date, id_number is required)", aliases=("年龄",), lo=16, hi=80
    ),
    Column("birth_date", "date", "date of birth", aliases=("出生日期", "出生年月", "生日")),
    Column(
        "household_id",
        "id",
        "household (户) the person belongs to",
        required=True,
        aliases=("户编号", "家庭编号", "户号", "户id", "家庭户编号"),
    ),
    *_place(required_county=True),
    Column(
        "education",
        "enum",
        "highest schooling (文化程度)",
        aliases=("文化程度", "学历", "受教育程度"),
        choices=vocab.EDUCATION,
    ),
    Column(
        "disability",
        "disability",
        "disability grade (残疾等级); a type written in the same cell goes to disability_type",
        aliases=(
            "残疾",
            "残疾情况",
            "残疾等级",
            "是否残疾",
            "残疾级别",
            "残疾程度",
            "残疾状况",
            "残疾类别及等级",
            "残疾类别等级",
        ),
        choices=vocab.DISABILITY,
        note=(
            "type and grade may share a cell (肢体残疾二级, 二级肢体); a type (or 残疾 in health) with no grade "
            "counts as moderate"
        ),
    ),
    Column(
        "disability_type",
        "disability",
        "disability type (残疾类别), kept as sent; a grade written in the same cell goes to disability",
        aliases=("残疾类别", "残疾类型", "残疾种类"),
        choices=vocab.DISABILITY_TYPE,
        note="two types in one cell: multiple",
        hash_if_set=True,
    ),
    Column(
        "health",
        "health",
        "health (健康状况)",
        aliases=("健康状况", "身体状况", "健康情况"),
        choices=vocab.HEALTH,
        note=(
            "患病 is chronic; 残疾 (or a disability such as 肢体残疾) leaves health empty and sets the disability; "
            "several states in one cell (长期慢性病、残疾): the worst health"
        ),
    ),
    Column(
        "labour_capacity",
        "enum",
        "labour capacity (劳动技能)",
        aliases=("劳动技能", "劳动能力", "劳动力类型", "劳动力状况", "劳动力属性", "劳动技能情况"),
        choices=vocab.LABOUR_CAPACITY,
        note="lost / none: employment_status empty → unable, wants_job empty → false",
        hash_if_set=True,
    ),
    Column("skills", "list", "skills (技能)", aliases=("技能", "专业技能", "掌握技能", "技能特长", "技能水平")),
    Column(
        "certificates", "list", "certificates held (技能证书)", aliases=("证书", "技能证书", "职业资格证书", "持有证书")
    ),
    Column("job_intention", "list", "wished jobs (求职意向)", aliases=("求职意向", "就业意向", "意向工种", "意向岗位")),
    Column(
        "wants_job",
        "bool",
        "wants a job (就业意愿)",
        aliases=("就业意愿", "是否有就业意愿", "求职意愿", "有就业需求", "就业需求"),
        note="empty: true for an unemployed (or unknown-status) person aged 16–65",
    ),
    Column(
        "wants_training", "bool", "wants training (培训意愿)", aliases=("培训意愿", "是否愿意培训", "是否有培训意愿")
    ),
    Column(
        "training_interest",
        "list",
        "courses wished (培训需求)",
        aliases=("培训需求", "培训意向", "意向培训工种", "培训项目", "意向培训"),
    ),
    Column(
        "wants_business",
        "bool",
        "wants to start a business (创业意愿)",
        aliases=("创业意愿", "是否有创业意愿", "创业需求"),
    ),
    Column(
        "mobility",
        "enum",
        "how far the person will go for work (外出意愿)",
        aliases=("外出意愿", "转移就业意愿", "就业地域意向", "务工地域", "流动意愿", "就业地域"),
        choices=vocab.MOBILITY,
        note="市内 maps to county (never widen reach); empty: county",
    ),
    Column(
        "care_duties",
        "bool",
        "must care for family, cannot leave for long (需照顾家庭)",
        aliases=("需照顾家庭", "是否需照顾家庭", "照顾家庭", "留守"),
    ),
    Column(
        "employment_status",
        "employment",
        "current employment (就业状态 / 务工状况)",
        aliases=("就业状态", "就业情况", "就业失业状态", "务工状况", "务工情况", "就业状况"),
        choices=vocab.EMPLOYMENT_STATUS,
        note=(
            "a word naming a place (乡镇内务工, 省外务工) also fills work_place; 务工 / 已就业 with no place: "
            "employed_local, or by work_place; empty with a work_place: employed there"
        ),
    ),
    Column(
        "work_place",
        "enum",
        "where a person in work works (务工地点)",
        aliases=("务工地点", "务工区域", "就业地点", "务工所在地", "就业区域", "务工地区"),
        choices=vocab.WORK_PLACE,
        note="village, town, county: employed_local; the others: employed_away",
        hash_if_set=True,
    ),
    Column(
        "expected_wage",
        "float",
        "expected monthly wage, yuan (期望工资)",
        aliases=("期望工资", "期望月薪", "期望薪资", "工资期望", "期望收入"),
        lo=0,
        hi=100000,
    ),
    Column(
        "registered_poor",
        "bool",
        "registered poor household member (建档立卡)",
        aliases=("建档立卡", "是否建档立卡", "建档立卡贫困户", "贫困户", "是否贫困户"),
    ),
    Column("caseworker", "text", "caseworker in charge (帮扶责任人)", aliases=("帮扶责任人", "帮扶干部", "帮扶人")),
    Column(
        "updated_at",
        "datetime",
        "when the row was last changed; newer wins",
        aliases=("更新时间", "更新日期", "填报日期", "修改时间"),
        hashed=False,
    ),
)

VACANCY: tuple[Column, ...] = (
    Column("vacancy_id", "id", "post id", required=True, aliases=("岗位编号", "岗位id", "职位编号", "岗位代码")),
    Column(
        "employer_id",
        "id",
        "employer id",
        required=True,
        aliases=("企业编号", "单位编号", "统一社会信用代码", "用人单位编号", "企业id"),
    ),
    Column(
        "employer_name", "text", "employer name", aliases=("企业名称", "单位名称", "用人单位", "招聘单位", "用工单位")
    ),
    Column(
        "kind",
        "enum",
        "kind of post",
        required=True,
        aliases=("岗位类型", "岗位类别", "单位类型", "用工类型", "岗位性质"),
        choices=vocab.KIND,
    ),
    Column(
        "title",
        "text",
        "post title (工种)",
        required=True,
        aliases=("岗位名称", "工种", "招聘岗位", "职位名称", "岗位", "职位"),
    ),
    Column(
        "occupation_code",
        "occupation_code",
        "2022 classification code; filled from the title when empty",
        aliases=("职业代码", "职业编码", "工种代码"),
    ),
    Column(
        "description",
        "text",
        "description and duties",
        aliases=("岗位描述", "岗位职责", "工作内容", "岗位要求", "描述"),
    ),
    Column("required_skills", "list", "skills asked for", aliases=("技能要求", "所需技能", "要求技能")),
    Column("required_certificates", "list", "certificates asked for", aliases=("证书要求", "资格证书", "所需证书")),
    Column(
        "openings",
        "int",
        "open positions (招聘人数)",
        required=True,
        aliases=("招聘人数", "需求人数", "用工人数", "岗位数", "人数", "空缺人数"),
        lo=0,
        hi=100000,
    ),
    *_place(required_county=False),
    Column(
        "wage",
        "range",
        "wage written as one range (工资 3000-4500元/月); fills wage_min/max/unit",
        aliases=("工资", "薪资", "月薪", "工资待遇", "薪酬", "待遇"),
        hashed=False,
    ),
    Column(
        "wage_min",
        "float",
        "lowest wage in wage_unit",
        aliases=("最低工资", "工资下限", "薪资下限", "月薪下限"),
        lo=0,
        hi=1000000,
    ),
    Column(
        "wage_max",
        "float",
        "highest wage in wage_unit",
        aliases=("最高工资", "工资上限", "薪资上限", "月薪上限"),
        lo=0,
        hi=1000000,
    ),
    Column(
        "wage_unit",
        "enum",
        "how the wage is paid",
        aliases=("计薪方式", "工资单位", "结算方式", "薪资单位", "计酬方式"),
        choices=vocab.WAGE_UNIT,
    ),
    Column("hours", "enum", "working hours", aliases=("工作时间", "用工形式", "工时制度", "工时"), choices=vocab.HOURS),
    Column(
        "age_range",
        "range",
        "age limits written as one range (年龄要求 18-45岁); fills age_min/max",
        aliases=("年龄要求", "年龄限制", "年龄"),
        hashed=False,
    ),
    Column("age_min", "int", "youngest age accepted", aliases=("最低年龄", "年龄下限"), lo=16, hi=80),
    Column("age_max", "int", "oldest age accepted", aliases=("最高年龄", "年龄上限"), lo=16, hi=80),
    Column(
        "physical_demand", "enum", "physical demand", aliases=("体力要求", "劳动强度"), choices=vocab.PHYSICAL_DEMAND
    ),
    Column(
        "training_provided",
        "bool",
        "employer trains (订单式/定向培训)",
        aliases=("是否提供培训", "提供培训", "岗前培训"),
    ),
    Column(
        "transport_provided",
        "bool",
        "transport offered (点对点输送)",
        aliases=("是否提供交通", "提供交通", "点对点输送", "接送"),
    ),
    Column("lodging_provided", "bool", "lodging offered", aliases=("是否提供住宿", "提供住宿", "包住", "食宿")),
    Column("start_date", "date", "first day the post is active", aliases=("开始日期", "发布日期", "招聘开始日期")),
    Column(
        "end_date", "date", "last day the post is active", aliases=("截止日期", "结束日期", "有效期至", "招聘截止日期")
    ),
    Column(
        "status", "enum", "post status (empty: open)", aliases=("状态", "岗位状态", "招聘状态"), choices=vocab.STATUS
    ),
    Column(
        "updated_at",
        "datetime",
        "when the row was last changed; newer wins",
        aliases=("更新时间", "更新日期", "修改时间"),
        hashed=False,
    ),
)

PLACEMENT: tuple[Column, ...] = (
    Column(
        "placement_id",
        "id",
        "record id; derived from the other columns when empty",
        aliases=("记录编号", "对接编号", "记录id"),
    ),
    Column(
        "laborer_id",
        "id",
        "the person (must exist in the store)",
        required=True,
        aliases=("劳动力编号", "人员编号", "个人编号"),
    ),
    Column(
        "vacancy_id",
        "id",
        "the post (must exist in the store)",
        required=True,
        aliases=("岗位编号", "岗位id", "职位编号"),
    ),
    Column(
        "outcome",
        "enum",
        "what happened",
        required=True,
        aliases=("结果", "对接结果", "推荐结果", "状态", "进展"),
        choices=vocab.OUTCOME,
    ),
    Column("date", "date", "when it happened", required=True, aliases=("日期", "时间", "发生日期")),
    Column("source", "text", "where the record comes from (history, fair, caseworker …)", aliases=("来源",)),
    Column("fair_id", "id", "job fair the outcome belongs to", aliases=("招聘会编号", "招聘会id")),
    Column("updated_at", "datetime", "when the row was last changed", aliases=("更新时间",), hashed=False),
)

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "laborers": LABORER,
    "vacancies": VACANCY,
    "placements": PLACEMENT,
}

ID_COLUMN: dict[str, str] = {"laborers": "laborer_id", "vacancies": "vacancy_id", "placements": "placement_id"}

PII_COLUMNS: frozenset[str] = frozenset(c.name for cols in SCHEMAS.values() for c in cols if c.pii)


def schema(kind: str) -> tuple[Column, ...]:
    """Columns of one ledger kind (``laborers``, ``vacancies``, ``placements``)."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown ledger kind {kind!r}; allowed: {', '.join(SCHEMAS)} / 未知台账类型") from None


def contract_markdown(kind: str) -> str:
    """The contract table of docs/data-contract.md for one ledger kind, generated so docs cannot drift from code."""
    rows = [
        "| column | meaning | type | allowed values | required | Chinese headers accepted |",
        "|---|---|---|---|---|---|",
    ]
    for c in schema(kind):
        allowed = c.allowed()
        if c.choices is not None:
            allowed = "; ".join(f"`{k}` ({'/'.join(w for w in v[1:4] if w != k)})" for k, v in c.choices.items())
        if c.note:
            allowed += f" — {c.note}"
        kind_name = "enum" if c.choices is not None else c.kind
        rows.append(
            f"| `{c.name}` | {c.meaning} | {kind_name} | {allowed} | "
            f"{'yes' if c.required else 'no'} | {'、'.join(c.aliases)} |"
        )
    words = accepted_words(kind)
    if words:
        rows += [
            "",
            "Every accepted value word (compared ignoring case, blanks, `_` and `-`; Traditional and "
            "full-width forms too):",
            "",
            "| column | stored as | words accepted |",
            "|---|---|---|",
        ]
        rows += [f"| {cols} | {code} | {'、'.join(ws)} |" for cols, code, ws in words]
    return "\n".join(rows)


def accepted_words(kind: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every value word the enumerated and yes/no columns of ``kind`` accept: ``(columns, stored as, words)``."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    flags = [c.name for c in schema(kind) if c.kind == "bool"]
    for c in schema(kind):
        if c.choices is None:
            continue
        for code, ws in c.choices.items():
            out.append((f"`{c.name}`", f"`{code}`", tuple(dict.fromkeys((code, *ws)))))
        if c.name == "disability":
            out.append((f"`{c.name}`", "a grade and a type together", ("肢体残疾二级", "二级肢体残疾", "视力4级", "…")))
        if c.name == "health":
            out.append((f"`{c.name}`", "empty; disability `moderate` unless graded", tuple(vocab.HEALTH_DISABLED)))
        if c.name == "employment_status":
            out.append(
                (
                    f"`{c.name}`",
                    "`employed_local`, or `employed_away` when work_place is outside the county",
                    (*vocab.EMPLOYED_SOMEWHERE, "any work_place word"),
                )
            )
    if flags:
        for code, ws in vocab.BOOL.items():
            out.append((", ".join(f"`{f}`" for f in flags), f"`{code}`", tuple(dict.fromkeys((code, *ws)))))
    return out
