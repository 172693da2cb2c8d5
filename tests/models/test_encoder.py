"""PersonPostEncoder: shared space, welder meets welding post, save/load, manifest checks."""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from models.artifacts import read_manifest, write_manifest
from models.encoder import KIND, PersonPostEncoder
from models.errors import ArtifactError, InputError

# (canonical trade, words clerks use for it, level-4 code, physical demand)
TRADES = [
    ("焊工", ["电焊", "电焊工", "二保焊", "氩弧焊", "焊接", "烧焊"], "6-18-02-04", "high"),
    ("家政服务员", ["家政", "保姆", "钟点工", "做家务", "家政服务"], "4-10-01-06", "medium"),
    ("中式烹调师", ["厨师", "炒菜师傅", "掌勺", "烹饪"], "4-03-02-01", "medium"),
    ("叉车司机", ["开叉车", "叉车工", "叉车驾驶"], "6-30-05-01", "medium"),
    ("电工", ["水电工", "维修电工", "低压电工", "布线"], "6-31-01-03", "medium"),
    ("电子商务师", ["电商", "网店运营", "拼多多运营", "淘宝运营"], "4-01-06-01", "low"),
    ("育婴员", ["育婴师", "育儿嫂", "带孩子", "早教"], "4-10-01-01", "low"),
    ("刺绣工", ["绣花", "湘西绣娘", "苗绣", "十字绣"], "6-07-04-03", "low"),
]


class Match(NamedTuple):
    code: str
    name: str
    score: float
    source: str


class FakeNormalizer:
    """Stands in for features.occupations: alias table of TRADES only."""

    def __init__(self) -> None:
        self.alias = {w: t for t, words, _, _ in TRADES for w in (t, *words)}
        self.code = {t: c for t, _, c, _ in TRADES}
        self.codes_ = np.array([c for _, _, c, _ in TRADES])
        self.names_ = np.array([t for t, _, _, _ in TRADES])

    def _find(self, text: str) -> list[str]:
        return list(dict.fromkeys(t for w, t in self.alias.items() if w in text))

    def canonical_skills(self, texts: list[str]) -> list[list[str]]:
        return [self._find(t) for t in texts]

    def normalize(self, texts: list[str], k: int = 5) -> list[list[Match]]:
        return [[Match(self.code[t], t, 1.0, "skill_alias") for t in self._find(x)][:k] for x in texts]


def laborer_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    trade = rng.integers(0, len(TRADES), n)
    words = [TRADES[t][1] for t in trade]
    return pd.DataFrame(
        {
            "laborer_id": [f"L{i:06d}" for i in range(n)],
            "skills": [[w[rng.integers(len(w))]] for w in words],
            "certificates": [[] for _ in range(n)],
            "job_intention": [[w[rng.integers(len(w))]] if rng.random() < 0.5 else [] for w in words],
            "training_interest": [[] for _ in range(n)],
            "education": "junior",
            "age": rng.integers(18, 65, n),
            "gender": rng.choice(["male", "female"], n),
            "mobility": rng.choice(["home", "village", "town", "county", "nationwide"], n),
            "care_duties": rng.random(n) < 0.2,
            "disability": rng.choice(["none", "mild"], n),
            "health": rng.choice(["healthy", "weak", "chronic"], n),
            "expected_wage": None,
        }
    )


def vacancy_frame(rng: np.random.Generator, m: int) -> pd.DataFrame:
    trade = rng.integers(0, len(TRADES), m)
    return pd.DataFrame(
        {
            "vacancy_id": [f"V{i:06d}" for i in range(m)],
            "title": [TRADES[t][0] if rng.random() < 0.5 else TRADES[t][1][0] for t in trade],
            "description": [f"招聘{TRADES[t][1][-1]}，吃苦耐劳，包吃住。" for t in trade],
            "required_skills": [[TRADES[t][1][1]] for t in trade],
            "required_certificates": [[] for _ in range(m)],
            "occupation_code": [TRADES[t][2] if rng.random() < 0.5 else None for t in trade],
            "kind": "enterprise",
            "hours": rng.choice(["full_time", "part_time", "flexible"], m),
            "physical_demand": [TRADES[t][3] for t in trade],
            "wage_min": 3000.0,
            "wage_max": 5000.0,
            "age_min": 18,
            "age_max": 55,
        }
    )


def one_laborer(skills: list[str]) -> pd.DataFrame:
    frame = laborer_frame(np.random.default_rng(1), 1)
    frame.loc[0, ["health", "disability", "mobility", "care_duties"]] = [
        "healthy",
        "none",
        "county",
        False,
    ]
    frame.at[0, "skills"] = skills
    frame.at[0, "job_intention"] = []
    return frame


def two_posts(welding_title: str, other_title: str) -> pd.DataFrame:
    posts = vacancy_frame(np.random.default_rng(2), 2)
    posts["title"] = [welding_title, other_title]
    posts["description"] = ["", ""]
    posts["required_skills"] = [[], []]
    posts["occupation_code"] = [None, None]
    posts["physical_demand"] = ["medium", "medium"]
    posts["hours"] = ["full_time", "full_time"]
    return posts


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return laborer_frame(rng, 2000), vacancy_frame(rng, 400)


@pytest.fixture(scope="module")
def fitted(frames: tuple[pd.DataFrame, pd.DataFrame]) -> PersonPostEncoder:
    laborers, vacancies = frames
    return PersonPostEncoder(n_components=32, occupation_normalizer=FakeNormalizer()).fit(laborers, vacancies)


WORDINGS = [
    (["电焊"], "焊工(二保焊)", "家政服务员"),
    (["焊接"], "电焊工", "保姆"),
    (["氩弧焊"], "招聘焊工", "住家保姆(做家务)"),
    (["烧焊"], "二保焊", "钟点工"),
]


@pytest.mark.parametrize(("skills", "welding", "housekeeping"), WORDINGS)
def test_welder_is_closer_to_welding_than_to_housekeeping(
    fitted: PersonPostEncoder, skills: list[str], welding: str, housekeeping: str
) -> None:
    person = fitted.transform_laborers(one_laborer(skills))
    posts = fitted.transform_vacancies(two_posts(welding, housekeeping))
    sims = (person @ posts.T)[0]
    assert sims[0] > sims[1] + 0.2


def test_shipped_normalizer_lets_welder_meet_welding_post(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    laborers, vacancies = frames
    encoder = PersonPostEncoder(n_components=32).fit(laborers, vacancies)  # "auto" normaliser
    person = encoder.transform_laborers(one_laborer(["电焊"]))
    sims = (person @ encoder.transform_vacancies(two_posts("焊工(二保焊)", "家政服务员")).T)[0]
    assert sims[0] > sims[1] + 0.2


def test_occupation_names_are_built_once_per_normaliser_and_never_leak_between_calls(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The code → name table is memoised by the normaliser's arrays (bounded), each call gets its own
    copy to extend, and a normaliser with other arrays gets its own table."""
    import models.encoder as encoder_module

    laborers, vacancies = frames
    encoder = PersonPostEncoder(n_components=32).fit(laborers, vacancies)
    normalizer = encoder._normalizer()
    first, second = encoder._names(normalizer), encoder._names(normalizer)
    assert first == second and first is not second and len(first) == len(normalizer.codes_)
    first["X"] = "added by one call"
    assert "X" not in encoder._names(normalizer)
    before = encoder.transform_laborers(laborers.iloc[:20])

    class Renamed:
        codes_ = normalizer.codes_.copy()
        names_ = np.array([f"{n}!" for n in normalizer.names_])

    assert set(encoder._names(Renamed()).values()) == {f"{n}!" for n in normalizer.names_}
    for n in range(2 * encoder_module._NAMES_MEMO_SIZE):

        class Other:
            codes_ = np.array([f"9-{n:02d}"])
            names_ = np.array([f"name {n}"])

        assert encoder._names(Other()) == {f"9-{n:02d}": f"name {n}"}
    assert len(encoder_module._names_memo) <= encoder_module._NAMES_MEMO_SIZE
    np.testing.assert_array_equal(encoder.transform_laborers(laborers.iloc[:20]), before)


def test_output_is_unit_float32_and_batch_equals_single(
    fitted: PersonPostEncoder, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    laborers, vacancies = frames
    people = fitted.transform_laborers(laborers.iloc[:50])
    posts = fitted.transform_vacancies(vacancies)
    assert people.dtype == np.float32 and people.shape == (50, fitted.dim_)
    assert posts.shape == (len(vacancies), fitted.dim_)
    np.testing.assert_allclose(np.linalg.norm(posts, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(fitted.transform_laborers(laborers.iloc[7:8])[0], people[7], atol=1e-6)


def test_chunking_does_not_change_vectors(fitted: PersonPostEncoder, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    laborers, _ = frames
    small = PersonPostEncoder(**{**fitted.get_params(), "chunk_size": 7})
    small.vectorizer_, small.components_ = fitted.vectorizer_, fitted.components_
    np.testing.assert_array_equal(
        small.transform_laborers(laborers.iloc[:40]), fitted.transform_laborers(laborers.iloc[:40])
    )


def test_save_load_round_trip(tmp_path, fitted: PersonPostEncoder, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    laborers, vacancies = frames
    fitted.save(tmp_path / "enc")
    loaded = PersonPostEncoder.load(tmp_path / "enc", occupation_normalizer=FakeNormalizer())
    np.testing.assert_array_equal(loaded.transform_laborers(laborers), fitted.transform_laborers(laborers))
    np.testing.assert_array_equal(loaded.transform_vacancies(vacancies), fitted.transform_vacancies(vacancies))
    manifest = read_manifest(tmp_path / "enc", KIND, 1)
    assert manifest["dim"] == fitted.dim_
    assert manifest["data"]["n_laborers"] == len(laborers)
    assert set(manifest["libraries"]) >= {"numpy", "sklearn", "faiss"}


def test_custom_normalizer_must_be_given_back_on_load(tmp_path, fitted: PersonPostEncoder) -> None:
    fitted.save(tmp_path / "enc")
    with pytest.raises(ArtifactError, match="occupation_normalizer"):
        PersonPostEncoder.load(tmp_path / "enc")


def test_manifest_format_mismatch_is_refused(tmp_path, fitted: PersonPostEncoder) -> None:
    fitted.save(tmp_path / "enc")
    path = tmp_path / "enc" / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["format"] = 99
    path.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(ArtifactError, match=r"has format 99, this program reads format 1: run `matcher train`"):
        PersonPostEncoder.load(tmp_path / "enc", occupation_normalizer=FakeNormalizer())


def test_missing_manifest_and_wrong_kind_are_refused(tmp_path) -> None:
    with pytest.raises(ArtifactError, match="no manifest.json"):
        read_manifest(tmp_path, KIND, 1)
    write_manifest(tmp_path, "vacancy_index", {}, format_version=1)
    with pytest.raises(ArtifactError, match="holds kind 'vacancy_index'"):
        PersonPostEncoder.load(tmp_path)


def test_bad_input_names_the_field(fitted: PersonPostEncoder) -> None:
    person = one_laborer(["电焊"])
    with pytest.raises(InputError, match="health: got 'excellent'; allowed: healthy"):
        fitted.transform_laborers(person.assign(health="excellent"))
    with pytest.raises(InputError, match="missing column.*skills"):
        fitted.transform_laborers(person.drop(columns="skills"))
    with pytest.raises(InputError, match="occupation_code: got '618'"):
        fitted.transform_vacancies(two_posts("焊工", "保姆").assign(occupation_code="618"))


def test_unfitted_encoder_is_guarded() -> None:
    with pytest.raises(NotFittedError):
        PersonPostEncoder().transform_laborers(one_laborer(["电焊"]))
