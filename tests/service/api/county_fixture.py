"""A small trained store of TWO counties for the adversarial API tests, and its keys.

``build_two_counties(home)`` generates a sample county (永寿县, 610426), moves every other
household and every third post to the neighbouring 乾县 (610425; town and village become
unknown, as ``tests/matcher/batch/conftest.py::spread_households`` does), ingests it through
:class:`matcher.app.Application`, trains a model and publishes one batch run. It then creates
one key per role and county (plus a revoked one) and picks a laborer and a post of each county.

The app's authentication-failure limiter (5 failures a minute → 429) is replaced by a lenient
one in :func:`client_for`: these tests send many keyless and revoked-key requests on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from matcher.app import Application
from matcher.batch.runner import BatchOptions, run_batch
from matcher.settings import Settings
from sampledata import generate
from service.api.deps import FailureLimiter
from service.api.main import create_app
from store.keys import create_key, revoke_key

#: 永寿县 (the sample's own county) and its neighbour 乾县.
OWN = "610426"
OTHER = "610424"
OTHER_NAME = "乾县"
ROLES = ("admin", "organizer", "caseworker", "readonly")


def spread(laborers: Path, vacancies: Path) -> None:
    """Odd-numbered households and every third post move to 乾县 (town, village and place cleared)."""
    frame = pd.read_csv(laborers, dtype=str, keep_default_na=False)
    moved = frame["household_id"].str.extract(r"(\d+)$", expand=False).astype(int) % 2 == 1
    frame.loc[moved, "county"] = OTHER_NAME
    frame.loc[moved, ["town", "village", "lat", "lon"]] = ""
    frame.to_csv(laborers, index=False)
    posts = pd.read_csv(vacancies, dtype=str, keep_default_na=False)
    moved = posts["vacancy_id"].str.extract(r"(\d+)$", expand=False).astype(int) % 3 == 0
    posts.loc[moved, "county"] = OTHER_NAME
    posts.loc[moved, ["town", "village", "lat", "lon"]] = ""
    posts.to_csv(vacancies, index=False)


@dataclass
class TwoCounties:
    """The store, its settings, the keys (plain text) and one laborer and post per county."""

    home: Path
    settings: Settings
    application: Application
    files: dict[str, Path]
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, county) -> key text
    pii_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    revoked: str = ""
    laborer: dict[str, dict[str, Any]] = field(default_factory=dict)  # county -> a stored record
    vacancy: dict[str, dict[str, Any]] = field(default_factory=dict)
    laborers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # county -> a few stored records
    vacancies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    run_id: str = ""

    def key(self, role: str, county: str = OWN, *, pii: bool = False) -> str:
        return (self.pii_keys if pii else self.keys)[(role, county)]


def _key(engine: Any, role: str, county: str, pii: bool) -> str:
    _, text = create_key(engine, role=role, county_code=None if role == "admin" else county, pii=pii)
    return text


def build_two_counties(
    home: Path, *, laborers: int = 240, vacancies: int = 36, seed: int = 11, edit: Any = None
) -> TwoCounties:
    """Generate, spread, ingest, train and batch; ``edit(laborers_csv)`` may change the ledger first."""
    home.mkdir(parents=True, exist_ok=True)
    summary = generate(laborers=laborers, vacancies=vacancies, seed=seed, out=home / "sample")
    files = dict(summary.files)
    spread(files["laborers"], files["vacancies"])
    if edit is not None:
        edit(files["laborers"])
    settings = Settings.load(home=home, database_url=f"sqlite:///{home / 'matcher.db'}")
    application = Application(settings)
    application.migrate()
    for kind in ("laborers", "vacancies", "placements"):
        taken = application.ingest_file(kind, files[kind])
        assert taken.rejected == 0, taken.line()
    application.train()
    run = run_batch(
        application.engine,
        BatchOptions(congestion=False, full=True),
        today=application.today(),
        home=application.home,
        policy=application.policy,
    )
    county = TwoCounties(home, settings, application, files, run_id=run.run_id)
    engine = application.engine
    for role in ROLES:
        for where in (OWN, OTHER):
            county.keys[(role, where)] = _key(engine, role, where, False)
            county.pii_keys[(role, where)] = _key(engine, role, where, True)
    record, county.revoked = create_key(engine, role="organizer", county_code=OWN, pii=True)
    revoke_key(engine, record.key_id)
    from store.ledger import Scope, list_records

    for where in (OWN, OTHER):
        rows, _ = list_records(engine, "laborers", Scope(where), page_size=12)
        assert len(rows) >= 8, f"too few laborers in {where}"
        county.laborers[where], county.laborer[where] = rows, rows[0]
        rows, _ = list_records(engine, "vacancies", Scope(where), page_size=12)
        assert len(rows) >= 8, f"too few vacancies in {where}"
        county.vacancies[where], county.vacancy[where] = rows, rows[0]
    return county


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    """``TestClient(create_app(settings))`` with its lifespan running and a lenient failure limiter."""
    app = create_app(settings)
    app.state.limiter = FailureLimiter(max_failures=10**9)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def csv_row(path: Path, id_column: str, record_id: str) -> dict[str, str]:
    """One row of a sample CSV file as the strings it holds (blank cells left out)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.loc[frame[id_column] == record_id].iloc[0].to_dict()
    return {k: v for k, v in row.items() if v != ""}


def csv_bytes(path: Path, id_column: str, record_ids: list[str]) -> bytes:
    """The header and the rows of ``record_ids`` of a sample CSV file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.loc[frame[id_column].isin(record_ids)].to_csv(index=False).encode("utf-8")


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}
