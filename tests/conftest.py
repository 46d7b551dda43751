"""Fixtures shared across test directories.

``supabase_stack``: a real local Supabase data API (PostgreSQL + PostgREST + nginx) started once
per test session by ``scripts/supabase_stack.sh`` in a fresh state directory on free ports, and
deleted at the end. It is never skipped: when it cannot start, the tests that need it fail and
say why.
"""
from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

STACK_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "supabase_stack.sh"


@dataclass(frozen=True)
class SupabaseStack:
    url: str
    key: str  # service_role JWT
    anon_key: str


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _parse_exports(output: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in output.splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            values.update(word.split("=", 1) for word in words[1:])
    return values


@pytest.fixture(scope="session")
def supabase_stack():
    # Under /tmp and world-traversable: as root, postgres runs as the postgres user.
    state_dir = tempfile.mkdtemp(prefix="podcasto-supabase-test-", dir="/tmp")
    os.chmod(state_dir, 0o755)
    api, pg, rest = _free_ports(3)
    env = {
        **os.environ,
        "PODCASTO_SUPABASE_DIR": state_dir,
        "PODCASTO_SUPABASE_API_PORT": str(api),
        "PODCASTO_SUPABASE_PG_PORT": str(pg),
        "PODCASTO_SUPABASE_REST_PORT": str(rest),
    }
    up = subprocess.run(
        [str(STACK_SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=300
    )
    try:
        if up.returncode != 0:
            pytest.fail(
                f"the local Supabase stack did not start (exit {up.returncode}):\n{up.stderr[-3000:]}",
                pytrace=False,
            )
        exports = _parse_exports(up.stdout)
        yield SupabaseStack(
            url=exports["SUPABASE_URL"], key=exports["SUPABASE_KEY"],
            anon_key=exports["SUPABASE_ANON_KEY"],
        )
    finally:
        subprocess.run([str(STACK_SCRIPT), "purge"], env=env, capture_output=True, timeout=60)
