"""Resident identity numbers (居民身份证号, GB 11643-1999), checked column-wise.

An 18-character number: 6-digit region code, 8-digit birth date, 3-digit
sequence (odd = male, even = female), and a check character computed from
the first 17 digits with weights 2^(17-i) mod 11.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.rows import is_missing

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))


def check_character(first17: str) -> str:
    """The check character for 17 leading digits."""
    digits = np.frombuffer(first17.encode("ascii"), dtype=np.uint8) - 48
    return str(_CHECK[int((digits.astype(np.int64) * _WEIGHTS).sum() % 11)])


#: An ID number a spreadsheet turned into a number: scientific notation, a decimal tail.
_LOOKS_NUMERIC = re.compile(r"^\d+(?:\.\d+)?E\+?\d+$|^\d{12,}\.\d*$")
#: The reason for an ID number stored as a number, and how to fix it.
AS_NUMBER = (
    "looks like an ID number stored as a number (digits lost, scientific notation): format the column as text "
    "in the spreadsheet and type the numbers again",
    "身份证号被存成了数字（位数丢失或变成科学计数法）：请把该列设置单元格格式为“文本”后重新录入",
)


def parse_id_numbers(values: pd.Series) -> pd.DataFrame:
    """Validate a column of ID numbers.

    Parameters
    ----------
    values : pandas.Series of str or None, shape (n,)
        Normalised cells (upper-cased here; blanks mean "not given").

    Returns
    -------
    pandas.DataFrame, shape (n, 4)
        ``id_number`` (cleaned or None), ``birth_date`` (datetime.date or None),
        ``gender`` ('male'/'female' or None) and ``error`` (None, or an
        ``(en, zh)`` reason for a bad number).
    """
    number, birth, gender, error = id_number_parts(values.tolist())
    return pd.DataFrame(
        {"id_number": number, "birth_date": birth, "gender": gender, "error": error}, index=values.index
    )


def id_number_parts(values: Sequence[object]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`parse_id_numbers`' four columns as object arrays, without a frame around them (validating one
    record, the frame and its Series cost more than the checks)."""
    n = len(values)
    cleaned = np.array([None if is_missing(v) else str(v).strip().upper() for v in values], dtype=object)
    out_num = np.full(n, None, dtype=object)
    out_birth = np.full(n, None, dtype=object)
    out_gender = np.full(n, None, dtype=object)
    out_err = np.full(n, None, dtype=object)

    present = np.array([v is not None and v != "" for v in cleaned], dtype=bool)
    idx = np.flatnonzero(present)
    if idx.size == 0:
        return out_num, out_birth, out_gender, out_err
    texts = cleaned[idx]
    shape_ok = np.array(
        [len(t) == 18 and t[:17].isascii() and t[:17].isdigit() and (t[17].isdigit() or t[17] == "X") for t in texts],
        dtype=bool,
    )
    for j in np.flatnonzero(~shape_ok):
        out_err[idx[j]] = (
            AS_NUMBER
            if _LOOKS_NUMERIC.match(texts[j])
            else ("must be 18 characters: 17 digits and a digit or X", "应为18位：17位数字加1位数字或X")
        )
    good = idx[shape_ok]
    if good.size:
        raw = np.frombuffer("".join(cleaned[good]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = raw[:, :17].astype(np.int64) - 48
        expected = _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11]
        actual = raw[:, 17].view("S1").astype(str).ravel()
        check_ok = expected == actual
        today = dt.date.today()
        for j, row in enumerate(good):
            text = cleaned[row]
            if not check_ok[j]:
                out_err[row] = (
                    f"check character is {actual[j]}, the first 17 digits need {expected[j]}",
                    f"校验位为{actual[j]}，按前17位应为{expected[j]}",
                )
                if text.endswith("000"):  # Excel keeps 15 significant digits of a number
                    en, zh = out_err[row]
                    out_err[row] = (f"{en}; {AS_NUMBER[0]}", f"{zh}；{AS_NUMBER[1]}")
                continue
            try:
                birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
            except ValueError:
                out_err[row] = ("birth date inside the number is not a real date", "号码中的出生日期不存在")
                continue
            if birth > today or birth.year < 1900:
                out_err[row] = ("birth date inside the number is out of range", "号码中的出生日期超出范围")
                continue
            out_num[row] = text
            out_birth[row] = birth
            out_gender[row] = "male" if int(text[16]) % 2 == 1 else "female"
    return out_num, out_birth, out_gender, out_err


def mask_id_number(value: str | None) -> str | None:
    """``430124198803051234`` → ``4301**********1234`` (region prefix and tail kept)."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return value
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """``张三丰`` → ``张**``."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
