"""Personal data never reaches a log or an error message, even when the database itself refuses a write.

On SQLite and PostgreSQL, three writes the database refuses are made, each carrying a known
name, ID number and phone: a duplicate ledger id that *is* the ID number (clerks do use it as
the id), a phone written into the age column, and an API key labelled with a person's name and
phone that breaks a check constraint. PostgreSQL quotes the offending values back
(``DETAIL: Key (laborer_id)=(…)``, ``Failing row contains (…)``, ``invalid input syntax …: "…"``).

Each error is then handled the way the ``matcher`` command handles an unexpected error (logged
with its traceback to ``$MATCHER_HOME/logs/matcher.log``, one line on the terminal, or JSON with
``--json``), and the exception's text, the terminal and the log are scanned for the three values.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from service.errors import report_errors, setup_logging
from store.engine import mask_db_message
from store.schema import api_keys, laborers

ID_NUMBER = "610426199001011234"
PHONE = "13812345678"
NAME = "张三丰"
SECRETS = (ID_NUMBER, PHONE, NAME)


def _refused_writes(engine: Engine) -> list[sa.exc.DBAPIError]:
    person = {"laborer_id": ID_NUMBER, "name": NAME, "id_number": ID_NUMBER, "phone": PHONE}
    with engine.begin() as conn:
        conn.execute(laborers.insert(), person)
    attempts = [
        (laborers.insert(), person),  # the same ledger id again
        (laborers.insert(), {**person, "laborer_id": "L2", "age": f"{PHONE}{NAME}"}),  # PostgreSQL: not an integer
        (
            api_keys.insert(),  # a caseworker key needs a county: check constraint, whole row quoted back
            {
                "key_id": "k1",
                "secret_hash": "0" * 64,
                "role": "caseworker",
                "pii": False,
                "label": f"{NAME} {PHONE} {ID_NUMBER}",
                "created_at": dt.datetime(2025, 1, 1),
            },
        ),
    ]
    errors = []
    for statement, params in attempts:
        try:
            with engine.begin() as conn:
                conn.execute(statement, params)
        except sa.exc.DBAPIError as exc:
            errors.append(exc)
    return errors


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(tmp_path)
    yield tmp_path / "logs" / "matcher.log"
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}:\n{text}"


def test_database_errors_never_carry_personal_data(
    migrated_engine: Engine, logged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    errors = _refused_writes(migrated_engine)
    expected = 3 if migrated_engine.dialect.name == "postgresql" else 2  # SQLite stores any text in an INTEGER
    assert len(errors) == expected, errors
    for exc in errors:
        _clean(str(exc), "the exception's text")
        _clean(repr(exc), "the exception's repr")
        _clean(str(exc.orig), "the driver's exception")
        assert "[SQL parameters hidden" in str(exc)  # the statement is shown, its values never
        for as_json in (False, True):
            with pytest.raises(SystemExit) as stopped, report_errors(as_json=as_json):
                raise exc
            assert stopped.value.code == 1
            shown = capsys.readouterr()
            _clean(shown.out + shown.err, "what the user sees")
            assert ("internal_error" in shown.out) == as_json
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = logged.read_text(encoding="utf-8")
    assert log.count('"internal error"') == 2 * expected and "IntegrityError" in log
    _clean(log, "the log file")


def test_the_mask_keeps_names_of_tables_and_constraints() -> None:
    text = (
        'duplicate key value violates unique constraint "laborers_pkey"\n'
        f"DETAIL:  Key (laborer_id)=({ID_NUMBER}) already exists."
    )
    assert mask_db_message(text) == (
        'duplicate key value violates unique constraint "laborers_pkey"\nDETAIL:  Key (laborer_id)=(…) already exists.'
    )
    row = 'new row for relation "api_keys" violates check constraint "county"\n'
    row += f"DETAIL:  Failing row contains (k1, {NAME}, null)."
    assert mask_db_message(row).endswith("DETAIL:  Failing row contains (…).") and '"api_keys"' in mask_db_message(row)
    assert mask_db_message(f'invalid input syntax for type integer: "{PHONE}{NAME}"') == (
        'invalid input syntax for type integer: "…"'
    )
    assert mask_db_message("UNIQUE constraint failed: laborers.laborer_id") == (
        "UNIQUE constraint failed: laborers.laborer_id"
    )
    assert mask_db_message(f"parameter $1 = '{PHONE}'") == "parameter $1 = '…'"
