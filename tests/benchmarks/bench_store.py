"""Upsert throughput on SQLite and PostgreSQL (prints rows/s; asserts nothing).

Run::

    .venv/bin/python tests/benchmarks/bench_store.py --rows 100000

Three passes over the same ids, each in one transaction: first load (all
inserted), re-send (all unchanged), and re-send with every row changed (all
updated). PostgreSQL uses a throw-away database on ``MATCHER_TEST_PG_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and is
skipped with a note when the server cannot be reached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # see tests/conftest.py

from store import dispose_engines, get_engine, migrate, upsert  # noqa: E402

PG_SERVER = os.environ.get("MATCHER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def records(n: int, version: int) -> list[dict]:
    """``n`` laborer records; ``version`` changes wage, hash and date."""
    updated = datetime(2025, 1 + version, 1)
    return [
        {
            "laborer_id": f"L{i:08d}",
            "name": f"测试{i}",
            "household_id": f"H{i // 3:07d}",
            "county_code": "520526",
            "town_code": f"520526{100 + i % 9:03d}",
            "village_code": f"520526{100 + i % 9:03d}{i % 31:03d}",
            "age": 18 + i % 45,
            "skills": ["电焊", "砌筑"] if i % 2 else ["种植"],
            "certificates": [],
            "registered_poor": i % 3 == 0,
            "employment_status": "unemployed",
            "expected_wage": 3000.0 + version,
            "updated_at": updated,
            "content_hash": f"{i:024x}{version:08x}",
        }
        for i in range(n)
    ]


def bench(label: str, engine: sa.Engine, n: int) -> None:
    migrate(engine)
    passes: list[tuple[str, Callable[[], list[dict]]]] = [
        ("insert", lambda: records(n, 0)),
        ("unchanged", lambda: records(n, 0)),
        ("update", lambda: records(n, 1)),
    ]
    for name, make in passes:
        batch = make()
        start = time.perf_counter()
        with engine.begin() as conn:
            counts = upsert(conn, "laborers", batch)
        elapsed = time.perf_counter() - start
        print(f"{label:<11} {name:<10} {n:>9,d} rows {elapsed:7.2f} s {n / elapsed:>10,.0f} rows/s")
        print(f"{'':<11} {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", get_engine(f"sqlite:///{tmp}/bench.db"), args.rows)
        dispose_engines()

    server = sa.make_url(PG_SERVER)
    admin = sa.create_engine(
        server.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    name = f"matcher_bench_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        print(f"postgresql  skipped: not reachable at {server.render_as_string()}")
        return
    try:
        bench("postgresql", get_engine(server.set(database=name)), args.rows)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
