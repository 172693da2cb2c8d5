"""The 2022 national occupational classification (职业分类大典 2022) as a tree.

The shipped copy ``features/data/occupations/csco2022.csv`` holds 2,051 rows:
8 major groups (level 1), 73 middle groups (level 2), 336 minor groups
(level 3) and 1,634 detailed occupations (level 4), the targets of every
occupation match. Codes look like ``6-31-01-03``; a detailed occupation that
sits directly under a middle group keeps ``00`` in the minor-group slot
(``6-31-05-00`` 包装工), so the level of a node comes from the file, never
from counting zeros.

Two quirks of the source are smoothed over on load:

* a trailing ``L``, ``S`` or ``L/S`` on a name is the edition's mark for a
  green or digital occupation, not part of the name (``护林员L`` → ``护林员``);
* a few rows are duplicated; one code (``2-03-01-00``) appears both as a
  minor group and as its only occupation. One node is kept per code, the
  deepest one, so ``get`` is unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from store.errors import NotFoundError

__all__ = [
    "OccupationNode",
    "Taxonomy",
    "UnknownCodeError",
    "code_prefix",
    "get_taxonomy",
    "DEFAULT_TAXONOMY_PATH",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).parent / "data" / "occupations" / "csco2022.csv"

_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
_MARK = re.compile(r"(?:L/S|L|S)$")
_REQUIRED = ("level", "code", "name", "definition", "tasks", "alias")


class UnknownCodeError(NotFoundError, KeyError):
    """An occupation code that is malformed or not in the classification."""

    def __init__(self, code: object) -> None:
        super().__init__(
            f"occupation code {code!r} is not in the 2022 classification (expected the form 6-31-01-03)",
            f"职业代码 {code!r} 不在 2022 职业分类大典中（格式如 6-31-01-03）",
            field="occupation_code",
            value=code,
            allowed="a code of the 2022 classification, e.g. 6-31-01-03",
            code="unknown_occupation_code",
        )
        # after AppError.__init__, whose `code` keyword is the machine code: this is the occupation code
        self.occupation_code = code

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class OccupationNode:
    """One node of the classification.

    Attributes
    ----------
    code : str
        ``d-dd-dd-dd`` code.
    level : int
        1 (major group) to 4 (detailed occupation).
    name : str
        Name without the green/digital mark.
    definition, tasks : str
        Official text; empty when the edition gives none.
    aliases : tuple of str
        Colloquial titles from the source, name and duplicates removed. Noisy.
    green, digital : bool
        The edition's ``L`` / ``S`` marks.
    """

    code: str
    level: int
    name: str
    definition: str
    tasks: str
    aliases: tuple[str, ...]
    green: bool
    digital: bool


def code_prefix(code: str, level: int) -> str:
    """Return the part of ``code`` that identifies its level-``level`` group.

    Level 1 is the first digit group (``'6'``), level 2 ``'6-31'``, level 3
    ``'6-31-01'`` and level 4 the full code. Two codes share a level-``l``
    group exactly when their prefixes are equal.
    """
    if level not in (1, 2, 3, 4):
        raise ValueError(
            f"层级 level={level!r} 无效，只能是 1、2、3、4 / level={level!r} is invalid; allowed: 1, 2, 3, 4"
        )
    if not isinstance(code, str) or not _CODE.match(code):
        raise UnknownCodeError(code)
    return "-".join(code.split("-")[:level])


def _strip_mark(name: str) -> tuple[str, bool, bool]:
    name = name.strip()
    mark = _MARK.search(name)
    if mark is None or len(name) <= len(mark.group(0)):
        return name, False, False
    tag = mark.group(0)
    return name[: -len(tag)].strip(), "L" in tag, "S" in tag


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


class Taxonomy:
    """The classification tree: lookup by code, names, parents, level-4 targets.

    Build it with :meth:`load`; use :func:`get_taxonomy` for the shared,
    cached instance built from the shipped file.
    """

    def __init__(self, nodes: dict[str, OccupationNode], source: Path | None = None) -> None:
        self._nodes = nodes
        self.source = source
        self.level4_codes: tuple[str, ...] = tuple(sorted(c for c, n in nodes.items() if n.level == 4))
        # A node's parent is its nearest ancestor by code prefix that exists
        # at a shallower level; precomputed because the tree is small.
        by_prefix = {(n.level, code_prefix(c, n.level)): c for c, n in nodes.items()}
        self._parents: dict[str, str | None] = {}
        for code, node in nodes.items():
            parent = None
            for lvl in range(node.level - 1, 0, -1):
                parent = by_prefix.get((lvl, code_prefix(code, lvl)))
                if parent is not None:
                    break
            self._parents[code] = parent

    @classmethod
    def load(cls, path: str | Path | None = None) -> Taxonomy:
        """Read the classification CSV (``level, code, name, definition, tasks, alias``).

        Parameters
        ----------
        path : str or Path, optional
            Defaults to the shipped ``csco2022.csv``.
        """
        path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        missing = [c for c in _REQUIRED if c not in frame.columns]
        if missing:
            raise ValueError(
                f"职业分类文件 {path} 缺少列 {missing}，需要 {list(_REQUIRED)} / "
                f"classification file {path} lacks columns {missing}; required {list(_REQUIRED)}"
            )
        nodes: dict[str, OccupationNode] = {}
        for row in frame.itertuples(index=False):
            code = _clean(row.code)
            if not _CODE.match(code):
                raise UnknownCodeError(code)
            level = int(row.level)
            name, green, digital = _strip_mark(_clean(row.name))
            raw_aliases = [_strip_mark(a)[0] for a in _clean(row.alias).split(",")]
            aliases = tuple(dict.fromkeys(a for a in raw_aliases if a and a != name))
            node = OccupationNode(
                code=code,
                level=level,
                name=name,
                definition=_clean(row.definition),
                tasks=_clean(row.tasks),
                aliases=aliases,
                green=green,
                digital=digital,
            )
            old = nodes.get(code)
            if old is None or level > old.level:
                nodes[code] = node
        return cls(nodes, source=path)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __iter__(self) -> Iterator[OccupationNode]:
        return iter(self._nodes.values())

    def get(self, code: str) -> OccupationNode:
        """Return the node for ``code``; raise :class:`UnknownCodeError` if absent."""
        try:
            return self._nodes[code]
        except (KeyError, TypeError):
            raise UnknownCodeError(code) from None

    def name(self, code: str) -> str:
        """Return the (mark-free) name of ``code``."""
        return self.get(code).name

    def parent(self, code: str) -> str | None:
        """Return the code of the nearest shallower ancestor, or ``None`` at level 1."""
        self.get(code)
        return self._parents[code]

    def ancestors(self, code: str) -> list[str]:
        """Return the ancestor codes of ``code``, nearest first."""
        out: list[str] = []
        current = self.parent(code)
        while current is not None:
            out.append(current)
            current = self._parents[current]
        return out

    def children(self, code: str) -> list[str]:
        """Return the codes whose parent is ``code``."""
        self.get(code)
        return [c for c, p in self._parents.items() if p == code]

    def group(self, code: str, level: int) -> str | None:
        """Return the existing level-``level`` group node containing ``code``, if any."""
        prefix = code_prefix(code, level)
        for candidate in [code, *self.ancestors(code)]:
            node = self._nodes[candidate]
            if node.level == level and code_prefix(candidate, level) == prefix:
                return candidate
        return None


@lru_cache(maxsize=1)
def get_taxonomy() -> Taxonomy:
    """Return the shared taxonomy built from the shipped CSV (loaded once)."""
    return Taxonomy.load()
