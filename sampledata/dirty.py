"""Write text the way county clerks do: varied, sometimes Traditional, sometimes full-width.

Rendering one string per row in Python would be slow at a million rows, so
each field is drawn from a *pool*: a few hundred pre-rendered variants per
true occupation, picked by index with numpy. The pools are seeded, so the
output stays deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import opencc

__all__ = [
    "SEPARATORS",
    "to_traditional",
    "to_fullwidth",
    "dirty",
    "join_items",
    "render_pool",
    "pick",
]

#: List separators found in real ledgers, with their weights.
SEPARATORS: tuple[str, ...] = ("、", ",", "，", ";", "；")
_SEP_P = np.array([0.40, 0.15, 0.30, 0.05, 0.10])
#: Share of rendered strings converted to Traditional characters / full-width forms.
TRADITIONAL_SHARE = 0.04
FULLWIDTH_SHARE = 0.04


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified → Traditional (as produced by Taiwan/Hong Kong input methods)."""
    return str(_s2t().convert(text))


def to_fullwidth(text: str) -> str:
    """ASCII letters, digits and punctuation → their full-width forms (``B2`` → ``Ｂ２``)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def dirty(rng: np.random.Generator, text: str) -> str:
    """Now and then: Traditional characters, full-width forms, a stray blank."""
    u = rng.random(3)
    if u[0] < TRADITIONAL_SHARE:
        text = to_traditional(text)
    if u[1] < FULLWIDTH_SHARE:
        text = to_fullwidth(text).replace("(", "（").replace(")", "）")
    if u[2] < 0.02:
        text = " " + text if rng.random() < 0.5 else text + "\u3000"
    return text


def join_items(rng: np.random.Generator, items: Sequence[str]) -> str:
    """Join list items with one mixed separator per string, as clerks do."""
    sep = SEPARATORS[int(rng.choice(len(SEPARATORS), p=_SEP_P))]
    return sep.join(items)


def render_pool(
    rng: np.random.Generator,
    vocab: Sequence[str],
    size: int,
    k_min: int = 1,
    k_max: int = 3,
    extra: Sequence[str] = (),
    extra_p: float = 0.0,
) -> np.ndarray:
    """Pre-render ``size`` list strings of ``k_min``–``k_max`` distinct items.

    Parameters
    ----------
    vocab : sequence of str
        The items (one occupation's skills, titles …); empty gives empty strings.
    extra : sequence of str
        Generic items appended with probability ``extra_p`` (e.g. 普工, 不限).

    Returns
    -------
    numpy.ndarray of str (object), shape (size,)
    """
    out = np.empty(size, dtype=object)
    if not vocab:
        out[:] = ""
        return out
    for i in range(size):
        k = int(rng.integers(k_min, min(k_max, len(vocab)) + 1))
        items = [vocab[j] for j in rng.choice(len(vocab), size=k, replace=False)]
        if extra and rng.random() < extra_p:
            items.append(extra[int(rng.integers(0, len(extra)))])
        out[i] = dirty(rng, join_items(rng, items))
    return out


def pick(rng: np.random.Generator, pools: Sequence[np.ndarray], group: np.ndarray) -> np.ndarray:
    """One pooled string per row: ``pools[group[i]]`` at a random slot.

    Parameters
    ----------
    pools : sequence of numpy.ndarray, each shape (size,)
        Equal-sized pools, one per group value.
    group : numpy.ndarray of int, shape (n,)

    Returns
    -------
    numpy.ndarray of str (object), shape (n,)
    """
    table = np.stack(pools)
    return table[group, rng.integers(0, table.shape[1], group.shape[0])]
