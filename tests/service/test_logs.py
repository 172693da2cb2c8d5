"""JSON logs: one object per line, no full ID number, phone or personal extra ever written; a log file is
written in batches (info lines at most about a second late, warnings and errors at once)."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import service.logs as logs
from service.logs import BatchedFileHandler, ScrubFilter, flush_logs, setup_json_logging

ID_NUMBER = "360322199001011234"
PHONE = "13812345678"
NAME = "张三华"
LEAKS = re.compile(rf"{ID_NUMBER}|{PHONE}|{NAME}|\d{{15,}}|1[3-9]\d{{9}}")
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """``service.logs``'s ``time.monotonic``, moved on only by the test (a slow machine writes no batch out early)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(logs, "time", fake)
    return fake


@pytest.fixture
def log_file(tmp_path: Path, clock: Clock) -> Iterator[Path]:
    path = tmp_path / "logs" / "service.jsonl"
    root = logging.getLogger()
    level = root.level
    handler = setup_json_logging(path, level="DEBUG", batched=True)
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _msgs(path: Path) -> list[str]:
    return [line["msg"] for line in _lines(path)]


def _installed() -> BatchedFileHandler:
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "matcher-json"]
    assert isinstance(handler, BatchedFileHandler)
    return handler


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
    handler = setup_json_logging(other, level="INFO", batched=True)
    try:
        logging.getLogger("matcher.test").info("once %s", PHONE)
        flush_logs()
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
    flush_logs()
    rotated = log_file.with_name("service.jsonl.1")
    log_file.rename(rotated)
    log.info("after")
    flush_logs()
    assert [line["msg"] for line in _lines(rotated)] == ["before 138****5678"]
    assert [line["msg"] for line in _lines(log_file)] == ["after"]


def test_info_lines_wait_for_a_write_out_warnings_and_errors_do_not(log_file: Path) -> None:
    log = logging.getLogger("matcher.test")
    for i in range(3):
        log.info("line %d", i)
    assert log_file.read_text(encoding="utf-8") == ""  # no write yet
    _installed().flush()
    assert _msgs(log_file) == ["line 0", "line 1", "line 2"]
    log.info("line 3")
    log.warning("a warning")  # at once, with the info line before it
    assert _msgs(log_file)[3:] == ["line 3", "a warning"]
    log.info("line 4")
    log.debug("line 5")
    log.error("an error")
    assert _msgs(log_file)[5:] == ["line 4", "line 5", "an error"]
    assert [line["level"] for line in _lines(log_file)][-3:] == ["INFO", "DEBUG", "ERROR"]


def test_a_record_after_the_interval_writes_the_batch_out(log_file: Path, clock: Clock) -> None:
    log = logging.getLogger("matcher.test")
    log.info("first")
    clock.advance(logs.FLUSH_SECONDS * 0.6)
    log.info("second")
    assert log_file.read_text(encoding="utf-8") == ""
    clock.advance(logs.FLUSH_SECONDS * 0.6)  # FLUSH_SECONDS since the handler last wrote (here: opened)
    log.info("third")
    assert _msgs(log_file) == ["first", "second", "third"]
    clock.advance(logs.FLUSH_SECONDS * 0.6)  # counted from that write-out, not from the first line
    log.info("fourth")
    assert _msgs(log_file) == ["first", "second", "third"]


def test_64_kib_of_lines_are_written_out_without_a_flush(log_file: Path) -> None:
    log = logging.getLogger("matcher.test")
    for i in range(100):
        log.info("big %03d %s", i, "x" * 1000)  # about 1.1 KiB a line: the bound is passed near line 60
    written = log_file.read_text(encoding="utf-8")
    longest = max(len(line) + 1 for line in written.splitlines())
    assert logs.FLUSH_CHARS <= len(written) < logs.FLUSH_CHARS + longest  # written out as the bound was passed
    msgs = _msgs(log_file)
    assert msgs == [f"big {i:03d} {'x' * 1000}" for i in range(len(msgs))] and len(msgs) < 100
    flush_logs()
    assert _msgs(log_file) == [f"big {i:03d} {'x' * 1000}" for i in range(100)]


def test_one_stat_and_one_write_per_write_out_not_per_line(log_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the batching is for: no syscall for an info line, one ``write`` and one ``stat`` per batch."""
    handler = _installed()
    calls = {"stat": 0, "write": 0}
    real_stat = os.stat

    def counting_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if os.fspath(path) == handler.baseFilename:
            calls["stat"] += 1
        return real_stat(path, *args, **kwargs)

    class CountingStream:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: str) -> int:
            calls["write"] += 1
            return self.stream.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

    monkeypatch.setattr(os, "stat", counting_stat)
    handler.stream = CountingStream(handler.stream)
    log = logging.getLogger("service.access")
    for i in range(200):
        log.info("GET /laborers/{laborer_id} 200", extra={"route": "/laborers/{laborer_id}", "n": i})
    assert calls == {"stat": 0, "write": 0}
    handler.flush()
    assert calls == {"stat": 1, "write": 1}
    handler.flush()  # nothing buffered: nothing done
    assert calls == {"stat": 1, "write": 1}
    assert [line["n"] for line in _lines(log_file)] == list(range(200))


def test_a_log_moved_away_with_lines_still_buffered_loses_none(log_file: Path) -> None:
    """The rotation check is made once per write-out: lines written out before the move stay in the moved
    file, the ones still buffered when it was moved go, with the next ones, to a new file at the path."""
    log = logging.getLogger("matcher.test")
    handler = _installed()
    log.info("written")
    handler.flush()
    log.info("buffered")
    rotated = log_file.with_name("service.jsonl.1")
    log_file.rename(rotated)
    log.info("after")
    assert not log_file.exists()  # no stat nor open per line
    handler.flush()
    assert _msgs(rotated) == ["written"]
    assert _msgs(log_file) == ["buffered", "after"]


def test_shutdown_at_exit_writes_the_buffer_out(log_file: Path) -> None:
    logging.getLogger("matcher.test").info("last words %s", PHONE)
    assert log_file.read_text(encoding="utf-8") == ""
    logging.shutdown([weakref.ref(_installed())])  # what runs at exit, for this handler only
    assert _msgs(log_file) == ["last words 138****5678"]


def test_a_process_that_exits_normally_leaves_nothing_buffered(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "matcher.log"
    script = (
        "import logging, sys; from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from service.logs import setup_json_logging\n"
        "setup_json_logging(Path(sys.argv[2]), batched=True)\n"
        "for i in range(3): logging.getLogger('matcher.test').info('line %d of %s', i, sys.argv[3])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(ROOT), str(path), PHONE], check=True, timeout=60)
    assert _msgs(path) == [f"line {i} of 138****5678" for i in range(3)]


def test_lines_from_many_threads_are_each_written_once_and_whole(log_file: Path) -> None:
    log = logging.getLogger("matcher.test")
    threads, per_thread = 8, 400

    def work(t: int) -> None:
        for i in range(per_thread):
            log.info("thread %d line %d", t, i, extra={"payload": "y" * 100, "t": t, "i": i})

    done = threading.Event()

    def flusher() -> None:  # as the service's refresh thread does, only much more often
        while not done.is_set():
            flush_logs()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads switch often: write-outs (by size and by flush) meet emits
    try:
        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        flushing = threading.Thread(target=flusher)
        flushing.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        done.set()
        flushing.join()
        sys.setswitchinterval(switch)
    flush_logs()
    lines = _lines(log_file)  # each one valid JSON
    assert len(lines) == threads * per_thread
    assert sorted((line["t"], line["i"]) for line in lines) == [
        (t, i) for t in range(threads) for i in range(per_thread)
    ]
    for t in range(threads):  # each thread's lines in the order it logged them
        assert [line["i"] for line in lines if line["t"] == t] == list(range(per_thread))


def test_buffered_lines_are_scrubbed_too(log_file: Path) -> None:
    other_id = "110101199003077777"
    log = logging.getLogger("matcher.test")
    log.info("查询 %s 电话 %s", other_id, PHONE, extra={"id_number": other_id, "query": f"q={PHONE}"})
    for i in range(80):  # past 64 KiB: written out by size, then the rest by flush
        log.info("row %d %s %s %s", i, other_id, PHONE, "z" * 1000, extra={"phone": PHONE})
    flush_logs()
    text = log_file.read_text(encoding="utf-8")
    assert LEAKS.findall(text) == []
    first = _lines(log_file)[0]
    assert first["msg"] == "查询 1101**********7777 电话 138****5678"
    assert first["id_number"] == "1101**********7777" and first["query"] == "q=138****5678"
    assert text.count("138****5678") == 1 + 80 * 2 + 1


def test_flush_logs_flushes_the_installed_handler(log_file: Path) -> None:
    logging.getLogger("service.access").info("GET /health 200")
    assert log_file.read_text(encoding="utf-8") == ""
    flush_logs()
    assert _msgs(log_file) == ["GET /health 200"]
    flush_logs()  # nothing buffered
    assert _msgs(log_file) == ["GET /health 200"]


def test_flush_logs_without_a_handler_does_nothing() -> None:
    assert not [h for h in logging.getLogger().handlers if h.get_name() == "matcher-json"]
    flush_logs()


def test_a_failed_write_out_is_reported_and_drops_its_lines(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk: the caller never sees an exception, logging prints the failure on standard error, and the
    lines of that write-out are dropped (counted): the buffer does not grow while the disk stays full."""

    class FullDisk:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

    handler = _installed()
    real = handler.stream
    handler.stream = FullDisk(real)
    log = logging.getLogger("matcher.test")
    try:
        log.info("lost 1")
        log.error("lost 2")
        assert handler.lost == 2
        assert "--- Logging error ---" in capsys.readouterr().err
        for i in range(1000):
            log.info("lost %d %s", i, "w" * 1000)
        capsys.readouterr()
        assert handler.lost >= 2 + 1000 - logs.FLUSH_CHARS // 1000  # only the last batch is left in memory
    finally:
        handler.stream = real
    handler.flush()  # the disk has room again: what was buffered since the last failure, then what comes
    log.error("written")
    msgs = _msgs(log_file)
    assert msgs[-1] == "written" and len(msgs) == 1002 - handler.lost + 1
    assert all(msg.startswith("lost ") for msg in msgs[:-1])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_does_not_write_its_parents_buffer(log_file: Path) -> None:
    log = logging.getLogger("matcher.test")
    log.info("the parent's")
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            log.info("the child's")
            flush_logs()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    flush_logs()
    assert _msgs(log_file) == ["the child's", "the parent's"]


def test_a_log_directory_moved_away_is_reported_and_the_file_started_again_once_it_is_back(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The path cannot be reopened (its directory was moved away): that write-out is reported and dropped;
    once the directory is back, the next write-out (here the one ``close`` makes) opens the path again."""
    log = logging.getLogger("matcher.test")
    handler = _installed()
    log.info("first")
    handler.flush()
    moved = log_file.parent.with_name("old-logs")
    log_file.parent.rename(moved)
    log.error("lost")
    assert handler.lost == 1 and "--- Logging error ---" in capsys.readouterr().err
    log_file.parent.mkdir()
    log.info("back")
    handler.close()
    assert _msgs(log_file) == ["back"]
    assert _msgs(moved / log_file.name) == ["first"]


def test_a_commands_log_is_written_a_line_at_a_time(tmp_path: Path, clock: Clock) -> None:
    """``matcher.log`` (not batched): an operator following a long batch sees each line as it is logged."""
    path = tmp_path / "logs" / "matcher.log"
    handler = setup_json_logging(path, level="INFO")
    try:
        assert not isinstance(handler, logs.BatchedFileHandler)
        logging.getLogger("matcher.test").info("scoring county %s", "610426")
        assert _msgs(path) == ["scoring county 610426"]  # no flush, no time passed
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
