"""The ``occupation`` command, registered on a local Typer app as the lead will."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from service.cli_occupation import occupation

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("occupation")(occupation)

    @app.command("noop")
    def noop() -> None:
        """Second command so that Typer keeps sub-command syntax."""

    return app


def test_table_output(app: typer.Typer) -> None:
    result = runner.invoke(app, ["occupation", "拼多多运营", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "4-01-06-01" in result.output and "电子商务师" in result.output


def test_json_single(app: typer.Typer) -> None:
    result = runner.invoke(app, ["occupation", "電焊工（二保焊）", "--json", "--k", "2"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["query"] == "電焊工（二保焊）"
    assert len(payload["matches"]) == 2
    first = payload["matches"][0]
    assert set(first) == {"code", "name", "score", "source"}
    assert first["code"] == "6-18-02-04" and first["source"] == "skill_alias"
    assert payload["status"] == "matched" and payload["unknown"] is False
    assert payload["code"] == "6-18-02-04" and payload["name"] == "焊工"
    assert payload["threshold"] <= payload["confidence"] <= 1


def test_json_unknown_keeps_the_guesses(app: typer.Typer) -> None:
    result = runner.invoke(app, ["occupation", "量子纠缠波动", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["status"] == "unknown" and payload["unknown"] is True
    assert payload["code"] is None and payload["name"] is None
    assert payload["confidence"] < payload["threshold"]
    assert payload["matches"]  # best guesses still listed
    assert "未知" in payload["note_zh"] and "unknown" in payload["note_en"]


def test_table_says_unknown_in_both_languages(app: typer.Typer) -> None:
    result = runner.invoke(app, ["occupation", "asdfghjkl"])
    assert result.exit_code == 0, result.output
    assert "未知 / unknown" in result.output and "无匹配 / no match" in result.output
    ok = runner.invoke(app, ["occupation", "Bartender 清吧", "-k", "2"])
    assert "4-03-02-09" in ok.output and "调酒师" in ok.output and "unknown" not in ok.output


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_file_batch_json(app: typer.Typer, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "titles.txt"
    path.write_text("护林员\n\n招叉车司机\n保洁阿姨\n", encoding=encoding)
    result = runner.invoke(app, ["occupation", "--file", str(path), "--json", "-k", "1"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [p["query"] for p in payload] == ["护林员", "招叉车司机", "保洁阿姨"]
    assert [p["matches"][0]["code"] for p in payload] == ["5-02-03-01", "6-30-05-01", "4-09-08-01"]
    assert [p["code"] for p in payload] == ["5-02-03-01", "6-30-05-01", "4-09-08-01"]


def test_file_batch_table(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_text("护林员\n电焊\n", encoding="utf-8")
    result = runner.invoke(app, ["occupation", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "护林员" in result.output and "6-18-02-04" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["occupation"], "give a title TEXT or --file"),
        (["occupation", "电工", "-k", "0"], "--k=0 is invalid"),
        (["occupation", "--file", "/no/such/titles.txt"], "cannot read"),
        (["occupation", "电工", "--file", "x.txt"], "not both"),
    ],
)
def test_bad_input_exits_2_without_traceback(app: typer.Typer, args: list[str], needle: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert needle in result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output)  # Chinese too
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_binary_file_is_refused(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "titles.bin"
    path.write_bytes(b"\x00\x01\x02\xff")
    result = runner.invoke(app, ["occupation", "--file", str(path)])
    assert result.exit_code == 2
    assert "not UTF-8 or GBK" in result.output
