"""A small county, ingested and trained once per module, served by the real app (lifespan included).

``county`` is parametrised over SQLite and PostgreSQL (a database of its own, dropped at the
end; skipped without a server). Keys are real keys of the store.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

with warnings.catch_warnings():  # starlette prefers httpx2 over httpx; either works for these tests
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

COUNTY = "610426"  # 陕西省咸阳市永寿县, the sample's county
OTHER_COUNTY = "610425"
MAX_BODY = 64 * 1024


@dataclass
class County:
    client: TestClient
    app: Any
    keys: dict[str, str]
    laborers: pd.DataFrame  # the sample's laborers file, as text
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    town: str = ""
    in_town: str = ""  # a job seeker of `town`
    other_town: str = ""  # a laborer of the county outside `town`
    vacancy: str = ""
    sample_dir: Path = Path()

    def get(self, path: str, role: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self.auth(role), **kw)

    def auth(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}


def _pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server = request.getfixturevalue("pg_database_url")
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"matcher_api_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        from store import dispose_engines

        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    import sampledata
    from matcher.app import Application
    from matcher.settings import Settings
    from service.api.main import create_app
    from store.keys import create_key

    home = tmp_path_factory.mktemp(f"api-{request.param}")
    pg = _pg_url(request) if request.param == "postgresql" else None
    url = next(pg) if pg is not None else f"sqlite:///{home / 'matcher.db'}"
    try:
        sample = sampledata.generate(laborers=600, vacancies=120, seed=11, out=home / "sample")
        settings = Settings.load(home=home, database_url=url, max_body=MAX_BODY, policy=None, today=None)
        setup = Application(settings)
        setup.migrate()
        for kind in ("laborers", "vacancies", "placements"):
            setup.ingest_file(kind, sample.files[kind])
        setup.train(seed=0)
        engine = setup.engine
        keys = {}
        for role, county_code, town, pii in [
            ("admin", None, None, True),
            ("organizer", COUNTY, None, False),
            ("organizer_pii", COUNTY, None, True),
            ("readonly", COUNTY, None, False),
            ("foreign", OTHER_COUNTY, None, False),
        ]:
            keys[role] = create_key(
                engine,
                role=role.split("_")[0].replace("foreign", "organizer"),
                county_code=county_code,
                town_code=town,
                pii=pii,
            )[1]
        frame = pd.read_csv(sample.files["laborers"], dtype=str, keep_default_na=False)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT laborer_id, town_code, wants_job FROM laborers")).all()
            vacancy = (
                conn.execute(sa.text("SELECT vacancy_id FROM vacancies WHERE status = 'open' ORDER BY vacancy_id"))
                .scalars()
                .first()
            )
        towns = pd.DataFrame(rows, columns=["laborer_id", "town_code", "wants_job"])
        town = towns.loc[towns["wants_job"].astype(bool), "town_code"].value_counts().index[0]
        keys["caseworker"] = create_key(engine, role="caseworker", county_code=COUNTY, town_code=town)[1]
        in_town = towns.loc[(towns["town_code"] == town) & towns["wants_job"].astype(bool), "laborer_id"].iloc[0]
        other_town = towns.loc[towns["town_code"] != town, "laborer_id"].iloc[0]
        app = create_app(settings)
        with TestClient(app) as client:
            yield County(
                client=client,
                app=app,
                keys=keys,
                laborers=frame,
                town=town,
                in_town=in_town,
                other_town=other_town,
                vacancy=vacancy,
                sample_dir=home / "sample",
            )
    finally:
        if pg is not None:
            pg.close()
