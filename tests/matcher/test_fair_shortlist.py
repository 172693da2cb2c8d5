"""Fair shortlists on the trained sample county: hard constraints, limits, the venue rule.

The workbook round trip (written, filled in, ingested, reported) is in
``tests/service/render/test_fair_export.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from matcher.fair.candidates import fair_pairs, venue_reach
from matcher.fair.model import create_fair, list_fairs, resolve_venue
from matcher.fair.shortlist import build_shortlist
from matcher.fair.solver import FairSettings
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
    sl = build_shortlist(engine, fair.fair_id, s, home=county_copy.home)
    inv = sl.invitations
    assert len(inv) > 0 and sl.metrics.invitations == len(inv)
    assert inv.groupby("laborer_id").size().max() <= per_person
    caps = dict(zip(sl.booths["vacancy_id"], sl.booths["capacity"], strict=True))
    assert all(n <= caps[v] for v, n in inv.groupby("vacancy_id").size().items())
    assert inv.groupby("household_id").size().max() <= s.household_cap
    assert set(inv["vacancy_id"]) <= set(fair.vacancy_ids)
    # Re-check every invitation against the core's rules, from scratch.
    lookup = Lookup(engine, today=fair.date, home=county_copy.home)
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
