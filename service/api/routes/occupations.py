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
    """Up to 200 titles in; per title the best ``k`` occupations (code, name, score)."""
    from features.occupations import get_normalizer

    matches = get_normalizer().normalize(body.titles, k=body.k)
    return {
        "results": [
            [{"code": m.code, "name": m.name, "score": round(float(m.score), 4), "source": m.source} for m in row]
            for row in matches
        ]
    }
