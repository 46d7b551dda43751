"""`make local` killed with kill -9 in the middle of an episode, and a `make generate` killed
the same way, then `make local` started again on the same PODCASTO_HOME: nothing stays
unfinished, the stranded episodes can be retried, and what was made before is still there."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.functional.test_make_local import call, free_port, wait_for_status


def start_local(home: Path, log: Path) -> tuple[subprocess.Popen, str]:
    api_port, sfn_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PODCASTO_API_KEY"}
    env.update(PORT=str(api_port), LOCAL_SFN_PORT=str(sfn_port), PODCASTO_HOME=str(home),
               SWEEP_GRACE_SECONDS="1", SWEEP_INTERVAL_SECONDS="1")
    with open(log, "a") as out:
        process = subprocess.Popen([str(ROOT / "scripts" / "local.sh")], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if call("GET", f"{base}/podcasts")[0] == 200:
                return process, base
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"make local did not start:\n{log.read_text()}", pytrace=False)
        time.sleep(0.2)


def stop_local(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    process.wait(timeout=20)


def engine_pid(local_sh: subprocess.Popen) -> int:
    """The engine server, a child of scripts/local.sh."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(local_sh.pid)], capture_output=True, text=True)
    for pid in map(int, children.stdout.split()):
        if b"podcasto_local.engine_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise AssertionError("no engine process under make local")


def unfinished_generate_episode(home: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (home / "podcasto.db").exists():
            with sqlite3.connect(home / "podcasto.db") as conn:
                rows = conn.execute("SELECT id FROM episodes WHERE podcast_id LIKE 'export-%' "
                                    "AND status IN ('pending', 'content_collected', 'processing')").fetchall()
            if rows:
                return rows[0][0]
        time.sleep(0.05)
    raise AssertionError("make generate made no episode")


def test_nothing_is_stranded_or_lost_across_kill_9_and_a_restart(tmp_path):
    home, log = tmp_path / "home", tmp_path / "make-local.log"
    first, base = start_local(home, log)
    try:
        # Two halves of the demo export's week, given explicitly: a podcast's next episode
        # otherwise starts where its last one ended (chalicelib.continuity), past the export,
        # and messages a completed episode told are never told again.
        first_half = {"start_date": "2026-11-16", "end_date": "2026-11-18"}
        second_half = {"start_date": "2026-11-19", "end_date": "2026-11-22"}
        _, done = call("POST", f"{base}/podcasts/demo/episodes", {"format": "narrator", **first_half})
        completed = wait_for_status(base, done["episode_id"])
        assert completed["status"] == "completed"

        status, started = call("POST", f"{base}/podcasts/demo/episodes", {"format": "dialogue", **second_half})
        assert status == 202
        engine = engine_pid(first)
        os.kill(engine, signal.SIGSTOP)  # frozen in the middle of the episode...
        stranded = call("GET", f"{base}/episodes/{started['episode_id']}")[1]
        assert stranded["status"] in ("pending", "content_collected", "processing")
        os.kill(engine, signal.SIGKILL)  # ...and killed there
    finally:
        stop_local(first)

    # A `make generate` killed in the middle of its episode, on the same home.
    generate = subprocess.Popen(
        [sys.executable, "-m", "podcasto_local.cli", "generate", "--out", str(tmp_path / "out"),
         "--export", str(ROOT / "examples" / "demo-export" / "result.json")],
        cwd=ROOT, env={**os.environ, "PODCASTO_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        generated = unfinished_generate_episode(home)
    finally:
        generate.kill()
        generate.wait()

    second, base = start_local(home, log)
    try:
        for episode_id in (started["episode_id"], generated):
            lost = wait_for_status(base, episode_id, timeout=30)
            assert (lost["status"], lost["error"]) == ("failed", "ExecutionLost"), lost
            assert lost["cause"]

        status, retried = call("POST", f"{base}/episodes/{started['episode_id']}/retry")
        assert status == 202
        final = wait_for_status(base, started["episode_id"])
        assert final["status"] == "completed", final

        # Made before the restart, still there after it.
        again = call("GET", f"{base}/episodes/{done['episode_id']}")[1]
        with urllib.request.urlopen(again["audio_url"], timeout=10) as audio:
            assert audio.read(3) == b"ID3"
    finally:
        stop_local(second)
