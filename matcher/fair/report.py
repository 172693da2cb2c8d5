"""After the fair: what the invitations turned into, from the outcomes recorded with the fair's id.

Outcomes come from ``matcher ingest placements`` (a file with ``fair_id``,
or the fair's own workbook filled in by hand). Per (person, post) the most
advanced outcome counts: attended ⊃ interviewed ⊃ hired. A recorded outcome
of any kind means the person came to the booth; interviews count
``interviewed`` and every outcome that implies one (hired, retained, quit).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher.fair.model import Fair, fair_placements, load_fair, load_invitations

__all__ = ["FairReport", "fair_report"]

_INTERVIEWED = {"interviewed", "hired", "retained_6m", "quit"}
_HIRED = {"hired", "retained_6m", "quit"}


class FairReport(NamedTuple):
    """Figures of one fair; ``booths`` has one row per post with the same figures.

    :func:`service.render.fair_report.report_lines` prints them.
    """

    fair: Fair
    invitations: int
    invited_people: int
    attended: int
    attended_invited: int
    interviews: int
    hires: int
    hires_zero_employment: int
    hires_invited: int
    openings: int
    openings_left: int
    booths: pd.DataFrame


def fair_report(engine: Engine, fair_id: str) -> FairReport:
    """Invitations, attendance, interviews, hires (and from zero-employment households), openings left."""
    from store import load_households, load_laborers, load_vacancies

    fair = load_fair(engine, fair_id)
    inv = load_invitations(engine, fair_id)
    outcomes = fair_placements(engine, fair_id)
    posts = load_vacancies(engine, ids=list(fair.vacancy_ids))[["vacancy_id", "title", "openings"]]
    posts["openings"] = pd.to_numeric(posts["openings"], errors="coerce").fillna(0).astype(int)
    pairs = (
        outcomes.groupby(["laborer_id", "vacancy_id"])["outcome"].agg(set).reset_index()
        if len(outcomes)
        else pd.DataFrame(
            {
                "laborer_id": pd.Series(dtype=object),
                "vacancy_id": pd.Series(dtype=object),
                "outcome": pd.Series(dtype=object),
            }
        )
    )
    pairs["interviewed"] = np.array([bool(s & _INTERVIEWED) for s in pairs["outcome"]], dtype=bool)
    pairs["hired"] = np.array([bool(s & _HIRED) for s in pairs["outcome"]], dtype=bool)
    invited_pairs = set(zip(inv["laborer_id"], inv["vacancy_id"], strict=True))
    pairs["invited"] = np.array(
        [(a, b) in invited_pairs for a, b in zip(pairs["laborer_id"], pairs["vacancy_id"], strict=True)], dtype=bool
    )
    zero = np.zeros(len(pairs), dtype=bool)
    hired_people = pairs.loc[pairs["hired"], "laborer_id"].unique().tolist()
    if hired_people:
        people = load_laborers(engine, ids=hired_people)[["laborer_id", "household_id"]]
        homes = load_households(engine)
        z = people["household_id"].map(homes.set_index("household_id")["zero_employment"]).fillna(False)
        zero_ids = set(people.loc[z.astype(bool).to_numpy(), "laborer_id"])
        zero = pairs["laborer_id"].isin(zero_ids).to_numpy() & pairs["hired"].to_numpy()
    hires_per_post = pairs[pairs["hired"]].groupby("vacancy_id").size()
    booths = posts.assign(
        invited=posts["vacancy_id"].map(inv.groupby("vacancy_id").size()).fillna(0).astype(int),
        attended=posts["vacancy_id"].map(pairs.groupby("vacancy_id").size()).fillna(0).astype(int),
        interviews=posts["vacancy_id"]
        .map(pairs[pairs["interviewed"]].groupby("vacancy_id").size())
        .fillna(0)
        .astype(int),
        hires=posts["vacancy_id"].map(hires_per_post).fillna(0).astype(int),
    )
    booths["openings_left"] = (booths["openings"] - booths["hires"]).clip(lower=0)
    attended_people = set(pairs["laborer_id"])
    return FairReport(
        fair=fair,
        invitations=len(inv),
        invited_people=inv["laborer_id"].nunique(),
        attended=len(attended_people),
        attended_invited=len(attended_people & set(inv["laborer_id"])),
        interviews=int(pairs["interviewed"].sum()),
        hires=int(pairs["hired"].sum()),
        hires_zero_employment=int(zero.sum()),
        hires_invited=int((pairs["hired"] & pairs["invited"]).sum()),
        openings=int(booths["openings"].sum()),
        openings_left=int(booths["openings_left"].sum()),
        booths=booths,
    )
