"""A job fair (专场招聘会): its posts, date and venue, and its stored shortlist.

A fair is a set of vacancies (by id, from a file, or every open market post
of a county on the fair's date), a date and a place. The place is free text
as the organiser writes it (``马坊镇罗家村村委会广场``); it is resolved to the
deepest town or village of the fair's county named in it (or taken from an
explicit administrative code), so the reach rules can tell who can get there.

Everything here talks to the store; the solver and the exports never do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matcher.errors import InputError
from store import check_schema, load_known_ids, load_vacancies
from store.engine import begin_write
from store.schema import job_fair_invitations, job_fair_vacancies, job_fairs, laborers, placements, vacancies

__all__ = [
    "Fair",
    "create_fair",
    "seeker_ids",
    "list_fairs",
    "load_fair",
    "read_vacancy_ids",
    "resolve_venue",
    "county_vacancy_ids",
    "save_invitations",
    "load_invitations",
    "fair_placements",
]

#: Post kinds a county-wide fair offers: public-welfare posts are placed by the village, not at a booth.
FAIR_KINDS = ("enterprise", "workshop_factory", "workshop_home", "workshop_base", "online")


@dataclass(frozen=True)
class Fair:
    """One fair as stored; ``vacancy_ids`` in id order."""

    fair_id: str
    name: str
    date: dt.date
    place: str
    county_code: str
    venue_code: str | None
    venue_lat: float | None
    venue_lon: float | None
    vacancy_ids: tuple[str, ...]
    created_at: dt.datetime | None = None


def read_vacancy_ids(path: Path) -> list[str]:
    """Vacancy ids from a file: one id a line, or any vacancy file ``matcher ingest`` reads (its id column).

    Raises
    ------
    InputError
        The file does not exist, or a table file has no vacancy id column.
    """
    from features.contract.validate import map_headers
    from features.readers import UnusableFile, read_table

    if not path.is_file():
        raise InputError(f"--vacancies {path}: file not found", f"--vacancies {path}：文件不存在")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".xlsx", ".xlsm", ".json", ".jsonl"):
        try:
            table = read_table(path)
        except UnusableFile:
            if suffix not in (".csv", ".tsv"):
                raise
        else:
            mapping, _ = map_headers("vacancies", [str(c) for c in table.frame.columns])
            column = next((raw for raw, name in mapping.items() if name == "vacancy_id"), None)
            if column is not None:
                values = table.frame[column].astype(str).str.strip()
                return list(dict.fromkeys(v for v in values if v and v.lower() != "nan"))
            if suffix not in (".csv", ".tsv"):
                headers = "、".join(map(str, table.frame.columns[:10]))
                raise InputError(
                    f"--vacancies {path.name}: no vacancy id column (vacancy_id / 岗位编号); found: {headers}",
                    f"--vacancies {path.name}：找不到岗位编号列（vacancy_id / 岗位编号）；文件中的列：{headers}",
                )
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    ids = [line.split(",")[0].strip() for line in text.splitlines()]
    return list(dict.fromkeys(i for i in ids if i and not i.startswith("#")))


def seeker_ids(engine: Engine, county_codes: list[str] | None) -> list[str]:
    """Ids of the job seekers (``wants_job``; not ``unable`` or ``student``) of some counties (all when None)."""
    status = laborers.c.employment_status
    stmt = sa.select(laborers.c.laborer_id).where(
        laborers.c.wants_job.is_(True), sa.or_(status.is_(None), status.not_in(["unable", "student"]))
    )
    if county_codes is not None:
        stmt = stmt.where(laborers.c.county_code.in_(county_codes))
    with engine.connect() as conn:
        return list(conn.execute(stmt.order_by(laborers.c.laborer_id)).scalars())


def county_vacancy_ids(engine: Engine, county_code: str, on: dt.date) -> list[str]:
    """Every open market post of the county active on ``on`` (public-welfare posts left out)."""
    frame = load_vacancies(engine, county_codes=[county_code], status="open")
    if frame.empty:
        return []
    end = pd.to_datetime(frame["end_date"]).dt.date
    start = pd.to_datetime(frame["start_date"]).dt.date
    active = (end.isna() | (end >= on)) & (start.isna() | (start <= on))
    keep = active & frame["kind"].isin(FAIR_KINDS) & (frame["openings"].fillna(0) > 0)
    return frame.loc[keep.to_numpy(dtype=bool), "vacancy_id"].astype(str).tolist()


def resolve_venue(
    place: str, county_code: str, place_code: str | None = None
) -> tuple[str | None, float | None, float | None]:
    """``(admin code, lat, lon)`` of the venue: the explicit code, else the deepest place of the county named.

    Town names match with or without their suffix (``马坊镇`` and ``马坊``); a
    village is searched inside the town found, else inside the whole county.
    Falls back to the county itself.
    """
    from features.geo import get_gazetteer

    gaz = get_gazetteer()
    if place_code:
        found = gaz.get(place_code)
        if found is None:
            raise InputError(
                f"--place-code {place_code!r}: not an administrative code of the gazetteer",
                f"--place-code「{place_code}」不是有效的行政区划代码",
            )
        lat, lon = gaz.coords(found.code)
        return found.code, lat, lon
    county = gaz.get(county_code)
    if county is None:
        return None, None, None
    text = "".join(place.split())
    best = county

    def short(name: str) -> str:
        name = name.removesuffix("办事处")
        for suffix in ("街道", "镇", "乡", "村委会", "社区居委会", "居委会", "村", "社区"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name[: -len(suffix)]
        return name

    def named(p: object, within: str) -> bool:
        name = str(getattr(p, "name", ""))
        return name in within or short(name) in within

    town = next((t for t in gaz.children(county.code, level="town") if named(t, text)), None)
    if town is not None:
        best = town
        # What follows the town's name may name a village; the town's own name must not.
        name = town.name if town.name in text else short(town.name)
        text = text.split(name, 1)[1]
    scope = town or county
    village = next((v for v in gaz.children(scope.code, level="village") if named(v, text)), None)
    if village is not None:
        best = village
    lat, lon = gaz.coords(best.code)
    return best.code, lat, lon


def _next_fair_id(conn: sa.Connection, date: dt.date) -> str:
    prefix = f"JF{date:%Y%m%d}-"
    taken = set(conn.execute(sa.select(job_fairs.c.fair_id).where(job_fairs.c.fair_id.like(prefix + "%"))).scalars())
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def create_fair(
    engine: Engine,
    *,
    name: str,
    date: dt.date,
    place: str,
    vacancy_ids: list[str] | None = None,
    county: str | None = None,
    place_code: str | None = None,
    within: str | None = None,
) -> Fair:
    """Store a new fair and return it.

    Exactly one of ``vacancy_ids`` and ``county`` selects the posts. With
    ``county`` (6-digit code) the fair offers every open market post of the
    county active on ``date``. ``within``: the county of a caller who may see
    that county's posts alone (a county's key): the fair is that county's, and
    a post of another county is as unknown as an id the store does not hold.

    Raises
    ------
    InputError
        Empty name or place, a malformed county code, unknown vacancy ids, or no post at all.
    """
    check_schema(engine)
    if not name.strip():
        raise InputError("--name is empty; give the fair's name", "--name 为空，请填写招聘会名称")
    if not place.strip():
        raise InputError("--place is empty; give the venue", "--place 为空，请填写举办地点")
    if (vacancy_ids is None) == (county is None):
        raise InputError(
            "give either --vacancies FILE or --county CODE (one of them)",
            "请给出 --vacancies 文件或 --county 县代码（二选一）",
        )
    if county is not None:
        if not (len(county) == 6 and county.isdigit()):
            raise InputError(
                f"--county {county!r}: must be a 6-digit county code such as 610426",
                f"--county「{county}」应为6位县级行政区划代码，例如 610426",
            )
        vacancy_ids = county_vacancy_ids(engine, county, date)
        if not vacancy_ids:
            raise InputError(
                f"--county {county}: no open market post of this county is active on {date}",
                f"--county {county}：该县在{date}没有在招的市场岗位",
            )
    assert vacancy_ids is not None
    ids = list(dict.fromkeys(vacancy_ids))
    if not ids:
        raise InputError(
            "the vacancy list is empty; give at least one vacancy id", "岗位清单为空，请至少给出一个岗位编号"
        )
    if within is None:
        known = load_known_ids(engine, "vacancies", ids)
    else:  # a post of another county is unknown to the caller
        known = set(load_vacancies(engine, ids=ids, county_codes=[within])["vacancy_id"].astype(str))
    county = county or within
    unknown = [v for v in ids if v not in known]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise InputError(
            f"{len(unknown)} vacancy ids are not in the store: {shown}; ingest the vacancies first",
            f"{len(unknown)}个岗位编号不在库中：{shown}；请先导入岗位清单",
        )
    if county is None:
        codes = load_vacancies(engine, ids=ids)["county_code"].dropna()
        county = str(codes.mode().iloc[0]) if len(codes) else ""
    venue_code, lat, lon = resolve_venue(place, county, place_code)
    from store.upsert import utcnow

    with begin_write(engine) as conn:
        fair_id = _next_fair_id(conn, date)
        now = utcnow().replace(microsecond=0)
        conn.execute(
            sa.insert(job_fairs).values(
                fair_id=fair_id,
                name=name.strip(),
                date=date,
                place=place.strip(),
                county_code=county or None,
                created_at=now,
                venue_code=venue_code,
                venue_lat=lat,
                venue_lon=lon,
            )
        )
        conn.execute(sa.insert(job_fair_vacancies), [{"fair_id": fair_id, "vacancy_id": v} for v in ids])
    return load_fair(engine, fair_id)


def _fair(row: sa.Row, ids: tuple[str, ...]) -> Fair:
    return Fair(
        row.fair_id,
        row.name or "",
        row.date,
        row.place or "",
        row.county_code or "",
        row.venue_code,
        row.venue_lat,
        row.venue_lon,
        ids,
        row.created_at,
    )


def load_fair(engine: Engine, fair_id: str) -> Fair:
    """The stored fair with this id.

    Raises
    ------
    InputError
        No such fair (the message lists how to find the ids).
    """
    check_schema(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(job_fairs).where(job_fairs.c.fair_id == fair_id)).first()
        if row is None:
            raise InputError(
                f"no job fair with id {fair_id!r}; `matcher fair list` shows the fairs",
                f"没有编号为「{fair_id}」的招聘会；`matcher fair list` 可列出全部招聘会",
            )
        ids = conn.execute(
            sa.select(job_fair_vacancies.c.vacancy_id)
            .where(job_fair_vacancies.c.fair_id == fair_id)
            .order_by(job_fair_vacancies.c.vacancy_id)
        ).scalars()
        return _fair(row, tuple(ids))


def list_fairs(engine: Engine) -> pd.DataFrame:
    """One row per fair: id, date, name, place, posts, openings, invitations (newest first)."""
    check_schema(engine)
    posts = (
        sa.select(
            job_fair_vacancies.c.fair_id,
            sa.func.count().label("posts"),
            sa.func.coalesce(sa.func.sum(vacancies.c.openings), 0).label("openings"),
        )
        .join(vacancies, vacancies.c.vacancy_id == job_fair_vacancies.c.vacancy_id, isouter=True)
        .group_by(job_fair_vacancies.c.fair_id)
        .subquery()
    )
    invited = (
        sa.select(job_fair_invitations.c.fair_id, sa.func.count().label("invitations"))
        .group_by(job_fair_invitations.c.fair_id)
        .subquery()
    )
    stmt = (
        sa.select(
            job_fairs.c.fair_id,
            job_fairs.c.date,
            job_fairs.c.name,
            job_fairs.c.place,
            job_fairs.c.county_code,
            sa.func.coalesce(posts.c.posts, 0).label("posts"),
            sa.func.coalesce(posts.c.openings, 0).label("openings"),
            sa.func.coalesce(invited.c.invitations, 0).label("invitations"),
        )
        .join(posts, posts.c.fair_id == job_fairs.c.fair_id, isouter=True)
        .join(invited, invited.c.fair_id == job_fairs.c.fair_id, isouter=True)
        .order_by(job_fairs.c.date.desc(), job_fairs.c.fair_id.desc())
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(
        rows, columns=["fair_id", "date", "name", "place", "county_code", "posts", "openings", "invitations"]
    )


def save_invitations(engine: Engine, fair_id: str, invitations: pd.DataFrame) -> None:
    """Replace the fair's stored shortlist by ``invitations`` (columns of ``job_fair_invitations``), atomically."""
    from store.upsert import utcnow

    cols = [c.name for c in job_fair_invitations.c if c.name not in ("fair_id", "created_at")]
    frame = invitations[cols].astype(object).where(invitations[cols].notna(), None)
    now = utcnow().replace(microsecond=0)
    rows = [{**r, "fair_id": fair_id, "created_at": now} for r in frame.to_dict(orient="records")]
    with engine.begin() as conn:
        conn.execute(sa.delete(job_fair_invitations).where(job_fair_invitations.c.fair_id == fair_id))
        if rows:
            conn.execute(sa.insert(job_fair_invitations), rows)


def load_invitations(engine: Engine, fair_id: str) -> pd.DataFrame:
    """The fair's stored shortlist, one row per invitation."""
    cols = [c.name for c in job_fair_invitations.c]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(job_fair_invitations)
            .where(job_fair_invitations.c.fair_id == fair_id)
            .order_by(job_fair_invitations.c.vacancy_id, job_fair_invitations.c.rank)
        ).all()
    return pd.DataFrame(rows, columns=cols)


def fair_placements(engine: Engine, fair_id: str) -> pd.DataFrame:
    """Placement records (outcomes) tagged with this fair."""
    cols = ["laborer_id", "vacancy_id", "outcome", "date"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*(placements.c[c] for c in cols)).where(placements.c.fair_id == fair_id)).all()
    return pd.DataFrame(rows, columns=cols)
