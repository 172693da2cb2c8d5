"""Names, resident ID numbers, birth dates and phone numbers, vectorised.

ID numbers follow GB 11643-1999: the region prefix is the 6-digit code of
the person's county, then the birth date, a 3-digit sequence whose last
digit is odd for men and even for women, and the check character.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np

__all__ = [
    "serial_ids",
    "iso_dates",
    "make_names",
    "birth_dates",
    "ages_at",
    "id_numbers",
    "phones",
    "check_characters",
]

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))

# The most common surnames, roughly by frequency (weights in per mille).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = np.concatenate([np.linspace(74, 12, 30), np.linspace(11, 3, len(_SURNAMES) - 30)])
_MALE_CHARS = "伟强军勇杰磊涛斌明超刚平辉鹏华飞建国志文兵德荣林海峰光成东春龙云生全才家贵福禄祥发富顺永忠胜"
_FEMALE_CHARS = "秀英芳娟敏静丽艳霞玲桂兰凤梅琴珍燕红萍翠云莲菊香春花金玉娥芬素美霞小丹慧婷雪"
_PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        173,
        175,
        176,
        177,
        178,
        180,
        181,
        182,
        183,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ],
    dtype=np.int64,
)


def serial_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded numbers (``L0000001``), as a compact fixed-width string array."""
    return np.char.add(prefix, np.char.zfill(numbers.astype(f"<U{width}"), width))


def iso_dates(values: np.ndarray, unit: Literal["D", "s"] = "D") -> np.ndarray:
    """ISO strings of datetime64 values (``2020-09-30`` or ``2020-09-30T08:15:00``), fixed width."""
    width = 10 if unit == "D" else 19
    return np.datetime_as_string(values.astype(f"datetime64[{unit}]"), unit=unit).astype(f"<U{width}")


def make_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Chinese full names, two or three characters.

    Parameters
    ----------
    rng : numpy.random.Generator
    female : numpy.ndarray of bool, shape (n,)

    Returns
    -------
    numpy.ndarray of str (fixed width), shape (n,)
    """
    n = female.shape[0]
    sur = np.array(list(_SURNAMES))
    p = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()
    first = sur[rng.choice(sur.size, size=n, p=p)]
    male_chars = np.array(list(_MALE_CHARS))
    female_chars = np.array(list(_FEMALE_CHARS))
    a = np.where(
        female,
        female_chars[rng.integers(0, female_chars.size, n)],
        male_chars[rng.integers(0, male_chars.size, n)],
    )
    b = np.where(
        female,
        female_chars[rng.integers(0, female_chars.size, n)],
        male_chars[rng.integers(0, male_chars.size, n)],
    )
    b = np.where(rng.random(n) < 0.18, "", b)  # about one name in six has one given character
    return np.char.add(np.char.add(first, a), b)


def birth_dates(rng: np.random.Generator, ages: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Birth dates so that each person is exactly ``ages`` years old on ``as_of``.

    Returns
    -------
    numpy.ndarray of datetime64[D], shape (n,)
    """
    n = ages.shape[0]
    ref = np.datetime64(as_of, "D")
    # Latest possible birthday for that age, then step back 0..364 days.
    latest = (np.datetime64(as_of.isoformat()[:4], "Y") - ages.astype("timedelta64[Y]")).astype("datetime64[D]") + (
        ref - np.datetime64(as_of.isoformat()[:4] + "-01-01", "D")
    )
    births = latest - rng.integers(0, 365, n).astype("timedelta64[D]")
    fix = ages_at(births, as_of) != ages
    # Leap days can shift one case by a day: fall back to 1 January of the exact year.
    births[fix] = (np.datetime64(as_of.isoformat()[:4], "Y") - ages[fix].astype("timedelta64[Y]")).astype(
        "datetime64[D]"
    )
    return births


def ages_at(births: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Completed years of age on ``as_of`` for datetime64[D] birth dates."""
    years = births.astype("datetime64[Y]").astype(np.int64) + 1970
    months = births.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (births - births.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    before = (months > as_of.month) | ((months == as_of.month) & (day > as_of.day))
    return as_of.year - years - before.astype(np.int64)


def check_characters(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an (n, 17) array of digits."""
    return _CHECK[(first17.astype(np.int64) * _WEIGHTS).sum(axis=1) % 11]


def id_numbers(rng: np.random.Generator, county6: np.ndarray, births: np.ndarray, female: np.ndarray) -> np.ndarray:
    """18-character resident ID numbers.

    Parameters
    ----------
    county6 : numpy.ndarray of int, shape (n,)
        6-digit county codes (region prefix).
    births : numpy.ndarray of datetime64[D], shape (n,)
    female : numpy.ndarray of bool, shape (n,)

    Returns
    -------
    numpy.ndarray of str, shape (n,)
    """
    n = county6.shape[0]
    years = births.astype("datetime64[Y]").astype(np.int64) + 1970
    months = births.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (births - births.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    ymd = years * 10_000 + months * 100 + days
    # The sequence code: odd for men, even for women; one of 500 per county, birth date and gender, drawn at
    # random for the first person of each such group and counted on from there for the others, so no two
    # people share a number (a real one is a person's own; a repeated one reads as one person under two ids).
    group = (county6.astype(np.int64) * 10**8 + ymd) * 2 + female.astype(np.int64)
    order = np.argsort(group, kind="stable")
    ranked = group[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    sizes = np.diff(np.r_[starts, n])
    if sizes.size and sizes.max() > 500:
        raise ValueError("more than 500 people of one county, birth date and gender: ID numbers would repeat")
    drawn = rng.integers(0, 500, n)
    first = np.repeat(drawn[order][starts], sizes)
    rank = np.arange(n) - np.repeat(starts, sizes)
    index = np.empty(n, dtype=np.int64)
    index[order] = (first + rank) % 500
    seq = 2 * index + np.where(female, 0, 1)
    number = county6.astype(np.int64) * 10**11 + ymd * 10**3 + seq
    digits = (number[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = check_characters(digits)
    return np.char.add(number.astype("<U17"), check)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mobile numbers (1[3-9]x…)."""
    prefix = _PHONE_PREFIXES[rng.integers(0, _PHONE_PREFIXES.size, n)]
    return (prefix * 10**8 + rng.integers(0, 10**8, n)).astype("<U11")
