"""A published batch run held in memory: each person's stored list as the typed result a lookup returns.

The service answers most reads from last night's run (microseconds, no
ranking); :class:`RunView` loads the run's suggestions, flags and shortfalls
once and hands out :class:`matcher.recommend.PersonResult` objects equal in
shape to a live lookup's. Whether a stored list is still valid for a person
is the application's call (:mod:`matcher.app`), not this module's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.batch.runs import RunDir, latest_run, read_table
from matcher.flags import Flag
from matcher.recommend import PersonResult, Recommendation, Shortfall

__all__ = ["RunView"]


def _groups(frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Row range of each laborer in a frame sorted by laborer id."""
    if frame.empty:
        return {}
    ids = frame["laborer_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    return {str(ids[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}


def _json_list(text: object) -> tuple[str, ...]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    value = json.loads(str(text)) if isinstance(text, str) else text
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple, np.ndarray)) else ()


_SUGGESTION_COLUMNS = ("vacancy_id", "title", "kind", "score", "step", "reasons")


class RunView:
    """The stored results of one published run, by laborer id (read-only once built).

    Parameters
    ----------
    run : RunDir
    """

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.run_id = run.run_id
        self.record: dict[str, Any] = dict(run.record)
        sugg = read_table(run, "suggestions")
        if len(sugg):
            sugg = sugg.sort_values(["laborer_id", "rank"], kind="stable").reset_index(drop=True)
        flags = read_table(run, "flags")
        if len(flags):
            flags = flags.sort_values("laborer_id", kind="stable").reset_index(drop=True)
        short = read_table(run, "shortfalls")
        self._sugg = sugg
        self._flags = flags
        # Columns as plain arrays: one person's rows are then sliced without pandas' per-call cost.
        self._sugg_cols = {c: sugg[c].to_numpy(dtype=object) for c in _SUGGESTION_COLUMNS if c in sugg}
        self._flag_cols = {c: flags[c].to_numpy(dtype=object) for c in ("kind", "reasons", "suggest") if c in flags}
        self._sugg_at = _groups(sugg)
        self._flags_at = _groups(flags)
        self._short = (
            {str(r.laborer_id): (str(r.reason), str(r.reason_en), int(r.available)) for r in short.itertuples()}
            if len(short)
            else {}
        )
        self._people = set(self._sugg_at) | set(self._flags_at) | set(self._short)
        #: Which version of each post the run ranked: the digest of the fields a list depends on
        #: (``matcher.batch.incremental.MATCH_FIELDS``), from the run's posts snapshot.
        posts = run.path / "posts.parquet"
        snap = pd.read_parquet(posts, columns=["vacancy_id", "content_hash"]) if posts.exists() else None
        self._post_match: dict[str, str] = (
            dict(zip(snap["vacancy_id"].astype(str), snap["content_hash"].astype(str), strict=True))
            if snap is not None
            else {}
        )
        self.prior = bool(sugg["prior"].iloc[0]) if len(sugg) and "prior" in sugg else False

    @classmethod
    def latest(cls, runs_root: Path) -> RunView | None:
        """The run ``LATEST`` names under ``runs_root``, or None when no run was published yet."""
        if not (runs_root / "LATEST").exists():
            return None
        return cls(latest_run(runs_root))

    @property
    def change_seq(self) -> int | None:
        """The store's change sequence when the run read the ledgers (None: a run older than the sequence)."""
        seq = self.record.get("change_seq")
        return int(seq) if seq is not None else None

    @property
    def started_at(self) -> str | None:
        return self.record.get("started_at")

    def laborer_ids(self) -> list[str]:
        """Everyone the run has a row for, sorted."""
        return sorted(self._people)

    def __contains__(self, laborer_id: object) -> bool:
        return laborer_id in self._people

    def __len__(self) -> int:
        return len(self._people)

    def flagged(self, kind: str) -> set[str]:
        """The people the run flagged ``kind`` (``home_based``, ``public_welfare`` …)."""
        if self._flags.empty:
            return set()
        return set(self._flags.loc[self._flags["kind"] == kind, "laborer_id"].astype(str))

    def vacancy_ids(self, laborer_id: str) -> list[str]:
        """The posts on a person's stored list, in rank order."""
        at = self._sugg_at.get(laborer_id)
        if at is None:
            return []
        return [str(v) for v in self._sugg_cols["vacancy_id"][at[0] : at[1]]]

    def post_match(self, vacancy_id: str) -> str | None:
        """The digest of the post's match fields as the run saw it (None: not in the run's snapshot)."""
        return self._post_match.get(vacancy_id)

    def result(self, laborer_id: str, k: int | None = None) -> PersonResult | None:
        """The person's stored result (the first ``k`` suggestions), or None when the run has no row for them."""
        if laborer_id not in self._people:
            return None
        recs: list[Recommendation] = []
        at = self._sugg_at.get(laborer_id)
        if at is not None:
            c = self._sugg_cols
            for n in range(at[0], at[1] if k is None else min(at[1], at[0] + k)):
                recs.append(
                    Recommendation(
                        str(c["vacancy_id"][n]),
                        str(c["title"][n]),
                        str(c["kind"][n]),
                        float(c["score"][n]),
                        str(c["step"][n]),
                        _json_list(c["reasons"][n]),
                    )
                )
        flags: list[Flag] = []
        at = self._flags_at.get(laborer_id)
        if at is not None:
            f = self._flag_cols
            for n in range(at[0], at[1]):
                suggest = _json_list(f["suggest"][n]) if "suggest" in f else ()
                flags.append(Flag(str(f["kind"][n]), _json_list(f["reasons"][n]), (), suggest))
        short = self._short.get(laborer_id)
        shortfall = Shortfall(*short) if short is not None else None
        return PersonResult(laborer_id, flags, recs, shortfall, self.prior)
