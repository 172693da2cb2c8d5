"""The flag policy: who is flagged for home-based work, public-welfare posts, training, start-up.

The thresholds are the county's to set, not the code's. They live in a TOML
file: the shipped defaults (``matcher/data/policy.toml``, commented in
Chinese and English) with a county file deep-merged over them, so a county
writes only the keys it changes. :meth:`Policy.load` reads the county file
from its argument or from ``$MATCHER_POLICY``.

Every key is checked against a frozen dataclass tree: an unknown key, a
wrong type or a value outside its range or vocabulary raises
:class:`~matcher.errors.PolicyError` naming the dotted key, the value and
what is allowed. Constraints sit in each field's metadata (``min``/``max``
for integers, ``choices`` for codes), so the schema is this file alone. A
section typed as a pydantic model (:class:`Answered`, the days after which an
answered post may be suggested again) is validated by pydantic, its errors
turned into the same :class:`~matcher.errors.PolicyError`. ``docs/policy.md``
describes every section.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.contract.vocab import (
    DISABILITY,
    EDUCATION,
    EMPLOYMENT_STATUS,
    HEALTH,
    KIND,
    MOBILITY_ORDER,
)
from matcher.errors import PolicyError
from store import changes as store_changes

__all__ = [
    "POLICY_ENV", "EDUCATION_ORDER", "Policy", "Eligibility", "HomeBased", "PublicWelfare",
    "Age4050", "Older", "Toggle", "DisabilityRule", "ThreeNos", "ZeroEmployment", "Training",
    "Business", "Programme", "Answered", "ANSWERING_OUTCOMES", "deep_merge",
]  # fmt: skip

POLICY_ENV = "MATCHER_POLICY"
DEFAULTS_SOURCE = "<defaults: matcher/data/policy.toml>"
#: Education levels from lowest to highest (vocational sits with senior; college above both).
EDUCATION_ORDER: tuple[str, ...] = tuple(EDUCATION)
_STATUSES = tuple(EMPLOYMENT_STATUS)
_KINDS = tuple(KIND)
_DISABILITY_LEVELS = tuple(d for d in DISABILITY if d != "none")
_POOR_HEALTH = tuple(h for h in HEALTH if h != "healthy")


# Field constraints, read by _convert: integer bounds and code vocabularies.
_AGE = {"min": 0, "max": 120}


def _count(lo: int = 0, hi: int = 1_000_000) -> dict[str, int]:
    return {"min": lo, "max": hi}


def _codes(vocab: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"choices": vocab}


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may be flagged at all."""

    min_age: int = field(metadata=_AGE)
    max_age: int = field(metadata=_AGE)
    no_flag_statuses: tuple[str, ...] = field(metadata=_codes(_STATUSES))
    placement_requires_wants_job: bool


@dataclass(frozen=True, slots=True)
class HomeBased:
    """Home-based work (居家就业): people who cannot leave home, carers, poor women carers."""

    enabled: bool
    mobility: tuple[str, ...] = field(metadata=_codes(MOBILITY_ORDER))
    care_duties: bool
    poor_women_carers: bool
    disability: tuple[str, ...] = field(metadata=_codes(_DISABILITY_LEVELS))
    disability_max_mobility: str = field(metadata=_codes(MOBILITY_ORDER))
    suggest: tuple[str, ...] = field(metadata=_codes(_KINDS))


@dataclass(frozen=True, slots=True)
class Age4050:
    """The "4050" rule: women from ``female_min_age``, men from ``male_min_age``."""

    enabled: bool
    female_min_age: int = field(metadata=_AGE)
    male_min_age: int = field(metadata=_AGE)
    low_education: bool
    no_skills: bool


@dataclass(frozen=True, slots=True)
class Older:
    """Everyone from ``min_age``."""

    enabled: bool
    min_age: int = field(metadata=_AGE)


@dataclass(frozen=True, slots=True)
class Toggle:
    """A rule with no setting but on/off."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class DisabilityRule:
    """A disability of one of ``levels``."""

    enabled: bool
    levels: tuple[str, ...] = field(metadata=_codes(_DISABILITY_LEVELS))


@dataclass(frozen=True, slots=True)
class ThreeNos:
    """三无: cannot leave the village, no trade, no strength."""

    enabled: bool
    mobility: tuple[str, ...] = field(metadata=_codes(MOBILITY_ORDER))
    health: tuple[str, ...] = field(metadata=_codes(_POOR_HEALTH))
    disability: tuple[str, ...] = field(metadata=_codes(_DISABILITY_LEVELS))


@dataclass(frozen=True, slots=True)
class ZeroEmployment:
    """A zero-employment household member with at most ``max_market_posts`` posts in reach."""

    enabled: bool
    max_market_posts: int = field(metadata=_count())


@dataclass(frozen=True, slots=True)
class PublicWelfare:
    """Public-welfare posts (公益性岗位) as the safety net."""

    enabled: bool
    low_education: str = field(metadata=_codes(EDUCATION_ORDER))
    skip_statuses: tuple[str, ...] = field(metadata=_codes(_STATUSES))
    suggest: tuple[str, ...] = field(metadata=_codes(_KINDS))
    within: str = field(metadata=_codes(MOBILITY_ORDER))
    age_4050: Age4050
    older: Older
    low_education_no_skills: Toggle
    disability: DisabilityRule
    three_nos: ThreeNos
    zero_employment: ZeroEmployment


@dataclass(frozen=True, slots=True)
class Training:
    """Training that would unlock at least ``min_unlocked`` open posts nearby."""

    enabled: bool
    min_unlocked: int = field(metadata=_count(1))
    max_courses: int = field(metadata=_count(1, 20))


@dataclass(frozen=True, slots=True)
class PostRules:
    """Which posts may be suggested at all, beyond their status, end date and openings."""

    #: A post whose start date is after today is suggested (saying when it starts) only within this many days.
    starts_within_days: int = field(metadata=_count(0, 3650))


@dataclass(frozen=True, slots=True)
class Programme:
    """One start-up support programme (创业担保贷款, 一次性创业补贴 …)."""

    name: str = field(metadata={"nonempty": True})
    name_en: str = field(metadata={"nonempty": True})
    amount_yuan: int = field(metadata=_count(0, 100_000_000))
    up_to: bool
    registered_poor_only: bool


@dataclass(frozen=True, slots=True)
class Business:
    """Start-up support for people who want to start a business."""

    enabled: bool
    programmes: tuple[Programme, ...]


#: The outcomes that answer a suggestion (a placement row with one of these is the person's answer to
#: the post); ``recommended`` is the suggestion itself, not an answer. ``declined``: the person said no.
ANSWERING_OUTCOMES: tuple[str, ...] = (
    store_changes.ANSWERING_OUTCOMES
)  # one list: the store records the person as changed
#: Days after which an answered post may be suggested again, or ``"never"``.
Days = Annotated[int, Field(ge=0, le=36_500)] | Literal["never"]


class Answered(BaseModel):
    """After how many days a post the person already answered may be suggested again, per outcome.

    A post the person applied to, was interviewed or rejected for, declined, was hired at or left is
    not suggested again (``"never"``) unless its outcome's entry gives a number of days, counted from
    the date of the person's latest answer to that post. Validated by pydantic (strict: ``"30"`` or
    ``true`` is not a number of days).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    applied: Days
    interviewed: Days
    rejected: Days
    declined: Days
    hired: Days
    retained_6m: Days
    quit: Days

    def days(self, outcome: str) -> int | None:
        """Days before a post answered with ``outcome`` may come back (None: never)."""
        value = getattr(self, outcome)
        return None if value == "never" else int(value)


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole flag policy; build it with :meth:`load`, :meth:`default` or :meth:`from_dict`.

    ``source`` records where it came from (not a TOML key).
    """

    eligibility: Eligibility
    home_based: HomeBased
    public_welfare: PublicWelfare
    training: Training
    business: Business
    answered: Answered
    posts: PostRules
    source: str = field(default=DEFAULTS_SOURCE, metadata={"toml": False}, compare=False)

    @classmethod
    def default(cls) -> Policy:
        """Return the shipped default policy."""
        return _default_policy()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Policy:
        """Read a county policy file over the defaults.

        Parameters
        ----------
        path : str or PathLike, optional
            The county TOML file (the application's ``Settings.policy``). Without it, the defaults.

        Raises
        ------
        PolicyError
            The file is missing or not TOML, or holds an unknown key or a bad value.
        """
        if path is None:
            return cls.default()
        county = _read_toml(Path(path))
        return cls.from_dict(deep_merge(_default_dict(), county), source=str(path))

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any], *, source: str = "<overrides>") -> Policy:
        """Return the defaults with ``overrides`` (nested, as in a county file) merged in."""
        return cls.from_dict(deep_merge(_default_dict(), overrides), source=source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Policy:
        """Validate a complete nested mapping (every key present) and build the policy."""
        policy = replace(_build(cls, data, "", source), source=source)
        _cross_check(policy, source)
        return policy

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as nested dicts and lists (TOML/JSON-ready, without ``source``)."""
        return _unbuild(self)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``: tables merge by key, anything else replaces."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@cache
def _default_text() -> str:
    return resources.files("matcher").joinpath("data/policy.toml").read_text(encoding="utf-8")


def _default_dict() -> dict[str, Any]:
    try:
        return tomllib.loads(_default_text())
    except tomllib.TOMLDecodeError as exc:  # only if the shipped file is broken
        raise PolicyError(
            f"the default policy file is not valid TOML: {exc}",
            f"默认政策文件不是有效的 TOML：{exc}",
            source=DEFAULTS_SOURCE,
        ) from exc


@cache
def _default_policy() -> Policy:
    return Policy.from_dict(_default_dict(), source=DEFAULTS_SOURCE)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise PolicyError(
            f"policy file {path} not found; give an existing TOML file (or unset {POLICY_ENV})",
            f"找不到政策文件 {path}；请给出存在的 TOML 文件（或取消 {POLICY_ENV} 设置）",
            source=str(path),
        ) from exc
    except OSError as exc:
        raise PolicyError(
            f"policy file {path} cannot be read: {exc.strerror}",
            f"无法读取政策文件 {path}：{exc.strerror}",
            source=str(path),
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(
            f"policy file {path} is not valid UTF-8 TOML: {exc}",
            f"政策文件 {path} 不是有效的 UTF-8 TOML：{exc}",
            source=str(path),
        ) from exc


def _fail(source: str, key: str, value: Any, allowed_en: str, allowed_zh: str) -> PolicyError:
    shown = _show(value)
    return PolicyError(
        f"policy {source}: {key} = {shown} is not allowed; expected {allowed_en}",
        f"政策 {source}：{key} = {shown} 不允许，应为{allowed_zh}",
        key=key,
        source=source,
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{…}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _build(cls: type, data: Any, prefix: str, source: str) -> Any:
    where = prefix or "<top>"
    if not isinstance(data, Mapping):
        raise _fail(source, where, data, "a table [..]", "表（[..]）")
    toml_fields = [f for f in fields(cls) if f.metadata.get("toml", True)]
    names = [f.name for f in toml_fields]
    unknown = [k for k in data if k not in names]
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else str(unknown[0])
        raise PolicyError(
            f"policy {source}: unknown key {key}; allowed keys here: {', '.join(names)}",
            f"政策 {source}：未知的键 {key}；此处允许的键：{'、'.join(names)}",
            key=key,
            source=source,
        )
    missing = [n for n in names if n not in data]
    if missing:
        key = f"{prefix}.{missing[0]}" if prefix else missing[0]
        raise PolicyError(
            f"policy {source}: key {key} is missing",
            f"政策 {source}：缺少键 {key}",
            key=key,
            source=source,
        )
    hints = get_type_hints(cls)
    kwargs = {}
    for f in toml_fields:
        key = f"{prefix}.{f.name}" if prefix else f.name
        kwargs[f.name] = _convert(hints[f.name], data[f.name], f.metadata, key, source)
    return cls(**kwargs)


def _convert(tp: Any, value: Any, meta: Mapping[str, Any], key: str, source: str) -> Any:
    if isinstance(tp, type) and is_dataclass(tp):
        return _build(tp, value, key, source)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _validated(tp, value, key, source)
    if get_origin(tp) is tuple:
        (item,) = [a for a in get_args(tp) if a is not Ellipsis]
        if not isinstance(value, list):
            what_en = "a list of tables [[..]]" if is_dataclass(item) else "a list of strings"
            what_zh = "表数组（[[..]]）" if is_dataclass(item) else "字符串列表"
            raise _fail(source, key, value, what_en, what_zh)
        converted = [_convert(item, v, meta, f"{key}[{i}]", source) for i, v in enumerate(value)]
        if len(set(converted)) != len(converted):
            raise _fail(source, key, value, "a list without repeats", "不含重复项的列表")
        return tuple(converted)
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(source, key, value, "true or false", " true 或 false")
        return value
    if tp is int:
        lo, hi = meta.get("min", 0), meta.get("max", 1_000_000)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _fail(source, key, value, f"an integer from {lo} to {hi}", f" {lo} 到 {hi} 的整数")
        return value
    if tp is str:
        choices = meta.get("choices")
        if not isinstance(value, str) or (choices is not None and value not in choices):
            if choices is not None:
                listed = ", ".join(choices)
                raise _fail(source, key, value, f"one of {listed}", f"以下之一：{listed}")
            raise _fail(source, key, value, "a string", "字符串")
        if meta.get("nonempty") and not value.strip():
            raise _fail(source, key, value, "a non-empty string", "非空字符串")
        return value
    raise TypeError(f"unsupported policy field type {tp!r} at {key}")  # a bug in this module


def _validated(model: type[BaseModel], value: Any, key: str, source: str) -> BaseModel:
    """A pydantic section, its first error turned into a :class:`PolicyError` naming the dotted key."""
    if not isinstance(value, Mapping):
        raise _fail(source, key, value, "a table [..]", "表（[..]）")
    try:
        return model.model_validate(dict(value))
    except ValidationError as exc:
        error = exc.errors()[0]
        # The first part of the location is the field; the rest names the branch of ``Days`` that failed.
        where = f"{key}.{error['loc'][0]}" if error["loc"] else key
        names = ", ".join(model.model_fields)
        if error["type"] == "extra_forbidden":
            raise PolicyError(
                f"policy {source}: unknown key {where}; allowed keys here: {names}",
                f"政策 {source}：未知的键 {where}；此处允许的键：{'、'.join(model.model_fields)}",
                key=where,
                source=source,
            ) from exc
        if error["type"] == "missing":
            raise PolicyError(
                f"policy {source}: key {where} is missing", f"政策 {source}：缺少键 {where}", key=where, source=source
            ) from exc
        shown = value.get(where.rsplit(".", 1)[-1], error.get("input"))
        allowed_en = 'a whole number of days from 0 to 36500, or "never"'
        raise _fail(source, where, shown, allowed_en, ' 0 到 36500 的整数天数，或 "never"') from exc


def _cross_check(policy: Policy, source: str) -> None:
    elig = policy.eligibility
    if elig.min_age > elig.max_age:
        raise _fail(
            source,
            "eligibility.min_age",
            elig.min_age,
            f"at most eligibility.max_age ({elig.max_age})",
            f"不大于 eligibility.max_age（{elig.max_age}）",
        )


def _unbuild(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump()
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _unbuild(getattr(obj, f.name)) for f in fields(obj) if f.metadata.get("toml", True)}
    if isinstance(obj, tuple):
        return [_unbuild(v) for v in obj]
    return obj
