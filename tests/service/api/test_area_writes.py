"""A key's writes never reach a record of another area, whatever the written row says of its place.

Ids are global: a key of 礼泉县 (610425) that imports or PUTs a row naming an id the store holds for
永寿县 (610426), with the row placed in 礼泉县, must neither change that record nor move it into its own
county (and so come to read it). The import refuses that row alone and imports the rest; a PUT answers
as for an unknown id. The same holds between the towns of one county for a town's caseworker.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from tests.service.api.conftest import COUNTY, OTHER_COUNTY, County

OTHER_COUNTY_NAME = "礼泉县"  # 610425, the "foreign" key's county


def _stored(county: County, kind: str, record_id: str) -> dict[str, Any]:
    response = county.get(f"/{kind}/{record_id}", "admin")
    assert response.status_code == 200, response.text
    return response.json()


def _moved(row: pd.Series, **cells: str) -> pd.Series:
    """The row placed elsewhere: the finer place names and the coordinates cleared, then ``cells`` set
    (the new place's names, any other field)."""
    out = row.copy()
    for column in ("town", "village", "lat", "lon"):
        if column in out:
            out[column] = ""
    for column, value in cells.items():
        out[column] = value
    return out


def _import(county: County, kind: str, frame: pd.DataFrame, role: str) -> Any:
    data = frame.to_csv(index=False).encode("utf-8")
    return county.client.post(
        f"/{kind}:import", files={"file": (f"{kind}.csv", io.BytesIO(data), "text/csv")}, headers=county.auth(role)
    )


def test_import_cannot_take_over_a_laborer_of_another_county(county: County) -> None:
    target = county.in_town
    before = _stored(county, "laborers", target)
    row = county.laborers.loc[county.laborers["laborer_id"] == target].iloc[0]
    takeover = _moved(row, county=OTHER_COUNTY_NAME, name="冒名顶替")
    newcomer = _moved(row, county=OTHER_COUNTY_NAME, laborer_id="LAREA00001", id_number="", phone="")
    response = _import(county, "laborers", pd.DataFrame([takeover, newcomer]), "foreign")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["inserted"], summary["updated"], summary["rejected"]) == (1, 0, 1), summary
    (reject,) = summary["rejects"]
    assert reject["row"] == 2 and reject["field"] == "laborer_id" and reject["value"] == target
    assert "管辖范围" in reject["reason_zh"] and "outside the key's area" in reject["reason_en"]
    # the record stays where and what it was, and out of the other county's sight
    assert _stored(county, "laborers", target) == before
    assert before["county_code"] == COUNTY
    assert county.get(f"/laborers/{target}", "foreign").status_code == 404
    assert county.get("/laborers", "foreign", params={"q": target}).json()["total"] == 0
    # the valid row of the same file was imported, in the importing county
    assert _stored(county, "laborers", "LAREA00001")["county_code"] == OTHER_COUNTY
    deleted = county.client.delete("/laborers/LAREA00001", headers=county.auth("foreign"))
    assert deleted.status_code == 200, deleted.text


def test_import_cannot_take_over_a_post_of_another_county(county: County) -> None:
    posts = pd.read_csv(county.sample_dir / "vacancies.csv", dtype=str, keep_default_na=False)
    target = county.vacancy
    before = _stored(county, "vacancies", target)
    row = posts.loc[posts["vacancy_id"] == target].iloc[0]
    takeover = _moved(row, county=OTHER_COUNTY_NAME, openings="0", status="closed")
    response = _import(county, "vacancies", pd.DataFrame([takeover]), "foreign")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["inserted"], summary["updated"], summary["rejected"]) == (0, 0, 1), summary
    assert summary["rejects"][0]["field"] == "vacancy_id" and summary["rejects"][0]["value"] == target
    assert _stored(county, "vacancies", target) == before
    assert county.get(f"/vacancies/{target}", "foreign").status_code == 404


def test_put_cannot_move_a_record_into_the_keys_area(county: County) -> None:
    target = county.in_town
    before = _stored(county, "laborers", target)
    row = county.laborers.loc[county.laborers["laborer_id"] == target].iloc[0]
    body = {k: v for k, v in _moved(row, county=OTHER_COUNTY_NAME).to_dict().items() if v != ""}
    response = county.client.put(f"/laborers/{target}", json=body, headers=county.auth("foreign"))
    assert response.status_code == 404, response.text
    unknown = county.client.put("/laborers/LNOSUCH999", json=body, headers=county.auth("foreign"))
    # the answer is an unknown id's, word for word but the id (an unknown id is created: other status)
    assert response.json()["code"] == "laborer_not_found"
    assert response.json()["message_en"] == f"no laborer with id {target}"
    assert unknown.status_code == 200 and unknown.json()["inserted"] == 1, unknown.text
    county.client.delete("/laborers/LNOSUCH999", headers=county.auth("foreign"))
    assert _stored(county, "laborers", target) == before


def test_a_bad_body_cannot_probe_ids_of_another_area(county: County) -> None:
    """A PUT with a body that fails validation is the same 422 whether its id is a record of another county
    or no record at all: the refusal of another area's record comes from the write transaction, after the
    body is valid, so a bad body learns nothing about ids and changes nothing."""
    target = county.in_town
    before = _stored(county, "laborers", target)
    row = county.laborers.loc[county.laborers["laborer_id"] == target].iloc[0]
    body = {k: v for k, v in _moved(row, county=OTHER_COUNTY_NAME, age="300", birth_date="").to_dict().items() if v}
    body.pop("id_number", None)
    taken = county.client.put(f"/laborers/{target}", json=body, headers=county.auth("foreign"))
    free = county.client.put("/laborers/LNOSUCH998", json=body, headers=county.auth("foreign"))
    assert taken.status_code == free.status_code == 422, (taken.text, free.text)
    strip = [(b.pop("value", None), b) for b in (taken.json(), free.json())]
    assert strip[0][1] == strip[1][1]
    assert county.get("/laborers/LNOSUCH998", "admin").status_code == 404
    assert _stored(county, "laborers", target) == before


def test_a_towns_caseworker_cannot_pull_a_laborer_from_another_town(county: County) -> None:
    """A caseworker's key covers one town: a PUT naming a laborer of another town of the county, placed in
    the caseworker's own town, is the unknown-id 404 and changes nothing."""
    target = county.other_town
    before = _stored(county, "laborers", target)
    assert before["town_code"] != county.town
    own = county.laborers.loc[county.laborers["laborer_id"] == county.in_town].iloc[0]
    row = county.laborers.loc[county.laborers["laborer_id"] == target].iloc[0]
    row = _moved(row, county=own["county"], town=own["town"], village=own["village"])
    body = {k: v for k, v in row.to_dict().items() if v != ""}
    response = county.client.put(f"/laborers/{target}", json=body, headers=county.auth("caseworker"))
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "laborer_not_found"
    assert _stored(county, "laborers", target) == before


def test_a_fair_holds_the_keys_own_posts_and_is_the_keys_county(county: County) -> None:
    """A county's key names posts for its fair: one of another county is as unknown as an id the store does
    not hold (same answer), and the fair is never stored in another county."""
    import datetime as dt

    posts = pd.read_csv(county.sample_dir / "vacancies.csv", dtype=str, keep_default_na=False)
    row = posts.loc[posts["vacancy_id"] == county.vacancy].iloc[0]
    theirs = _moved(row, county=OTHER_COUNTY_NAME, vacancy_id="VAREA00001")
    made = _import(county, "vacancies", pd.DataFrame([theirs]), "foreign")
    assert made.status_code == 200 and made.json()["inserted"] == 1, made.text
    day = str(county.app.state.application.today() + dt.timedelta(days=7))
    fairs_before = {role: len(county.get("/fairs", role).json()) for role in ("organizer", "foreign", "admin")}

    def create(role: str, ids: list[str]) -> Any:
        body = {"name": "春风行动", "date": day, "place": "县城广场", "vacancy_ids": ids}
        return county.client.post("/fairs", json=body, headers=county.auth(role))

    # another county's post, and a post nobody holds: the same 422, word for word but the id
    other = create("organizer", [county.vacancy, "VAREA00001"])
    unknown = create("organizer", [county.vacancy, "VNOSUCH999"])
    assert other.status_code == unknown.status_code == 422, other.text
    assert other.json()["message_en"].replace("VAREA00001", "ID") == unknown.json()["message_en"].replace(
        "VNOSUCH999", "ID"
    )
    # a key of 礼泉县 naming 永寿县's post: refused too (before: a fair stored in 永寿县 by 礼泉县's key)
    assert create("foreign", [county.vacancy]).status_code == 422
    # its own post: a fair of its own county
    mine = create("foreign", ["VAREA00001"])
    assert mine.status_code == 201 and mine.json()["county_code"] == OTHER_COUNTY, mine.text
    after = {role: len(county.get("/fairs", role).json()) for role in ("organizer", "foreign", "admin")}
    assert after == {
        "organizer": fairs_before["organizer"],
        "foreign": fairs_before["foreign"] + 1,
        "admin": fairs_before["admin"] + 1,
    }
    # the organiser of 永寿县 still makes fairs of its own posts
    own = create("organizer", [county.vacancy])
    assert own.status_code == 201 and own.json()["county_code"] == COUNTY, own.text


def test_notices_tell_what_to_check_and_name_no_record_of_another_area(county: County) -> None:
    """A record stored as it came can still need a look: a place name the gazetteer lacks, an ID number
    another laborer id holds, a household whose members live apart. A PUT and an import say so, row by
    row; a key of one area never learns through them which ids or places another area holds."""
    target = county.in_town
    row = county.laborers.loc[county.laborers["laborer_id"] == target].iloc[0]
    assert row["id_number"], "the sample's job seeker has an ID number"

    def put(record_id: str, role: str, cells: pd.Series) -> dict[str, Any]:
        body = {k: v for k, v in cells.to_dict().items() if v != "" and k != "laborer_id"}
        response = county.client.put(f"/laborers/{record_id}", json=body, headers=county.auth(role))
        assert response.status_code == 200, response.text
        return response.json()

    def codes(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {n["code"]: n for n in answer["notices"]}

    created: list[tuple[str, str]] = []
    try:
        # the county's own key: the same ID number as its own job seeker's, and a village the gazetteer lacks
        mine = row.copy()
        mine["village"] = "无此名村"
        answer = put("LNOTICE01", "organizer", mine)
        created.append(("LNOTICE01", "organizer"))
        found = codes(answer)
        assert found["same_person_two_ids"]["row"] == 1 and found["same_person_two_ids"]["field"] == "id_number"
        assert (
            target in found["same_person_two_ids"]["message_zh"]
            and target in found["same_person_two_ids"]["message_en"]
        )
        assert found["place_unresolved"]["field"] == "village" and "无此名村" in found["place_unresolved"]["message_zh"]
        assert "household_places_differ" not in found  # the same village's household
        # another county's key, the same ID number and household, placed in its own county: told nothing of them
        theirs = _moved(row, county=OTHER_COUNTY_NAME, name="", phone="")
        answer = put("LNOTICE02", "foreign", theirs)
        created.append(("LNOTICE02", "foreign"))
        assert answer["inserted"] == 1
        assert not {"same_person_two_ids", "household_places_differ"} & set(codes(answer)), answer["notices"]
        assert target not in str(answer["notices"]) and "LNOTICE01" not in str(answer["notices"])
        # a key without an area is told both
        answer = put("LNOTICE03", "admin", theirs)
        created.append(("LNOTICE03", "admin"))
        found = codes(answer)
        assert {"same_person_two_ids", "household_places_differ"} <= set(found), answer["notices"]
        assert found["household_places_differ"]["field"] == "household_id"
        # an import: the notices of the rows stored, by their row in the file, and how many in all
        clean = _moved(row, laborer_id="LNOTICE04", id_number="", phone="", town=row["town"], village=row["village"])
        odd = _moved(row, laborer_id="LNOTICE05", id_number="", phone="", town=row["town"], village="另一无此名村")
        bad = _moved(row, laborer_id="LNOTICE06", id_number="", phone="", age="300", village="第三无此名村")
        response = _import(county, "laborers", pd.DataFrame([clean, odd, bad]), "organizer")
        assert response.status_code == 200, response.text
        summary = response.json()
        created += [("LNOTICE04", "organizer"), ("LNOTICE05", "organizer")]
        assert (summary["inserted"], summary["rejected"]) == (2, 1), summary
        # row 4 was refused: its unknown village is a reject's matter, not a notice
        assert [(n["row"], n["code"]) for n in summary["notices"]] == [(3, "place_unresolved")]
        assert summary["notices_total"] == 1 and "另一无此名村" in summary["notices"][0]["message_zh"]
    finally:
        for record_id, role in created:
            county.client.delete(f"/laborers/{record_id}", headers=county.auth(role))
