"""Cleaning of post titles and skill words before occupation lookup.

A clerk's post title carries much besides the occupation: the hiring verb
(``急招``), benefits (``包吃住``, ``五险一金``), head counts and wages
(``3名``, ``4000-6000元/月``), age and gender limits. :func:`clean_title`
removes those, after :func:`features.text.normalize_text` has undone
Traditional characters, full-width forms and pinyin residue, and turns
brackets and punctuation into blanks so that ``电焊工（二保焊）`` becomes the
two segments ``电焊工 二保焊``.

A hiring verb inside a title (``某某五金招聘车工``, ``XX公司诚聘会计``) ends the
employer's name: what stands before it in that segment is dropped, the verb with
it. A verb that belongs to a role word is kept (``招聘专员``, ``招聘助理``,
``招聘主管``: recruiting is their trade). A company name ending in
``有限公司`` / ``公司`` / ``集团`` before more text is dropped the same way.

:func:`contained_aliases` finds the aliases of an index that occur inside a
cleaned title, longest first, dropping a hit that lies inside a longer one
(``焊工`` inside ``电焊工``).
"""

from __future__ import annotations

import re
from collections.abc import Container
from functools import lru_cache

from features.text import normalize_text

__all__ = ["clean_title", "contained_aliases", "AliasHit"]

_HIRE = (
    r"(?:急|高薪|长期|常年|现|特|本厂|本公司|直|大量|火热)?"
    r"(?:招聘|招收|招募|招工|聘请|聘用|诚聘|诚招|急聘|急招|招(?![商标生待投聘])|聘|求(?![职购]))"
)
# 招聘 followed by one of these is a trade (a recruiter), never the hiring verb.
_HIRE_ROLE = r"(?:专员|助理|主管|经理|顾问|总监|官|师|文员|工作)"
_LEADING = re.compile(rf"^(?:{_HIRE}(?!{_HIRE_ROLE})\s*)+")
# A hiring verb inside a segment, after the employer's name: the name and the verb go.
_INNER_HIRE = re.compile(
    r"(?:^|(?<=\s))\S+?(?:急|高薪|长期|常年|现|特|直)?"
    rf"(?:招聘|诚聘|急聘|急招|聘请|聘用|招收|招募|招工)(?!{_HIRE_ROLE})(?=\S)"
)
_COMPANY = re.compile(r"(?:^|(?<=\s))\S{2,}?(?:股份有限公司|有限责任公司|有限公司|公司|集团)(?=\S{2,})")
_NOISE_WORDS = (
    "包吃包住 包吃住 包食宿 管吃住 提供食宿 食宿全包 包住宿 包住 包吃 包车费 包路费 报销路费 "
    "五险一金 缴纳社保 交社保 买社保 五险 双休 单休 长白班 白班 夜班 两班倒 倒班 日结 周结 "
    "月结 现结 计件 多劳多得 工资面议 薪资面议 面议 待遇优厚 待遇从优 高薪 急招 急聘 急需 "
    "长期招 长期 短期 临时工 临时 兼职 全职 男女不限 限男性 限女性 限男 限女 女性 男性 宝妈 "
    "熟手 优先 若干名 若干 数名 多名 免费培训 带薪培训 包教包会 有经验者优先 有经验 无经验 "
    "经验不限 学历不限 年龄不限 不限 在家 家门口 就近 可兼职 岗位 职位 "
    "周末双休 双休 月休4天 无责底薪 底薪 提成 加提成 高提成 绩效 奖金 年终奖 返费 补贴 "
    "包教包会 学徒也可 新手可带 可带 无中介费 直招 本厂直招 员工宿舍 宿舍 包午餐 管饭 "
    "形象好 形象气质佳 身体健康 若干人 三班倒 四班三倒 两班倒 倒班 早晚班 夜班补贴 "
    "持证上岗 持证 有证优先 有证 编外 合同制 公开招聘 公开选拔 多劳多得"
).split()
# 招聘 is noise only where it is not a trade's first half (招聘专员): removed by _hire_noise.
# Longest first so that 包吃包住 goes before 包吃.
_NOISE = re.compile("|".join(sorted(map(re.escape, _NOISE_WORDS), key=len, reverse=True)))
_MONEY_COUNT = re.compile(
    r"(?:月薪|底薪|薪资|工资|时薪|日薪|年薪|年龄|待遇|月入|日结|周结|返费)?[:：]?\s*"
    r"\d+(?:\.\d+)?\s*(?:[-~～至到]\s*\d+(?:\.\d+)?)?\s*"
    r"(?:名|人|个|位|元|块|k|千|万|岁|周岁|薪)(?:(?:\s*[/每]\s*)?(?:月|天|日|小时|时|件|个|年))?"
    r"(?:以上|以下|左右|起|\+)?",
    re.IGNORECASE,
)
# Pay without a unit after a pay word (月入6500+, 日结230, 返费3000) and pay phrases.
_PAY = re.compile(
    r"(?:月薪|底薪|时薪|日薪|年薪|月入|日结|周结|返费|工资)\s*[:：]?\s*\d+(?:\.\d+)?\s*\+?"
    r"|月入过万|年薪面议|工资日结|底薪\+提成|保底\+提成|\d+\s*[-~～]\s*\d+\s*k(?:·\d+薪)?|·\d+薪",
    re.IGNORECASE,
)
_NOISE_HIRE = re.compile(rf"招聘(?!{_HIRE_ROLE})")
_PUNCT = re.compile(r"[()（）\[\]【】《》<>「」{}\"'“”‘’!！?？:：;；,，、。.·•*#+=~～\-_/\\|&@%]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=100_000)
def clean_title(text: str | None) -> str:
    """Return the occupation-bearing part of a title, lower-cased, blank-separated.

    ``None`` or a title that holds nothing but noise gives ``''``.
    """
    norm = normalize_text(text)
    if norm is None:
        return ""
    out = norm.lower()
    out = _LEADING.sub("", out)
    out = _MONEY_COUNT.sub(" ", out)
    out = _PAY.sub(" ", out)
    out = _PUNCT.sub(" ", out)
    out = _LEADING.sub("", _SPACES.sub(" ", out).strip())
    out = _INNER_HIRE.sub("", out)
    out = _NOISE.sub(" ", out)
    out = _LEADING.sub("", _SPACES.sub(" ", out).strip())
    out = _COMPANY.sub("", out)
    out = _NOISE_HIRE.sub(" ", out)
    return _SPACES.sub(" ", out).strip()


AliasHit = tuple[int, int, str]
"""``(start, end, alias)`` of a hit inside the blank-free cleaned title."""


def contained_aliases(cleaned: str, index: Container[str], min_len: int, max_len: int) -> list[AliasHit]:
    """Find aliases of ``index`` inside ``cleaned``, longest first, none nested.

    Parameters
    ----------
    cleaned : str
        Output of :func:`clean_title`; hits never cross a blank.
    index : container of str
        Alias keys (lower-case, blank-free).
    min_len, max_len : int
        Lengths of the aliases to look for.

    Returns
    -------
    list of (start, end, alias)
        Positions are in the title with blanks removed. A hit lying wholly
        inside an already kept longer hit is dropped; partial overlaps stay.
    """
    hits: list[AliasHit] = []
    offset = 0
    for segment in cleaned.split(" "):
        n = len(segment)
        for i in range(n):
            for j in range(min(n, i + max_len), i + min_len - 1, -1):
                piece = segment[i:j]
                if piece in index:
                    hits.append((offset + i, offset + j, piece))
        offset += n
    hits.sort(key=lambda h: (h[0] - h[1], h[0]))
    kept: list[AliasHit] = []
    for hit in hits:
        if not any(k[0] <= hit[0] and hit[1] <= k[1] for k in kept):
            kept.append(hit)
    return kept
