"""Employer names, public-welfare titles and post descriptions in clerks' Chinese."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sampledata import dirty
from sampledata.catalog import OCCUPATIONS

__all__ = ["PW_TITLES", "pw_title_pools", "employer_names", "describe"]

#: Titles of public-welfare posts (扶贫专岗) per true occupation.
PW_TITLES: dict[str, tuple[str, ...]] = {
    "cleaner": ("村保洁员", "农村保洁员", "保洁员", "环卫保洁员", "村庄保洁"),
    "roadkeeper": ("乡村公路养护员", "护路员", "道路养护员", "农村公路管护员"),
    "ranger": ("生态护林员", "护林员", "山林防护员", "护林防火员"),
    "security": ("治安协理员", "治安巡逻员", "村治安员", "社会治安协理员"),
    "laborinfo": ("劳动保障信息员", "劳保协理员", "村级就业服务站信息员", "劳动保障协理员"),
    "eldercare": ("孤寡老人看护员", "留守老人看护员", "养老服务员", "孤寡老人看护"),
    "nursery": ("留守儿童看护员", "留守儿童看护", "儿童之家看护员"),
    "culture": ("文化室管理员", "农家书屋管理员", "农村文化活动室管理员", "文化管理员"),
}
_WORDS = tuple(
    "鑫达 恒盛 华瑞 宏发 永兴 金泰 汇丰 顺通 佳和 德隆 荣昌 兴旺 正邦 天宇 富源 "
    "嘉诚 联创 盛世 瑞丰 博远 众诚 金诺 新宇 通达 长青 立信 和顺 锦程 万通 伟业".split()
)
_INDUSTRY = {
    "metal": ("机械", "五金", "钢结构", "精密机械"),
    "factory": ("电子", "科技", "实业", "电器"),
    "textile": ("服饰", "制衣", "鞋业", "针织"),
    "handcraft": ("工艺品", "文化创意", "包装制品"),
    "construction": ("建筑工程", "建设工程", "建材"),
    "logistics": ("物流", "运输", "仓储物流"),
    "care": ("家政服务", "养老服务", "母婴护理"),
    "food": ("餐饮管理", "食品", "酒店管理"),
    "service": ("酒店管理", "物业管理", "保安服务"),
    "digital": ("电子商务", "网络科技", "信息技术"),
    "agri": ("农业开发", "生态农业"),
    "livestock": ("牧业", "养殖"),
    "public": ("物业管理", "环境服务"),
}
_PRODUCT = {
    "knitting": ("手套", "毛衣", "针织品"),
    "embroidery": ("刺绣", "湘绣", "苗绣"),
    "handcraft": ("竹编", "手工艺品", "藤编"),
    "paperbox": ("档案盒", "纸盒"),
    "glasscase": ("眼镜盒",),
    "bikeparts": ("自行车配件", "打气筒", "童车配件"),
    "sewing": ("服装", "箱包"),
    "shoemaker": ("鞋面",),
    "orchard": ("蜜柚", "苹果", "猕猴桃", "脐橙"),
    "crops": ("大棚蔬菜", "蔬菜", "辣椒"),
    "mushroom": ("香菇", "食用菌", "木耳"),
    "herbs": ("中药材", "金银花"),
    "tea": ("茶叶",),
    "beancurd": ("腐竹", "豆制品"),
    "pigs": ("生猪", "肉牛"),
    "poultry": ("土鸡", "蛋鸡"),
}


def pw_title_pools(rng: np.random.Generator, size: int = 32) -> list[np.ndarray]:
    """Dirty public-welfare title pools, one per entry of :data:`OCCUPATIONS`."""
    pools = []
    for o in OCCUPATIONS:
        words = PW_TITLES.get(o.key, o.titles)
        pools.append(np.array([dirty.dirty(rng, w) for w in rng.choice(words, size)], dtype=object))
    return pools


def _short(name: str) -> str:
    for suffix in (
        "街道办事处",
        "办事处",
        "街道",
        "自治县",
        "县",
        "市",
        "区",
        "镇",
        "乡",
        "村委会",
        "村民委员会",
        "社区居民委员会",
        "社区居委会",
        "居民委员会",
        "居委会",
        "社区",
        "村",
    ):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def employer_names(
    rng: np.random.Generator,
    slots: np.ndarray,
    occ: np.ndarray,
    county: np.ndarray,
    town: np.ndarray,
    village: np.ndarray,
    city: np.ndarray,
) -> np.ndarray:
    """Realistic employer names; equal names later share one employer id."""
    out = np.empty(slots.size, dtype=object)
    words = rng.choice(_WORDS, slots.size)
    for i in range(slots.size):
        o = OCCUPATIONS[occ[i]]
        s = slots[i]
        w = words[i]
        product = _PRODUCT.get(o.key, (o.titles[0],))[int(rng.integers(0, len(_PRODUCT.get(o.key, "x"))))]
        industry = _INDUSTRY[o.group][int(rng.integers(0, len(_INDUSTRY[o.group])))]
        if s == "local":
            out[i] = f"{_short(county[i])}{w}{industry}有限公司"
        elif s == "far":
            out[i] = f"{city[i]}{w}{industry}有限公司" if rng.random() < 0.7 else f"{_short(city[i])}{w}{industry}厂"
        elif s == "factory":
            out[i] = (
                f"{_short(town[i])}{product}扶贫车间"
                if rng.random() < 0.5
                else f"{_short(county[i])}{w}{industry}有限公司（{_short(town[i])}扶贫车间）"
            )
        elif s == "home":
            out[i] = (
                f"{_short(county[i])}{w}{product}加工厂（居家式扶贫车间）"
                if rng.random() < 0.5
                else f"{_short(village[i])}{product}来料加工点"
            )
        elif s == "base":
            kind = "养殖" if o.group == "livestock" else "种植" if o.group == "agri" else "加工"
            out[i] = (
                f"{_short(county[i])}{_short(village[i])}{product}{kind}专业合作社"
                if rng.random() < 0.6
                else f"{_short(town[i])}{product}扶贫基地"
            )
        elif s == "pw":
            if o.key in ("roadkeeper", "ranger", "security") and not town[i].endswith("办事处"):
                out[i] = f"{town[i]}人民政府"
            elif village[i].endswith(("委员会", "委会")):
                out[i] = village[i]
            else:
                out[i] = f"{village[i]}村民委员会"
        else:
            out[i] = (
                f"{_short(county[i])}{w}电子商务有限公司"
                if rng.random() < 0.7
                else f"{_short(county[i])}电子商务公共服务中心"
            )
    return out


def describe(frame: pd.DataFrame) -> np.ndarray:
    """One or two sentences per post: pay (with the piece-rate conversion), hours, perks."""
    out = np.empty(len(frame), dtype=object)
    cols = [
        "_slot",
        "title",
        "openings",
        "wage_min",
        "wage_max",
        "hours",
        "age_min",
        "age_max",
        "transport_provided",
        "lodging_provided",
        "training_provided",
        "city",
    ]
    for i, (
        slot,
        title,
        n,
        lo,
        hi,
        hours,
        amin,
        amax,
        transport,
        lodging,
        training,
        city,
    ) in enumerate(frame[cols].itertuples(index=False, name=None)):
        title = str(title).strip()
        hours_zh = {"full_time": "全日制", "part_time": "非全日制", "flexible": "时间灵活"}[hours]
        perks = "".join(
            p
            for p, ok in (
                ("，包住", lodging),
                ("，点对点免费输送", transport),
                ("，岗前免费培训", training),
            )
            if ok
        )
        if slot == "home":
            piece = round(float(lo) / 2500, 2) or 0.1
            text = (
                f"居家加工，原料送到村、成品上门回收。计件工资（约{piece}元/件），"
                f"按月折算约{lo}-{hi}元/月，{hours_zh}{perks}。"
            )
        elif slot == "base":
            text = f"基地务工，{title}，日结工资{lo}-{hi}元/天，{hours_zh}，年龄{amin}-{amax}岁{perks}。"
        elif slot == "pw":
            text = (
                f"扶贫专岗（公益性岗位）：{title}，每月补贴{lo}-{hi}元，{hours_zh}，"
                f"优先安置本村建档立卡贫困劳动力中就业困难人员。"
            )
        elif slot == "online":
            text = f"线上岗位：{title}，居家办公，需会使用电脑或智能手机，月薪{lo}-{hi}元{perks}。"
        elif slot == "far":
            text = f"劳务协作岗位，工作地{city}，招{title}{n}人，月薪{lo}-{hi}元，年龄{amin}-{amax}岁{perks}。"
        else:
            text = f"招{title}{n}人，月薪{lo}-{hi}元，{hours_zh}，年龄{amin}-{amax}岁{perks}。"
        out[i] = text
    return out
