"""Directory artifact of a fitted :class:`~features.occupations.OccupationNormalizer`.

Layout (one directory per fitted normaliser)::

    manifest.json          format, version, settings, library versions, data hashes
    codes.npy names.npy    level-4 codes and names (unicode arrays, no pickle)
    alias_row_starts.npy   first alias row of each code (int64)
    alias_matrix.npz       TF-IDF rows of every name/alias   (n_alias_rows, n_features)
    definition_matrix.npz  TF-IDF of definition + tasks      (n_codes, n_features)
    parent_matrix.npz      TF-IDF of group names             (n_codes, n_features)
    vectorizer.joblib      the fitted TfidfVectorizer (the only pickle)
    lookups.json           alias tables, title words and heads, the skill table, the calibration

Loading refuses a directory of another format version or one written by a
different scikit-learn minor version (its pickle would not be portable).
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import scipy
import scipy.sparse as sp
import sklearn

from store.errors import NotReadyError

if TYPE_CHECKING:
    from features.occupations import OccupationNormalizer

__all__ = ["ArtifactError", "save_normalizer", "load_normalizer", "file_sha256"]

FORMAT = "occupation-normalizer"
FORMAT_VERSION = 2  # 2: title words, head groups and the confidence calibration
_MATRICES = ("alias", "definition", "parent")
_ARRAYS = ("codes", "names", "alias_row_starts")


class ArtifactError(NotReadyError, ValueError):
    """A saved normaliser directory is missing, foreign or from another version."""


def file_sha256(path: Path | None) -> str | None:
    """SHA-256 of a data file, or ``None`` when there is no such file."""
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_normalizer(model: OccupationNormalizer, directory: str | Path) -> Path:
    """Write ``model`` (fitted) to ``directory``, created if needed; return the path."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        np.save(path / f"{name}.npy", getattr(model, f"{name}_"), allow_pickle=False)
    for name in _MATRICES:
        sp.save_npz(path / f"{name}_matrix.npz", getattr(model, f"{name}_matrix_"))
    joblib.dump(model.vectorizer_, path / "vectorizer.joblib")
    lookups = {
        "classification_alias": model.classification_alias_,
        "classification_names": sorted(model.classification_names_),
        "skill_alias": model.skill_alias_,
        "generic_aliases": sorted(model.generic_aliases_),
        "skills": model.skills_,
        "max_alias_len": model.max_alias_len_,
        "title_alias": model.title_alias_,
        "title_groups": model.title_groups_,
        "calibration": model.calibration_,
    }
    (path / "lookups.json").write_text(json.dumps(lookups, ensure_ascii=False), "utf-8")
    params: dict[str, Any] = model.get_params()
    params["ngram_range"] = list(params["ngram_range"])
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "settings": params,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__,
        },
        "data": model.data_,
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return path


def load_normalizer(cls: type[OccupationNormalizer], directory: str | Path) -> OccupationNormalizer:
    """Read a normaliser written by :func:`save_normalizer`.

    Raises
    ------
    ArtifactError
        Missing or unreadable manifest, another format or format version, or
        another scikit-learn minor version.
    """
    path = Path(directory)
    try:
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"{path} 不是职业标准化模型目录（manifest.json 缺失或损坏）/ {path} is not an "
            f"occupation normaliser directory (manifest.json missing or unreadable): {exc}"
        ) from exc
    found = (manifest.get("format"), manifest.get("format_version"))
    if found != (FORMAT, FORMAT_VERSION):
        raise ArtifactError(
            f"{path}: 格式 {found[0]!r} v{found[1]!r} 不受支持，"
            f"需要 {FORMAT!r} v{FORMAT_VERSION} / "
            f"unsupported format {found[0]!r} v{found[1]!r}; need {FORMAT!r} v{FORMAT_VERSION}"
        )
    saved = str(manifest.get("versions", {}).get("scikit-learn", ""))
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ArtifactError(
            f"{path}: 模型由 scikit-learn {saved} 保存，当前为 {sklearn.__version__}，请重新训练 / "
            f"saved with scikit-learn {saved}, running {sklearn.__version__}; refit it"
        )
    settings = dict(manifest["settings"])
    settings["ngram_range"] = tuple(settings["ngram_range"])
    model = cls(**settings)
    for name in _ARRAYS:
        setattr(model, f"{name}_", np.load(path / f"{name}.npy", allow_pickle=False))
    for name in _MATRICES:
        setattr(model, f"{name}_matrix_", sp.load_npz(path / f"{name}_matrix.npz").tocsr())
    model.vectorizer_ = joblib.load(path / "vectorizer.joblib")
    lookups = json.loads((path / "lookups.json").read_text("utf-8"))
    model.classification_alias_ = {
        k: [(int(i), float(s)) for i, s in v] for k, v in lookups["classification_alias"].items()
    }
    model.classification_names_ = frozenset(lookups["classification_names"])
    model.skill_alias_ = lookups["skill_alias"]
    model.generic_aliases_ = frozenset(lookups["generic_aliases"])
    model.skills_ = lookups["skills"]
    model.max_alias_len_ = int(lookups["max_alias_len"])
    model.title_alias_ = {k: [int(i) for i in v] for k, v in lookups["title_alias"].items()}
    model.title_groups_ = {k: [str(g) for g in v] for k, v in lookups["title_groups"].items()}
    model.calibration_ = dict(lookups["calibration"])
    model.data_ = manifest["data"]
    model._transposed = None
    return model
