"""The hand-made mutants that once passed the whole suite (issue 15): each must now fail it.

For each mutant: a scratch copy of the working tree, the one edit applied there, the tests that
should catch it run with this venv, and the copy removed. Prints one line per mutant (killed by
which tests, or SURVIVED) and exits non-zero if any survived. The tree itself is never edited.

    .venv/bin/python scripts/mutation_audit.py [NAME_SUBSTRING ...]

`make mutation` (mutmut) finds mutants by itself; this list keeps the ones a person wrote down
because they matter: the ETag proof, the documented retry policies, the ownership rules.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
ASL = "statemachine.asl.json"


@dataclass
class Mutant:
    name: str
    path: str
    edit: Callable[[str], str]
    tests: list[str]
    also: tuple[tuple[str, Callable[[str], str]], ...] = ()  # more edits of the same bug elsewhere


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        if text.count(old) != 1:
            raise SystemExit(f"mutant no longer applies: {old!r} is in the file {text.count(old)} times")
        return text.replace(old, new)
    return edit


def asl(change: Callable[[dict], None]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        data = json.loads(text)
        change(data["States"])
        return json.dumps(data, indent=2)
    return edit


def retrier(states: dict, state: str, error: str) -> dict:
    task = states[state] if state in states else \
        states["SynthesizeSegments"]["ItemProcessor"]["States"][state]
    return next(r for r in task["Retry"] if error in r["ErrorEquals"])


def drop_retrier(state: str, error: str) -> Callable[[dict], None]:
    def change(states: dict) -> None:
        states[state]["Retry"].remove(retrier(states, state, error))
    return change


def set_field(state: str, error: str, field: str, value) -> Callable[[dict], None]:
    def change(states: dict) -> None:
        retrier(states, state, error)[field] = value
    return change


def drop_error(state: str, error: str) -> Callable[[dict], None]:
    def change(states: dict) -> None:
        # The error's last retrier: the shared transient one, not a retrier of its own.
        task = states[state]
        shared = [r for r in task["Retry"] if error in r["ErrorEquals"]][-1]
        shared["ErrorEquals"].remove(error)
    return change


WORKFLOW = "tests/functional/test_workflow.py"
ASL_TESTS = "tests/unit/test_statemachine_definition.py"

MUTANTS = [
    Mutant("wait_for_content without the ETag", "chalicelib/steps/collect.py",
           replace('objects.head(content["key"], etag=content["etag"])', 'objects.head(content["key"])'),
           ["tests/unit/steps/test_wait_for_content.py", f"{WORKFLOW}::test_race_regression_audio_waits_until_the_upload_is_visible"]),
    Mutant("write_script reads without the ETag", "chalicelib/steps/script.py",
           replace('objects.get(content["key"], etag=content["etag"])', 'objects.get(content["key"])'),
           ["tests/unit/steps/test_write_script.py"]),
    Mutant("ContentNotReady MaxAttempts 6 -> 3", ASL, asl(set_field("WaitForContent", "ContentNotReady", "MaxAttempts", 3)),
           [ASL_TESTS, f"{WORKFLOW}::test_object_that_never_appears_fails_the_episode_with_a_named_error"]),
    Mutant("CollectContent's SourceUnavailable retrier deleted", ASL,
           asl(drop_retrier("CollectContent", "SourceUnavailable")), [ASL_TESTS]),
    Mutant("CollectContent's SourceUnavailable IntervalSeconds 30 -> 1", ASL,
           asl(set_field("CollectContent", "SourceUnavailable", "IntervalSeconds", 1)), [ASL_TESTS]),
    Mutant("AudioRejected MaxAttempts 1 -> 2 (retried twice, not once)", ASL,
           asl(set_field("SynthesizeSegment", "AudioRejected", "MaxAttempts", 2)),
           [ASL_TESTS, f"{WORKFLOW}::test_a_segment_that_fails_the_quality_gates_is_retried_once_then_fails_the_episode"]),
    Mutant("AudioRejected MaxAttempts 1 -> 3 (the issue's 2 -> 3, from today's value)", ASL,
           asl(set_field("SynthesizeSegment", "AudioRejected", "MaxAttempts", 3)), [ASL_TESTS]),
    Mutant("SpeechThrottled MaxAttempts 6 -> 1", ASL,
           asl(set_field("SynthesizeSegment", "SpeechThrottled", "MaxAttempts", 1)),
           [ASL_TESTS, f"{WORKFLOW}::test_a_throttled_segment_is_retried_with_backoff_and_the_episode_completes"]),
    Mutant("ObjectStoreUnavailable not retried by WaitForContent", ASL,
           asl(drop_error("WaitForContent", "ObjectStoreUnavailable")), [ASL_TESTS]),
    Mutant("FORWARD_TRANSITIONS and the SQLite trigger gain completed -> failed", "chalicelib/domain.py",
           replace("    (PENDING, SKIPPED),\n}", "    (PENDING, SKIPPED),\n    (COMPLETED, FAILED),\n}"),
           # The SQLite trigger's list is built from the constant, so the one edit moves both.
           ["tests/unit/test_domain_rules.py", "tests/contract/test_episode_store.py", "-k", "not supabase"]),
    Mutant("check_api_key compares the first 4 bytes", "chalicelib/http.py",
           replace("hmac.compare_digest(provided.encode(), expected.encode())",
                   "hmac.compare_digest(provided.encode()[:4], expected.encode()[:4])"),
           ["tests/unit/test_http_edge.py"]),
    Mutant("check_api_key takes any scheme's token", "chalicelib/http.py",
           replace('provided = token.strip() if scheme.lower() == "bearer" else None', "provided = token.strip()"),
           ["tests/unit/test_http_edge.py"]),
    Mutant("a reused Idempotency-Key starts the execution again", "chalicelib/admin.py",
           replace("        if created:\n            return 202, self._start(episode)",
                   "        if True:\n            return 202, self._start(episode)"),
           ["tests/unit/test_admin_actions.py"]),
    Mutant("Idempotency-Key length limit removed", "chalicelib/admin.py",
           replace(r"{1,128}$", r"{1,}$"), ["tests/unit/test_admin_actions.py"]),
    Mutant("podcast id pattern accepts '.' and '/'", "chalicelib/domain.py",
           replace(r"[A-Za-z0-9_-]{0,63}$", r"[A-Za-z0-9_./-]{0,63}$"),
           ["tests/unit/test_domain_rules.py", "tests/unit/test_admin_actions.py"]),
    Mutant("len(text) < min_text_length -> <=", "chalicelib/sources/bundle.py",
           replace("len(text) < min_text_length", "len(text) <= min_text_length"), ["tests/unit/sources/test_bundle.py"]),
    Mutant("silent-share gate > -> >=", "chalicelib/audio/quality.py",
           replace("if share > MAX_SILENT_SHARE:", "if share >= MAX_SILENT_SHARE:"),
           ["tests/unit/audio/test_segment_quality.py"]),
    Mutant("flood wait limit > -> >=", "chalicelib/sources/telethon_source.py",
           replace("seconds is None or seconds > self._max_seconds", "seconds is None or seconds >= self._max_seconds"),
           ["tests/unit/sources/test_telethon_source.py"]),
    Mutant("a FloodError while connecting is SourceFailed", "chalicelib/sources/telethon_source.py",
           replace('return SourceUnavailable(f"Telegram asked us to slow down',
                   'return SourceFailed(f"Telegram asked us to slow down'),
           ["tests/unit/sources/test_telethon_source.py"]),
    Mutant("record_failure without the owner check", "chalicelib/steps/status.py",
           replace("        if episode.execution_id not in owners:\n"
                   "            return False  # another execution owns it: its own failure path will report\n", ""),
           ["tests/unit/steps/test_failure_recording.py"]),
    Mutant("record_failure gives up on the first StatusConflict", "chalicelib/steps/status.py",
           replace("        except StatusConflict:\n            continue", "        except StatusConflict:\n            return False"),
           ["tests/unit/steps/test_failure_recording.py"]),
    Mutant("the reconciler fails unbound episodes (owner_required=False)", "chalicelib/steps/reconcile.py",
           replace("owner_required=True", "owner_required=False"), ["tests/unit/steps/test_failure_recording.py"]),
    Mutant("the reconciler ignores FAILED executions (MarkFailed itself failing)", "chalicelib/steps/reconcile.py",
           replace('("FAILED", "TIMED_OUT", "ABORTED")', '("TIMED_OUT", "ABORTED")'),
           ["tests/unit/steps/test_failure_recording.py"]),
    Mutant("the reconciler replaces the event's cause with a generic one", "chalicelib/steps/reconcile.py",
           replace('cause = clean_cause(detail.get("cause")) or f"the execution ended {status.lower()}"',
                   'cause = f"the execution ended {status.lower()}"'),
           ["tests/unit/steps/test_failure_recording.py"]),
]


def scratch_copy() -> Path:
    """The working tree as it is now (tracked and new files), without .venv and node_modules."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    copy = Path(tempfile.mkdtemp(prefix="podcasto-mutant-"))
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    if (ROOT / "node_modules").exists():
        (copy / "node_modules").symlink_to(ROOT / "node_modules")
    return copy


def run(mutant: Mutant) -> tuple[bool, str, float]:
    copy = scratch_copy()
    try:
        for path, edit in [(mutant.path, mutant.edit), *mutant.also]:
            target = copy / path
            target.write_text(edit(target.read_text()))
        started = time.monotonic()
        result = subprocess.run(
            [str(PYTHON), "-m", "pytest", "-q", "-x", "--no-header", *mutant.tests],
            cwd=copy, capture_output=True, text=True,
            env={**os.environ, "PODCASTO_HOME": str(copy / ".home")},
        )
        took = time.monotonic() - started
        failed = [line.split(" ")[1] for line in result.stdout.splitlines() if line.startswith("FAILED ")]
        if result.returncode == 1 and failed:
            return True, failed[0], took
        if result.returncode == 0:
            return False, "every test passed", took
        return False, f"pytest exited {result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}", took
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(a.lower() in m.name.lower() for a in argv)]
    survived = 0
    for number, mutant in enumerate(chosen, 1):
        killed, detail, took = run(mutant)
        survived += not killed
        verdict = "killed  " if killed else "SURVIVED"
        print(f"{number:2d}. {verdict} {mutant.name} ({took:.1f} s): {detail}", flush=True)
    print(f"{len(chosen) - survived} of {len(chosen)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
