"""The rural skill table: colloquial skill words → canonical skill → occupations.

``features/data/skills.csv`` is written by hand for this project. One row per
canonical skill (``焊工``), with the words clerks and laborers actually use
for it (``电焊|二保焊|氩弧焊``), the level-4 occupation codes of the 2022
classification it leads to (first = primary), the training course that
teaches it (empty for public-welfare posts that need none) and its physical
demand (``low`` / ``medium`` / ``high``).

Columns: ``skill, aliases, codes, course, physical_demand, category,
generic_aliases``; lists inside a cell are separated by ``|``.
``generic_aliases`` lists the words of the row that name a kind of work
rather than a trade (``普工``, ``工人``, ``包装``, ``养殖``): they decide a
title that is only that word, but inside a longer title they yield to any
specific word (``冰箱生产线工人`` is about refrigerators, not about 工人).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from features.taxonomy import Taxonomy, code_prefix
from store.errors import InputError, NotFoundError

__all__ = [
    "SkillEntry",
    "SkillTable",
    "SkillTableError",
    "UnknownSkillError",
    "PHYSICAL_DEMANDS",
    "DEFAULT_SKILLS_PATH",
    "get_skill_table",
    "alias_key",
]

DEFAULT_SKILLS_PATH = Path(__file__).parent / "data" / "skills.csv"
PHYSICAL_DEMANDS = ("low", "medium", "high")
_REQUIRED = ("skill", "aliases", "codes", "course", "physical_demand", "category")
_OPTIONAL = ("generic_aliases",)


class SkillTableError(InputError):
    """The skill table file is malformed (bad column, code, demand or alias clash)."""


class UnknownSkillError(NotFoundError, KeyError):
    """A skill word that no canonical skill of the table covers."""

    def __init__(self, skill: object) -> None:
        super().__init__(
            f"skill {skill!r} is not in the skill table (e.g. 焊工, 电焊, 叉车司机)",
            f"技能 {skill!r} 不在技能表中（如 焊工、电焊、叉车司机）",
            field="skill",
            value=skill,
            code="unknown_skill",
        )
        self.skill = skill

    def __str__(self) -> str:
        return str(self.args[0])


def alias_key(text: str) -> str:
    """Return the lookup form of an alias: lower-case, without blanks."""
    return "".join(text.split()).lower()


@dataclass(frozen=True, slots=True)
class SkillEntry:
    """One canonical skill of the table."""

    skill: str
    aliases: tuple[str, ...]
    codes: tuple[str, ...]
    course: str | None
    physical_demand: str
    category: str
    generic_aliases: tuple[str, ...] = ()


class SkillTable:
    """Canonical skills with an alias index (every alias → exactly one skill)."""

    def __init__(self, entries: list[SkillEntry], source: Path | None = None) -> None:
        self.entries = tuple(entries)
        self.source = source
        self._by_skill = {e.skill: e for e in entries}
        self.alias_index: dict[str, str] = {}
        self.generic_keys: frozenset[str] = frozenset(alias_key(a) for e in entries for a in e.generic_aliases)
        for entry in entries:
            for word in (entry.skill, *entry.aliases):
                key = alias_key(word)
                owner = self.alias_index.setdefault(key, entry.skill)
                if owner != entry.skill:
                    raise SkillTableError(
                        f"别名 {word!r} 同时属于技能 {owner!r} 和 {entry.skill!r}，每个别名只能对应"
                        f"一个技能 / alias {word!r} belongs to both {owner!r} and "
                        f"{entry.skill!r}; an alias must name one skill"
                    )

    @classmethod
    def load(cls, path: str | Path | None = None, taxonomy: Taxonomy | None = None) -> SkillTable:
        """Read and validate the skill CSV.

        Parameters
        ----------
        path : str or Path, optional
            Defaults to the shipped ``features/data/skills.csv``.
        taxonomy : Taxonomy, optional
            When given, every code must be a level-4 node of it.
        """
        path = Path(path) if path is not None else DEFAULT_SKILLS_PATH
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        for column in _OPTIONAL:
            if column not in frame.columns:
                frame[column] = ""
        missing = [c for c in _REQUIRED if c not in frame.columns]
        if missing:
            raise SkillTableError(
                f"技能表 {path} 缺少列 {missing}，需要 {list(_REQUIRED)} / skill table {path} "
                f"lacks columns {missing}; required {list(_REQUIRED)}"
            )
        entries: list[SkillEntry] = []
        level4 = set(taxonomy.level4_codes) if taxonomy is not None else None
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            skill = row.skill.strip()
            codes = tuple(c.strip() for c in row.codes.split("|") if c.strip())
            demand = row.physical_demand.strip()
            where = f"{path}:{i} ({skill})"
            if not skill or not codes:
                raise SkillTableError(f"{where}: 技能名和职业代码不能为空 / skill name and codes must not be empty")
            if demand not in PHYSICAL_DEMANDS:
                raise SkillTableError(
                    f"{where}: physical_demand={demand!r} 无效，只能是 {PHYSICAL_DEMANDS} / "
                    f"invalid physical_demand {demand!r}; allowed {PHYSICAL_DEMANDS}"
                )
            for code in codes:
                code_prefix(code, 4)  # raises on a malformed code
                if level4 is not None and code not in level4:
                    raise SkillTableError(
                        f"{where}: 职业代码 {code!r} 不是 2022 大典的细类（第4层）/ code {code!r} "
                        "is not a level-4 occupation of the 2022 classification"
                    )
            aliases = tuple(dict.fromkeys(a.strip() for a in row.aliases.split("|") if a.strip() != skill))
            generic = tuple(g.strip() for g in row.generic_aliases.split("|") if g.strip())
            stray = [g for g in generic if g != skill and g not in aliases]
            if stray:
                raise SkillTableError(
                    f"{where}: generic_aliases {stray} 不在本行别名中 / generic_aliases {stray} "
                    "are not aliases of this row"
                )
            entries.append(
                SkillEntry(
                    skill=skill,
                    aliases=tuple(a for a in aliases if a),
                    codes=codes,
                    course=row.course.strip() or None,
                    physical_demand=demand,
                    category=row.category.strip(),
                    generic_aliases=generic,
                )
            )
        return cls(entries, source=path)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, skill: object) -> bool:
        return skill in self._by_skill

    def get(self, skill: str) -> SkillEntry:
        """Return the entry of a canonical skill name or of any of its aliases."""
        entry = self._by_skill.get(skill)
        if entry is None:
            owner = self.alias_index.get(alias_key(skill)) if isinstance(skill, str) else None
            if owner is None:
                raise UnknownSkillError(skill)
            entry = self._by_skill[owner]
        return entry

    def skills_for_code(self, code: str) -> list[str]:
        """Return the canonical skills that list ``code`` among their occupations."""
        return [e.skill for e in self.entries if code in e.codes]


@lru_cache(maxsize=1)
def get_skill_table() -> SkillTable:
    """Return the shared skill table built from the shipped CSV (validated once)."""
    from features.taxonomy import get_taxonomy

    return SkillTable.load(taxonomy=get_taxonomy())
