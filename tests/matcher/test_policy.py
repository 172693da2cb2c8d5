"""The flag policy: defaults, county overrides, refusals naming key, value and what is allowed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from matcher.errors import MatcherError, PolicyError
from matcher.policy import POLICY_ENV, Policy, deep_merge


@pytest.fixture(autouse=True)
def _no_county_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)


def write(tmp_path: Path, text: str, name: str = "county.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        Policy.load(write(tmp_path, text))
    return info.value


def test_default_thresholds() -> None:
    policy = Policy.default()
    pw = policy.public_welfare
    assert (pw.age_4050.female_min_age, pw.age_4050.male_min_age) == (40, 50)
    assert pw.older.min_age == 55
    assert pw.low_education == "primary"
    assert pw.disability.levels == ("moderate", "severe")
    assert pw.three_nos.mobility == ("home", "village")
    assert pw.zero_employment.max_market_posts == 0
    assert pw.suggest == ("public_welfare",) and pw.within == "town"
    assert policy.home_based.mobility == ("home",)
    assert policy.home_based.suggest == ("workshop_home", "online")
    assert policy.training.min_unlocked == 3
    loan = policy.business.programmes[0]
    assert (loan.name, loan.amount_yuan, loan.up_to) == ("创业担保贷款", 200_000, True)
    assert (policy.eligibility.min_age, policy.eligibility.max_age) == (16, 65)


def test_default_is_shared_and_frozen() -> None:
    policy = Policy.default()
    assert Policy.default() is policy
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.training.min_unlocked = 1  # type: ignore[misc]


def test_load_without_path_or_env_is_the_default() -> None:
    assert Policy.load() == Policy.default()


def test_county_file_overrides_only_its_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "[public_welfare.older]\nmin_age = 60\n")
    policy = Policy.load(path)
    default = Policy.default()
    assert policy.public_welfare.older.min_age == 60
    assert policy.public_welfare.older.enabled is True
    assert policy.public_welfare.age_4050 == default.public_welfare.age_4050
    assert policy.training == default.training
    assert policy.source == str(path)


def test_env_variable_names_the_county_file_through_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.settings import Settings

    path = write(tmp_path, "[training]\nmin_unlocked = 5\n")
    monkeypatch.setenv(POLICY_ENV, str(path))
    assert Settings.load(home=tmp_path).load_policy().training.min_unlocked == 5
    # Below the settings nothing reads the environment: the policy is handed down.
    assert Policy.load().training.min_unlocked == 3 == Policy.default().training.min_unlocked


def test_a_bad_policy_file_fails_when_the_settings_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher.settings import Settings
    from store.errors import InputError

    monkeypatch.setenv(POLICY_ENV, str(write(tmp_path, "[training]\nmin_unlocked = -4\n")))
    with pytest.raises(InputError) as err:
        Settings.load(home=tmp_path)
    assert err.value.field == "MATCHER_POLICY" and "min_unlocked" in err.value.message_en
    assert "MATCHER_POLICY" in err.value.message_zh


def test_lists_replace_the_default_list(tmp_path: Path) -> None:
    text = """
[[business.programmes]]
name = "创业担保贷款"
name_en = "guaranteed start-up loan"
amount_yuan = 300000
up_to = true
registered_poor_only = false
"""
    programmes = Policy.load(write(tmp_path, text)).business.programmes
    assert len(programmes) == 1 and programmes[0].amount_yuan == 300_000


def test_unknown_key_is_refused_with_the_allowed_keys(tmp_path: Path) -> None:
    err = refused(tmp_path, "[public_welfare.older]\nmin_ag = 60\n")
    assert err.key == "public_welfare.older.min_ag"
    assert "public_welfare.older.min_ag" in err.message_en and "min_age" in err.message_en
    assert "未知的键 public_welfare.older.min_ag" in err.message_zh and "min_age" in err.message_zh


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, "[public_welfar]\nenabled = false\n")
    assert err.key == "public_welfar"
    assert "public_welfare" in err.message_en


def test_wrong_type_is_refused_naming_key_and_value(tmp_path: Path) -> None:
    err = refused(tmp_path, '[public_welfare.older]\nmin_age = "55"\n')
    assert err.key == "public_welfare.older.min_age"
    assert "'55'" in err.message_en and "integer from 0 to 120" in err.message_en
    assert "'55'" in err.message_zh and "整数" in err.message_zh


def test_negative_age_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, "[public_welfare.age_4050]\nfemale_min_age = -5\n")
    assert err.key == "public_welfare.age_4050.female_min_age"
    assert "-5" in err.message_en and "-5" in err.message_zh
    assert "0 到 120" in err.message_zh


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[training]\nenabled = 1\n", "training.enabled"),
        ("[training]\nmin_unlocked = true\n", "training.min_unlocked"),
        ("[training]\nmin_unlocked = 0\n", "training.min_unlocked"),
        ("[training]\nmin_unlocked = 2.5\n", "training.min_unlocked"),
        ('[home_based]\nmobility = "home"\n', "home_based.mobility"),
        ('[home_based]\nmobility = ["home", "house"]\n', "home_based.mobility[1]"),
        ('[home_based]\nmobility = ["home", "home"]\n', "home_based.mobility"),
        ('[home_based]\nsuggest = ["factory"]\n', "home_based.suggest[0]"),
        ('[public_welfare]\nlow_education = "小学"\n', "public_welfare.low_education"),
        (
            '[public_welfare.three_nos]\nhealth = ["healthy"]\n',
            "public_welfare.three_nos.health[0]",
        ),
        ("public_welfare = 3\n", "public_welfare"),
        ("[eligibility]\nmin_age = 70\n", "eligibility.min_age"),
    ],
)
def test_bad_values_are_refused(tmp_path: Path, text: str, key: str) -> None:
    err = refused(tmp_path, text)
    assert err.key == key
    assert key in err.message_en and key in err.message_zh


def test_bad_programme_entry_names_its_position(tmp_path: Path) -> None:
    text = '[[business.programmes]]\nname = "创业担保贷款"\namount = 1\n'
    err = refused(tmp_path, text)
    assert err.key == "business.programmes[0].amount"


def test_missing_file_and_bad_toml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="county.toml") as info:
        Policy.load(tmp_path / "county.toml")
    assert "找不到" in info.value.message_zh
    err = refused(tmp_path, "[training\nmin_unlocked = 3\n")
    assert "TOML" in err.message_en and str(tmp_path) in err.message_en


def test_policy_error_is_a_matcher_error_with_exit_code(tmp_path: Path) -> None:
    err = refused(tmp_path, "[x]\n")
    assert isinstance(err, MatcherError) and err.exit_code == 2
    assert err.message_zh in str(err) and err.message_en in str(err)


def test_to_dict_round_trips_and_overrides_match_files(tmp_path: Path) -> None:
    policy = Policy.default()
    assert Policy.from_dict(policy.to_dict()) == policy
    from_file = Policy.load(write(tmp_path, "[training]\nmax_courses = 1\n"))
    assert Policy.from_overrides({"training": {"max_courses": 1}}) == from_file


def test_from_dict_requires_every_key() -> None:
    data = Policy.default().to_dict()
    del data["training"]["max_courses"]
    with pytest.raises(PolicyError) as info:
        Policy.from_dict(data)
    assert info.value.key == "training.max_courses"


def test_deep_merge_keeps_untouched_branches() -> None:
    base = {"a": {"b": 1, "c": {"d": 2}}, "e": [1, 2]}
    merged = deep_merge(base, {"a": {"c": {"d": 3}}, "e": [9]})
    assert merged == {"a": {"b": 1, "c": {"d": 3}}, "e": [9]}
    assert base["a"]["c"]["d"] == 2
