"""Where ``matcher`` finds its data directory: MATCHER_HOME, a configuration file, ./var — never an empty new one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from store.errors import EXIT_CODE

ROOT = Path(__file__).resolve().parents[2]
MATCHER = str(ROOT / ".venv" / "bin" / "matcher")


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    clean["HOME"] = str(cwd / "user")  # no ~/.config/matcher of the machine's user
    return subprocess.run(
        [MATCHER, *args], cwd=cwd, env=clean | env, capture_output=True, text=True, timeout=120, check=False
    )


def test_without_a_data_directory_a_reading_command_says_what_to_do_and_creates_nothing(tmp_path: Path) -> None:
    done = _run(tmp_path, "status")
    assert done.returncode == EXIT_CODE["not_ready"], done.stdout + done.stderr
    assert "MATCHER_HOME" in done.stderr and "找不到数据目录" in done.stderr and "no data directory" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists()
    assert _run(tmp_path, "recommend", "L1").returncode == EXIT_CODE["not_ready"]
    assert not (tmp_path / "var").exists()


def test_migrate_creates_var_and_later_commands_say_they_use_it(tmp_path: Path) -> None:
    assert _run(tmp_path, "migrate").returncode == 0
    assert (tmp_path / "var" / "matcher.db").exists()
    done = _run(tmp_path, "status")
    assert done.returncode == 0, done.stderr
    assert "./var in the current folder" in done.stdout and "当前文件夹下的 var/" in done.stdout


def test_a_configuration_file_names_the_directory_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "matcher.toml"
    config.parent.mkdir()
    config.write_text('home = "county_data"\n', encoding="utf-8")
    assert _run(tmp_path, "migrate", MATCHER_CONFIG=str(config)).returncode == 0
    assert (tmp_path / "etc" / "county_data" / "matcher.db").exists()  # relative to the file's folder
    done = _run(tmp_path, "status", MATCHER_CONFIG=str(config))
    assert f"configuration file {config}" in done.stdout
    other = tmp_path / "explicit"
    done = _run(tmp_path, "migrate", MATCHER_CONFIG=str(config), MATCHER_HOME=str(other))
    assert done.returncode == 0 and (other / "matcher.db").exists()
    # matcher.toml in the current folder is found without MATCHER_CONFIG
    (tmp_path / "matcher.toml").write_text('home = "here"\n', encoding="utf-8")
    assert _run(tmp_path, "migrate").returncode == 0 and (tmp_path / "here" / "matcher.db").exists()


def test_a_bad_configuration_file_is_named_with_the_allowed_keys(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('home = "x"\nhoem = "y"\n', encoding="utf-8")
    done = _run(tmp_path, "status", MATCHER_CONFIG=str(config))
    assert done.returncode == EXIT_CODE["input"], done.stderr
    assert "hoem" in done.stderr and "database_url" in done.stderr and "Traceback" not in done.stderr
    done = _run(tmp_path, "status", MATCHER_CONFIG=str(tmp_path / "missing.toml"))
    assert done.returncode == EXIT_CODE["input"] and "missing.toml" in done.stderr
