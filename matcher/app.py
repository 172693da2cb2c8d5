"""The application object every door shares: one :class:`Settings`, one store, one model, today's posts.

Built once per process (a CLI command, the API's lifespan handler, the
nightly batch) and then asked many questions::

    app = Application(Settings.load())
    app.recommend(["L0001"], k=5)            # live, in the ledger
    app.recommend_profile({...}, k=5)        # live, a person not in the ledger
    app.suggestions("L0001", k=5)            # last night's list when still valid, else live
    app.candidates_for_post("V0042", k=20)   # the people a post suits best
    app.ingest_frame("vacancies", frame)     # the same validation and upsert as `matcher ingest`
    app.refresh()                            # follow the store's changes, a new model, a new run

Thread safety: requests read :attr:`serving` and :attr:`run_view`, each an
immutable snapshot swapped by reference; only :meth:`refresh` (one thread at
a time, under a lock) builds new ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from features.occupations import set_cache_home
from matcher.artifact import MatchModel, latest_version, load_model
from matcher.errors import ProfileError, UnknownIdError
from matcher.policy import Policy
from matcher.prepare import People, prepare_people
from matcher.recommend import PersonResult
from matcher.runview import RunView
from matcher.serving import Serving, assemble
from matcher.settings import Settings

__all__ = ["Application", "Answer", "ChangeSets"]

log = logging.getLogger("matcher.app")

#: After a post changed, it is withheld at once; the posts are re-read (and changed ones
#: re-encoded) at most this often, so a busy day of edits does not rebuild on every request.
REBUILD_EVERY = 5.0


class Answer(NamedTuple):
    """A person's suggestions and where they came from (``"run"``: last night's list; ``"live"``)."""

    result: PersonResult
    source: str
    run_id: str | None


class ChangeSets(NamedTuple):
    """Who and what changed in the store since the published run read it."""

    seq: int
    laborers: frozenset[str]
    households: frozenset[str]
    vacancies: frozenset[str]

    @classmethod
    def empty(cls, seq: int = 0) -> ChangeSets:
        return cls(seq, frozenset(), frozenset(), frozenset())


class Application:
    """The matcher as one object (see the module docstring).

    Parameters
    ----------
    settings : Settings
    engine : sqlalchemy Engine, optional
        Defaults to the settings' database.
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        from store import get_engine

        self.settings = settings
        self.home = Path(settings.home)
        self.engine = engine if engine is not None else get_engine(settings.resolved_url())
        self.policy: Policy = settings.load_policy()
        set_cache_home(self.home)
        self._lock = threading.RLock()
        self._serving: Serving | None = None
        self._run: RunView | None = None
        self._run_pointer: str | None = None
        self._changes = ChangeSets.empty()
        self._pending_rebuild = False
        self.stats = {"live": 0, "run": 0, "rebuilds": 0, "withheld_updates": 0}

    # ----------------------------------------------------------------- basics
    @classmethod
    def from_env(cls, **overrides: Any) -> Application:
        """Read the settings once (environment and ``overrides``) and build the application."""
        return cls(Settings.load(**overrides))

    def today(self) -> dt.date:
        return self.settings.today_date()

    def migrate(self) -> None:
        """Upgrade the store's schema (the one explicit step; ingest and batch never migrate)."""
        from store import migrate

        migrate(self.engine)

    def check_schema(self) -> None:
        """Refuse to work on a store that is not migrated (``SchemaMismatchError``: run ``matcher migrate``)."""
        from store import check_schema

        check_schema(self.engine)

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    @property
    def runs(self) -> Path:
        return self.home / "runs"

    def model_version(self) -> str | None:
        """The model version ``LATEST`` names (None: no model yet)."""
        return latest_version(self.home)

    def load_model(self, path: Path | None = None) -> MatchModel:
        return load_model(path, home=self.home)

    def train(self, seed: int = 0) -> Path:
        """Fit a new model version from the store; running servers pick it up at their next refresh."""
        from matcher.artifact import train

        self.check_schema()
        return train(self.engine, home=self.home, seed=seed)

    # ---------------------------------------------------------------- serving
    @property
    def serving(self) -> Serving:
        """Today's snapshot (built on first use)."""
        current = self._serving
        if current is None:
            with self._lock:
                if self._serving is None:
                    self._serving = self._build()
                current = self._serving
        return current

    @property
    def ready(self) -> bool:
        return self._serving is not None

    def _build(self, model: MatchModel | None = None) -> Serving:
        from store import load_vacancies
        from store.changes import latest_seq

        self.check_schema()
        model = model or self.load_model()
        seq = latest_seq(self.engine)  # read first: a change made while loading is applied again later
        today = self.today()
        model, posts, recommender, _ = assemble(model, load_vacancies(self.engine), self.policy, today, own_index=True)
        self.stats["rebuilds"] += 1
        return Serving(model, posts, recommender, model.path.name, seq, today, frozenset(), time.monotonic())

    @property
    def run_view(self) -> RunView | None:
        """The latest published run (loaded on first use; None when none was published)."""
        if self._run_pointer is None:
            with self._lock:
                if self._run_pointer is None:
                    self._load_run()
        return self._run

    def _load_run(self) -> None:
        pointer = self.runs / "LATEST"
        text = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
        view = RunView.latest(self.runs) if text else None
        changes = ChangeSets.empty()
        if view is not None and view.change_seq is not None:
            changes = _fold(ChangeSets.empty(view.change_seq), _all_changes_since(self.engine, view.change_seq))
        self._run, self._changes, self._run_pointer = view, changes, text

    def refresh(self) -> dict[str, Any]:
        """Follow the store, the model and the runs; returns what changed.

        - a new model version (``LATEST``) → the posts are rebuilt under it;
        - vacancies changed since the snapshot → withheld at once (never suggested stale), and the
          posts re-read within :data:`REBUILD_EVERY` seconds;
        - a new published run → loaded; laborers, households and posts changed since it read the
          store make those people's lists live.
        """
        done: dict[str, Any] = {}
        with self._lock:
            pointer = self.runs / "LATEST"
            text = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
            if text != (self._run_pointer or ""):
                self._load_run()
                done["run"] = self._run.run_id if self._run else None
            if self._run is not None and self._run.change_seq is not None:
                self._changes = _fold(self._changes, _all_changes_since(self.engine, self._changes.seq))
            current = self._serving
            if current is None:
                return done
            version = self.model_version()
            if version is not None and version != current.version:
                self._serving = self._build()
                self._pending_rebuild = False
                done["model"] = version
                return done
            fresh = _all_changes_since(self.engine, current.seq)
            if fresh:
                posts = [c.entity_id for c in fresh if c.entity == "vacancy"]
                last = fresh[-1].seq
                if posts:
                    self._serving = current.without(posts, last)
                    self._pending_rebuild = True
                    self.stats["withheld_updates"] += 1
                    done["withheld"] = len(posts)
                else:
                    self._serving = current._replace(seq=last)
            serving = self._serving
            assert serving is not None
            stale_day = serving.today != self.today()
            if stale_day or (self._pending_rebuild and time.monotonic() - serving.built_at >= REBUILD_EVERY):
                self._serving = self._build(serving.model)
                self._pending_rebuild = False
                done["rebuilt"] = True
        return done

    # ---------------------------------------------------------------- answers
    def people(self, laborer_ids: Sequence[str]) -> People:
        """People of the ledger, prepared and encoded (an unknown id is a "not found" error)."""
        from store import load_households, load_laborers

        frame = load_laborers(self.engine, ids=list(laborer_ids))
        missing = sorted(set(laborer_ids) - set(frame["laborer_id"]))
        if missing:
            shown = ", ".join(missing[:5])
            raise UnknownIdError(
                f"no laborer with id {shown} in the store; check the id or ingest the ledger",
                f"库中没有编号为 {shown} 的劳动力，请核对编号或先导入台账",
                field="laborer_id",
                value=shown,
                code="laborer_not_found",
            )
        households = load_households(self.engine, ids=frame["household_id"].dropna().unique().tolist())
        return self._encode(prepare_people(frame, households))

    def _encode(self, people: People, serving: Serving | None = None) -> People:
        people.vectors = (serving or self.serving).model.encoder.transform_laborers(people.frame)
        return people

    def recommend(self, laborer_ids: Sequence[str], k: int = 10) -> list[PersonResult]:
        """Live suggestions for people of the ledger, in the order asked."""
        serving = self.serving
        people = self.people(laborer_ids)
        results = {r.laborer_id: r for r in serving.recommender.recommend(people, k=k)}
        self.stats["live"] += len(laborer_ids)
        return [results[i] for i in laborer_ids]

    def recommend_profile(self, profile: dict[str, Any], k: int = 10) -> PersonResult:
        """Live suggestions for a person not in the ledger, given as contract fields (English or Chinese keys)."""
        from features.contract import validate_frame
        from features.places import attach_places

        serving = self.serving
        raw = pd.DataFrame([{key: _cell(v) for key, v in profile.items()}])
        if not any(str(c) in ("laborer_id", "劳动力编号") for c in raw.columns):
            raw["laborer_id"] = "PROFILE"
        if not any(str(c) in ("household_id", "户编号") for c in raw.columns):
            raw["household_id"] = "PROFILE-H"
        checked = validate_frame("laborers", raw, first_row_number=1, today=self.today())
        if checked.rejects:
            first = checked.rejects[0]
            problems = "; ".join(f"{r.column} {r.value!r}: {r.reason_en}" for r in checked.rejects)
            problems_zh = "；".join(f"{r.column}「{r.value}」{r.reason_zh}" for r in checked.rejects)
            raise ProfileError(
                f"the profile is not usable: {problems}",
                f"求职者信息有误：{problems_zh}",
                field=first.column,
                value=first.value,
            )
        frame, _ = attach_places(checked.frame.drop(columns=["row"]))
        people = self._encode(prepare_people(frame, None), serving)
        return serving.recommender.recommend(people, k=k)[0]

    def stored_result(self, laborer_id: str, k: int | None = None) -> PersonResult | None:
        """The person's list as the latest published run stored it (None: no run, or not in it)."""
        view = self.run_view
        return view.result(laborer_id, k) if view is not None else None

    def run_list_valid(self, laborer_id: str, household_id: str | None) -> bool:
        """Whether the published run's list still holds for the person today.

        Not when the person or their household changed since the run read the store, when a
        listed post changed or is no longer open today, or when the run cannot tell what changed
        since (a run older than the change sequence).
        """
        view = self.run_view
        if view is None or laborer_id not in view or view.change_seq is None:
            return False
        changes = self._changes
        if laborer_id in changes.laborers or (household_id and household_id in changes.households):
            return False
        listed = view.vacancy_ids(laborer_id)
        if any(v in changes.vacancies for v in listed):
            return False
        serving = self.serving
        if serving.withheld.intersection(listed):
            return False
        rows = serving.posts.rows_of(listed)
        if len(rows) and ((rows < 0).any() or not serving.recommender._open[rows].all()):  # noqa: SLF001
            return False
        return True

    def suggestions(self, laborer_id: str, k: int = 10, household_id: str | None = None) -> Answer:
        """Last night's list where it still holds (``source="run"``), else computed now (``"live"``)."""
        view = self.run_view
        if view is not None and self.run_list_valid(laborer_id, household_id):
            stored = view.result(laborer_id, k)
            if stored is not None and (len(stored.recommendations) >= k or stored.shortfall is not None):
                explained = self._recheck(stored)
                if explained is not None:
                    self.stats["run"] += 1
                    return Answer(explained, "run", view.run_id)
        result = self.recommend([laborer_id], k=k)[0]
        return Answer(result, "live", view.run_id if view is not None else None)

    def _recheck(self, stored: PersonResult) -> PersonResult | None:
        """The stored list re-checked against every hard constraint today and explained field by field.

        None when a listed post no longer passes (the caller computes the list afresh).
        """
        serving = self.serving
        if not stored.recommendations:
            return stored
        rows = serving.posts.rows_of([r.vacancy_id for r in stored.recommendations])
        if (rows < 0).any():
            return None
        people = self.people([stored.laborer_id])
        report = serving.recommender.describe_pairs(people, np.zeros(len(rows), dtype=np.int64), rows)
        if not report.ok.all():
            return None
        recs = [r._replace(details=report.details(n, r.step)) for n, r in enumerate(stored.recommendations)]
        return stored._replace(recommendations=recs)

    def candidates_for_post(self, vacancy_id: str, k: int = 20, counties: Sequence[str] | None = None) -> list[Any]:
        """The job seekers this post suits best under the hard constraints, best first.

        Candidates are the seekers of the post's county (or ``counties``) and of its province
        who will go that far; the recommender decides who passes.
        """
        from store import load_households, load_laborers

        serving = self.serving
        rows = serving.posts.rows_of([vacancy_id])
        if not len(rows) or rows[0] < 0:
            raise UnknownIdError(
                f"no vacancy with id {vacancy_id} in today's posts",
                f"今天的岗位中没有编号为 {vacancy_id} 的岗位",
                field="vacancy_id",
                value=vacancy_id,
                code="vacancy_not_found",
            )
        j = int(rows[0])
        county = str(serving.posts.frame["county_code"].iloc[j] or "")
        wanted = list(counties) if counties else ([county] if county else None)
        frame = load_laborers(self.engine, county_codes=wanted, wants_job=True)
        if frame.empty:
            return []
        households = load_households(self.engine, ids=frame["household_id"].dropna().unique().tolist())
        people = self._encode(prepare_people(frame.reset_index(drop=True), households), serving)
        return list(serving.recommender.candidates_for_post(people, j, k))

    # ----------------------------------------------------------------- writes
    def ingest_frame(self, kind: str, frame: pd.DataFrame, *, source: str = "api", dry_run: bool = False) -> Any:
        """Validate and upsert rows given as a frame (same rules and messages as ``matcher ingest``).

        Returns the :class:`matcher.ingest.IngestSummary`, whose ``rejects`` lists every refused row.
        """
        from features.readers import RawTable
        from matcher.ingest import ingest_table

        self.check_schema()
        table = RawTable(frame.astype(object).where(frame.notna(), None), None, 1, "frame")
        return ingest_table(kind, table, Path(source), engine=self.engine, dry_run=dry_run, write_rejects=False)

    def ingest_file(self, kind: str, path: Path, *, dry_run: bool = False) -> Any:
        from matcher.ingest import ingest_file

        self.check_schema()
        return ingest_file(kind, path, engine=self.engine, dry_run=dry_run)


def _all_changes_since(engine: Engine, seq: int) -> list[Any]:
    """Every change after ``seq``, page by page (a big import writes more than one page)."""
    from store.changes import changes_since

    out: list[Any] = []
    while True:
        page = changes_since(engine, seq, limit=_CHANGE_PAGE)
        out.extend(page)
        if len(page) < _CHANGE_PAGE:
            return out
        seq = page[-1].seq


_CHANGE_PAGE = 10_000


def _fold(sets: ChangeSets, changes: Sequence[Any]) -> ChangeSets:
    """``sets`` plus ``changes`` (store.changes.Change rows, in seq order)."""
    if not changes:
        return sets
    lab, hh, vac = set(sets.laborers), set(sets.households), set(sets.vacancies)
    for c in changes:
        {"laborer": lab, "household": hh, "vacancy": vac}.get(c.entity, set()).add(str(c.entity_id))
    return ChangeSets(int(changes[-1].seq), frozenset(lab), frozenset(hh), frozenset(vac))


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return str(value)
    return value if value is None or isinstance(value, str) else str(value)
