"""Chinese text normalisation for every free-text field of the ledgers.

County offices export their ledgers from many systems. What arrives is dirty
in predictable ways, and every one of them must be undone before two clerks'
words for the same skill can meet:

* Traditional characters (Hong Kong / Taiwan input methods, or documents
  converted once too often) → Simplified, with OpenCC's ``t2s`` table —
  except the few characters that are also standard Simplified ones with a
  meaning of their own (乾 in 乾县, 著 …), which the table would corrupt;
* full-width Latin letters, digits and punctuation (``ＡＢＣ１２３，``) →
  half-width (NFKC), while Chinese punctuation that has no half-width
  twin is left alone;
* pinyin residue: some exported documents annotate each character with its
  reading in parentheses, ``區(qū)`` or ``區（qū）`` (seed 001). The
  annotation is dropped when the parenthesised text is a single pinyin
  syllable with tone marks or tone digits;
* stray whitespace: runs of spaces, tabs, non-breaking and ideographic
  spaces collapse to one; leading/trailing blanks go.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

__all__ = ["normalize_text", "split_list", "LIST_SEPARATORS"]

# Vowels carrying pinyin tone marks (and ü forms). A parenthesised token made
# only of Latin letters that contains at least one of these, or ends in a
# tone digit 1-5, is a pinyin annotation, not content.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_SYLLABLE = rf"(?:[a-z{_TONED}]*[{_TONED}][a-z{_TONED}]*|[a-z]+[1-5])"
# Only drop annotations that directly follow a CJK character: "(qū)" after
# "區" is residue, "(abc)" after a Latin word is content.
_PINYIN_RESIDUE = re.compile(rf"(?<=[\u3400-\u9fff])\s*[(（]\s*{_SYLLABLE}\s*[)）]", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")

#: Separators accepted inside list-valued cells (skills, certificates, ...).
LIST_SEPARATORS = "、,，;；/|　 \t\n"
_SPLIT = re.compile(r"[、,，;；/|\s\u3000]+")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# Characters that OpenCC's t2s table rewrites but that are also standard
# Simplified characters with their own meaning, above all in place names:
# 乾县 (Shaanxi) must not become 干县. They are left as written.
_KEEP = frozenset("乾著瞭藉甦馀")
_KEEP_SPLIT = re.compile(f"([{''.join(sorted(_KEEP))}])")


def _to_simplified(text: str) -> str:
    if not any(ch in _KEEP for ch in text):
        return _converter().convert(text)
    return "".join(part if part in _KEEP else _converter().convert(part) for part in _KEEP_SPLIT.split(text))


@lru_cache(maxsize=200_000)
def _normalize_cached(text: str) -> str:
    # NFKC maps full-width ASCII and compatibility forms to their plain forms;
    # it also turns full-width parentheses into ASCII ones, which the residue
    # pattern then handles uniformly.
    text = unicodedata.normalize("NFKC", text)
    text = _PINYIN_RESIDUE.sub("", text)
    text = _to_simplified(text)
    text = _SPACES.sub(" ", text).strip()
    return text


def normalize_text(value: object) -> str | None:
    """Normalise one free-text cell.

    Parameters
    ----------
    value : object
        The raw cell. ``None``, NaN and blank strings mean "no value".

    Returns
    -------
    str or None
        Simplified, half-width, residue-free, whitespace-collapsed text, or
        ``None`` when the cell is empty.
    """
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    text = str(value)
    if not text.strip():
        return None
    out = _normalize_cached(text)
    return out or None


def split_list(value: object) -> list[str]:
    """Split a list-valued cell on any of ``、 , ， ; ；`` ``/`` ``|`` and blanks.

    Items are normalised with :func:`normalize_text`, empty items dropped and
    duplicates removed while keeping the first-seen order. A value that is
    already a list or tuple (JSON input) is normalised item by item.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items: list[str] = []
        for v in value:
            items.extend(split_list(v))
        return list(dict.fromkeys(items))
    text = normalize_text(value)
    if text is None:
        return []
    parts = (p.strip() for p in _SPLIT.split(text))
    return list(dict.fromkeys(p for p in parts if p))
