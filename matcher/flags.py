"""Flags: who needs a public-welfare post, home-based work, training or start-up support.

A flag is a caseworker's note, not a score: the kind of help, the reasons in
Chinese (and English, same order) and what to offer. The rules and their
thresholds come from :class:`~matcher.policy.Policy`, which a county edits
without touching code; the defaults follow the documents (大龄和难以实现就业的
扶贫专岗托底安置; 贫困妇女和不能离家的居家灵活就业; the "4050" and "三无" groups;
零就业家庭至少一人就业; 因人因岗施培; 创业担保贷款).

The work is vectorised. Each rule is a boolean mask over the frame; a fired
rule ORs its *reason atoms* (age, schooling, no skills …) into a per-person
bit set, so a person caught by three rules gets each reason once, in a fixed
order. The Chinese text of a flag depends only on the bit set and a few
small codes (age, schooling, disability, health, reach), which are packed
into one integer key: flags are built once per distinct key and shared
(they are immutable), so a million rows take a few seconds. Training flags
depend on a per-person course table and are built row by row, only for the
people who want training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from features.contract.vocab import DISABILITY, EMPLOYMENT_STATUS, HEALTH, MOBILITY_ORDER
from features.skills import alias_key, get_skill_table
from matcher.errors import InputError
from matcher.policy import EDUCATION_ORDER, Policy

__all__ = ["Flag", "FLAG_KINDS", "REQUIRED_COLUMNS", "FlagColumns", "compute_flags", "flags_summary"]

#: Flag kinds in the order a person's flags are listed.
FLAG_KINDS: tuple[str, ...] = ("public_welfare", "home_based", "training", "business")
#: Columns ``compute_flags`` reads (plus ``zero_employment`` when ``market_in_reach`` is given;
#: ``certificates`` and ``training_interest`` are used when present).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "age", "gender", "education", "disability", "health", "skills", "mobility", "care_duties",
    "registered_poor", "wants_job", "wants_training", "wants_business", "employment_status",
)  # fmt: skip


class Flag(NamedTuple):
    """One kind of help a person needs, with the caseworker's reasons.

    Attributes
    ----------
    kind : str
        ``public_welfare``, ``home_based``, ``training`` or ``business``.
    reasons : tuple of str
        Short Chinese reasons (``年龄58岁``, ``小学文化``, ``无技能``); never empty.
    reasons_en : tuple of str
        The same reasons in English, same order.
    suggest : tuple of str
        Post kinds (``workshop_home``, ``public_welfare`` …) or course / programme names.
    """

    kind: str
    reasons: tuple[str, ...]
    reasons_en: tuple[str, ...]
    suggest: tuple[str, ...]

    def note(self) -> str:
        """Return the reasons joined as a caseworker writes them: ``年龄58岁，小学文化，无技能``."""
        return "，".join(self.reasons)

    def note_en(self) -> str:
        """Return the English reasons joined with semicolons."""
        return "; ".join(self.reasons_en)


# Reason atoms, in the order they are written (三无 reads 无法离乡、无业可扶、无力脱贫).
_ATOMS = (
    _L4050, _L3NOS, _AGE, _EDU, _MOB, _NOSKILL, _DIS, _HEALTH, _CARE, _POORWOMAN, _ZEROEMP,
) = tuple(1 << i for i in range(11))  # fmt: skip
# Key layout: atom bits, then (code + 1) of age, schooling, disability, health, reach.
_SHIFT_AGE, _SHIFT_EDU, _SHIFT_DIS, _SHIFT_HEALTH, _SHIFT_MOB = 11, 19, 22, 25, 28

# senior and vocational are one level: "low education up to senior" includes vocational school.
_EDU_RANK = np.array([0, 1, 2, 3, 3, 4, 5], dtype=np.int8)
_DISABILITY_CODES = tuple(DISABILITY)
_HEALTH_CODES = tuple(HEALTH)
# Texts of the atoms (Chinese, English): fixed ones, and ones chosen by a code in the key.
_FIXED = {
    _L4050: ("“4050”人员", "'4050' group (older woman or man)"),
    _L3NOS: ("“三无”人员", "'three-nos' (cannot leave, no trade, no strength)"),
    _NOSKILL: ("无技能", "no skills or certificates"),
    _CARE: ("需照顾家庭", "care duties at home"),
    _POORWOMAN: ("建档立卡贫困妇女", "registered-poor woman"),
}
_CODED = {
    _EDU: (_SHIFT_EDU, (
        ("未上过学", "no schooling"), ("小学文化", "primary school"),
        ("初中文化", "junior middle school"), ("高中文化", "senior high school"),
        ("中专文化", "vocational school"), ("大专文化", "junior college"),
        ("本科文化", "university"),
    )),
    _DIS: (_SHIFT_DIS, (
        ("无残疾", "no disability"), ("轻度残疾", "mild disability"),
        ("中度残疾", "moderate disability"), ("重度残疾", "severe disability"),
    )),
    _HEALTH: (_SHIFT_HEALTH, (
        ("身体健康", "healthy"), ("体弱", "weak health"), ("患慢性病", "chronic illness"),
        ("患大病", "serious illness"),
    )),
    _MOB: (_SHIFT_MOB, (
        ("不能离家", "cannot leave home"), ("不出本村", "stays in the village"),
        ("不出本乡镇", "stays in the township"), ("不出本县", "stays in the county"),
        ("不出本省", "stays in the province"), ("可外出务工", "will work away"),
    )),
}  # fmt: skip
_STATUSES = tuple(EMPLOYMENT_STATUS)


class FlagColumns:
    """The columns the rules read, as numpy arrays (codes are -1 where unknown).

    Built once per frame of people (:func:`matcher.prepare.prepare_people` keeps one with
    the person, so a caseworker's lookup does not read the frame again); :meth:`take`
    selects rows.
    """

    def __init__(self, people: pd.DataFrame) -> None:
        self.n = len(people)
        age_col = people["age"]
        if pd.api.types.is_numeric_dtype(age_col.dtype):  # the store's dtype: no parsing needed
            age = age_col.to_numpy(dtype=float, na_value=np.nan)
        else:
            age = pd.to_numeric(age_col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        self.age = age
        self.age_code = np.where(np.isnan(age), -1, np.clip(np.nan_to_num(age), 0, 254)).astype(np.int64)
        gender = _codes(people["gender"], ("male", "female"))
        self.male, self.female = gender == 0, gender == 1
        self.edu = _codes(people["education"], EDUCATION_ORDER)
        self.edu_rank = np.where(self.edu >= 0, _EDU_RANK[self.edu], -1)
        self.dis = _codes(people["disability"], _DISABILITY_CODES)
        self.health = _codes(people["health"], _HEALTH_CODES)
        self.mob = _codes(people["mobility"], MOBILITY_ORDER)
        self.status = _codes(people["employment_status"], _STATUSES)
        skilled = _has_items(people["skills"])
        if "certificates" in people.columns:
            skilled |= _has_items(people["certificates"])
        self.no_skills = ~skilled
        self.care_duties = _bool(people["care_duties"], "care_duties")
        self.registered_poor = _bool(people["registered_poor"], "registered_poor")
        self.wants_job = _bool(people["wants_job"], "wants_job")
        self.wants_training = _bool(people["wants_training"], "wants_training")
        self.wants_business = _bool(people["wants_business"], "wants_business")
        self.zero_employment = (
            _bool(people["zero_employment"], "zero_employment") if "zero_employment" in people.columns else None
        )
        self.training_interest = (
            people["training_interest"].to_numpy(dtype=object) if "training_interest" in people.columns else None
        )

    def take(self, rows: np.ndarray) -> FlagColumns:
        """The same columns for ``rows`` only."""
        out = object.__new__(FlagColumns)
        for name, value in vars(self).items():
            setattr(out, name, value[rows] if isinstance(value, np.ndarray) else value)
        out.n = len(rows)
        return out


def compute_flags(
    people: pd.DataFrame,
    policy: Policy | None = None,
    *,
    market_in_reach: np.ndarray | Sequence[int] | None = None,
    course_unlocks: Sequence[Mapping[str, int] | None] | None = None,
    columns: FlagColumns | None = None,
) -> list[list[Flag]]:
    """Flag the people who need a public-welfare post, home-based work, training or start-up help.

    Parameters
    ----------
    people : DataFrame, n rows
        One row per laborer with the contract columns (:data:`REQUIRED_COLUMNS`), plus
        ``zero_employment`` (household has nobody in work) when ``market_in_reach`` is given.
    policy : Policy, optional
        Rules and thresholds (default: the shipped defaults)
        when omitted.
    market_in_reach : array of int, shape (n,), optional
        Open market posts (not public-welfare) within each person's reach that pass the hard
        constraints. Without it the zero-employment rule is not applied.
    course_unlocks : sequence of length n of {course name: openings}, optional
        Open openings within reach that each course would unlock. Without it no training
        flag is raised (the rule needs the openings to name).
    columns : FlagColumns, optional
        ``FlagColumns(people)`` already built (its rows in frame order); the frame is not read again.

    Returns
    -------
    list of n lists of Flag
        Row ``i`` holds person ``i``'s flags (in frame order, whatever the index), ordered
        public_welfare, home_based, training, business; empty when none applies.

    Raises
    ------
    InputError
        A required column is missing, or an array's length is not n.
    """
    policy = policy if policy is not None else Policy.default()
    if not isinstance(people, pd.DataFrame):
        raise InputError(
            f"people must be a pandas DataFrame, got {type(people).__name__}",
            f"people 应为 pandas DataFrame，收到 {type(people).__name__}",
        )
    n = len(people)
    zero_rule = policy.public_welfare.zero_employment
    needed = list(REQUIRED_COLUMNS)
    if market_in_reach is not None and zero_rule.enabled:
        needed.append("zero_employment")
    missing = [c for c in needed if c not in people.columns]
    if missing:
        raise InputError(
            f"people lacks columns {missing}; required: {needed}",
            f"people 缺少列 {missing}；需要的列：{needed}",
        )
    reach = None
    if market_in_reach is not None:
        reach = np.asarray(market_in_reach)
        _check_length("market_in_reach", reach.shape[0] if reach.ndim == 1 else -1, n)
    if course_unlocks is not None:
        _check_length("course_unlocks", len(course_unlocks), n)

    p = columns if columns is not None else FlagColumns(people)
    _check_length("columns", p.n, n)
    elig = policy.eligibility
    eligible = ~_isin(p.status, _STATUSES, elig.no_flag_statuses)
    eligible &= np.isnan(p.age) | ((p.age >= elig.min_age) & (p.age <= elig.max_age))
    placement = eligible & p.wants_job if elig.placement_requires_wants_job else eligible

    out: list[list[Flag]] = [[] for _ in range(n)]
    zero_emp = p.zero_employment if reach is not None else None
    pw_bits = _public_welfare_bits(p, policy, placement, zero_emp, reach)
    _append(out, *_atom_flags("public_welfare", pw_bits, p, policy.public_welfare.suggest, policy))
    hb_bits = _home_based_bits(p, policy, placement)
    _append(out, *_atom_flags("home_based", hb_bits, p, policy.home_based.suggest, policy))
    if policy.training.enabled and course_unlocks is not None:
        _append(out, *_training_flags(p, policy, eligible, course_unlocks, p.training_interest))
    if policy.business.enabled:
        _append(out, *_business_flags(p, policy, eligible))
    return out


def flags_summary(flags: Sequence[Sequence[Flag]]) -> dict[str, int]:
    """Count the people flagged for each kind (every kind present, zeros included)."""
    counts = dict.fromkeys(FLAG_KINDS, 0)
    for row in flags:
        for flag in row:
            counts[flag.kind] = counts.get(flag.kind, 0) + 1
    return counts


def _public_welfare_bits(
    p: FlagColumns,
    policy: Policy,
    placement: np.ndarray,
    zero_emp: np.ndarray | None,
    reach: np.ndarray | None,
) -> np.ndarray:
    pw = policy.public_welfare
    bits = np.zeros(p.n, dtype=np.int64)
    if not pw.enabled:
        return bits
    gate = placement & ~_isin(p.status, _STATUSES, pw.skip_statuses)
    low_edu = (p.edu_rank >= 0) & (p.edu_rank <= _EDU_RANK[EDUCATION_ORDER.index(pw.low_education)])
    none = np.zeros(p.n, dtype=bool)
    r4050 = pw.age_4050
    if r4050.enabled:
        aged = (p.female & (p.age >= r4050.female_min_age)) | (p.male & (p.age >= r4050.male_min_age))
        by_edu = low_edu if r4050.low_education else none
        by_skill = p.no_skills if r4050.no_skills else none
        hit = gate & aged & (by_edu | by_skill)
        bits[hit] |= _L4050 | _AGE
        bits[hit & by_edu] |= _EDU
        bits[hit & by_skill] |= _NOSKILL
    if pw.older.enabled:
        bits[gate & (p.age >= pw.older.min_age)] |= _AGE
    if pw.low_education_no_skills.enabled:
        bits[gate & low_edu & p.no_skills] |= _EDU | _NOSKILL
    if pw.disability.enabled:
        bits[gate & _isin(p.dis, _DISABILITY_CODES, pw.disability.levels)] |= _DIS
    three = pw.three_nos
    if three.enabled:
        weak = _isin(p.health, _HEALTH_CODES, three.health)
        disabled = _isin(p.dis, _DISABILITY_CODES, three.disability)
        stuck = _isin(p.mob, MOBILITY_ORDER, three.mobility)
        hit = gate & stuck & p.no_skills & (weak | disabled)
        bits[hit] |= _L3NOS | _MOB | _NOSKILL
        bits[hit & weak] |= _HEALTH
        bits[hit & disabled] |= _DIS
    if pw.zero_employment.enabled and zero_emp is not None and reach is not None:
        with np.errstate(invalid="ignore"):
            few = reach <= pw.zero_employment.max_market_posts
        bits[gate & zero_emp & few] |= _ZEROEMP
    return bits


def _home_based_bits(p: FlagColumns, policy: Policy, placement: np.ndarray) -> np.ndarray:
    hb = policy.home_based
    bits = np.zeros(p.n, dtype=np.int64)
    if not hb.enabled:
        return bits
    bits[placement & _isin(p.mob, MOBILITY_ORDER, hb.mobility)] |= _MOB
    if hb.care_duties:
        bits[placement & p.care_duties] |= _CARE
    if hb.poor_women_carers:
        bits[placement & p.female & p.care_duties & p.registered_poor] |= _CARE | _POORWOMAN
    near = (p.mob < 0) | (p.mob <= MOBILITY_ORDER.index(hb.disability_max_mobility))
    bits[placement & _isin(p.dis, _DISABILITY_CODES, hb.disability) & near] |= _DIS
    return bits


def _atom_flags(
    kind: str, bits: np.ndarray, p: FlagColumns, suggest: tuple[str, ...], policy: Policy
) -> tuple[np.ndarray, list[Flag]]:
    """Build the flags of the rows with any atom, once per distinct text key."""
    rows = np.flatnonzero(bits)
    b = bits[rows]

    def part(atom: int, codes: np.ndarray, shift: int) -> np.ndarray:
        return np.where(b & atom, codes[rows] + 1, 0).astype(np.int64) << shift

    key = (
        b
        | part(_AGE, p.age_code, _SHIFT_AGE)
        | part(_EDU, p.edu, _SHIFT_EDU)
        | part(_DIS, p.dis, _SHIFT_DIS)
        | part(_HEALTH, p.health, _SHIFT_HEALTH)
        | part(_MOB, p.mob, _SHIFT_MOB)
    )
    uniq, inverse = np.unique(key, return_inverse=True)
    zero_max = policy.public_welfare.zero_employment.max_market_posts
    built = [_flag_from_key(kind, int(k), suggest, zero_max) for k in uniq]
    return rows, [built[i] for i in inverse.ravel().tolist()]


@lru_cache(maxsize=65536)
def _flag_from_key(kind: str, key: int, suggest: tuple[str, ...], zero_max: int) -> Flag:
    texts: list[tuple[str, str]] = []
    for atom in _ATOMS:
        if not key & atom:
            continue
        if atom in _FIXED:
            texts.append(_FIXED[atom])
        elif atom in _CODED:
            shift, table = _CODED[atom]
            texts.append(table[((key >> shift) & 0b111) - 1])
        elif atom == _AGE:
            age = ((key >> _SHIFT_AGE) & 0xFF) - 1
            # An age reason always names a real age; an unknown one (never flagged today) says so.
            texts.append((f"年龄{age}岁", f"aged {age}") if age >= 0 else ("年龄不详", "age unknown"))
        elif zero_max == 0:
            texts.append(
                (
                    "零就业家庭，可及范围内无市场岗位",
                    "zero-employment household, no market post within reach",
                )
            )
        else:
            texts.append((
                f"零就业家庭，可及范围内市场岗位不超过{zero_max}个",
                f"zero-employment household, at most {zero_max} market posts within reach",
            ))  # fmt: skip
    return Flag(kind, tuple(zh for zh, _ in texts), tuple(en for _, en in texts), suggest)


def _training_flags(
    p: FlagColumns,
    policy: Policy,
    eligible: np.ndarray,
    course_unlocks: Sequence[Mapping[str, int] | None],
    interests: np.ndarray | None,
) -> tuple[np.ndarray, list[Flag]]:
    tr = policy.training
    rows: list[int] = []
    flags: list[Flag] = []
    for i in np.flatnonzero(eligible & p.wants_training).tolist():
        unlocks = course_unlocks[i]
        if not isinstance(unlocks, Mapping):
            continue
        picks = [(str(c), k) for c, v in unlocks.items() if (k := _count(v)) >= tr.min_unlocked]
        if not picks:
            continue
        liked = _liked_courses(interests[i]) if interests is not None else {}
        picks.sort(key=lambda ck: (ck[0] not in liked, -ck[1], ck[0]))
        picks = picks[: tr.max_courses]
        top_word = liked.get(picks[0][0])
        zh = [f"有培训意愿（{top_word}）" if top_word else "有培训意愿"]
        en = [f"wants training ({top_word})" if top_word else "wants training"]
        for course, count in picks:
            zh.append(f"参加{course}可解锁附近{count}个岗位")
            en.append(f"the {course} course would unlock {count} open posts nearby")
        rows.append(i)
        flags.append(Flag("training", tuple(zh), tuple(en), tuple(c for c, _ in picks)))
    return np.asarray(rows, dtype=np.int64), flags


def _business_flags(p: FlagColumns, policy: Policy, eligible: np.ndarray) -> tuple[np.ndarray, list[Flag]]:
    programmes = policy.business.programmes
    poor_only = any(pr.registered_poor_only for pr in programmes)
    variants = {}
    for poor in (False, True):
        zh, en = ["有创业意愿"], ["wants to start a business"]
        if poor and poor_only:
            zh.append("建档立卡贫困劳动力")
            en.append("registered poor")
        offer = tuple(_programme_label(pr) for pr in programmes if poor or not pr.registered_poor_only)
        variants[poor] = Flag("business", tuple(zh), tuple(en), offer)
    rows = np.flatnonzero(eligible & p.wants_business)
    poor_rows = p.registered_poor[rows].tolist()
    return rows, [variants[bool(x)] for x in poor_rows]


def _programme_label(programme: Any) -> str:
    amount = programme.amount_yuan
    if amount <= 0:
        return str(programme.name)
    text = f"{amount // 10_000}万元" if amount % 10_000 == 0 else f"{amount}元"
    return f"{programme.name}（{'最高' if programme.up_to else ''}{text}）"


def _append(out: list[list[Flag]], rows: np.ndarray, flags: list[Flag]) -> None:
    for i, flag in zip(rows.tolist(), flags, strict=True):
        out[i].append(flag)


def _liked_courses(words: Any) -> dict[str, str]:
    """Map the courses a person's training interests point to onto the word they used."""
    if isinstance(words, str):
        words = [words]
    if not isinstance(words, list | tuple | np.ndarray):
        return {}
    liked: dict[str, str] = {}
    for word in words:
        course = _course_for_word(word) if isinstance(word, str) else None
        if course is not None:
            liked.setdefault(course, word.strip())
    return liked


@lru_cache(maxsize=8192)
def _course_for_word(word: str) -> str | None:
    """The course an interest word names: a course (with or without 培训) or a skill's course."""
    key = alias_key(word).removesuffix("培训")
    if not key:
        return None
    table = get_skill_table()
    for entry in table.entries:
        if entry.course and alias_key(entry.course).removesuffix("培训") == key:
            return entry.course
    skill = table.alias_index.get(key)
    return table.get(skill).course if skill else None


def _count(value: Any) -> int:
    """An openings count as int; -1 for anything that is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return -1
    return int(number) if np.isfinite(number) else -1


def _check_length(name: str, got: int, n: int) -> None:
    if got != n:
        raise InputError(
            f"{name} must have one entry per person ({n}), got {got}",
            f"{name} 应每人一项（共 {n} 项），收到 {got} 项",
        )


def _codes(series: pd.Series, vocab: Sequence[str]) -> np.ndarray:
    # A plain dict lookup: pandas.Categorical costs milliseconds per call, which
    # dominates a single caseworker lookup.
    table = {v: i for i, v in enumerate(vocab)}
    return np.fromiter(
        (table.get(v, -1) if isinstance(v, str) else -1 for v in series.to_numpy(dtype=object)),
        dtype=np.int64,
        count=len(series),
    )


def _isin(codes: np.ndarray, vocab: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """``codes`` (indexes into ``vocab``, -1 unknown) that name one of ``wanted``: a table lookup."""
    return _member_table(tuple(vocab), tuple(wanted))[codes]


@lru_cache(maxsize=256)
def _member_table(vocab: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    # One slot per code plus a last one (False) that code -1 lands on.
    table = np.zeros(len(vocab) + 1, dtype=bool)
    table[[vocab.index(w) for w in wanted]] = True
    return table


def _bool(series: pd.Series, name: str) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy()
    if isinstance(series.dtype, pd.BooleanDtype):  # the store's nullable booleans: empty counts as false
        return series.to_numpy(dtype=bool, na_value=False)
    values = series.to_numpy(dtype=object)
    if all(isinstance(v, (bool, np.bool_)) or v is None for v in values):
        return np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))
    try:
        return series.astype("boolean").to_numpy(dtype=bool, na_value=False)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"column {name} must hold true/false (or empty), got dtype {series.dtype}",
            f"列 {name} 应为 是/否（或空），收到类型 {series.dtype}",
        ) from exc


def _has_items(series: pd.Series) -> np.ndarray:
    """True where a list cell (skills, certificates) holds at least one entry."""
    values = series.to_numpy(dtype=object)
    return np.fromiter((_nonempty(v) for v in values), dtype=bool, count=len(values))


def _nonempty(value: Any) -> bool:
    if value is None or isinstance(value, float):
        return False
    if isinstance(value, str):
        return bool(value.strip())
    try:
        return any(_nonempty(item) for item in value)
    except TypeError:  # a scalar that is not text: count it as an entry
        return True
