"""``POST /occupations/normalize``: free-text titles to 2022 occupation codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.api.deps import ALL_ROLES, role_dep
from service.api.schemas import ErrorBody, NormalizeIn, NormalizeOut

router = APIRouter(tags=["occupations"], responses={403: {"model": ErrorBody}})

Anyone = role_dep(*ALL_ROLES)


@router.post("/occupations/normalize", response_model=NormalizeOut)
def normalize(body: NormalizeIn, principal: Anyone) -> dict[str, Any]:
    """Up to 200 titles in; per title the best ``k`` occupations (code, name, score) and the answer: the first
    code, or ``unknown`` below the normaliser's calibrated confidence (a clerk decides)."""
    from features.occupations import get_normalizer

    answers = get_normalizer().resolve(body.titles, k=body.k)
    return {
        "results": [
            [{"code": m.code, "name": m.name, "score": round(float(m.score), 4), "source": m.source} for m in a.matches]
            for a in answers
        ],
        "answers": [
            {"code": a.code, "name": a.name, "confidence": round(float(a.confidence), 4), "unknown": bool(a.unknown)}
            for a in answers
        ],
    }
