"""Fair shortlists on the trained sample county: hard constraints, limits, the venue rule, the workbook round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from matcher.fair.candidates import fair_pairs, venue_reach
from matcher.fair.export import write_outputs
from matcher.fair.model import create_fair, list_fairs, resolve_venue
from matcher.fair.report import fair_report
from matcher.fair.shortlist import build_shortlist
from matcher.fair.solver import FairSettings
from matcher.ingest import ingest_file
from matcher.lookup import Lookup
from matcher.policy import Policy
from matcher.prepare import KIND_INDEX
from matcher.reach import eligible, pair_geo, ring_of
from matcher.recommend import Recommender
from tests.matcher.conftest import DIANTOU, MAFANG_A, TODAY, encoded, people_frame, posts_frame

COUNTY = "610426"


@pytest.mark.parametrize("factor, per_person", [(3.0, 3), (1.0, 1)])
def test_invitations_keep_hard_constraints_and_limits(county_copy, factor: float, per_person: int) -> None:
    engine = county_copy.engine
    fair = create_fair(engine, name="店头镇专场", date=TODAY, place="永寿县店头镇", county=COUNTY)
    assert fair.venue_code is not None and fair.venue_code.startswith("610426101")
    s = FairSettings(factor=factor, per_person=per_person)
    sl = build_shortlist(engine, fair.fair_id, s)
    inv = sl.invitations
    assert len(inv) > 0 and sl.metrics.invitations == len(inv)
    assert inv.groupby("laborer_id").size().max() <= per_person
    caps = dict(zip(sl.booths["vacancy_id"], sl.booths["capacity"], strict=True))
    assert all(n <= caps[v] for v, n in inv.groupby("vacancy_id").size().items())
    assert inv.groupby("household_id").size().max() <= s.household_cap
    assert set(inv["vacancy_id"]) <= set(fair.vacancy_ids)
    # Re-check every invitation against the core's rules, from scratch.
    lookup = Lookup(engine, today=fair.date)
    people = lookup.people(sorted(set(inv["laborer_id"])))
    posts = lookup.posts
    pi = np.array([people.position[x] for x in inv["laborer_id"]])
    pj = np.array([posts.position[v] for v in inv["vacancy_id"]])
    geo = pair_geo(people, posts, pi, pj)
    assert eligible(people, posts, pi, pj, ring_of(people, posts, pi, pj, geo), fair.date).all()
    assert (posts.kind[pj] != KIND_INDEX["public_welfare"]).all()
    reach = venue_reach(people, posts.frame, fair.venue_code, fair.venue_lat, fair.venue_lon)[pi]
    handed_out = (posts.kind[pj] == KIND_INDEX["workshop_home"]) & (posts.county[pj] == int(COUNTY))
    assert (reach | handed_out).all()
    # Ranked lists per booth: 1..n.
    for _, grp in inv.groupby("vacancy_id"):
        assert grp["rank"].tolist() == list(range(1, len(grp) + 1))
    assert sl.metrics.max_per_opening <= factor + 1e-9
    assert list_fairs(engine)["invitations"].iloc[0] == len(inv)


def test_people_who_cannot_leave_home_get_only_home_based_posts(model) -> None:
    people = people_frame({"mobility": "home"}, {"mobility": "county"})
    posts = posts_frame(
        {"admin_code": DIANTOU, "title": "普工"},
        {"admin_code": DIANTOU, "kind": "workshop_home", "title": "手工编织", "wage_unit": "piece"},
    )
    p, q, index = encoded(model, people, posts)
    rec = Recommender(q, model.ranker, model.employers, index, Policy.default(), TODAY)
    code, lat, lon = resolve_venue("店头镇樊家河村", COUNTY, DIANTOU)
    reach = venue_reach(p, q.frame, code, lat, lon)
    assert reach.tolist() == [False, True]
    pairs = fair_pairs(rec, p, np.arange(len(q)), reach, int(COUNTY), np.zeros(2, dtype=bool))
    got = {(str(p.ids[i]), str(q.ids[j])) for i, j in zip(pairs.pi, pairs.pj, strict=True)}
    assert ("P001", "V002") in got and ("P001", "V001") not in got
    assert ("P002", "V001") in got
    # The venue in the homebound person's own village: reachable under the same rules.
    code, lat, lon = resolve_venue("马坊镇罗家村", COUNTY)
    assert code == MAFANG_A
    assert venue_reach(p, q.frame, code, lat, lon).tolist() == [True, True]


def test_workbook_round_trip_and_report(county_copy, tmp_path: Path) -> None:
    engine = county_copy.engine
    day = TODAY - dt.timedelta(days=1)
    fair = create_fair(engine, name="马坊镇专场", date=day, place="马坊镇", county=COUNTY)
    sl = build_shortlist(engine, fair.fair_id)
    paths = write_outputs(sl, tmp_path / "out")
    assert paths["xlsx"].exists() and paths["html"].exists()
    phone = next(v for v in sl.invitations["phone"] if isinstance(v, str))
    assert phone not in paths["html"].read_text(encoding="utf-8")
    wb = load_workbook(paths["xlsx"])
    assert wb.worksheets[0].title == "汇总"
    assert any(ws.title.startswith("村-") for ws in wb.worksheets)
    booth = next(ws for ws in wb.worksheets[1:] if ws.cell(3, 1).value == "序号" and ws.max_row >= 5)
    booth.cell(4, 12).value, booth.cell(4, 13).value = "是", "录用"
    booth.cell(5, 12).value = "是"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    summary = ingest_file("placements", filled, engine=engine)
    assert (summary.rejected, summary.inserted) == (0, 2), summary.line()
    assert ingest_file("placements", filled, engine=engine).unchanged == 2
    rep = fair_report(engine, fair.fair_id)
    assert (rep.attended, rep.interviews, rep.hires, rep.hires_invited) == (2, 1, 1, 1)
    assert rep.invitations == len(sl.invitations)
    assert rep.openings_left == int(sl.booths["openings"].sum()) - 1
    assert any("零就业" in line for line in rep.lines())
