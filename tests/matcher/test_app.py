"""The application object: settings once, last night's list while it holds, live after a change, fresh posts."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.app import Application
from matcher.batch.runner import BatchOptions, run_batch
from matcher.settings import Settings
from store import load_laborers, load_vacancies
from store.errors import InputError, NotFoundError, NotReadyError
from tests.matcher.conftest import TODAY, County


@pytest.fixture
def app(county_copy: County) -> Application:
    application = Application(Settings.load(home=county_copy.home, database_url=county_copy.db_url, today=TODAY))
    run_batch(
        application.engine,
        BatchOptions(congestion=False),
        today=TODAY,
        home=application.home,
        policy=application.policy,
    )
    return application


def _listed(app: Application) -> tuple[str, str]:
    """A job seeker with a stored list, and the first post on it."""
    view = app.run_view
    assert view is not None
    for laborer_id in load_laborers(app.engine, wants_job=True)["laborer_id"]:
        posts = view.vacancy_ids(laborer_id)
        if len(posts) >= 3:
            return laborer_id, posts[0]
    raise AssertionError("no stored list with three posts")


def test_unchanged_people_are_answered_from_the_run_as_a_lookup_would(app: Application) -> None:
    laborer_id, _ = _listed(app)
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "run" and answer.run_id == app.run_view.run_id  # type: ignore[union-attr]
    live = app.recommend([laborer_id], k=5)[0]
    assert type(answer.result) is type(live)
    assert [r.vacancy_id for r in answer.result.recommendations] == [r.vacancy_id for r in live.recommendations]
    assert [f.kind for f in answer.result.flags] == [f.kind for f in live.flags]
    # Re-checked today and explained field by field, like a live suggestion.
    assert all(r.details is not None for r in answer.result.recommendations)
    assert [r.details.step for r in answer.result.recommendations] == [r.step for r in live.recommendations]  # type: ignore[union-attr]


@pytest.mark.parametrize("change", ["status", "wage_min"])
def test_a_closed_or_changed_post_leaves_at_once_and_lists_holding_it_go_live(app: Application, change: str) -> None:
    """Closing a post patches the snapshot (nothing to re-encode); a changed match field withholds the
    post until the next build re-reads it. Either way the next answer no longer holds it."""
    laborer_id, post = _listed(app)
    before = app.serving  # the snapshot requests were reading before the change
    row = load_vacancies(app.engine, ids=[post])
    value = "closed" if change == "status" else str(int(float(row["wage_min"].iloc[0] or 2000)) + 300)
    summary = app.ingest_frame("vacancies", _contract_row(row, **{change: value}))
    assert summary.updated == 1 and summary.rejected == 0
    # The writer's own next answer reflects its write, without waiting for the refresh thread.
    assert app.serving is not before and post not in app.serving.open_ids()
    assert (post in app.serving.withheld) == (change != "status")
    assert post in before.open_ids() and before.withheld == frozenset()  # the old snapshot is untouched
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "live"
    assert post not in [r.vacancy_id for r in answer.result.recommendations]


def test_another_workers_write_is_followed_by_refresh(app: Application) -> None:
    """A write made by another process (here: straight into the store) reaches this one at its next refresh."""
    from features.readers import RawTable
    from matcher.ingest import ingest_table

    laborer_id, post = _listed(app)
    before = app.serving
    row = load_vacancies(app.engine, ids=[post])
    table = RawTable(_contract_row(row, status="closed").astype(object), None, 1, "frame")
    ingest_table("vacancies", table, Path("other-worker"), engine=app.engine, write_rejects=False)
    assert app.serving is before  # not seen yet
    assert app.refresh().get("posts_changed") == 1 and post not in app.serving.open_ids()
    assert app.suggestions(laborer_id, k=5).source == "live"


def test_a_changed_person_is_computed_afresh(app: Application) -> None:
    laborer_id, _ = _listed(app)
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 500)).updated == 1
    app.refresh()
    assert app.suggestions(laborer_id, k=5).source == "live"


def _rounded(value: Any) -> Any:
    """``value`` with its floats to 6 decimals (a travel time computed in a batch of pairs and alone differs
    in the 9th)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def _wage_changed(app: Application, laborer_id: str, by: float) -> pd.DataFrame:
    person = load_laborers(app.engine, ids=[laborer_id])
    return _contract_row(person, expected_wage=str(float(person["expected_wage"].iloc[0] or 3000) + by))


def test_a_fresh_list_is_kept_until_its_person_changes_again(app: Application) -> None:
    """Read again, a list computed since the run is answered from memory (on the event loop) exactly as
    computed; the person's next change drops it at once and the next answer reflects that change."""
    from store.ledger import Scope, visible

    laborer_id, _ = _listed(app)
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 500)).updated == 1
    live, kept = app.stats["live"], app.stats["live_kept"]
    first = app.suggestions(laborer_id, k=5)
    assert first.source == "live" and app.stats["live"] == live + 1
    again = app.stored_suggestions(laborer_id, k=5)
    assert again is not None and again.source == "live" and again.run_id == first.run_id
    assert _rounded(again.result.to_json(details=True)) == _rounded(first.result.to_json(details=True))
    assert _rounded(app.suggestions(laborer_id, k=5).result.to_json(details=True)) == _rounded(
        again.result.to_json(details=True)
    )
    assert app.stats["live"] == live + 1 and app.stats["live_kept"] == kept + 2
    assert app.stored_suggestions(laborer_id, k=3) is None  # another k: its own list
    fresh = app.recommend([laborer_id], k=5)[0]
    assert [(r.vacancy_id, r.score) for r in again.result.recommendations] == [
        (r.vacancy_id, r.score) for r in fresh.recommendations
    ]
    person = load_laborers(app.engine, ids=[laborer_id])
    for scope in (Scope(None), Scope(str(person["county_code"].iloc[0])), Scope("110101")):
        assert app.visible_known("laborers", laborer_id, scope) == visible(app.engine, "laborers", laborer_id, scope)

    wage = float(person["expected_wage"].iloc[0]) + 700
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 700)).updated == 1
    assert app.stored_suggestions(laborer_id, k=5) is None  # the writer's own change: at once
    assert app.visible_known("laborers", laborer_id, Scope(None)) is None
    live = app.stats["live"]
    third = app.suggestions(laborer_id, k=5)
    assert third.source == "live" and app.stats["live"] == live + 1
    assert {r.details.expected_monthly for r in third.result.recommendations} <= {wage}  # type: ignore[union-attr]


def test_a_kept_list_with_a_post_closed_since_is_computed_afresh(app: Application) -> None:
    laborer_id, _ = _listed(app)
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 500)).updated == 1
    first = app.suggestions(laborer_id, k=5)
    assert first.result.recommendations and app.stored_suggestions(laborer_id, k=5) is not None
    post = first.result.recommendations[-1].vacancy_id
    row = load_vacancies(app.engine, ids=[post])
    assert app.ingest_frame("vacancies", _contract_row(row, status="closed")).updated == 1
    assert app.stored_suggestions(laborer_id, k=5) is None
    live = app.stats["live"]
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "live" and app.stats["live"] == live + 1
    assert post not in [r.vacancy_id for r in answer.result.recommendations]


def test_a_list_computed_while_its_person_changed_is_not_kept(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store read may be older or newer than a change to the person folded in meanwhile: such a list
    is served once and not kept. A change to someone else meanwhile does not matter."""
    laborer_id, _ = _listed(app)
    other = next(i for i in app.run_view.laborer_ids() if i != laborer_id)  # type: ignore[union-attr]
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 500)).updated == 1
    encode = app._encode  # noqa: SLF001
    writes: list[str] = []

    def encode_while_someone_changes(*args: Any) -> Any:
        if writes:
            assert app.ingest_frame("laborers", _wage_changed(app, writes.pop(), 300)).updated == 1
        return encode(*args)

    monkeypatch.setattr(app, "_encode", encode_while_someone_changes)
    live = app.stats["live"]
    writes.append(laborer_id)
    assert app.suggestions(laborer_id, k=5).source == "live"
    assert app.stored_suggestions(laborer_id, k=5) is None and app.stats["live"] == live + 1
    writes.append(other)
    assert app.suggestions(laborer_id, k=5).source == "live"
    assert not writes  # the other person was written while the list was computed
    assert app.stored_suggestions(laborer_id, k=5) is not None and app.stats["live"] == live + 2


def test_a_snapshot_is_warmed_before_it_serves(app: Application) -> None:
    """What a snapshot builds on first use is built by the thread that built it, not by the first
    request after the swap: the employers' rates per post and the posts' place and vector grids."""
    assert app.run_view is not None  # a server loads the run first: its people warm the snapshot
    fresh = app._build(app.serving.model)  # noqa: SLF001 - what refresh() swaps in
    assert fresh.model.employers._cache[0] is fresh.posts.employer  # noqa: SLF001
    assert all(hasattr(fresh.posts, name) for name in ("_neighbourhoods", "_vectors_grid"))
    app.warm_up()  # the same on a started application, and the gazetteer loaded
    from features.geo import get_gazetteer

    assert get_gazetteer.cache_info().currsize == 1


def test_a_posts_candidates_encode_only_those_who_pass_and_equal_encoding_everyone(app: Application) -> None:
    """Only the people a post's hard constraints let through are encoded: the candidates, scores, steps and
    explanations are those of encoding the whole county first (public-welfare posts included)."""
    from matcher.lookup import prepare_frame
    from matcher.prepare import KIND_INDEX

    serving = app.serving
    posts = serving.posts
    welfare = np.flatnonzero(posts.kind == KIND_INDEX["public_welfare"])[:3].tolist()
    market = np.flatnonzero(posts.open & (posts.kind != KIND_INDEX["public_welfare"]))[:9].tolist()
    assert welfare and market
    encoded: list[int] = []

    def counted(people: Any) -> Any:
        encoded.append(len(people))
        return serving.model.encoder.transform_laborers(people.frame)

    found = 0
    for j in welfare + market:
        county = str(posts.frame["county_code"].iloc[j] or "")
        frame = load_laborers(app.engine, county_codes=[county], wants_job=True).reset_index(drop=True)
        everyone = prepare_frame(app.engine, frame, serving.model.encoder)
        expected = serving.recommender.candidates_for_post(everyone, j, 15)
        lazy = serving.recommender.candidates_for_post(prepare_frame(app.engine, frame), j, 15, encode=counted)
        assert lazy == expected
        assert app.candidates_for_post(str(posts.ids[j]), 15) == expected
        found += len(expected)
    assert found and encoded and max(encoded) < len(frame)  # fewer people encoded than the county holds


def test_ingest_frame_answers_with_the_rejected_rows_and_keeps_the_good_ones(app: Application) -> None:
    people = load_laborers(app.engine).head(2)
    frame = pd.concat([_contract_row(people.iloc[[0]], mobility="somewhere"), _contract_row(people.iloc[[1]])])
    summary = app.ingest_frame("laborers", frame)
    assert summary.rejected == 1 and summary.updated + summary.unchanged == 1  # the good row lands
    (reject,) = summary.rejects
    assert reject.column == "mobility" and reject.value == "somewhere" and reject.reason_zh and reject.reason_en


def test_a_new_model_version_is_swapped_in_while_requests_run(app: Application) -> None:
    laborer_id, _ = _listed(app)
    old = app.serving.version
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                assert len(app.recommend([laborer_id], k=3)[0].recommendations) >= 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    worker = threading.Thread(target=ask)
    worker.start()
    try:
        app.train(seed=1)
        app.refresh()
    finally:
        stop.set()
        worker.join()
    assert errors == [] and app.serving.version != old


def test_unknown_people_and_missing_models_have_their_categories(app: Application, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as err:
        app.recommend(["NO-SUCH-PERSON"], k=3)
    assert err.value.field == "laborer_id" and err.value.code == "laborer_not_found"
    empty = Application(Settings.load(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    empty.migrate()
    with pytest.raises(NotReadyError) as err2:
        empty.serving  # noqa: B018
    assert "matcher train" in err2.value.message_en and err2.value.message_zh
    with pytest.raises(InputError) as err3:
        Settings.load(home=tmp_path, max_body=5)
    assert err3.value.field == "MATCHER_MAX_BODY"


def test_today_comes_from_the_settings(tmp_path: Path) -> None:
    fixed = dt.date(2026, 3, 1)
    assert Settings.load(home=tmp_path, today=fixed).today_date() == fixed


def _contract_row(stored: pd.DataFrame, **changes: str) -> pd.DataFrame:
    """A stored row as a ledger file would carry it (lists joined, derived columns dropped)."""
    from features.contract import schema

    kind = "laborers" if "laborer_id" in stored else "vacancies"
    fields = [c.name for c in schema(kind) if c.name in stored.columns]
    row = stored[fields].iloc[0].to_dict()
    for key, value in list(row.items()):
        if isinstance(value, list):
            row[key] = "、".join(value)
        elif value is None or (isinstance(value, float) and pd.isna(value)):
            row[key] = None
        elif isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
            row[key] = pd.Timestamp(value).date().isoformat()
        else:
            row[key] = str(value)
    row.update(changes)
    row["updated_at"] = dt.datetime.now().isoformat(timespec="seconds")
    return pd.DataFrame([row])


def test_scope_answered_from_memory_is_the_stores_for_every_seeker_and_scope(app: Application) -> None:
    """The API's 404 check: memory (the run's unchanged people) and the store never disagree."""
    from store.ledger import Scope, visible

    people = load_laborers(app.engine)
    app.run_view  # noqa: B018 - loads the run's people
    towns = sorted({t for t in people["town_code"].dropna().astype(str) if t})
    counties = sorted({c for c in people["county_code"].dropna().astype(str) if c})
    scopes = [Scope(None), Scope("110101"), *(Scope(c) for c in counties)]
    scopes += [Scope(t[:6], t) for t in towns[:3]]
    answered = 0
    for laborer_id in people["laborer_id"]:
        for scope in scopes:
            known = app.visible_known("laborers", laborer_id, scope)
            truth = visible(app.engine, "laborers", laborer_id, scope)
            assert known is None or known == truth, (laborer_id, scope)
            assert app.visible("laborers", laborer_id, scope) == truth
            answered += known is not None
    assert answered >= len(app.run_view.laborer_ids()) * len(scopes)  # type: ignore[union-attr]
    # A changed person: memory no longer answers for them (they may have moved), the store does.
    laborer_id, _ = _listed(app)
    person = people[people["laborer_id"] == laborer_id]
    frame = _contract_row(person, expected_wage=str(float(person["expected_wage"].iloc[0] or 3000) + 500))
    assert app.ingest_frame("laborers", frame).updated == 1
    for scope in scopes:
        assert app.visible_known("laborers", laborer_id, scope) is None
        assert app.visible("laborers", laborer_id, scope) == visible(app.engine, "laborers", laborer_id, scope)


def test_the_event_loop_answer_is_the_run_answer_and_steps_aside_after_a_change(app: Application) -> None:
    view = app.run_view
    assert view is not None
    app.serving  # noqa: B018
    app.follow_changes()
    checked = 0
    for laborer_id in view.laborer_ids()[:40]:
        fast = app.stored_suggestions(laborer_id, k=5)
        full = app.suggestions(laborer_id, k=5)
        if fast is None:
            continue
        checked += 1
        assert full.source == fast.source == "run"
        assert fast.result.to_json(details=True) == full.result.to_json(details=True)
    assert checked >= 10
    laborer_id, _ = _listed(app)
    assert app.stored_suggestions(laborer_id, k=5) is not None
    assert app.ingest_frame("laborers", _wage_changed(app, laborer_id, 500)).updated == 1
    assert app.stored_suggestions(laborer_id, k=5) is None  # the writer's own change: at once
    assert app.suggestions(laborer_id, k=5).source == "live"


def test_an_id_typed_in_another_case_finds_the_person(app: Application) -> None:
    laborer_id, _ = _listed(app)
    assert laborer_id.lower() != laborer_id
    answer = app.suggestions(laborer_id.lower(), k=5)
    assert answer.result.laborer_id == laborer_id and answer.source == "run"
    assert app.recommend([laborer_id.lower()], k=3)[0].laborer_id == laborer_id
    with pytest.raises(NotFoundError):
        app.recommend(["no-such-person"], k=3)


def test_many_at_once_answer_as_one_at_a_time(app: Application) -> None:
    """The gathered store path (suggestions_many) equals single answers: run, live, unknown, mixed k."""
    view = app.run_view
    assert view is not None
    seekers = list(view.laborer_ids()[:12])
    changed = seekers[:4]
    for laborer_id in changed:  # their lists go live
        person = load_laborers(app.engine, ids=[laborer_id])
        frame = _contract_row(person, expected_wage=str(float(person["expected_wage"].iloc[0] or 3000) + 300))
        assert app.ingest_frame("laborers", frame).updated == 1
    items = [(i, 5) for i in seekers] + [(seekers[0], 3), (seekers[5], 8), ("no-such-person", 5), (seekers[1], 5)]
    together = app.suggestions_many(items)
    assert {a.source for a in together if not isinstance(a, Exception)} == {"run", "live"}
    for (laborer_id, k), got in zip(items, together, strict=True):
        if laborer_id == "no-such-person":
            assert isinstance(got, NotFoundError) and got.code == "laborer_not_found"
            continue
        assert not isinstance(got, Exception)
        alone = app.suggestions_many([(laborer_id, k)])[0]
        assert not isinstance(alone, Exception)
        assert got.source == alone.source and _rounded(got.result.to_json(details=True)) == _rounded(
            alone.result.to_json(details=True)
        )  # distances computed in a batch may differ in the ninth digit
        assert got.source == ("live" if laborer_id in changed else "run")


def _rounded(value: object) -> object:
    """JSON with floats to 6 significant digits (vectorised arithmetic differs in the last bits)."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def test_every_stored_post_matches_its_snapshot_row_field_by_field(app: Application) -> None:
    """What decides patched or withheld for a written post: each match field as the store holds it against the
    snapshot's column (``Posts.col``). Unchanged posts must compare the same on every field, as they did cell by
    cell through the frame (else every write of an opening would withhold its post until the next build)."""
    from matcher.app import _same_value
    from matcher.batch.incremental import MATCH_FIELDS
    from store.readers import load_vacancy_fields

    posts = app.serving.posts
    cols = [c for c in MATCH_FIELDS if c in posts.frame.columns]
    stored = load_vacancy_fields(app.engine, [str(v) for v in posts.ids], cols)
    assert len(stored) == len(posts) > 0
    differ = [
        (v, c)
        for v, record in stored.items()
        for c in cols
        if not _same_value(record[c], posts.col(c)[posts.position[v]])
        or not _same_value(record[c], posts.frame.iat[posts.position[v], posts.frame.columns.get_loc(c)])
    ]
    assert differ == []


def test_a_post_whose_openings_alone_changed_keeps_its_lists_from_the_run(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Openings and status are not what a list was ranked on: the snapshot is patched at once and the
    stored lists holding the post are answered from the run, explained with today's openings. Openings
    down to 0 take the post out; a changed match field (the wage) keeps the lists live, also after the
    snapshot has re-read the post."""
    laborer_id, post = _listed(app)
    assert app.serving is not None  # the snapshot was built before the change
    row = load_vacancies(app.engine, ids=[post])
    openings = int(row["openings"].iloc[0]) + 2
    assert app.ingest_frame("vacancies", _contract_row(row, openings=str(openings))).updated == 1
    assert post not in app.serving.withheld and app.stats["patched_posts"] == 1
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "run"
    shown = next(r for r in answer.result.recommendations if r.vacancy_id == post)
    assert shown.details is not None and shown.details.openings == openings

    row = load_vacancies(app.engine, ids=[post])
    assert app.ingest_frame("vacancies", _contract_row(row, openings="0")).updated == 1
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "live" and post not in [r.vacancy_id for r in answer.result.recommendations]

    row = load_vacancies(app.engine, ids=[post])
    wage = int(float(row["wage_min"].iloc[0] or 2000)) + 300
    assert app.ingest_frame("vacancies", _contract_row(row, openings=str(openings), wage_min=str(wage))).updated == 1
    assert post in app.serving.withheld
    monkeypatch.setattr("matcher.app.REBUILD_EVERY", 0.0)
    assert app.refresh().get("rebuilt")
    assert post in app.serving.open_ids() and app.suggestions(laborer_id, k=5).source == "live"


def test_a_post_closed_below_the_first_k_leaves_those_k_from_the_run_exactly_as_a_lookup_gives_them(
    app: Application,
) -> None:
    """A list is the first ``k`` of one order: a post closed further down the stored list leaves the
    first ``k`` as they were, so a read of ``k`` stays on the run and equals a fresh lookup; a read that
    reaches the closed post goes live and no longer holds it."""
    view = app.run_view
    assert view is not None
    laborer_id = next(
        i for i in load_laborers(app.engine, wants_job=True)["laborer_id"] if len(view.vacancy_ids(i)) >= 5
    )
    post = view.vacancy_ids(laborer_id)[3]
    row = load_vacancies(app.engine, ids=[post])
    assert app.ingest_frame("vacancies", _contract_row(row, status="closed")).updated == 1
    short = app.suggestions(laborer_id, k=3)
    fresh = app.recommend([laborer_id], k=3)[0]
    assert short.source == "run"
    assert [r.vacancy_id for r in short.result.recommendations] == [r.vacancy_id for r in fresh.recommendations]
    longer = app.suggestions(laborer_id, k=5)
    assert longer.source == "live" and post not in [r.vacancy_id for r in longer.result.recommendations]


def test_every_unchanged_post_read_back_from_the_store_matches_its_snapshot(app: Application) -> None:
    """What a write's follow-up reads of a post (its match fields, typed by the store, no frame) equals the
    snapshot's value for every post and field, so an openings-only change patches and never withholds;
    a changed field does not compare equal."""
    from matcher.app import _same_value
    from matcher.batch.incremental import MATCH_FIELDS
    from store.readers import load_vacancy_fields

    frame = app.serving.posts.frame
    cols = [c for c in MATCH_FIELDS if c in frame.columns]
    assert {"start_date", "required_skills", "lat", "training_provided", "wage_min"} <= set(cols)
    ids = [str(v) for v in app.serving.posts.ids]
    stored = load_vacancy_fields(app.engine, ids, cols)
    assert set(stored) == set(ids)
    rows = app.serving.posts.rows_of(ids)
    differ = [
        (v, c) for v, r in zip(ids, rows, strict=True) for c in cols if not _same_value(stored[v][c], frame[c].iat[r])
    ]
    assert differ == []
    record = stored[ids[0]]
    start = frame["start_date"].iat[int(rows[0])]
    assert not _same_value(dt.date(1999, 1, 1), start) or pd.isna(start)
    assert not _same_value([*(record["required_skills"] or []), "焊工"], frame["required_skills"].iat[int(rows[0])])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_patched_snapshot_suggests_exactly_the_open_posts_with_openings(
    app: Application, data: st.DataObject
) -> None:
    """Whatever openings and status a patch sets, the posts that can be suggested are those open, with
    openings, not past their end date and not withheld; the patched snapshot leaves the old one untouched."""
    base = app.serving
    ids = [str(v) for v in base.posts.ids]
    withheld = data.draw(st.sets(st.sampled_from(ids), max_size=3))
    serving = base.without(withheld, base.seq) if withheld else base
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=12, unique=True))
    updates = {v: (data.draw(st.integers(0, 5)), data.draw(st.booleans())) for v in chosen}
    before = set(map(str, serving.open_ids()))
    patched = serving.patched(updates, serving.seq + 1)
    assert set(map(str, serving.open_ids())) == before
    t = serving.today.toordinal()
    expect = set()
    for row, v in enumerate(ids):
        count, is_open = updates.get(v, (int(serving.posts.openings[row]), bool(base.posts.open[row])))
        if is_open and count > 0 and serving.posts.end[row] >= t and v not in serving.withheld:
            expect.add(v)
    assert set(map(str, patched.open_ids())) == expect


def test_a_patched_snapshot_keeps_what_openings_do_not_change(app: Application) -> None:
    """Openings and open flags are all a patch changes: the post facts of explanations, the frame's
    columns and the unit vectors of places carry over to the new snapshot as they are (rebuilding them
    after every write cost the next answers milliseconds), and each carried fact equals one built afresh
    from the patched posts; the old snapshot keeps its own."""
    from matcher.explain import PostFacts
    from matcher.reach import units

    base = app.serving
    rec = base.recommender
    rows = list(range(0, len(base.posts), max(1, len(base.posts) // 60)))
    warm = {j: rec._facts.get(j) for j in rows}
    titles, places = base.posts.col("title"), units(base.posts)
    changed = [str(base.posts.ids[j]) for j in rows[:12]]
    patched = base.patched({v: (0, False) if n % 2 else (7, True) for n, v in enumerate(changed)}, base.seq + 1)
    new = patched.recommender
    assert new._facts is not rec._facts and patched.posts._columns is not base.posts._columns
    assert patched.posts.col("title") is titles and units(patched.posts) is places
    fresh = PostFacts(patched.posts)
    for j in rows:
        assert new._facts.get(j) is warm[j]
        assert fresh.get(j) == warm[j]
    assert [int(patched.posts.openings[base.posts.position[v]]) for v in changed[::2]] == [7] * len(changed[::2])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_open_filter_of_a_patched_snapshot_is_the_index_selection_of_its_open_posts(
    app: Application, data: st.DataObject
) -> None:
    """Whatever a chain of patches opens and closes, the index filter a snapshot searches with holds
    exactly what ``index.select`` of its open posts' ids gives (ids and dense bitmap), whether or not the
    filters of the snapshots before it were ever built (they are built on first use)."""
    serving = app.serving
    ids = [str(v) for v in serving.posts.ids]
    steps = data.draw(st.integers(1, 4))
    for step in range(steps):
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=40, unique=True))
        serving = serving.patched({v: (data.draw(st.integers(0, 3)), data.draw(st.booleans())) for v in chosen}, 0)
        rec = serving.recommender
        if step < steps - 1 and not data.draw(st.booleans()):
            continue  # this snapshot's filter is never asked for
        want = rec.index.select(serving.posts.ids[rec._open].astype(str).tolist())
        got = rec.open_filter()
        assert np.array_equal(got.ints, want.ints)
        assert (got.bitmap is None) == (want.bitmap is None)
        assert got.bitmap is None or np.array_equal(got.bitmap, want.bitmap)


def test_records_written_together_each_get_their_own_outcome(app: Application) -> None:
    """One gathered round: a changed post, the same post again (its second write in a later round, so the
    newest write wins), an unchanged post, a refused row and a row outside the caller's area; each caller
    gets its own outcome, rejects or refusal, and nothing valid is lost."""
    posts = load_vacancies(app.engine).head(3)
    first, second, third = (posts.iloc[[n]] for n in range(3))
    openings = int(first["openings"].iloc[0])

    def row(frame: pd.DataFrame, **changes: str) -> dict[str, str | None]:
        return {k: (None if v is None else str(v)) for k, v in _contract_row(frame, **changes).iloc[0].items()}

    outside = InputError("outside", "范围外", field="county", code="outside_scope")
    same = row(second)
    app._write_many("vacancies", [(same, None)])  # noqa: SLF001 - stored as a PUT carries it
    items = [
        (row(first, openings=str(openings + 1)), None),
        (row(first, openings=str(openings + 2)), None),
        ({**same, "updated_at": None}, None),
        (row(third, openings="many"), None),
        (row(third, openings="4"), lambda placed: outside),
    ]
    results = app._write_many("vacancies", items)  # noqa: SLF001 - the gathered round itself
    assert [r.outcome for r in results] == ["updated", "updated", "unchanged", None, None]
    assert results[3].rejects and results[3].rejects[0].column == "openings"
    assert results[4].refused is outside and not results[4].rejects
    stored = load_vacancies(app.engine, ids=[str(first["vacancy_id"].iloc[0]), str(third["vacancy_id"].iloc[0])])
    by_id = dict(zip(stored["vacancy_id"], stored["openings"], strict=True))
    assert by_id[str(first["vacancy_id"].iloc[0])] == openings + 2  # the later write, in the later round
    assert by_id[str(third["vacancy_id"].iloc[0])] == int(third["openings"].iloc[0])  # neither write landed


def test_concurrent_writers_are_gathered_and_answered_alike(app: Application) -> None:
    """Threads writing at once are computed in gathered rounds, each write exactly once, and each sees its own."""
    people = load_laborers(app.engine, wants_job=True).head(12)
    results: dict[str, Any] = {}

    def write(n: int) -> None:
        frame = people.iloc[[n]]
        wage = str(int(float(frame["expected_wage"].iloc[0] or 3000)) + 100 + n)
        cells = {
            k: (None if v is None else str(v)) for k, v in _contract_row(frame, expected_wage=wage).iloc[0].items()
        }
        results[str(frame["laborer_id"].iloc[0])] = (wage, app.write_record("laborers", cells))

    gate = app._writers["laborers"]  # noqa: SLF001
    rounds, items = gate.rounds, gate.items
    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.outcome == "updated" and not r.rejects for _, r in results.values())
    assert gate.items - items == len(people) and 1 <= gate.rounds - rounds <= len(people)  # each write once
    stored = load_laborers(app.engine, ids=list(results))
    for laborer_id, wage in zip(stored["laborer_id"], stored["expected_wage"], strict=True):
        assert float(wage) == float(results[laborer_id][0])


@pytest.mark.parametrize("outcome", ["applied", "declined"])
def test_an_answer_recorded_after_the_run_takes_the_post_off_the_persons_list(app: Application, outcome: str) -> None:
    """The person answered a post on their list (a placements file, or the card's outcome form): their next
    answer is computed afresh, without the post; a push ("recommended") is not an answer."""
    laborer_id, post = _listed(app)
    assert app.serving is not None

    def record(result: str, n: int) -> None:
        row = {
            "placement_id": f"T{outcome}{n}",
            "laborer_id": laborer_id,
            "vacancy_id": post,
            "outcome": result,
            "date": TODAY.isoformat(),
        }
        assert app.ingest_frame("placements", pd.DataFrame([row])).rejected == 0

    record("recommended", 0)
    assert app.suggestions(laborer_id, k=5).source == "run"
    record(outcome, 1)
    answer = app.suggestions(laborer_id, k=5)
    assert answer.source == "live"
    assert post not in [r.vacancy_id for r in answer.result.recommendations]
    assert len(answer.result.recommendations) >= 3 or answer.result.shortfall is not None
