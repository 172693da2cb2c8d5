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
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from features.occupations import set_cache_home
from features.rows import is_missing
from matcher.artifact import MatchModel, latest_version, load_model
from matcher.errors import ProfileError, UnknownIdError
from matcher.gather import Gatherer
from matcher.livememo import LiveEntry, LiveMemo
from matcher.lookup import load_people, prepare_frame, unknown_laborers
from matcher.policy import Policy
from matcher.prepare import People, prepare_people, take_people
from matcher.recommend import PersonResult
from matcher.runview import RunView
from matcher.serving import Serving, assemble
from matcher.settings import Settings
from store import load_laborers
from store.errors import AppError
from store.ledger import Scope, resolve_id, visible

__all__ = ["Application", "Answer", "ChangeSets"]

log = logging.getLogger("matcher.app")

#: After a post changed, it is withheld at once (never suggested stale); the posts are re-read
#: (changed ones re-encoded, new ones taken in) at most this often. A re-read of a county's posts
#: costs a worker seconds of CPU, so on a busy day of edits it must not run every few seconds.
REBUILD_EVERY = 30.0


class Answer(NamedTuple):
    """A person's suggestions and where they came from (``"run"``: last night's list; ``"live"``)."""

    result: PersonResult
    source: str
    run_id: str | None


class WriteResult(NamedTuple):
    """What became of one record written through :meth:`Application.write_record`."""

    #: ``inserted``, ``updated``, ``unchanged`` or ``stale``; None when the record was not written.
    outcome: str | None
    #: The record's refused cells (``features.contract.Reject``), empty when it was taken.
    rejects: list[Any]
    #: The caller's place check refused the record (its error), else None.
    refused: Exception | None
    #: What to check in the record taken (``matcher.ingest.Notice``, its ``row`` 1).
    notices: tuple[Any, ...] = ()


#: A place check of one record: its resolved ``county_code`` and ``town_code`` in, an error (the record is
#: refused) or None out.
RowCheck = Callable[["PlacedRow"], Exception | None]


class PlacedRow(NamedTuple):
    """What a :data:`RowCheck` is shown of a record: its row number, its resolved place codes, and where
    the record with its id is stored now (``(county_code, town_code)``; None: a new id)."""

    row: int
    county_code: str | None
    town_code: str | None
    stored_place: tuple[str | None, str | None] | None = None


class ChangeSets:
    """Who and what changed in the store since the published run read it.

    The sets only grow, and only under the application's lock; requests read them with single
    membership tests (atomic in CPython), so no copy is made per change.
    """

    def __init__(self) -> None:
        self.laborers: set[str] = set()
        self.households: set[str] = set()
        self.vacancies: set[str] = set()

    def add(self, changes: Sequence[Any]) -> None:
        """Fold ``store.changes.Change`` rows in."""
        target = {"laborer": self.laborers, "household": self.households, "vacancy": self.vacancies}
        for c in changes:
            bucket = target.get(c.entity)
            if bucket is not None:
                bucket.add(str(c.entity_id))


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
        self._lock = threading.RLock()  # guards the swaps and the change cursor, never a slow build
        self._refreshing = threading.Lock()  # one refresh (and so one rebuild) at a time
        self._serving: Serving | None = None
        self._run: RunView | None = None
        self._run_pointer: str | None = None
        #: The run's people, prepared once (no embedding): a stored list is re-checked from here
        #: without reading the store, as long as the change sets say the person is unchanged.
        self._seekers: People | None = None
        self._seeker_places: tuple[People | None, np.ndarray, np.ndarray, np.ndarray] = self._places_of(None)
        self._changes = ChangeSets()
        #: Lists computed afresh since the run, kept until their person or household changes.
        self._live = LiveMemo()
        self._seen: int | None = None  # the last change sequence folded into the snapshots
        self._followed_at = time.monotonic()
        self._pending_rebuild = False
        #: Per posts frame built (by ``id``): each post's digest of its match fields (see :meth:`_rematched`).
        self._matches: dict[int, dict[str, str]] = {}
        self._schema_ok = False
        self.stats = {"live": 0, "live_kept": 0, "run": 0, "rebuilds": 0, "withheld_updates": 0, "patched_posts": 0}
        #: One round of heavy work at a time (a fresh list's, a write's; see :mod:`matcher.gather`): re-entrant,
        #: so a round that starts another in its own thread never waits on itself.
        self._lane = threading.RLock()
        #: Fresh computations of concurrent requests made together (see :mod:`matcher.gather`).
        self._gathered: Gatherer[tuple[str, int], Answer] = Gatherer(self.suggestions_many, lane=self._lane)
        #: Records written at the same time (API PUTs) are validated and stored together, one ingest per round.
        self._writers: dict[str, Gatherer[tuple[dict[str, str | None], RowCheck | None], WriteResult]] = {
            kind: Gatherer(functools.partial(self._write_many, kind), lane=self._lane)
            for kind in ("laborers", "vacancies")
        }

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
        """Refuse to work on a store that is not migrated (``SchemaMismatchError``: run ``matcher migrate``).

        Checked once per application: a schema only moves forward, by ``matcher migrate``.
        """
        from store import check_schema

        if not self._schema_ok:
            check_schema(self.engine)
            self._schema_ok = True

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
                    self._swap(self._build())
                current = self._serving
        assert current is not None
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
        from matcher.batch.incremental import match_hash

        self._matches[id(posts.frame)] = dict(
            zip(posts.ids.astype(str).tolist(), match_hash(posts).tolist(), strict=True)
        )
        serving = Serving(model, posts, recommender, model.path.name, seq, today, frozenset(), time.monotonic())
        self._warm(serving)
        return serving

    def _warm(self, serving: Serving) -> None:
        """Compute one person's list with a snapshot before it serves (outside the lock, in the thread that
        built it): what a snapshot builds on first use (the employers' rates per post, the posts' place and
        vector grids; some 100 ms) is then built here, not in the first request after a swap."""
        seekers = self._seekers
        if seekers is None or not len(seekers):
            return  # no run loaded yet: the first request builds them (a server loads the run first)
        try:
            one = take_people(seekers, [0])
            one.vectors = serving.model.encoder.transform_laborers(one.frame)
            serving.recommender.recommend(one, k=5)
        except Exception:  # never fatal: the first request computes the same and says what went wrong
            log.exception("warming a new snapshot failed")

    def warm_up(self) -> None:
        """Load what requests need before the first one comes: the latest run, today's posts (one list
        computed with them, see :meth:`_warm`) and the gazetteer that resolves a written record's place."""
        from features.geo import get_gazetteer

        self.run_view  # noqa: B018 - first: the snapshot is warmed with one of its people
        self.serving  # noqa: B018
        get_gazetteer()

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
        seekers = self._prepare_seekers(view)
        with self._lock:
            self._set_run(view, text, seekers)

    def _prepare_seekers(self, view: RunView | None) -> People | None:
        """The people of ``view``, read and prepared in one go (slow: call it outside the lock)."""

        if view is None or not len(view):
            return None
        people = prepare_frame(self.engine, load_laborers(self.engine, ids=view.laborer_ids()))
        # One person's row is taken per answer: numpy object columns take in microseconds where
        # Arrow-backed text columns cost milliseconds a call (the values are the same).
        text = [c for c, dtype in people.frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
        # copy(): one block per dtype, so taking a row touches a dozen arrays, not forty
        people.frame = people.frame.astype(dict.fromkeys(text, object)).copy()
        return people

    @staticmethod
    def _places_of(seekers: People | None) -> tuple[People | None, np.ndarray, np.ndarray, np.ndarray]:
        """The seekers with their county and town codes ('' when missing) and household ids as object
        arrays, row by row."""
        if seekers is None:
            return None, *(np.empty(0, dtype=object) for _ in range(3))
        frame = seekers.frame
        county, town = (frame[c].fillna("").astype(str).to_numpy(dtype=object) for c in ("county_code", "town_code"))
        return seekers, county, town, frame["household_id"].to_numpy(dtype=object)

    def _set_run(self, view: RunView | None, pointer: str, seekers: People | None) -> None:
        """Serve ``view`` from now on, with what changed since it read the store (under the lock)."""
        changes = ChangeSets()
        if view is not None and view.change_seq is not None:
            fresh = _all_changes_since(self.engine, view.change_seq)
            changes.add(fresh)
            if self._seen is None:
                self._seen = fresh[-1].seq if fresh else view.change_seq
        self._seeker_places = self._places_of(seekers)
        self._run, self._changes, self._run_pointer, self._seekers = view, changes, pointer, seekers
        self._live.clear()

    def _swap(self, serving: Serving) -> None:
        """Serve ``serving`` from now on, with the posts changed while it was built withheld (under the lock)."""
        fresh = _all_changes_since(self.engine, serving.seq)
        posts = {c.entity_id for c in fresh if c.entity == "vacancy"}
        last = fresh[-1].seq if fresh else serving.seq
        self._serving = self._fold_posts(serving, posts, last) if posts else serving
        self._live.clear()  # other posts, model or day: lists computed before may rank differently now
        frame = id(serving.posts.frame)
        self._matches = {frame: self._matches[frame]} if frame in self._matches else {}
        if self._run is not None:
            self._changes.add(fresh)
        self._seen = max(self._seen or 0, last)

    def follow_changes(self) -> dict[str, Any]:
        """Fold the store's changes since the last look into the snapshots (cheap; never rebuilds).

        A changed, closed or deleted post is withheld at once; a person, household or post changed
        since the run makes the lists that depend on it live.
        """
        with self._lock:
            self._followed_at = time.monotonic()
            if self._seen is None:
                return {}
            fresh = _all_changes_since(self.engine, self._seen)
            if not fresh:
                return {}
            self._seen = fresh[-1].seq
            if self._run is not None and self._run.change_seq is not None:
                self._changes.add(fresh)
            self._live.forget(
                self._seen,
                (c.entity_id for c in fresh if c.entity == "laborer"),
                (c.entity_id for c in fresh if c.entity == "household"),
            )
            posts = {c.entity_id for c in fresh if c.entity == "vacancy"}
            if self._serving is not None and posts:
                self._serving = self._fold_posts(self._serving, posts, self._seen)
                return {"withheld": len(self._serving.withheld), "posts_changed": len(posts)}
            return {"changes": len(fresh)}

    def _fold_posts(self, serving: Serving, vacancy_ids: set[str], seq: int) -> Serving:
        """``serving`` with the posts changed since it was read: a post whose openings or status alone
        changed is patched in place (:meth:`Serving.patched`: one indexed read of those posts, nothing
        re-encoded); any other change (a match field, a new or deleted post) withholds the post until
        the next build re-reads it (:data:`REBUILD_EVERY`)."""
        from matcher.batch.incremental import MATCH_FIELDS
        from store.readers import load_vacancy_fields

        frame = serving.posts.frame
        cols = [c for c in MATCH_FIELDS if c in frame.columns]
        # The snapshot's columns as object arrays, built once per posts frame and carried across patches
        # (``Posts.col``): a cell read through pandas (``iat``) cost ten times as much, for every match field
        # of every post written, in every worker.
        columns = [serving.posts.col(c) for c in cols]
        stored = load_vacancy_fields(self.engine, sorted(vacancy_ids), [*cols, "openings", "status"])
        ids = list(stored)
        rows = serving.posts.rows_of(ids) if ids else np.empty(0, dtype=np.int64)
        updates: dict[str, tuple[int, bool]] = {}
        for vacancy_id, row in zip(ids, rows, strict=True):
            if row < 0 or vacancy_id in serving.withheld:
                continue
            record = stored[vacancy_id]
            if all(_same_value(record[c], column[row]) for c, column in zip(cols, columns, strict=True)):
                count = record["openings"]
                updates[vacancy_id] = (
                    int(count) if isinstance(count, (int, float)) and count == count else 0,
                    record["status"] == "open",
                )
        withhold = {str(v) for v in vacancy_ids} - set(updates)
        out = serving.patched(updates, seq) if updates else serving
        if withhold:
            out = out.without(withhold, seq)
            self._pending_rebuild = True
            self.stats["withheld_updates"] += 1
        if updates:
            self.stats["patched_posts"] += len(updates)
        return out

    def _keep_up(self) -> None:
        """Follow the store inline when the background refresh has fallen behind (a busy worker)."""
        if time.monotonic() - self._followed_at > 2 * self.settings.refresh and self._lock.acquire(blocking=False):
            try:
                self.follow_changes()
            finally:
                self._lock.release()

    def refresh(self) -> dict[str, Any]:
        """Follow the store, the model and the runs; returns what changed.

        - a new published run → loaded beside the old one and swapped in;
        - changes in the store → :meth:`follow_changes`;
        - a new model version (``LATEST``), a new day, or posts withheld for :data:`REBUILD_EVERY`
          seconds → the posts are re-read (changed ones re-encoded into a copy of the index) and
          the new snapshot swapped in. Builds run outside the lock: requests and writes go on.
        """
        with self._refreshing:
            done: dict[str, Any] = {}
            pointer = self.runs / "LATEST"
            text = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
            if text != (self._run_pointer or ""):
                view = RunView.latest(self.runs) if text else None
                seekers = self._prepare_seekers(view)
                with self._lock:
                    self._set_run(view, text, seekers)
                done["run"] = view.run_id if view else None
            done |= self.follow_changes()
            current = self._serving
            if current is None:
                return done
            version = self.model_version()
            new_model = version is not None and version != current.version
            due = self._pending_rebuild and time.monotonic() - current.built_at >= REBUILD_EVERY
            if new_model or due or current.today != self.today():
                fresh = self._build(None if new_model else current.model)
                with self._lock:
                    self._pending_rebuild = False
                    self._swap(fresh)
                done["model" if new_model else "rebuilt"] = version if new_model else True
            return done

    # ---------------------------------------------------------------- answers
    def people(self, laborer_ids: Sequence[str], *, encode: bool = True) -> People:
        """People of the ledger, prepared (and encoded); an unknown id is a "not found" error."""
        return load_people(self.engine, laborer_ids, self.serving.model.encoder if encode else None)

    def _encode(self, people: People, serving: Serving | None = None) -> People:
        people.vectors = (serving or self.serving).model.encoder.transform_laborers(people.frame)
        return people

    def recommend(self, laborer_ids: Sequence[str], k: int = 10) -> list[PersonResult]:
        """Live suggestions for people of the ledger, in the order asked."""
        serving = self.serving
        ids = list(laborer_ids)
        try:
            people = load_people(self.engine, ids, serving.model.encoder)
        except UnknownIdError:  # ids typed in another case: the stored ones, when unambiguous
            ids = [resolve_id(self.engine, "laborers", i, Scope(None)) or i for i in ids]
            people = load_people(self.engine, ids, serving.model.encoder)
        results = {r.laborer_id: r for r in serving.recommender.recommend(people, k=k)}
        self.stats["live"] += len(ids)
        return [results[i] for i in ids]

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

    def visible_known(self, kind: str, record_id: str, scope: Scope) -> bool | None:
        """:meth:`visible` when memory alone can tell (a run's unchanged job seeker), else None."""
        if kind != "laborers":
            return None
        seekers, counties, towns, _ = self._seeker_places  # one tuple: the places of exactly these people
        if seekers is not None and record_id not in self._changes.laborers:
            row = seekers.position.get(record_id)
            if row is not None:
                return scope.admits(counties[row], towns[row])
        kept = self._live.any_of(record_id)  # unchanged since the list kept for them was computed
        return scope.admits(kept.county, kept.town) if kept is not None else None

    def visible(self, kind: str, record_id: str, scope: Scope) -> bool:
        """Whether the record exists within ``scope`` (the API's 404 for an unknown or out-of-area id).

        A job seeker of the published run whom no change touched since is answered from the run's
        people (their county and town are the store's); anyone else by one indexed lookup. A change
        made by another worker is seen at the next :meth:`follow_changes` (every 0.25 s), the same
        promise as the suggestions themselves; this worker's own writes at once.
        """
        known = self.visible_known(kind, record_id, scope)
        return known if known is not None else visible(self.engine, kind, record_id, scope)

    def run_list_valid(self, laborer_id: str, k: int | None = None) -> bool:
        """Whether the first ``k`` posts of the published run's list (all when None) may still hold for
        the person today (their household is checked by :meth:`suggestions`, which loads the person).

        Not when the person changed since the run read the store, when one of those posts is not open
        today or changed what it matches on (see :meth:`_rematched`), or when the run cannot tell what
        changed since (older than the change sequence). A list is the first ``k`` of one order that does
        not depend on ``k`` (:mod:`matcher.assemble`), so a post further down the stored list, closed or
        changed, leaves the first ``k`` as they are.
        """
        view = self.run_view
        if view is None or laborer_id not in view or view.change_seq is None:
            return False
        if laborer_id in self._changes.laborers:
            return False
        listed = view.vacancy_ids(laborer_id)[:k]
        serving = self.serving
        changed = [v for v in listed if v in self._changes.vacancies]
        if changed and not self._rematched(view, serving, changed):
            return False
        return _all_open(serving, listed)

    def _rematched(self, view: RunView, serving: Serving, vacancy_ids: Sequence[str]) -> bool:
        """Whether posts changed since the run still match people exactly as the run ranked them.

        True when the snapshot re-read each of them after its change (a post changed since the
        snapshot was built is withheld, and then fails the open check that follows) and its match
        fields (``MATCH_FIELDS``: everything but openings and status) are those the run saw: the
        stored score and order still hold, and the re-check explains the post as it is now. A post
        whose openings or status alone changed thus keeps the lists that hold it from the run; a
        changed wage, title or place makes them live.
        """
        now = self._matches.get(id(serving.posts.frame))
        if now is None:
            return False
        for v in vacancy_ids:
            seen = view.post_match(v)
            if seen is None or now.get(v) != seen:
                return False
        return True

    def _stored(self, view: RunView | None, laborer_id: str, k: int) -> PersonResult | None:
        """The run's list for the person when it may still hold and has ``k`` posts (or says why not)."""
        stored = view.result(laborer_id, k) if view is not None and self.run_list_valid(laborer_id, k) else None
        if stored is not None and len(stored.recommendations) < k and stored.shortfall is None:
            return None
        return stored

    def stored_suggestions(self, laborer_id: str, k: int = 10) -> Answer | None:
        """A list already made when memory alone can answer (no store read, no ranker), else None.

        That is: the snapshots are loaded and followed up to date, and either the person is one of
        the run's people and unchanged since, or their list was computed afresh since and nothing it
        rests on changed (:mod:`matcher.livememo`); and the list passes the re-check of
        :meth:`suggestions`. Cheap (about a millisecond), so the API calls it on its event loop and
        sends the rest to threads.
        """
        serving, view, seekers = self._serving, self._run, self._seekers
        if serving is None:
            return None
        if time.monotonic() - self._followed_at > 2 * self.settings.refresh:
            return None  # the store may have moved on: :meth:`suggestions` follows it first
        row = seekers.position.get(laborer_id) if seekers is not None else None
        answer = None if row is None else self._run_answer(view, serving, seekers, row, k)
        return answer if answer is not None else self._kept_answer(serving, laborer_id, k)

    def _kept_answer(self, serving: Serving, laborer_id: str, k: int) -> Answer | None:
        """The list computed afresh for the person since the run, re-checked today (None: none kept, or a
        listed post closed, was withheld or fails a hard constraint now)."""
        kept = self._live.get(laborer_id, k)
        if kept is None:
            return None
        if not _all_open(serving, [r.vacancy_id for r in kept.result.recommendations]):
            return None
        explained = self._recheck(kept.result, kept.people, kept.row, serving)
        if explained is None:
            return None
        self.stats["live_kept"] += 1
        view = self._run
        return Answer(explained, "live", view.run_id if view is not None else None)

    def _run_answer(self, view: RunView | None, serving: Serving, people: People, row: int, k: int) -> Answer | None:
        """The run's list for ``people``'s person at ``row``, re-checked today; None when it no longer holds
        (the person, their household or a listed post changed, or a listed post fails a constraint)."""
        laborer_id = str(people.ids[row])
        stored = self._stored(view, laborer_id, k)
        if stored is None or self._household_of(people, row) in self._changes.households:
            return None
        explained = self._recheck(stored, people, row, serving)
        if explained is None:
            return None
        self.stats["run"] += 1
        return Answer(explained, "run", view.run_id if view is not None else None)

    def _household_of(self, people: People, row: int) -> object:
        """The household id of ``people``'s person at ``row`` (the run's seekers: from an array)."""
        seekers, _, _, households = self._seeker_places
        return households[row] if people is seekers else people.frame["household_id"].iloc[row]

    def suggestions(self, laborer_id: str, k: int = 10) -> Answer:
        """Last night's list where it still holds (``source="run"``), else computed now (``"live"``).

        A stored list is re-checked against every hard constraint today and explained field by field.
        What memory cannot answer reads the store: together with the other requests waiting for the
        same (:mod:`matcher.gather`: one store read and one ranker pass for all of them).
        """
        self._keep_up()
        view = self.run_view
        if view is None or laborer_id not in view:  # an id typed in another case: the stored one
            laborer_id = resolve_id(self.engine, "laborers", laborer_id, Scope(None)) or laborer_id
        answer = self.stored_suggestions(laborer_id, k)
        if answer is not None:
            return answer
        return self._gathered((laborer_id, k))

    def suggestions_many(self, items: Sequence[tuple[str, int]]) -> list[Answer | AppError]:
        """:meth:`suggestions` of many ``(laborer_id, k)`` at once, reading the store once; an unknown id
        gets its error in its place (the others are answered)."""
        serving = self.serving
        view = self.run_view
        run_id = view.run_id if view is not None else None
        token = self._live.token(self._seen)  # taken before the store is read (see LiveMemo.put)
        ids = list(dict.fromkeys(i for i, _ in items))
        frame = load_laborers(self.engine, ids=ids)
        if frame.empty:
            return [unknown_laborers([i]) for i, _ in items]
        people = prepare_frame(self.engine, frame)
        out: dict[tuple[str, int], Answer | AppError] = {}
        live: list[tuple[str, int]] = []
        for item in dict.fromkeys(items):
            laborer_id, k = item
            row = people.position.get(laborer_id)
            if row is None:
                out[item] = unknown_laborers([laborer_id])
                continue
            answer = self._run_answer(view, serving, people, row, k) or self._kept_answer(serving, laborer_id, k)
            if answer is not None:
                out[item] = answer
            else:
                live.append(item)
        if live:
            fresh = self._encode(_those(people, list(dict.fromkeys(i for i, _ in live))))
            for k in sorted({k for _, k in live}):
                wanted = list(dict.fromkeys(i for i, kk in live if kk == k))
                group = _those(fresh, wanted)
                results = {r.laborer_id: r for r in serving.recommender.recommend(group, k=k)}
                for laborer_id in wanted:
                    out[(laborer_id, k)] = Answer(results[laborer_id], "live", run_id)
                    self._keep_live(token, group, laborer_id, k, results[laborer_id])
            self.stats["live"] += len(live)
        return [out[item] for item in items]

    def _keep_live(
        self, token: tuple[int, int] | None, people: People, laborer_id: str, k: int, result: PersonResult
    ) -> None:
        """Keep a fresh list for the next reads (see :mod:`matcher.livememo`)."""
        row = people.position[laborer_id]
        household, county, town = (people.frame[c].iloc[row] for c in ("household_id", "county_code", "town_code"))
        entry = LiveEntry(
            result, people, row, household if isinstance(household, str) else None, _code(county), _code(town)
        )
        self._live.put(laborer_id, k, entry, token)

    @staticmethod
    def _recheck(stored: PersonResult, people: People, row: int, serving: Serving) -> PersonResult | None:
        """The stored list re-checked against every hard constraint today and explained field by field.

        ``people[row]``: the person, prepared (no embedding needed: the constraints and the explanation
        do not use it, and the hire probability shown stays the stored one, so the ranker is not run);
        the pairs index the people given, so the run's prepared seekers serve as they are, without
        copying the person's row out. None when a listed post no longer passes (the caller computes the
        list afresh).
        """
        if not stored.recommendations:
            return stored
        rows = serving.posts.rows_of([r.vacancy_id for r in stored.recommendations])
        stored_scores = np.array([r.score for r in stored.recommendations])
        report = serving.recommender.describe_pairs(
            people, np.full(len(rows), row, dtype=np.int64), rows, scores=stored_scores
        )
        if not report.ok.all():
            return None
        recs = [r._replace(details=report.details(n, r.step)) for n, r in enumerate(stored.recommendations)]
        return stored._replace(recommendations=recs)

    def candidates_for_post(self, vacancy_id: str, k: int = 20, counties: Sequence[str] | None = None) -> list[Any]:
        """The job seekers this post suits best under the hard constraints, best first.

        Candidates are the seekers of the post's county (or ``counties``) and of its province
        who will go that far; the recommender decides who passes.
        """

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
        people = prepare_frame(self.engine, frame.reset_index(drop=True))
        encoder = serving.model.encoder
        # only those the post's hard constraints let through are encoded (most of the call otherwise)
        return list(
            serving.recommender.candidates_for_post(people, j, k, encode=lambda p: encoder.transform_laborers(p.frame))
        )

    # ----------------------------------------------------------------- writes
    def ingest_frame(
        self,
        kind: str,
        frame: pd.DataFrame,
        *,
        source: str = "api",
        dry_run: bool = False,
        check_places: Callable[[pd.DataFrame], None] | None = None,
    ) -> Any:
        """Validate and upsert rows given as a frame (same rules and messages as ``matcher ingest``).

        Returns the :class:`matcher.ingest.IngestSummary`, whose ``rejects`` lists every refused row.
        """
        from features.readers import RawTable

        table = RawTable(frame.astype(object).where(frame.notna(), None), None, 1, "frame")
        return self.ingest_table(kind, table, source=source, dry_run=dry_run, check_places=check_places)

    def ingest_rows(
        self,
        kind: str,
        rows: Sequence[dict[str, str | None]],
        *,
        source: str = "api",
        check_places: Callable[[pd.DataFrame], dict[int, Exception] | None] | None = None,
    ) -> Any:
        """:meth:`ingest_frame` for rows already given as text cells (``None`` for an empty cell): an API
        write's one record, without converting a typed frame cell by cell."""
        from features.readers import RawTable

        table = RawTable(pd.DataFrame(list(rows), dtype=object), None, 1, "frame")
        return self.ingest_table(kind, table, source=source, check_places=check_places)

    def ingest_table(
        self,
        kind: str,
        table: Any,
        *,
        source: str,
        dry_run: bool = False,
        check_places: Callable[[pd.DataFrame], dict[int, Exception] | None] | None = None,
    ) -> Any:
        """Validate and upsert a read table (``features.readers.RawTable``); rejects come back in the summary.

        ``check_places``: called with the valid rows and their resolved codes before anything is
        written; it raises to refuse the table (a key writing outside its area).
        """
        from matcher.ingest import ingest_table

        self.check_schema()
        summary = ingest_table(
            kind,
            table,
            Path(source),
            engine=self.engine,
            dry_run=dry_run,
            write_rejects=False,
            schema_checked=True,
            check_places=check_places,
        )
        self.follow_changes()  # this worker's next answer already reflects its own write
        return summary

    def gathered(self) -> dict[str, tuple[int, int]]:
        """Per kind of heavy work (``fresh``: lists computed afresh; ``write_laborers``, ``write_vacancies``),
        the rounds computed since start and the items they held (items per round: how much was computed
        together, see :mod:`matcher.gather`)."""
        gatherers = {"fresh": self._gathered, **{f"write_{k}": g for k, g in self._writers.items()}}
        return {name: (g.rounds, g.items) for name, g in gatherers.items()}

    def write_record(self, kind: str, row: dict[str, str | None], check: RowCheck | None = None) -> WriteResult:
        """One record given as text cells (an API PUT): validated and upserted like a ledger file's row,
        together with the records other threads write at the same moment (one ingest for all of them:
        a one-row ingest is nearly all fixed cost). ``check`` may refuse the record by its place."""
        return self._writers[kind]((row, check))

    def _write_many(
        self, kind: str, items: Sequence[tuple[dict[str, str | None], RowCheck | None]]
    ) -> list[WriteResult | BaseException]:
        """:meth:`write_record` of many records: rounds in which no id appears twice (a second write of the
        same record goes in the next round, after the first, as if it came alone), one ingest per round."""
        from features.contract import ID_COLUMN

        id_col = ID_COLUMN[kind]
        out: list[WriteResult | BaseException | None] = [None] * len(items)
        pending = list(range(len(items)))
        while pending:
            seen: set[str] = set()
            this: list[int] = []
            later: list[int] = []
            for i in pending:
                key = str(items[i][0].get(id_col) or "").casefold()
                (later if key in seen else this).append(i)
                seen.add(key)
            pending = later
            checks = {n: items[i][1] for n, i in enumerate(this, start=1)}

            def check(placed: pd.DataFrame, checks: dict[int, RowCheck | None] = checks) -> dict[int, Exception]:
                refused: dict[int, Exception] = {}
                columns = (placed[c].to_numpy(dtype=object) for c in PlacedRow._fields)
                for rec in map(PlacedRow._make, zip(*columns, strict=True)):
                    fn = checks.get(int(rec.row))
                    error = fn(rec) if fn is not None else None
                    if error is not None:
                        refused[int(rec.row)] = error
                return refused

            try:
                summary = self.ingest_rows(kind, [items[i][0] for i in this], check_places=check)
            except BaseException as exc:  # noqa: BLE001 - the round's writers each get it
                for i in this:
                    out[i] = exc
                continue
            by_row: dict[int, list[Any]] = {}
            for reject in summary.rejects:
                by_row.setdefault(int(reject.row), []).append(reject)
            noticed: dict[int, list[Any]] = {}
            for notice in summary.notices():
                noticed.setdefault(notice.row, []).append(notice._replace(row=1))
            for n, i in enumerate(this, start=1):
                out[i] = WriteResult(
                    summary.outcomes.get(n), by_row.get(n, []), summary.refused.get(n), tuple(noticed.get(n, ()))
                )
        return [r if r is not None else RuntimeError("a write was not computed") for r in out]

    def ingest_file(
        self, kind: str, path: Path, *, dry_run: bool = False, on_wait: Callable[[], None] | None = None
    ) -> Any:
        """``matcher ingest``: one ledger file (``on_wait``: see :func:`matcher.ingest.ingest_file`)."""
        from matcher.ingest import ingest_file

        self.check_schema()
        summary = ingest_file(kind, path, engine=self.engine, dry_run=dry_run, schema_checked=True, on_wait=on_wait)
        self.follow_changes()
        return summary


def _those(people: People, laborer_ids: list[str]) -> People:
    """``people`` narrowed to ``laborer_ids`` in that order; ``people`` itself when that is all of them
    in their order (a single fresh answer: no copy of its frame and arrays)."""
    rows = [people.position[i] for i in laborer_ids]
    return people if rows == list(range(len(people))) else take_people(people, rows)


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


def _all_open(serving: Serving, vacancy_ids: Sequence[str]) -> bool:
    """Whether each of these posts is in the snapshot and open today (withheld ones are not)."""
    rows = serving.posts.rows_of(list(vacancy_ids))
    return not len(rows) or bool((rows >= 0).all() and serving.recommender._open[rows].all())  # noqa: SLF001


def _code(value: Any) -> str:
    """A place code as the seekers' arrays hold it ('' when missing)."""
    return value if isinstance(value, str) else ""


def _same_value(a: Any, b: Any) -> bool:
    """Whether a stored post's field equals the snapshot's (missing equals missing; numbers by value,
    lists item by item, dates as days, the rest as text). Unsure is "not the same": the post is then
    withheld."""
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    if isinstance(a, dt.date) or isinstance(b, dt.date):  # pandas' Timestamp is a datetime, hence a date
        try:
            return bool(pd.Timestamp(a) == pd.Timestamp(b))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        return (
            isinstance(a, (list, tuple, np.ndarray)) and isinstance(b, (list, tuple, np.ndarray)) and list(a) == list(b)
        )
    numbers = (int, float, np.integer, np.floating)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return str(a) == str(b)


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return str(value)
    return value if value is None or isinstance(value, str) else str(value)
