"""The occupations a poor county's ledger and post lists talk about.

Each :class:`Occupation` is one *true* occupation of the hidden ground truth:
a code of the 2022 classification plus the many ways clerks write it
(titles, skills, certificates, training courses). The generator draws a true
occupation per laborer and per vacancy, then writes only the colloquial
forms; the code itself reaches the CSV for about 70 % of vacancies.

Sources for the selection: the seed documents (welder, electrician and
forklift trainings in Xingtai; housekeeping, infant care and cooks in
Yizhou; glasses cases, file boxes, bicycle and pump parts in Xinhe and
Guangzong; embroidery in Xiangxi; pomelo and bamboo curd workshops in
Jiangxi; greenhouse vegetables, mushrooms, ginseng and livestock in Jilin;
the public-welfare posts of Xingtai, Nanchong and Shangli).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Occupation", "OCCUPATIONS", "KINDS", "GROUPS", "occupation_index"]

#: Vacancy kinds of the contract, in a fixed order used as integer codes.
KINDS: tuple[str, ...] = (
    "enterprise",
    "workshop_factory",
    "workshop_home",
    "workshop_base",
    "public_welfare",
    "online",
)

#: Occupation families; two occupations of one family count as a partial match.
GROUPS: tuple[str, ...] = (
    "metal",
    "factory",
    "textile",
    "handcraft",
    "construction",
    "logistics",
    "care",
    "food",
    "agri",
    "livestock",
    "digital",
    "service",
    "public",
)


class Occupation(NamedTuple):
    """One true occupation of the generator's ground truth.

    ``phys`` is 0 (low), 1 (medium) or 2 (high); ``female`` the share of
    women among laborers holding it; ``prevalence`` its weight among laborers
    for the age bands 16–29, 30–44, 45–54 and 55–65; ``kinds`` maps the
    ``post`` slots it fills (``local``, ``far``, ``factory``, ``home``,
    ``base``, ``pw``, ``online``) to a weight.
    """

    key: str
    code: str
    group: str
    phys: int
    female: float
    prevalence: tuple[float, float, float, float]
    kinds: dict[str, float]
    titles: tuple[str, ...]
    skills: tuple[str, ...]
    certs: tuple[str, ...]
    courses: tuple[str, ...]


def _o(
    key: str,
    code: str,
    group: str,
    phys: int,
    female: float,
    prevalence: tuple[float, float, float, float],
    kinds: dict[str, float],
    titles: str,
    skills: str,
    certs: str = "",
    courses: str = "",
) -> Occupation:
    split = lambda text: tuple(t for t in text.split("|") if t)  # noqa: E731
    return Occupation(
        key,
        code,
        group,
        phys,
        female,
        prevalence,
        kinds,
        split(titles),
        split(skills),
        split(certs),
        split(courses),
    )


# fmt: off
OCCUPATIONS: tuple[Occupation, ...] = (
    _o("welder", "6-18-02-04", "metal", 2, 0.04, (3, 4, 3, 1),
       {"local": 3, "far": 4, "factory": 1},
       "电焊工|电焊|焊工（二保焊）|焊工|氩弧焊工|二保焊工|电焊学徒",
       "电焊|二保焊|氩弧焊|气割|焊接|电焊（会看图纸）",
       "焊工证|特种作业操作证（焊接）", "焊工|电焊"),
    _o("electrician", "6-31-01-03", "metal", 1, 0.03, (3, 4, 2, 1),
       {"local": 3, "far": 2},
       "电工|水电工|维修电工|低压电工|厂区电工|电工学徒",
       "电工|水电安装|低压电工|家电维修|接线",
       "电工证|低压电工证|特种作业操作证（电工）", "电工|低压电工"),
    _o("lathe", "6-18-01-01", "metal", 1, 0.08, (3, 3, 1, 0.2),
       {"local": 2, "far": 3},
       "车工|数控车工|CNC操机|CNC操作工|机床操作工",
       "车床|数控车床|CNC|看图纸", "车工证", "数控车床"),
    _o("forklift", "6-30-05-01", "logistics", 1, 0.05, (3, 4, 2, 0.5),
       {"local": 3, "far": 3},
       "叉车司机|开叉车|叉车工|叉车师傅|仓库叉车",
       "开叉车|叉车|仓库管理", "叉车证|特种设备作业人员证（叉车）", "叉车|叉车驾驶"),
    _o("driver", "4-02-02-02", "logistics", 1, 0.02, (2, 4, 3, 1),
       {"local": 3, "far": 1},
       "货车司机|开大车|司机（B2）|送货司机|司机",
       "开车|货车驾驶|驾驶", "驾驶证（B2）|C1驾照|A2驾照|驾驶证", "驾驶员"),
    _o("loader", "4-02-05-01", "logistics", 2, 0.1, (2, 3, 4, 2),
       {"local": 3, "far": 1, "factory": 1},
       "搬运工|装卸工|力工|装卸搬运|仓库搬运",
       "搬运|装卸|力气活"),
    _o("courier", "4-02-07-08", "logistics", 1, 0.15, (4, 3, 1, 0.2),
       {"local": 2, "far": 2, "online": 0.5},
       "快递员|送快递|快递分拣|快递派送员|骑手",
       "送快递|分拣|骑电动车", "C1驾照|驾驶证", "快递物流"),
    _o("assembler", "6-25-04-07", "factory", 1, 0.55, (6, 4, 2, 0.3),
       {"local": 4, "far": 6, "factory": 3},
       "普工|电子厂普工|流水线普工|装配工|电子装配|插件工|线上作业员",
       "流水线|装配|插件|电子组装|普工", "", "电子装配"),
    _o("packer", "6-31-05-00", "factory", 1, 0.6, (3, 3, 3, 1),
       {"local": 3, "far": 2, "factory": 3},
       "包装工|打包工|普工（包装）|包装|包装女工",
       "包装|打包|贴标"),
    _o("inspector", "6-31-03-05", "factory", 0, 0.6, (4, 3, 1, 0.2),
       {"local": 2, "far": 2, "factory": 1},
       "质检员|品检员|QC|检验员|品管",
       "质检|品检|看图纸", "质检员证", "质量检验"),
    _o("fireworks", "6-11-09-05", "factory", 1, 0.55, (1, 3, 4, 2),
       {"local": 3, "factory": 2},
       "鞭炮厂工人|烟花厂普工|插引工|鞭炮工|烟花爆竹工",
       "插引|鞭炮加工|烟花装药", "烟花爆竹作业人员证"),
    _o("sewing", "6-05-01-03", "textile", 1, 0.85, (3, 4, 4, 2),
       {"local": 2, "far": 4, "factory": 4, "home": 1},
       "缝纫工|车缝工|平车工|车位工|缝纫女工|服装车工",
       "缝纫|会踩缝纫机|平车|车缝|锁边", "", "缝纫|服装缝纫"),
    _o("shoemaker", "6-05-04-01", "textile", 1, 0.6, (2, 3, 3, 1),
       {"local": 1, "far": 3, "factory": 3},
       "鞋厂普工|制鞋工|鞋面车工|针车工|成型工（鞋厂）",
       "制鞋|针车|鞋面"),
    _o("knitting", "6-05-01-06", "textile", 0, 0.92, (1, 3, 4, 4),
       {"home": 5, "factory": 1},
       "编织|手套加工|织手套|毛衣编织|编织工|手工编织",
       "编织|织毛衣|钩针|织手套|手工编织", "", "编织|手工编织"),
    _o("embroidery", "6-09-03-11", "handcraft", 0, 0.95, (1, 3, 4, 3),
       {"home": 4, "factory": 2, "online": 0.3},
       "刺绣|湘绣|苗绣|绣娘|十字绣|刺绣工|土家织锦",
       "刺绣|湘绣|苗绣|十字绣|绣花", "", "刺绣|湘绣"),
    _o("handcraft", "6-09-03-17", "handcraft", 0, 0.7, (1, 3, 4, 4),
       {"home": 4, "factory": 2},
       "手工加工|手工活|竹编|手工艺品|傩面具制作|工艺品加工",
       "手工|竹编|手工加工|编竹篮", "", "竹编|手工艺品"),
    _o("paperbox", "6-07-02-00", "handcraft", 0, 0.75, (1, 3, 4, 4),
       {"home": 5, "factory": 2},
       "档案盒加工|糊纸盒|纸盒加工|手工粘盒|档案盒",
       "糊纸盒|粘盒|手工"),
    _o("glasscase", "6-14-02-00", "handcraft", 0, 0.75, (1, 3, 4, 4),
       {"home": 5, "factory": 2},
       "眼镜盒加工|眼镜盒组装|眼镜盒|塑料件加工",
       "手工|组装|粘合"),
    _o("bikeparts", "6-23-04-02", "factory", 0, 0.55, (1, 3, 4, 4),
       {"home": 5, "factory": 2, "local": 1},
       "自行车零件组装|打气筒组装|自行车配件加工|童车组装|零部件加工",
       "组装|零件加工|拧螺丝"),
    _o("mason", "6-29-01-01", "construction", 2, 0.05, (2, 4, 5, 3),
       {"local": 3, "far": 2},
       "泥瓦工|砌砖|瓦工|泥水工|砌筑工|建筑小工",
       "砌砖|泥瓦|抹灰|贴瓷砖|建筑", "", "砌筑|建筑"),
    _o("rebar", "6-29-01-04", "construction", 2, 0.04, (2, 4, 4, 2),
       {"local": 2, "far": 3},
       "钢筋工|扎钢筋|钢筋师傅",
       "扎钢筋|钢筋|建筑"),
    _o("carpenter", "6-06-03-01", "construction", 1, 0.03, (1, 3, 4, 3),
       {"local": 2, "far": 1, "factory": 1},
       "木工|木匠|装修木工|模板木工",
       "木工|木匠活|做家具|装修", "", "木工"),
    _o("housekeeper", "4-10-01-06", "care", 1, 0.92, (1, 4, 5, 3),
       {"local": 3, "far": 3},
       "家政服务员|家政|保姆|钟点工|住家保姆|家政阿姨",
       "家政|做家务|做饭|保洁|照顾老人", "家政服务员证|健康证", "家政服务|家政"),
    _o("nursery", "4-10-01-03", "care", 0, 0.95, (3, 5, 2, 0.5),
       {"local": 2, "far": 3, "pw": 1},
       "育婴员|月嫂|育婴师|保育员|带小孩|母婴护理",
       "育婴|带小孩|月嫂|母婴护理|早教",
       "育婴员证|育婴师证|母婴护理证|健康证", "育婴员|育婴师|月嫂"),
    _o("eldercare", "4-10-01-05", "care", 1, 0.8, (1, 3, 4, 3),
       {"local": 3, "far": 1, "pw": 2},
       "养老护理员|护工|照顾老人|陪护|养老院护工",
       "护理|照顾老人|陪护", "养老护理员证|健康证", "养老护理"),
    _o("cook", "4-03-02-01", "food", 1, 0.35, (3, 4, 3, 1),
       {"local": 4, "far": 3},
       "厨师|帮厨|炒菜师傅|厨工|食堂厨师|农家乐厨师",
       "炒菜|厨师|做饭|面点|切配", "中式烹调师证|健康证|厨师证", "中式烹调|厨师|面点"),
    _o("waiter", "4-03-02-05", "service", 0, 0.7, (6, 3, 1, 0.2),
       {"local": 4, "far": 2},
       "服务员|餐厅服务员|传菜员|前台服务员|饭店服务员",
       "服务|收银|端菜", "健康证"),
    _o("security", "4-07-05-01", "service", 1, 0.05, (1, 2, 4, 4),
       {"local": 3, "far": 1, "pw": 2},
       "保安|保安员|门卫|治安员|治安协理员|看门",
       "保安|巡逻|值班", "保安员证", "保安"),
    _o("cleaner", "4-09-08-01", "public", 1, 0.6, (0.5, 2, 4, 6),
       {"local": 2, "pw": 4},
       "保洁|保洁员|村保洁员|环卫工|清洁工|农村保洁员",
       "保洁|打扫卫生|清扫"),
    _o("roadkeeper", "6-29-02-04", "public", 2, 0.2, (0.2, 1, 3, 5),
       {"pw": 4},
       "护路员|道路养护|乡村公路养护员|养路工|公路养护",
       "修路|养路|除草"),
    _o("ranger", "5-02-03-01", "public", 1, 0.15, (0.2, 1, 3, 5),
       {"pw": 4},
       "护林员|生态护林员|山林防护员|护林|看山",
       "护林|巡山|防火"),
    _o("laborinfo", "3-01-04-03", "public", 0, 0.5, (3, 3, 1, 0.2),
       {"pw": 2},
       "劳动保障信息员|劳保协理员|就业信息员|劳动保障协理员",
       "电脑|打字|统计|电脑操作", "", "计算机"),
    _o("culture", "4-13-01-01", "public", 0, 0.5, (1, 2, 2, 2),
       {"pw": 2},
       "文化室管理员|农家书屋管理员|文化活动室管理员|文化管理员",
       "文艺|广场舞|管理"),
    _o("ecommerce", "4-01-06-01", "digital", 0, 0.65, (8, 3, 0.3, 0.05),
       {"online": 5, "local": 1, "far": 1},
       "电商客服|网店客服|拼多多运营|淘宝客服|电商运营|网店美工",
       "电商|打字|网店|淘宝|拼多多|电脑", "电子商务师证", "电子商务|电商|网店运营"),
    _o("livestream", "4-01-06-02", "digital", 0, 0.6, (6, 2, 0.2, 0.02),
       {"online": 4, "local": 0.5},
       "直播带货|主播|抖音直播|带货主播|短视频运营",
       "直播|短视频|抖音|快手", "互联网营销师证", "直播带货|电商直播"),
    _o("callcenter", "4-04-05-03", "digital", 0, 0.75, (5, 2, 0.3, 0.02),
       {"online": 3, "far": 1},
       "客服|话务员|电话客服|在线客服|呼叫中心",
       "打字|普通话|电脑", "", "计算机"),
    _o("orchard", "5-01-02-02", "agri", 2, 0.45, (0.5, 2, 5, 6),
       {"base": 5},
       "果园管理|果树修剪|蜜柚种植|柚子管护|摘果|脐橙管护|果园工",
       "果园管理|果树修剪|嫁接|打药|摘果", "", "果树管理|果园管理"),
    _o("crops", "5-01-02-01", "agri", 2, 0.45, (0.3, 2, 5, 8),
       {"base": 4},
       "棚膜蔬菜|大棚种菜|蔬菜种植|种地|种植|务农|种水稻",
       "种地|种菜|大棚|棚膜蔬菜|种水稻|农活", "", "棚膜蔬菜|蔬菜种植"),
    _o("mushroom", "5-01-02-03", "agri", 1, 0.5, (0.5, 2, 4, 4),
       {"base": 4, "factory": 1},
       "食用菌种植|香菇种植|木耳种植|蘑菇|菌棒",
       "食用菌|香菇|木耳|菌棒", "", "食用菌|食用菌栽培"),
    _o("herbs", "5-01-02-05", "agri", 1, 0.45, (0.3, 2, 4, 5),
       {"base": 3},
       "中药材种植|人参种植|药材种植|采药",
       "中药材|人参|种植", "", "中药材种植|人参种植"),
    _o("tea", "6-02-06-10", "food", 1, 0.65, (0.5, 2, 4, 5),
       {"base": 3, "factory": 1},
       "采茶|制茶|茶叶加工|采茶工",
       "采茶|制茶|炒茶", "", "茶叶"),
    _o("beancurd", "6-01-07-03", "food", 1, 0.55, (0.5, 2, 4, 4),
       {"base": 3, "factory": 2},
       "腐竹加工|做豆腐|豆制品加工|腐竹|豆腐坊",
       "腐竹|做豆腐|豆制品", "健康证"),
    _o("pigs", "5-03-02-01", "livestock", 2, 0.35, (0.5, 2, 5, 6),
       {"base": 4},
       "养猪|养殖|生猪饲养|饲养员|养牛|牛羊养殖",
       "养猪|养殖|养牛|喂猪", "", "畜禽养殖|养猪|生猪养殖"),
    _o("poultry", "5-03-02-02", "livestock", 1, 0.5, (0.5, 2, 4, 5),
       {"base": 3},
       "养鸡|养鸭|家禽养殖|养殖场工人|鸡场饲养员",
       "养鸡|养鸭|养殖", "", "畜禽养殖|家禽养殖"),
)
# fmt: on


def occupation_index() -> dict[str, int]:
    """Position of every occupation key in :data:`OCCUPATIONS`."""
    return {occ.key: i for i, occ in enumerate(OCCUPATIONS)}
