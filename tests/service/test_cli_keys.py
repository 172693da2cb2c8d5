"""``matcher keys …`` and ``matcher audit`` through Typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from service import cli_keys
from service.errors import guarded
from store import get_settings
from store.audit import write_audit
from store.keys import list_keys, verify_key

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The commands registered as ``service.cli._register_optional`` does."""
    app = typer.Typer()
    app.add_typer(cli_keys.keys_app, name="keys")
    app.command("audit")(guarded(cli_keys.audit))
    return app


@pytest.fixture
def store_env(engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """Point the CLI's settings at the test database (not migrated yet)."""
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path))
    monkeypatch.setenv("MATCHER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


@pytest.fixture
def store(store_env: Engine) -> Engine:
    from store import migrate

    migrate(store_env)
    return store_env


def test_create_prints_a_key_that_verifies_list_never_shows_it_revoke_ends_it(app: typer.Typer, store: Engine) -> None:
    result = runner.invoke(
        app,
        ["keys", "create", "--role", "caseworker", "--county", "360322", "--town", "360322100", "--label", "王科员"],
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    record = verify_key(store, key)
    assert record is not None and (record.role, record.county_code, record.town_code) == (
        "caseworker",
        "360322",
        "360322100",
    )
    assert record.label == "王科员" and record.pii is False

    listing = runner.invoke(app, ["keys", "list"])
    assert listing.exit_code == 0, listing.output
    secret = key.split("_", 2)[2]
    assert key not in listing.output and secret not in listing.output and secret[:12] not in listing.output
    assert record.key_id in listing.output and "caseworker" in listing.output and "360322100" in listing.output

    revoked = runner.invoke(app, ["keys", "revoke", record.key_id])
    assert revoked.exit_code == 0, revoked.output
    assert verify_key(store, key) is None
    again = runner.invoke(app, ["keys", "revoke", record.key_id])
    assert again.exit_code == 2 and "already revoked" in again.output


def test_admin_key_with_pii_and_expiry(app: typer.Typer, store: Engine) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "admin", "--pii", "--expires-days", "2"])
    assert result.exit_code == 0, result.output
    record = verify_key(store, result.output.strip().splitlines()[-1])
    assert record is not None and record.county_code is None and record.pii
    assert record.expires_at is not None and 1 < (record.expires_at - record.created_at).days + 1 <= 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--role", "caseworker"], "county_code"),
        (["--role", "caseworker", "--county", "3603"], "county_code"),
        (["--role", "readonly", "--county", "360322", "--town", "520526101"], "town_code"),
    ],
)
def test_bad_options_are_refused_bilingually_and_store_nothing(
    app: typer.Typer, store: Engine, args: list[str], field: str
) -> None:
    result = runner.invoke(app, ["keys", "create", *args])
    assert result.exit_code == 2
    assert field in result.output and "错误" in result.output and "allowed" in result.output
    assert list_keys(store) == []


def test_unmigrated_store_says_to_migrate(app: typer.Typer, store_env: Engine) -> None:
    for args in (["keys", "list"], ["keys", "create", "--role", "admin"], ["audit", "--laborer", "L1"]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and "matcher migrate" in result.output, args


def test_audit_lists_a_persons_entries_newest_first(app: typer.Typer, store: Engine) -> None:
    write_audit(
        store,
        [
            {
                "at": datetime(2025, 3, 1, 9, m),
                "key_id": "k1",
                "role": "caseworker",
                "county_code": "360322",
                "laborer_id": lid,
                "action": action,
                "route": "/laborers/{laborer_id}",
                "status": 200,
            }
            for m, (lid, action) in enumerate([("L1", "read_person"), ("L2", "read_person"), ("L1", "update")])
        ],
    )
    result = runner.invoke(app, ["audit", "--laborer", "L1"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()[1:]
    assert len(lines) == 2 and "update" in lines[0] and "read_person" in lines[1] and "L2" not in result.output
    limited = runner.invoke(app, ["audit", "--laborer", "L1", "--limit", "1"])
    assert len(limited.output.strip().splitlines()) == 2
    empty = runner.invoke(app, ["audit", "--laborer", "L9"])
    assert empty.exit_code == 0 and "no audit entries" in empty.output


def test_commands_are_registered_on_the_matcher_app() -> None:
    from service.cli import app as matcher

    for args in (["keys", "--help"], ["keys", "create", "--help"], ["audit", "--help"]):
        result = runner.invoke(matcher, args)
        assert result.exit_code == 0, (args, result.output)
