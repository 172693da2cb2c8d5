"""A writer that finds the store locked past the wait: "busy, try again", never an internal error."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from service.api.errors import install_error_handlers
from store.errors import StoreBusyError, as_busy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _locked_error(tmp_path: Path) -> sa.exc.OperationalError:
    """The real error SQLAlchemy raises when another connection holds SQLite's write lock."""
    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(sa.exc.OperationalError) as caught, engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        return caught.value
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_a_locked_store_is_busy_with_both_languages(tmp_path: Path) -> None:
    busy = as_busy(_locked_error(tmp_path))
    assert isinstance(busy, StoreBusyError) and busy.category == "conflict" and busy.code == "store_busy"
    assert "稍后再试" in busy.message_zh and "try again" in busy.message_en
    assert as_busy(ValueError("no such column")) is None


def test_the_api_answers_409_with_retry_after(tmp_path: Path) -> None:
    error = _locked_error(tmp_path)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/write")
    def write() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/write")
    assert answer.status_code == 409 and answer.headers["Retry-After"] == "5"
    assert answer.json()["code"] == "store_busy"
