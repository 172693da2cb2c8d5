"""Response (and request) models: what a generated client sees."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Notices an import answers with at most (``notices_total`` counts them all).
MAX_NOTICES = 1000

__all__ = [
    "ErrorBody",
    "Health",
    "PersonRecord",
    "PostRecord",
    "RecordPage",
    "RejectOut",
    "IngestOut",
    "SuggestionsOut",
    "RecommendationOut",
    "FlagOut",
    "ShortfallOut",
    "CandidateOut",
    "CandidatesOut",
    "NormalizeIn",
    "NormalizeOut",
    "OccupationMatchOut",
    "RunOut",
    "AuditEntry",
    "Deleted",
]


class ErrorBody(BaseModel):
    """Every error answer."""

    code: str = Field(description="stable machine code, e.g. laborer_not_found")
    message_zh: str
    message_en: str
    field: str | None = None
    value: str | None = None
    allowed: str | None = None


class Health(BaseModel):
    status: str = Field(description="ok | not_ready")
    ready: bool
    model_version: str | None = None
    run_id: str | None = Field(None, description="the published run served (None: none)")
    open_posts: int | None = None
    index_size: int | None = None
    change_seq: int | None = None
    today: str | None = None
    ranker: str | None = Field(None, description="gbdt (learned from the placement history) | prior")
    probability_of: str | None = Field(
        None, description="what a suggestion's score is the probability of: hire | response (too few hires)"
    )
    learned_from: dict[str, int] | None = Field(
        None, description="the history's funnels by furthest stage (and how many ended in a refusal or a quit)"
    )
    reason: ErrorBody | None = None


class PersonRecord(BaseModel):
    """A laborer's stored record; name, id_number and phone masked without the pii right."""

    model_config = ConfigDict(extra="allow")
    laborer_id: str
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    county_code: str | None = None
    town_code: str | None = None
    village_code: str | None = None
    employment_status: str | None = None


class PostRecord(BaseModel):
    """A vacancy's stored record."""

    model_config = ConfigDict(extra="allow")
    vacancy_id: str
    title: str | None = None
    county_code: str | None = None
    status: str | None = None


class RecordPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


class RejectOut(BaseModel):
    row: int
    field: str
    value: str | None
    reason_zh: str
    reason_en: str


class NoticeOut(BaseModel):
    """Something to check in a row that was stored (``matcher.ingest.Notice``): not an error."""

    row: int
    field: str
    code: str = Field(description="place_unresolved, occupation_unknown, same_person_two_ids, household_places_differ")
    message_zh: str
    message_en: str


class IngestOut(BaseModel):
    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    rejects: list[RejectOut]
    ignored_columns: list[str] = []
    notices: list[NoticeOut] = Field(default=[], description=f"the first {MAX_NOTICES} notices, in row order")
    notices_total: int = 0


class FlagOut(BaseModel):
    kind: str
    reasons: list[str]


class RecommendationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    vacancy_id: str
    title: str
    kind: str
    score: float
    step: str
    reasons: list[str]
    details: dict[str, Any] | None = None


class ShortfallOut(BaseModel):
    reason: str
    reason_en: str
    available: int


class SuggestionsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    laborer_id: str
    source: str = Field(description='"run": last night\'s list; "live": computed now')
    run_id: str | None = None
    flags: list[FlagOut]
    recommendations: list[RecommendationOut]
    shortfall: ShortfallOut | None = None
    prior: bool = False


class CandidateOut(BaseModel):
    laborer_id: str
    name: str | None = None
    score: float
    step: str
    reasons: list[str]
    details: dict[str, Any] | None = None


class CandidatesOut(BaseModel):
    vacancy_id: str
    candidates: list[CandidateOut]


class NormalizeIn(BaseModel):
    titles: list[str] = Field(min_length=1, max_length=200, description="free-text job titles or skills")
    k: int = Field(5, ge=1, le=20)


class OccupationMatchOut(BaseModel):
    code: str
    name: str
    score: float
    source: str | None = None


class OccupationAnswerOut(BaseModel):
    code: str | None = Field(description="the level-4 code, or null when unknown")
    name: str | None = None
    confidence: float = Field(description="calibrated probability that the first match is right")
    unknown: bool = Field(description="below the calibrated confidence: no code, for a clerk to decide")


class NormalizeOut(BaseModel):
    results: list[list[OccupationMatchOut]]
    answers: list[OccupationAnswerOut] = Field(
        default_factory=list, description="per title: the answer, or unknown below the calibrated confidence"
    )


class RunOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    run_id: str


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="allow")
    at: Any = None
    key_id: str | None = None
    role: str | None = None
    laborer_id: str | None = None
    action: str
    route: str | None = None
    status: int | None = None


class Deleted(BaseModel):
    deleted: bool
    id: str
