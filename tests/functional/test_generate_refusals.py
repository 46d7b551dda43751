"""`make generate` and the CLI refuse bad input in one line, before the engine starts, with an
exit status that says what happened (issue 11, item 8)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from podcasto_local import cli as cli_module
from tests.conftest import EXAMPLES, ROOT


def env_for(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "EPISODE_STORE"}
    return {**env, "PODCASTO_HOME": str(tmp_path / "home"), **extra}


def run_cli(tmp_path, *args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "podcasto_local.cli", "generate", "--out", str(tmp_path / "out"), *args],
        cwd=ROOT, env=env_for(tmp_path, **env), capture_output=True, text=True, timeout=120,
    )


BAD_EXPORTS = {
    "array": ("[1, 2]", "a JSON array"),
    "null": ("null", "is null"),
    "string": ('"result"', "a string"),
    "number": ("42", "a number"),
    "chats-of-numbers": (json.dumps({"chats": {"list": [1, "two"]}}), "item 0 is a number"),
    "nested-100000-deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "invalid-json": ("{not json", "not valid JSON"),
}


def bad_export(tmp_path, case: str):
    if case == "missing":
        return tmp_path / "nowhere" / "result.json", "not found"
    if case == "directory":
        (tmp_path / "folder").mkdir()
        return tmp_path / "folder", "not found"
    text, problem = BAD_EXPORTS[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text, encoding="utf-8")
    return path, problem


@pytest.mark.parametrize("case", [*BAD_EXPORTS, "missing", "directory"])
def test_a_bad_export_is_one_line_and_exit_2_before_the_engine_starts(tmp_path, case):
    path, problem = bad_export(tmp_path, case)

    result = run_cli(tmp_path, "--export", str(path))

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("podcasto: SourceFailed: ")
    assert problem in result.stderr
    # The engine never started: no episode line, no states, no episode.json.
    assert result.stdout == ""
    assert not (tmp_path / "out" / "episode.json").exists()


def test_a_date_out_of_range_is_refused_before_the_engine_starts(tmp_path, small_export):
    result = run_cli(tmp_path, "--export", str(small_export), "--end-date", "9999-12-31")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "end_date" in result.stderr
    assert result.stdout == ""


def test_a_setting_that_is_wrong_exits_3_in_one_line(tmp_path, small_export):
    result = run_cli(tmp_path, "--export", str(small_export), EPISODE_STORE="nosuch")

    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == "podcasto: ConfigurationError: EPISODE_STORE must be sqlite or supabase"
    assert "Traceback" not in result.stderr + result.stdout


def test_a_bug_is_one_line_exit_4_with_the_traceback_in_the_log(tmp_path, monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_module, "run_episode", broken)

    status = cli_module.main(["generate", "--export", "x.json", "--out", str(tmp_path / "out")])

    captured = capsys.readouterr()
    assert status == 4
    assert captured.err.count("\n") == 1 and "internal error (RuntimeError)" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "RuntimeError: a bug" in (tmp_path / "out" / "podcasto.log").read_text()


def test_make_generate_fails_in_one_line_without_makes_own_error_line(tmp_path):
    path, problem = bad_export(tmp_path, "array")

    result = subprocess.run(
        ["make", "--no-print-directory", "generate", f"EXPORT={path}", f"OUT={tmp_path / 'out'}"],
        cwd=ROOT, env=env_for(tmp_path), capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]  # one line
    assert problem in result.stderr and "make:" not in result.stderr + result.stdout
    assert "Error" not in result.stderr.replace("SourceFailed", "")


def test_make_generate_still_succeeds_with_status_0(tmp_path):
    result = subprocess.run(
        ["make", "--no-print-directory", "generate", f"EXPORT={EXAMPLES / 'demo-export' / 'result.json'}",
         f"OUT={tmp_path / 'out'}", "START=2026-11-20", "END=2026-11-20", "FORMAT=narrator"],
        cwd=ROOT, env=env_for(tmp_path), capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "podcasto: completed" in result.stderr
    assert json.loads((tmp_path / "out" / "episode.json").read_text())["status"] == "completed"
