"""Outcomes a caseworker records for a suggestion (帮扶效果), stored as placements.

A placement row (``store.schema.placements``) is what ``matcher ingest placements`` writes:
``placement_id``, ``laborer_id``, ``vacancy_id``, ``outcome``, ``date``, ``source``,
``fair_id``. An outcome recorded on the web desk is one more such row, so the next training
learns from it (``hired`` is a positive, any other outcome a negative) and the matcher's answered
posts (:mod:`matcher.answered`) see it like any other.

Outcomes the desk offers, in the order a suggestion moves through them:

=============  ============  ==============================================================
code           Chinese       meaning
=============  ============  ==============================================================
recommended    已推送          the post was passed on to the person (the ledger's own code)
contacted      已联系          the caseworker reached the person about it
applied        已报名          the person applied
interviewed    已面试          the person was interviewed
hired          已录用          the person was hired
rejected       未录用          the employer said no (the ledger's ``rejected``)
declined       本人婉拒         the person said no, with one of :data:`DECLINE_REASONS`
=============  ============  ==============================================================

The placements table has no column for the reason of a refusal, so a decline's reason is kept in
``source`` after a colon (``caseworker:too_far``); :func:`decline_reason` reads it back.

``placement_id`` is derived like the ingest derives a missing one (``P`` and 20 hex digits of the
SHA-1 of laborer, post, outcome, date and fair), so the same outcome recorded twice on one day is
one row, and a later ledger file that carries the same outcome does not double it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.engine import begin_write
from store.errors import InputError, NotFoundError
from store.schema import laborers, placements, vacancies
from store.upsert import upsert, utcnow

__all__ = [
    "OUTCOMES",
    "DECLINE_REASONS",
    "Recorded",
    "record_outcome",
    "person_outcomes",
    "outcome_counts",
    "decline_reason",
    "placement_id",
]

#: Outcome code → Chinese word, in the order a suggestion moves through them.
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("recommended", "已推送"),
    ("contacted", "已联系"),
    ("applied", "已报名"),
    ("interviewed", "已面试"),
    ("hired", "已录用"),
    ("rejected", "未录用"),
    ("declined", "本人婉拒"),
)
#: Why a person declined a post: reason code → Chinese.
DECLINE_REASONS: tuple[tuple[str, str], ...] = (
    ("too_far", "路太远"),
    ("wage_too_low", "工资太低"),
    ("health", "身体原因"),
    ("care_duties", "要照顾家庭"),
    ("other", "其他原因"),
)
_CODES = dict(OUTCOMES)
_REASONS = dict(DECLINE_REASONS)
_SOURCE_LIMIT = 64


class Recorded(NamedTuple):
    """What :func:`record_outcome` stored."""

    placement_id: str
    inserted: bool  # False: the same outcome was already recorded that day (the row was kept or updated)


def placement_id(laborer_id: str, vacancy_id: str, outcome: str, day: dt.date, fair_id: str | None) -> str:
    """The id the ingest derives for a placement row without one (see the module docstring)."""
    text = f"{laborer_id}|{vacancy_id}|{outcome}|{day}|{fair_id}"
    return "P" + hashlib.sha1(text.encode()).hexdigest()[:20]


def decline_reason(source: str | None) -> str | None:
    """The decline reason code kept in a placement's ``source`` (``caseworker:too_far`` → ``too_far``)."""
    if not source or ":" not in source:
        return None
    reason = source.rsplit(":", 1)[1]
    return reason if reason in _REASONS else None


def _refuse(field: str, value: Any, zh: str, en: str, allowed: str) -> InputError:
    return InputError(en, zh, field=field, value=value, allowed=allowed, code="bad_outcome")


def record_outcome(
    engine: Engine,
    *,
    laborer_id: str,
    vacancy_id: str,
    outcome: str,
    day: dt.date,
    reason: str | None = None,
    source: str = "caseworker",
    fair_id: str | None = None,
) -> Recorded:
    """Store one outcome as a placement row (upsert and change record in one write transaction).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    laborer_id, vacancy_id : str
        Stored ids (the caller has checked the caller may see both).
    outcome : str
        A code of :data:`OUTCOMES`.
    day : datetime.date
        When it happened (the application's today).
    reason : str or None
        A code of :data:`DECLINE_REASONS`; required for ``declined``, refused otherwise.
    source : str
        Where the record comes from (``caseworker``, ``fair`` …); a decline's reason is appended.
    fair_id : str or None
        The job fair the outcome belongs to.

    Returns
    -------
    Recorded

    Raises
    ------
    InputError
        An unknown outcome or reason, a reason without a decline or a decline without a reason.
    NotFoundError
        The person or the post is not in the store.
    """
    if outcome not in _CODES:
        raise _refuse(
            "outcome",
            outcome,
            f"对接结果「{outcome}」无效",
            f"outcome {outcome!r} is not allowed",
            ", ".join(_CODES),
        )
    if outcome == "declined":
        if reason not in _REASONS:
            raise _refuse(
                "reason",
                reason,
                "婉拒须选择原因",
                "a decline needs one of the reasons",
                ", ".join(_REASONS),
            )
        source = f"{source}:{reason}"
    elif reason:
        raise _refuse("reason", reason, "只有婉拒才填写原因", "a reason goes with a decline only", "declined")
    source = source[:_SOURCE_LIMIT]
    pid = placement_id(laborer_id, vacancy_id, outcome, day, fair_id)
    record = {
        "placement_id": pid,
        "laborer_id": laborer_id,
        "vacancy_id": vacancy_id,
        "outcome": outcome,
        "date": day,
        "source": source,
        "fair_id": fair_id,
    }
    digest = hashlib.md5(json.dumps([record[k] for k in record], default=str, ensure_ascii=False).encode()).hexdigest()
    now = utcnow().replace(microsecond=0)
    with begin_write(engine) as conn:
        for column, value, zh, en in (
            (laborers.c.laborer_id, laborer_id, "劳动力", "laborer"),
            (vacancies.c.vacancy_id, vacancy_id, "岗位", "vacancy"),
        ):
            if conn.execute(sa.select(column).where(column == value)).first() is None:
                raise NotFoundError(
                    f"no {en} with id {value}",
                    f"没有编号为 {value} 的{zh}",
                    field=column.name,
                    value=value,
                    code=f"{en}_not_found",
                )
        counts = upsert(conn, "placements", [{**record, "content_hash": digest, "updated_at": now}])
    return Recorded(pid, counts.inserted == 1)


def person_outcomes(engine: Engine, laborer_id: str) -> list[dict[str, Any]]:
    """The person's placement rows (any source), newest first, each with its decline ``reason``."""
    stmt = (
        sa.select(placements)
        .where(placements.c.laborer_id == laborer_id)
        .order_by(placements.c.date.desc(), placements.c.ingested_at.desc(), placements.c.placement_id)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["reason"] = decline_reason(row.get("source")) if row.get("outcome") == "declined" else None
    return rows


def outcome_counts(engine: Engine, vacancy_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per post: how many people reached each outcome (``{vacancy_id: {outcome: people}}``)."""
    wanted = sorted({str(v) for v in vacancy_ids})
    out: dict[str, dict[str, int]] = {}
    if not wanted:
        return out
    for start in range(0, len(wanted), 5000):
        stmt = (
            sa.select(
                placements.c.vacancy_id,
                placements.c.outcome,
                sa.func.count(sa.distinct(placements.c.laborer_id)),
            )
            .where(placements.c.vacancy_id.in_(wanted[start : start + 5000]))
            .group_by(placements.c.vacancy_id, placements.c.outcome)
        )
        with engine.connect() as conn:
            for vacancy_id, outcome, people in conn.execute(stmt):
                out.setdefault(str(vacancy_id), {})[str(outcome)] = int(people)
    return out
