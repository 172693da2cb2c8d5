"""Tolerant matching of Chinese administrative-division names.

Ledgers rarely spell a place exactly as the national code table does: a
clerk writes ``大坪村`` for ``大坪村委会``, ``石门`` for ``石门镇``,
``峨边县`` for ``峨边彝族自治县``, or still uses a county's name from before
it became a district (``宜州市`` → ``宜州区``). Each name is therefore reduced
to a *key*: its stem (the name without its division-type suffix and without
the ethnic qualifiers of autonomous units) and the suffix *class*, so that
variants of one kind of unit compare equal (``村``, ``村委会``, ``村民委员会``
are all class ``村``; ``街道``, ``街道办事处`` are class ``街道``).

Matching inside one parent then runs in three stages, stopping at the first
stage that finds anything:

1. the exact name;
2. the same stem with a compatible class (equal, or one side bare);
3. the same stem with a different class (``宜州市`` vs ``宜州区``,
   ``石门乡`` vs ``石门镇``): a last resort for renamed or upgraded units.

More than one hit in a stage is ambiguity and is returned as such: the caller
decides, never this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

__all__ = ["clean_name", "name_key", "NameIndex"]

_BLANKS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")

# (suffix, class) per level, longest suffix first so that the most specific
# form wins (``社区居委会`` before ``居委会`` before ``委会``-less forms).
_SUFFIXES: dict[int, tuple[tuple[str, str], ...]] = {
    0: (("特别行政区", "特区"), ("自治区", "自治区"), ("省", "省"), ("市", "市")),
    1: (("自治州", "州"), ("地区", "地区"), ("州", "州"), ("市", "市"), ("盟", "盟")),
    2: (
        ("自治县", "县"),
        ("自治旗", "旗"),
        ("林区", "林区"),
        ("特区", "特区"),
        ("县", "县"),
        ("区", "区"),
        ("市", "市"),
        ("旗", "旗"),
    ),
    3: (
        ("街道办事处", "街道"),
        ("地区办事处", "街道"),
        ("办事处", "街道"),
        ("街道", "街道"),
        ("自治乡", "乡"),
        ("民族乡", "乡"),
        ("民族苏木", "乡"),
        ("苏木", "乡"),
        ("乡", "乡"),
        ("镇", "镇"),
    ),
    4: (
        ("社区居民委员会", "社区"),
        ("嘎查村民委员会", "村"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("村民委员会", "村"),
        ("嘎查村委会", "村"),
        ("居委会", "社区"),
        ("村委会", "村"),
        ("牧委会", "村"),
        ("社区", "社区"),
        ("嘎查", "村"),
        ("村", "村"),
    ),
}

# The 55 officially recognised minorities (plus 各族, "all nationalities"),
# as they appear in the names of autonomous units: 峨边彝族自治县,
# 积石山保安族东乡族撒拉族自治县, 海西蒙古族藏族自治州.
# The same tables as dicts, probed longest suffix first.
_SUFFIX_CLASS = {level: dict(table) for level, table in _SUFFIXES.items()}
_SUFFIX_LENGTHS = {
    level: sorted({len(suffix) for suffix, _ in table}, reverse=True) for level, table in _SUFFIXES.items()
}

_ETHNIC = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
_ETHNIC_TAIL = re.compile("(?:" + "|".join(sorted(_ETHNIC, key=len, reverse=True)) + ")族$")
# Before 自治区/自治州 the 族 is sometimes left out (新疆维吾尔自治区,
# 伊犁哈萨克自治州). Only multi-character names are stripped bare: a bare
# 藏 or 水 is part of the place name (西藏, 融水).
_ETHNIC_BARE = re.compile("(?:" + "|".join(sorted((e for e in _ETHNIC if len(e) > 1), key=len, reverse=True)) + ")$")


def clean_name(value: object) -> str | None:
    """Return a name without any whitespace, or ``None`` for a missing value.

    Parameters
    ----------
    value : object
        A cell from a ledger: ``str``, ``None``, or a pandas/numpy missing value.
        Other scalars are converted with ``str``.

    Returns
    -------
    str or None
        ``None`` for ``None``, NaN, ``pd.NA`` and blank strings.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        if pd.api.types.is_scalar(value) and pd.isna(value):
            return None
        value = str(value)
    text = _BLANKS.sub("", value)
    return text or None


def _strip_ethnic(stem: str, autonomous: bool) -> str:
    # Strip trailing "<ethnic>族" tokens one at a time, never down to nothing.
    original = stem
    while True:
        match = _ETHNIC_TAIL.search(stem)
        if match is None or match.start() == 0:
            break
        stem = stem[: match.start()]
    if autonomous and stem == original:
        bare = _ETHNIC_BARE.search(stem)
        if bare is not None and bare.start() >= 2:
            stem = stem[: bare.start()]
    return stem


@lru_cache(maxsize=100_000)
def name_key(name: str, level: int) -> tuple[str, str | None]:
    """Reduce a division name to ``(stem, suffix_class)``.

    Parameters
    ----------
    name : str
        A cleaned name (see :func:`clean_name`).
    level : int
        0 province, 1 city, 2 county, 3 town, 4 village: selects the suffix table.

    Returns
    -------
    tuple of (str, str or None)
        The stem, and the class of the suffix removed (``None`` when the name
        carries no known suffix, in which case the stem is the name itself).

    Examples
    --------
    >>> name_key("峨边彝族自治县", 2)
    ('峨边', '县')
    >>> name_key("大坪村委会", 4)
    ('大坪', '村')
    >>> name_key("石门", 3)
    ('石门', None)
    """
    suffixes = _SUFFIX_CLASS[level]
    for length in _SUFFIX_LENGTHS[level]:
        if len(name) > length:
            cls = suffixes.get(name[-length:])
            if cls is not None:
                stem = name[:-length]
                return _strip_ethnic(stem, autonomous="自治" in name[-length:]), cls
    return name, None


class NameIndex:
    """Name lookup over a fixed set of places of one level.

    Parameters
    ----------
    rows : Sequence[int]
        Row numbers of the places (opaque to this class, returned by :meth:`match`).
    names : Sequence[str]
        Their official names, aligned with ``rows``.
    level : int
        Their level (0 province … 4 village).
    """

    __slots__ = ("level", "_rows", "_names", "_exact", "_namesakes", "_stems")

    def __init__(self, rows: Sequence[int], names: Sequence[str], level: int) -> None:
        self.level = level
        self._rows = rows
        self._names = names
        self._exact: dict[str, int] = dict(zip(names, rows, strict=True))
        # Namesakes under one parent are rare; keep all their rows aside.
        self._namesakes: dict[str, list[int]] = {}
        if len(self._exact) != len(rows):
            for row, name in zip(rows, names, strict=True):
                self._namesakes.setdefault(name, []).append(row)
            self._namesakes = {k: v for k, v in self._namesakes.items() if len(v) > 1}
        # Stems are only needed when a name is not spelled exactly; most are.
        self._stems: dict[str, list[tuple[int, str | None]]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def _stem_map(self) -> dict[str, list[tuple[int, str | None]]]:
        if self._stems is None:
            stems: dict[str, list[tuple[int, str | None]]] = {}
            for row, name in zip(self._rows, self._names, strict=True):
                stem, cls = name_key(name, self.level)
                stems.setdefault(stem, []).append((row, cls))
            self._stems = stems
        return self._stems

    def match(self, name: str) -> list[int]:
        """Rows whose name matches ``name`` in the first stage that finds any.

        Parameters
        ----------
        name : str
            A cleaned name.

        Returns
        -------
        list of int
            Empty when nothing matches, one row when resolved, several when
            ambiguous; sorted.
        """
        exact = self._exact.get(name)
        if exact is not None:
            return sorted(self._namesakes.get(name, [exact]))
        stems = self._stem_map()
        stem, cls = name_key(name, self.level)
        compatible: set[int] = set()
        other: set[int] = set()
        # The input may itself be a bare stem ("大村" for "大村村委会").
        compatible.update(row for row, _ in stems.get(name, ()))
        if stem != name:
            for row, row_cls in stems.get(stem, ()):
                if cls is None or row_cls is None or row_cls == cls:
                    compatible.add(row)
                else:
                    other.add(row)
        return sorted(compatible or other)
