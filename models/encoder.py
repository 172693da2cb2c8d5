"""The encoder that puts laborers and vacancies into one vector space.

``PersonPostEncoder`` learns one shared text space from both sides and
appends structured parts. The vector of a person or a post is the
concatenation, each block weighted, then L2-normalised (float32) so that
the inner product of a person and a post is their cosine:

==================  =====================  ==================================
block               width                  weight (default)
==================  =====================  ==================================
text (TF-IDF→SVD)   ``n_components``       ``text_weight`` (1.0)
occupation L1–L3    ``occupation_widths``  ``occupation_weights`` (.2, .3, .4)
physical demand     3                      ``physical_weight`` (0.2)
hours               3                      ``hours_weight`` (0.2)
==================  =====================  ==================================

Text. Person document: skills, certificates, job intentions, training
wishes, the canonical skill names the occupation normaliser gives for them
(电焊 → 焊工) and the names of the person's occupation codes. Post
document: title, required skills and certificates, their canonical names and
the occupation name; the description is added with ``description_weight``.
Character 1–3-gram TF-IDF (``char_wb``: n-grams do not cross item
boundaries) fitted on a sample of both sides, reduced by ``TruncatedSVD``;
each block row is unit length before weighting. Identical documents are
encoded once (ledgers repeat skill sets a lot).

Occupations. Codes missing from the frames are filled by the normaliser
(``features.occupations``): a post from its title, a person from job
intentions or skills. Levels 1–3 of each code are hashed into fixed widths
(see :func:`models.encoder_features.occupation_blocks`), so two trades in
the same group meet even when their level-4 codes differ.

Physical demand and hours: person profiles against post one-hots, see
:mod:`models.encoder_features`. These are soft; ``matcher/`` enforces the
hard rules.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from features.memo import IdentityMemo
from models import encoder_features as ef
from models.artifacts import read_manifest, write_manifest
from models.errors import ArtifactError

__all__ = ["PersonPostEncoder", "FORMAT_VERSION", "KIND"]

FORMAT_VERSION = 1
KIND = "person_post_encoder"
_NOT_FITTED = "%(name)s is not fitted yet; call fit() or load() / %(name)s 尚未训练，请先调用 fit() 或 load()"


def default_normalizer() -> ef.OccupationNormalizerLike:
    """The shared occupation normaliser of ``features.occupations``."""
    from features.occupations import get_normalizer

    return get_normalizer()


#: Code → name tables already built, by the identity of the normaliser's arrays.
_NAMES_MEMO_SIZE = 8
_names_memo: IdentityMemo[dict[str, str]] = IdentityMemo(_NAMES_MEMO_SIZE)


def _code_names(codes: Any, names: Any) -> dict[str, str]:
    """The code → name table of a normaliser's ``codes_``/``names_`` (built once per pair of arrays:
    about 0.8 ms for the 1,632 occupations, most of encoding one person). Never mutate the result."""
    return _names_memo.get((codes, names), lambda: dict(zip(map(str, codes), map(str, names), strict=True)))


class PersonPostEncoder(BaseEstimator):
    """Encode laborers and vacancies into one L2-normalised vector space.

    Parameters
    ----------
    n_components : int, default 96
        Width of the text block (TruncatedSVD components).
    ngram_range : tuple of int, default (1, 3)
        Character n-gram range of the TF-IDF.
    min_df : int, default 2
        Minimum document frequency of an n-gram in the fitting sample.
    max_features : int or None, default 60_000
        Largest TF-IDF vocabulary.
    fit_sample : int, default 100_000
        Documents the TF-IDF and SVD are fitted on: all vacancies up to half
        of it, the rest laborers (a random sample of each side).
    description_weight : float, default 0.4
        Weight of a post's description against its core text.
    text_weight : float, default 1.0
    occupation_widths : tuple of int, default (16, 32, 64)
        Hashed widths of occupation levels 1, 2 and 3.
    occupation_weights : tuple of float, default (0.2, 0.3, 0.4)
    physical_weight : float, default 0.2
    hours_weight : float, default 0.2
    occupation_top_k : int, default 2
        Codes the normaliser may give a person who has none.
    min_occupation_score : float, default 0.5
        Lowest normaliser score accepted when filling a missing code.
    occupation_normalizer : "auto", None or object, default "auto"
        ``"auto"``: ``features.occupations.get_normalizer()``; ``None``: no
        canonical skills and no code filling; an object: anything with
        ``normalize(texts, k)`` and ``canonical_skills(texts)`` (and, for
        occupation names, ``codes_``/``names_`` arrays).
    chunk_size : int, default 200_000
        Rows encoded at a time (bounds memory).
    random_state : int, default 0

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer
    components_ : ndarray of float32, shape (n_components, n_terms)
    dim_ : int
        Output width.
    fit_info_ : dict
        Data snapshot and metrics of the fit (written to the manifest).
    """

    def __init__(
        self,
        *,
        n_components: int = 96,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 2,
        max_features: int | None = 60_000,
        fit_sample: int = 100_000,
        description_weight: float = 0.4,
        text_weight: float = 1.0,
        occupation_widths: tuple[int, ...] = (16, 32, 64),
        occupation_weights: tuple[float, ...] = (0.2, 0.3, 0.4),
        physical_weight: float = 0.2,
        hours_weight: float = 0.2,
        occupation_top_k: int = 2,
        min_occupation_score: float = 0.5,
        occupation_normalizer: Any = "auto",
        chunk_size: int = 200_000,
        random_state: int = 0,
    ) -> None:
        self.n_components = n_components
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.fit_sample = fit_sample
        self.description_weight = description_weight
        self.text_weight = text_weight
        self.occupation_widths = occupation_widths
        self.occupation_weights = occupation_weights
        self.physical_weight = physical_weight
        self.hours_weight = hours_weight
        self.occupation_top_k = occupation_top_k
        self.min_occupation_score = min_occupation_score
        self.occupation_normalizer = occupation_normalizer
        self.chunk_size = chunk_size
        self.random_state = random_state

    # ------------------------------------------------------------- helpers
    def _normalizer(self) -> ef.OccupationNormalizerLike | None:
        if isinstance(self.occupation_normalizer, str):
            if self.occupation_normalizer != "auto":
                raise ValueError(
                    f"occupation_normalizer: got {self.occupation_normalizer!r}; allowed: "
                    f"'auto', None or a normaliser object / 职业标准化器参数无效"
                )
            return default_normalizer()
        return self.occupation_normalizer

    def _names(self, normalizer: ef.OccupationNormalizerLike | None) -> dict[str, str]:
        """Code → name of the normaliser's occupations: a fresh dict the caller may extend."""
        codes, names = getattr(normalizer, "codes_", None), getattr(normalizer, "names_", None)
        if codes is None or names is None:
            return {}
        return dict(_code_names(codes, names))

    def _check_settings(self) -> None:
        if len(self.occupation_widths) != 3 or len(self.occupation_weights) != 3:
            raise ValueError(
                "occupation_widths / occupation_weights: need three values (levels 1–3) / 需要三个层级的宽度与权重"
            )

    @property
    def dim_(self) -> int:
        """Output width: text + occupation levels + physical demand + hours."""
        check_is_fitted(self, "components_", msg=_NOT_FITTED)
        return int(self.components_.shape[0] + sum(self.occupation_widths) + 6)

    def _text_rows(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit-norm SVD projections of the distinct ``docs`` and each doc's row among them."""
        codes, uniques = pd.factorize(pd.Series(docs, dtype=object), sort=False)
        x = self.vectorizer_.transform(list(uniques))
        z = np.asarray(x @ self.components_.T, dtype=np.float32)
        return z, codes

    # ----------------------------------------------------------------- fit
    def fit(self, laborers: pd.DataFrame, vacancies: pd.DataFrame) -> PersonPostEncoder:
        """Learn the shared text space from both sides.

        Parameters
        ----------
        laborers : DataFrame, n rows, columns of the data contract
        vacancies : DataFrame, m rows, columns of the data contract

        Returns
        -------
        self
        """
        started = time.perf_counter()
        self._check_settings()
        ef.check_columns(laborers, ef.LABORER_COLUMNS, "laborers")
        ef.check_columns(vacancies, ef.VACANCY_COLUMNS, "vacancies")
        if len(laborers) == 0 or len(vacancies) == 0:
            raise ValueError("fit needs at least one laborer and one vacancy / 训练数据为空")
        rng = np.random.default_rng(self.random_state)
        n_vac = min(len(vacancies), self.fit_sample // 2)
        n_lab = min(len(laborers), max(self.fit_sample - n_vac, 1))
        lab = laborers.iloc[np.sort(rng.choice(len(laborers), n_lab, replace=False))]
        vac = vacancies.iloc[np.sort(rng.choice(len(vacancies), n_vac, replace=False))]
        normalizer = self._normalizer()
        names = self._names(normalizer)
        person_docs, _ = ef.laborer_texts(lab, normalizer, names, self.occupation_top_k, self.min_occupation_score)
        core, desc, _ = ef.vacancy_texts(vac, normalizer, names, self.min_occupation_score)
        post_docs = [f"{c} {d}" if d else c for c, d in zip(core, desc, strict=True)]
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        x = self.vectorizer_.fit_transform([*person_docs, *post_docs])
        n_comp = max(1, min(self.n_components, x.shape[1] - 1, x.shape[0] - 1))
        svd = TruncatedSVD(n_components=n_comp, n_iter=5, random_state=self.random_state)
        svd.fit(x)
        self.components_ = svd.components_.astype(np.float32)
        self.fit_info_ = {
            "data": {
                "n_laborers": len(laborers),
                "n_vacancies": len(vacancies),
                "n_laborers_sampled": n_lab,
                "n_vacancies_sampled": n_vac,
                "laborer_ids_hash": ef.ids_fingerprint(laborers, "laborer_id"),
                "vacancy_ids_hash": ef.ids_fingerprint(vacancies, "vacancy_id"),
                "normalizer": _describe(self.occupation_normalizer),
            },
            "metrics": {
                "vocabulary_size": len(self.vectorizer_.vocabulary_),
                "svd_explained_variance": float(svd.explained_variance_ratio_.sum()),
                "fit_seconds": round(time.perf_counter() - started, 2),
            },
        }
        return self

    # ----------------------------------------------------------- transform
    def _chunked(self, df: pd.DataFrame, encode: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
        out = np.empty((len(df), self.dim_), dtype=np.float32)
        for start in range(0, len(df), self.chunk_size):
            stop = min(start + self.chunk_size, len(df))
            out[start:stop] = encode(df.iloc[start:stop])
        return out

    def _assemble(
        self, text: np.ndarray, codes: list[list[str]], physical: np.ndarray, hours: np.ndarray
    ) -> np.ndarray:
        ef_norm = np.linalg.norm(text, axis=1, keepdims=True)
        np.divide(text, ef_norm, out=text, where=ef_norm > 0)
        occ = ef.occupation_blocks(codes, self.occupation_widths, self.occupation_weights, "occupation_code")
        out = np.hstack(
            [
                text * np.float32(self.text_weight),
                occ,
                physical * np.float32(self.physical_weight),
                hours * np.float32(self.hours_weight),
            ]
        ).astype(np.float32, copy=False)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def transform_laborers(self, laborers: pd.DataFrame) -> np.ndarray:
        """Encode laborers.

        Parameters
        ----------
        laborers : DataFrame, n rows

        Returns
        -------
        ndarray of float32, shape (n, dim_)
            Unit rows (all-zero for a row with nothing to encode).
        """
        check_is_fitted(self, "components_", msg=_NOT_FITTED)
        ef.check_columns(laborers, ef.LABORER_COLUMNS, "laborers")
        normalizer = self._normalizer()
        names = self._names(normalizer)

        def encode(df: pd.DataFrame) -> np.ndarray:
            docs, codes = ef.laborer_texts(df, normalizer, names, self.occupation_top_k, self.min_occupation_score)
            z, rows = self._text_rows(docs)
            return self._assemble(z[rows], codes, ef.physical_blocks(df), ef.hours_blocks(df))

        return self._chunked(laborers, encode)

    def transform_vacancies(self, vacancies: pd.DataFrame) -> np.ndarray:
        """Encode vacancies.

        Parameters
        ----------
        vacancies : DataFrame, m rows

        Returns
        -------
        ndarray of float32, shape (m, dim_)
        """
        check_is_fitted(self, "components_", msg=_NOT_FITTED)
        ef.check_columns(vacancies, ef.VACANCY_COLUMNS, "vacancies")
        normalizer = self._normalizer()
        names = self._names(normalizer)

        def encode(df: pd.DataFrame) -> np.ndarray:
            core, desc, codes = ef.vacancy_texts(df, normalizer, names, self.min_occupation_score)
            zc, rc = self._text_rows(core)
            zd, rd = self._text_rows(desc)
            text = ef.unit_rows(zc)[rc] + np.float32(self.description_weight) * ef.unit_rows(zd)[rd]
            return self._assemble(text, codes, ef.physical_blocks(df, df), ef.hours_blocks(df, df))

        return self._chunked(vacancies, encode)

    # ------------------------------------------------------ save and load
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the fitted encoder to ``directory``; the manifest is written last."""
        check_is_fitted(self, "components_", msg=_NOT_FITTED)
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.vectorizer_, path / "vectorizer.joblib")
        np.save(path / "components.npy", self.components_, allow_pickle=False)
        settings = self.get_params()
        settings["occupation_normalizer"] = _describe(self.occupation_normalizer)
        write_manifest(
            path,
            KIND,
            settings,
            format_version=FORMAT_VERSION,
            dim=self.dim_,
            **self.fit_info_,
        )
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, occupation_normalizer: Any = None) -> PersonPostEncoder:
        """Read an encoder written by :meth:`save`.

        Parameters
        ----------
        directory : path-like
        occupation_normalizer : object, optional
            Required when the encoder was fitted with a custom normaliser
            (it is not saved); otherwise ``"auto"`` or ``None`` as saved.

        Raises
        ------
        ArtifactError
            Wrong kind or format, damaged files, or a custom normaliser missing.
        """
        path = Path(directory)
        manifest = read_manifest(path, KIND, FORMAT_VERSION)
        settings = dict(manifest["settings"])
        saved = settings.pop("occupation_normalizer")
        if occupation_normalizer is None and saved not in ("auto", None):
            raise ArtifactError(
                f"artifact at {path} was fitted with a custom occupation normaliser ({saved}); "
                f"pass occupation_normalizer= to load / 需提供训练时使用的职业标准化器"
            )
        normalizer = occupation_normalizer if occupation_normalizer is not None else saved
        for key in ("ngram_range", "occupation_widths", "occupation_weights"):
            settings[key] = tuple(settings[key])
        try:
            self = cls(**settings, occupation_normalizer=normalizer)
            self.vectorizer_ = joblib.load(path / "vectorizer.joblib")
            self.components_ = np.load(path / "components.npy", allow_pickle=False)
        except (OSError, EOFError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"artifact at {path} is damaged ({exc}): run `matcher train` to rebuild / 模型文件损坏，请重新训练"
            ) from exc
        self.fit_info_ = {"data": manifest.get("data", {}), "metrics": manifest.get("metrics", {})}
        if manifest.get("dim") != self.dim_:
            raise ArtifactError(
                f"artifact at {path}: manifest says dim {manifest.get('dim')}, files give {self.dim_} / 模型维度不一致"
            )
        return self


def _describe(normalizer: Any) -> str | None:
    if normalizer is None or isinstance(normalizer, str):
        return normalizer
    return f"custom:{type(normalizer).__module__}.{type(normalizer).__qualname__}"
