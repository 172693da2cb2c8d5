"""Masking of personal data for whoever may not see it (GB/T 35273 style; PIPL arts. 28–29).

Names, ID numbers and phones of poor households are shown in full only to
keys with the ``pii`` right; everyone else, every log line and every export
made without ``--with-pii`` gets the masked form::

    mask_id_number("360322199001011234")  -> "3603**********1234"
    mask_phone("13812345678")             -> "138****5678"
    mask_name("张三华")                    -> "张*华"

:func:`scrub_text` finds ID numbers (and any other run of 15 or more digits,
such as bank cards) and mobile numbers inside free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["mask_id_number", "mask_phone", "mask_name", "mask_record", "scrub_text", "PII_FIELDS"]

#: Record keys :func:`mask_record` masks.
PII_FIELDS = ("name", "id_number", "phone")

# Runs of 15+ digits (15- and 18-character ID numbers, bank cards, longer runs that
# may embed one), optionally ending in X.
_LONG_DIGITS = re.compile(r"\d{15,}[Xx]?")
# Mainland mobiles: optional +86/86 prefix, separators as people type them.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_MASKED_MOBILE = re.compile(r"\d{3}\*{4}\d{4}")
_LATIN = re.compile(r"[A-Za-z]")


def mask_id_number(value: str) -> str:
    """Keep the first 4 and the last 4 characters, star the rest; 8 or fewer → all stars.

    The length is kept: ``"360322199001011234"`` → ``"3603**********1234"``.
    """
    text = str(value)
    if len(text) <= 8:  # first 4 + last 4 would be the whole value
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(value: str) -> str:
    """11-digit mobile → first 3 and last 4 kept (``138****5678``); otherwise only the last 4.

    A value of 4 characters or fewer becomes all stars; a masked mobile stays as it is.
    """
    text = str(value).strip()
    if len(text) == 11 and text.isascii() and (text.isdigit() or _MASKED_MOBILE.fullmatch(text)):
        return text[:3] + "****" + text[-4:]
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def mask_name(value: str) -> str:
    """Chinese: surname kept, and the last character from three on (``张*华``, ``张*``, ``*``); Latin: ``J*``."""
    text = str(value).strip()
    if not text:
        return ""
    if _LATIN.match(text):
        return text[0] + "*"
    if len(text) == 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


_MASKERS = {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone}


def mask_record(record: Mapping[str, Any], pii: bool) -> dict[str, Any]:
    """A copy of ``record`` with ``name``, ``id_number`` and ``phone`` masked unless ``pii``.

    Parameters
    ----------
    record : mapping
        Any record; keys other than the three are copied unchanged, missing
        ones stay missing and ``None`` stays ``None``.
    pii : bool
        The caller may see personal data in full.

    Returns
    -------
    dict
    """
    out = dict(record)
    if pii:
        return out
    for key, mask in _MASKERS.items():
        value = out.get(key)
        if value is not None and value == value:  # NaN stays as it is
            out[key] = mask(str(value))
    return out


def scrub_text(text: str) -> str:
    """Mask every ID-number-like digit run and every mobile number inside free text.

    Runs of 15 or more digits (with an optional trailing X) keep their first
    and last 4 digits; mobiles (``13812345678``, ``+86 138-1234-5678``) keep
    the first 3 and last 4 digits. Everything else is left as it is.
    """
    text = _LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), str(text))
    return _MOBILE.sub(_mask_mobile, text)


def _mask_mobile(match: re.Match[str]) -> str:
    digits = [i for i, ch in enumerate(match.group()) if ch.isdigit()]
    hidden = set(digits[-8:-4])  # the middle four of the 11-digit number
    return "".join("*" if i in hidden else ch for i, ch in enumerate(match.group()))
