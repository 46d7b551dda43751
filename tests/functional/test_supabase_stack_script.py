"""scripts/supabase_stack.sh as an operator runs it: `up` twice is safe, and `down` stops
exactly what its own `up` started — not another stack on the same machine."""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import STACK_SCRIPT, _free_ports, _parse_exports


class Stack:
    """One stack in its own fresh state directory, on free ports."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="podcasto-stack-script-", dir="/tmp"))
        os.chmod(self.dir, 0o755)  # as root, postgres runs as the postgres user
        api, pg, rest = _free_ports(3)
        self.env = {
            **os.environ,
            "PODCASTO_SUPABASE_DIR": str(self.dir),
            "PODCASTO_SUPABASE_API_PORT": str(api),
            "PODCASTO_SUPABASE_PG_PORT": str(pg),
            "PODCASTO_SUPABASE_REST_PORT": str(rest),
        }

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(STACK_SCRIPT), command], env=self.env, capture_output=True,
                              text=True, timeout=120)

    def pids(self) -> dict[str, int]:
        files = {"postgres": self.dir / "pgdata" / "postmaster.pid",
                 "postgrest": self.dir / "run" / "postgrest.pid",
                 "nginx": self.dir / "run" / "nginx.pid"}
        return {name: int(path.read_text().split()[0]) for name, path in files.items()
                if path.exists()}


def running(pid: int) -> bool:
    """Alive and not a zombie (PID 1 in a container may reap late)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(") ", 1)[1].split()[0] != "Z"


@pytest.fixture
def two_stacks():
    stacks = [Stack(), Stack()]
    yield stacks
    for stack in stacks:
        stack.run("purge")


def test_up_twice_is_safe_and_down_stops_only_its_own_stack(two_stacks):
    mine, other = two_stacks
    first = mine.run("up")
    assert first.returncode == 0, first.stderr[-2000:]
    assert other.run("up").returncode == 0
    started = mine.pids()
    assert set(started) == {"postgres", "postgrest", "nginx"}

    again = mine.run("up")

    assert again.returncode == 0, again.stderr[-2000:]
    assert _parse_exports(again.stdout) == _parse_exports(first.stdout)  # same URL, same keys
    assert mine.pids() == started  # nothing restarted, nothing started twice
    for name in ("postgres", "postgrest", "nginx"):
        assert f"{name} already running" in again.stderr
    assert "applying migration" not in again.stderr  # applied once, recorded

    down = mine.run("down")

    assert down.returncode == 0, down.stderr[-2000:]
    assert [name for name, pid in started.items() if running(pid)] == []
    assert mine.run("status").returncode == 1
    assert other.run("status").returncode == 0, "down stopped another stack"
    assert all(running(pid) for pid in other.pids().values())
    assert mine.run("down").returncode == 0  # and down twice is safe too
