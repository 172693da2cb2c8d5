"""Record factories for the store tests (synthetic data, no real people)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

Factory = Callable[..., dict[str, Any]]


def content_hash(record: dict[str, Any]) -> str:
    """md5 over the record without bookkeeping fields, as the ingest layer does."""
    payload = {k: v for k, v in record.items() if k not in ("content_hash", "ingested_at")}
    return hashlib.md5(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def laborer(i: int, **overrides: Any) -> dict[str, Any]:
    """A synthetic laborer record number ``i``."""
    rec: dict[str, Any] = {
        "laborer_id": f"L{i:07d}",
        "name": f"测试{i}",
        "id_number": f"5201{i:014d}",
        "phone": f"138{i:08d}",
        "gender": "男" if i % 2 else "女",
        "age": 20 + i % 40,
        "birth_date": date(1980 + i % 30, 1 + i % 12, 1 + i % 28),
        "household_id": f"H{i // 3:06d}",
        "province": "贵州省",
        "city": "毕节市",
        "county": "威宁县",
        "town": f"{i % 5}号镇",
        "village": f"{i % 17}号村",
        "admin_code": "520526100001",
        "county_code": "520526" if i % 4 else "520527",
        "town_code": f"520526{100 + i % 5:03d}",
        "village_code": f"520526{100 + i % 5:03d}{i % 17:03d}",
        "geo_unresolved": [],
        "lat": 26.8 + i * 1e-6,
        "lon": 104.2,
        "coord_source": "village",
        "education": "初中",
        "skills": ["电焊", "砌筑"] if i % 2 else ["种植"],
        "certificates": [],
        "job_intention": ["建筑"],
        "wants_job": True,
        "registered_poor": i % 3 == 0,
        "employment_status": "unemployed",
        "expected_wage": 3000.0 + i % 10,
        "updated_at": datetime(2025, 1, 1),
    }
    rec.update(overrides)
    rec["content_hash"] = content_hash(rec)
    return rec


def vacancy(i: int, **overrides: Any) -> dict[str, Any]:
    """A synthetic vacancy record number ``i``."""
    rec: dict[str, Any] = {
        "vacancy_id": f"V{i:06d}",
        "employer_id": f"E{i % 50:04d}",
        "employer_name": f"某某建筑公司{i % 50}",
        "kind": "full_time",
        "title": "电焊工",
        "description": "负责钢结构焊接",
        "required_skills": ["电焊"],
        "required_certificates": ["焊工证"],
        "openings": 1 + i % 5,
        "county_code": "520526",
        "wage_min": 4000.0,
        "wage_max": 6000.0,
        "wage_unit": "month",
        "lodging_provided": i % 2 == 0,
        "start_date": date(2025, 3, 1),
        "status": "open" if i % 3 else "closed",
        "updated_at": datetime(2025, 1, 1),
    }
    rec.update(overrides)
    rec["content_hash"] = content_hash(rec)
    return rec


@pytest.fixture
def make_laborer() -> Factory:
    """Factory ``make_laborer(i, **overrides)`` with a fresh ``content_hash``."""
    return laborer


@pytest.fixture
def make_vacancy() -> Factory:
    """Factory ``make_vacancy(i, **overrides)`` with a fresh ``content_hash``."""
    return vacancy
