"""Hierarchical resolution of one address (names and/or an admin code).

The walk goes province → city → county → town → village. Each given name
is matched only among the places below the deepest place resolved so far
(the *anchor*; at first the whole country), so a county name alone is
searched nationally, and a town name given with a county is searched in that
county. Skipped levels are filled in from the resolved place's ancestors.

When a name matches several places, the next given lower name breaks the
tie if it occurs below exactly one of them (朝阳区 + 望京街道 → Beijing);
otherwise the name is reported as unresolved and the anchor stays where it
was: an arbitrary pick would silently put a person in the wrong county.

A name that matches nothing gets three second chances, in order:

1. it restates the anchor (重庆市/重庆市/巫山县, 东莞市/东莞市/…): skipped;
2. it is a unit of the next level down given one column too high (湖北省/
   仙桃市: a county-level city directly under the province), accepted when
   the next column is empty or names the same place;
3. a municipality given as a city without a province (北京市/朝阳区).

Anything else is listed in ``Resolution.unresolved`` and lower names are
still tried below the anchor. Village names are only searched below a city
or deeper (see ``DivisionTable.match``).
"""

from __future__ import annotations

from features.geo_build import LEVELS
from features.geo_names import name_key
from features.geo_table import DivisionTable
from features.geo_types import Resolution

__all__ = ["resolve_address"]

_SKIP = -2


def _find(table: DivisionTable, anchor: int, level: int, name: str, hint: tuple[int, str] | None) -> tuple[int, int]:
    """``(row or -1, number of candidates)``; a lower-level hint breaks ties."""
    candidates = table.match(anchor, level, name)
    if len(candidates) > 1 and hint is not None:
        kept = [row for row in candidates if table.match(row, *hint)]
        if len(kept) == 1:
            return kept[0], len(candidates)
    return (candidates[0] if len(candidates) == 1 else -1), len(candidates)


def _repeats(table: DivisionTable, anchor: int, name: str, level: int) -> bool:
    own = str(table.names[anchor])
    own_level = table.level(anchor)
    stem = name_key(own, own_level)[0]
    return name == own or stem in (name_key(name, level)[0], name_key(name, own_level)[0])


def _second_chance(
    table: DivisionTable,
    anchor: int,
    level: int,
    name: str,
    names: tuple[str | None, ...],
    hints: list[tuple[int, str]],
) -> int:
    """Row found by a fallback rule, ``-1`` for none, ``_SKIP`` to ignore the name."""
    if anchor >= 0 and _repeats(table, anchor, name, level):
        return _SKIP
    if level < len(LEVELS) - 1:
        below = names[level + 1]
        if below is None or name_key(below, level + 1)[0] == name_key(name, level)[0]:
            deeper = [hint for hint in hints if hint[0] > level + 1]
            row, _ = _find(table, anchor, level + 1, name, deeper[0] if deeper else None)
            if row >= 0:
                return row
    if level == 1 and anchor < 0:
        row, _ = _find(table, -1, 0, name, None)
        if row >= 0:
            return row
    return -1


def resolve_address(table: DivisionTable, names: tuple[str | None, ...], code: str | None) -> Resolution:
    """Resolve cleaned names (province … village) and an optional admin code.

    Parameters
    ----------
    table : DivisionTable
        The gazetteer.
    names : tuple of (str or None)
        Five cleaned names, province first; ``None`` where not given.
    code : str, optional
        An admin code; when it exists, names at its level and above are ignored
        and lower names are resolved below it.

    Returns
    -------
    Resolution
    """
    unresolved: list[tuple[str, str]] = []
    anchor, start = -1, 0
    if code is not None:
        row = table.row(code)
        if row >= 0:
            anchor, start = row, table.level(row) + 1
        else:
            unresolved.append(("code", code))
    given = [(level, name) for level, name in enumerate(names) if name is not None]
    for position, (level, name) in enumerate(given):
        if level < start or table.level(anchor) >= level:
            # Covered by the code, or consumed by a second chance one level up.
            if level >= start and not _repeats(table, anchor, name, level):
                unresolved.append((LEVELS[level], name))
            continue
        hints = given[position + 1 :]
        row, count = _find(table, anchor, level, name, hints[0] if hints else None)
        if row < 0 and count == 0:
            row = _second_chance(table, anchor, level, name, names, hints)
            if row == _SKIP:
                continue
        if row >= 0:
            anchor = row
        else:
            unresolved.append((LEVELS[level], name))
    return table.resolution(anchor, tuple(unresolved))
