"""JSON logs: one object per line, no full ID number, phone or personal extra ever written."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.logs import ScrubFilter, setup_json_logging

ID_NUMBER = "360322199001011234"
PHONE = "13812345678"
NAME = "张三华"
LEAKS = re.compile(rf"{ID_NUMBER}|{PHONE}|{NAME}|\d{{15,}}|1[3-9]\d{{9}}")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "service.jsonl"
    root = logging.getLogger()
    level = root.level
    handler = setup_json_logging(path, level="DEBUG")
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_message_args_and_extras_are_scrubbed(log_file: Path) -> None:
    log = logging.getLogger("matcher.test")
    log.info("查询 %s 电话 %s", ID_NUMBER, PHONE, extra={"county_code": "360322", "query": f"q={ID_NUMBER}"})
    log.warning(
        "person %s",
        "L0000001",
        extra={"person_name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "rows": [PHONE, {"x": ID_NUMBER}]},
    )
    text = log_file.read_text(encoding="utf-8")
    assert LEAKS.findall(text) == []
    first, second = _lines(log_file)
    assert first["msg"] == "查询 3603**********1234 电话 138****5678"
    assert first["level"] == "INFO" and first["logger"] == "matcher.test" and first["ts"].endswith("+00:00")
    assert first["county_code"] == "360322" and first["query"] == "q=3603**********1234"
    assert second["person_name"] == "张*华" and second["phone"] == "138****5678"
    assert second["rows"] == ["138****5678", {"x": "3603**********1234"}]


def test_exceptions_keep_type_frames_and_a_scrubbed_message_only(log_file: Path) -> None:
    def lookup(id_number: str) -> None:
        secret_local = id_number  # noqa: F841 - locals must not reach the log
        raise KeyError(f"no laborer with id_number {id_number}, phone {PHONE}")

    try:
        try:
            lookup(ID_NUMBER)
        except KeyError as exc:
            raise RuntimeError(f"lookup failed for {NAME}'s {ID_NUMBER}") from exc
    except RuntimeError:
        logging.getLogger("matcher.api").exception("request failed")
    assert LEAKS.findall(log_file.read_text(encoding="utf-8")) == [NAME]  # a name in free text is not detectable
    (line,) = _lines(log_file)
    summary = line["exc"]
    assert summary["type"] == "RuntimeError" and "3603**********1234" in summary["message"]
    assert summary["causes"][0]["type"] == "KeyError" and "138****5678" in summary["causes"][0]["message"]
    assert any("in test_exceptions_keep" in frame for frame in summary["frames"])
    assert "secret_local" not in log_file.read_text(encoding="utf-8")


def test_a_second_setup_replaces_the_first_handler(tmp_path: Path, log_file: Path) -> None:
    other = tmp_path / "other.jsonl"
    handler = setup_json_logging(other, level="INFO")
    try:
        logging.getLogger("matcher.test").info("once %s", PHONE)
        assert not log_file.exists() or log_file.read_text(encoding="utf-8") == ""
        assert [line["msg"] for line in _lines(other)] == ["once 138****5678"]
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_filter_rewrites_the_record_for_plain_handlers() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", (ID_NUMBER,), None)
    record.__dict__["phone"] = PHONE
    assert ScrubFilter().filter(record) is True
    assert record.getMessage() == "id 3603**********1234" and record.__dict__["phone"] == "138****5678"


def test_uvicorns_own_lines_and_tracebacks_are_scrubbed(capfd: pytest.CaptureFixture[str]) -> None:
    """What ``matcher serve`` prints through uvicorn's loggers (start, stop, a failure uvicorn catches itself,
    with its traceback) passes the scrub filter: no full ID number or phone reaches the operator's journal."""
    from service.supervisor import _config

    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in ("uvicorn",)}
    try:
        _config("service.api.main:create_app", "info")  # configures uvicorn's loggers as a worker does
        log = logging.getLogger("uvicorn.error")
        try:
            raise ValueError(f"no such person {ID_NUMBER} / {PHONE}")
        except ValueError:
            log.exception("Exception in ASGI application for %s", PHONE)
        log.info("started for %s", ID_NUMBER)
        printed = capfd.readouterr().err
    finally:
        for name, (handlers, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
    assert "Traceback" in printed and "ValueError: no such person" in printed and "started for" in printed
    assert "3603**********1234" in printed and "138****5678" in printed  # masked, not dropped
    assert not re.search(rf"{ID_NUMBER}|{PHONE}", printed), printed


def test_a_log_moved_away_is_started_again_in_place(log_file: Path) -> None:
    """logrotate (or ``mv``) moves the file while the service runs: the next line goes to a new file at the
    same path, and the moved one keeps what it had."""
    log = logging.getLogger("matcher.test")
    log.info("before %s", PHONE)
    rotated = log_file.with_name("service.jsonl.1")
    log_file.rename(rotated)
    log.info("after")
    assert [line["msg"] for line in _lines(rotated)] == ["before 138****5678"]
    assert [line["msg"] for line in _lines(log_file)] == ["after"]
