"""Shared fixtures.

``engine``: one local engine (moto's server + the real ASL) for the session, sleeps compressed.
``services``: fresh services per test (own SQLite file) answering the engine's invocations.
``log_lines``: the JSON lines podcasto logs during the test; ``captured_logs()`` the same as a
context manager, optionally with every library's lines too.
``supabase_stack``: a real local Supabase data API (PostgreSQL + PostgREST + nginx) started once
per test session by ``scripts/supabase_stack.sh`` in a fresh state directory on free ports, and
deleted at the end. It is never skipped: when it cannot start, the tests that need it fail and
say why.
"""
from __future__ import annotations

import io
import json
import logging
import os
import shlex
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.factory import Services, use_services
from chalicelib.stores.episodes import Podcast

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def engine():
    """One local engine (moto server + real ASL) for the session, with sleeps compressed."""
    from app import app
    from podcasto_local.engine import LocalEngine

    with LocalEngine(app, time_scale=0.001) as running:
        yield running


@contextmanager
def captured_logs(*, every_library: bool = False):
    """A ``StringIO`` receiving, in podcasto's JSON format, what podcasto logs inside the block:
    a handler of its own on podcasto's logger (its stdout handler was bound when the logger was
    first built). ``every_library``: the root logger too, at DEBUG (lower than any stage runs),
    so whatever botocore, httpx, google-genai or Telethon logs is in it as the Lambda runtime
    would ship it."""
    from chalicelib import log

    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(log.formatter())
    root = logging.getLogger()
    loggers = [log.logger(), root] if every_library else [log.logger()]
    root_level = root.level
    if every_library:
        root.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield captured
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        root.setLevel(root_level)


@pytest.fixture
def log_lines():
    """The JSON lines podcasto logs while the test runs, parsed: call it to read them."""
    with captured_logs() as captured:
        yield lambda: [json.loads(line) for line in captured.getvalue().splitlines()]


API_KEY = "test-api-key-5b1f0c"


@pytest.fixture
def settings(tmp_path, engine) -> Settings:
    """Defaults, with runtime state in the test's own folder and no outside environment."""
    return Settings(
        environ={
            "PODCASTO_HOME": str(tmp_path / "home"),
            "STATE_MACHINE_ARN": engine.state_machine_arn,
            "PODCASTO_API_KEY": API_KEY,
        }
    )


@pytest.fixture
def services(engine, settings):
    """Fresh services (own SQLite file) answering the engine's task invocations and API calls."""
    built = Services(
        settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions")
    )
    previous = use_services(built)
    engine.invocations.clear()
    yield built
    use_services(previous)


def write_export(folder: Path, messages: list[dict], *, name="Test Channel", chat_id=1001) -> Path:
    """A single-chat Telegram Desktop export (result.json) holding ``messages``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "result.json"
    data = {"name": name, "type": "public_channel", "id": chat_id, "messages": messages}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def export_message(message_id: int, text, *, unixtime: int = 1763632800, **extra) -> dict:
    """One message as Telegram Desktop writes it (``date`` local, ``date_unixtime`` UTC)."""
    from datetime import datetime, timezone

    return {
        "id": message_id,
        "type": "message",
        "date": datetime.fromtimestamp(unixtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(unixtime),
        "from": "Test Channel",
        "from_id": "channel1001",
        "text": text,
        **extra,
    }


@pytest.fixture
def small_export(tmp_path) -> Path:
    """Three short posts: enough for a whole episode in well under a second of synthesis."""
    return write_export(
        tmp_path / "export",
        [
            export_message(1, "Release 2.0 is out with faster builds.", unixtime=1763632800),
            export_message(2, ["Read the notes at ", {"type": "link", "text": "https://example.com/notes"}],
                           unixtime=1763636400),
            export_message(3, "Thanks to 12 contributors this week.", unixtime=1763640000),
        ],
    )


@pytest.fixture
def podcast_for(services):
    """Register a podcast reading ``export`` and return it."""

    def make(export: Path, *, podcast_id="test-podcast", language="en", format="dialogue") -> Podcast:
        podcast = Podcast(
            id=podcast_id,
            title="Test Podcast",
            language=language,
            format=format,
            hosts=[],
            sources=[{"export": str(export), "chat": None}],
            days_back=None,
        )
        services.episodes.put_podcast(podcast)
        return podcast

    return make


# --- the local Supabase stack ---------------------------------------------------------------

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
