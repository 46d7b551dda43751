"""Episode-store figures: round trips and latency of one episode's life, SQLite vs Supabase.

    .venv/bin/python bench/bench_stores.py [--episodes 200]

One episode's life as the workflow drives it: create, get, claim, pending -> content_collected,
content_collected -> processing, processing -> completed, the last move repeated (a retried
Lambda), get. For Supabase, a round trip is one HTTP request (counted on supabase-py's httpx
session); SQLite has none (in-process), so its column counts calls into the database.

Supabase runs against SUPABASE_URL / SUPABASE_KEY when both are set, otherwise against a
throwaway local stack (scripts/supabase_stack.sh) started and purged by this script.
Figures, not pass/fail: the machine is noisy, compare the ratio.
"""
from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.domain import Window  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from chalicelib.stores.sqlite_store import SqliteEpisodeStore  # noqa: E402
from chalicelib.stores.supabase_store import SupabaseEpisodeStore  # noqa: E402

WINDOW = Window(datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 8, tzinfo=timezone.utc))
STEPS = (
    "create",
    "get",
    "claim",
    "pending->content_collected",
    "content_collected->processing",
    "processing->completed",
    "repeat processing->completed",
    "get (final)",
)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args) -> None:
        self.count += 1


def count_db_calls(store: SqliteEpisodeStore, counter: Counter) -> Counter:
    """``counter`` counts every connection ``store`` opens (one per store call)."""
    connection = store._connection

    @contextmanager
    def counted():
        counter()
        with connection() as conn:
            yield conn

    store._connection = counted
    return counter


def count_http_requests(store: SupabaseEpisodeStore, counter: Counter) -> Counter:
    """``counter`` counts every HTTP request ``store``'s PostgREST client sends."""
    store._client.session.event_hooks["request"].append(counter)
    return counter


def life(store, podcast_id: str, counter: Counter, timings, trips) -> None:
    execution = f"exec-{uuid.uuid4().hex[:8]}"
    state = {}

    def step(name, fn):
        before = counter.count
        start = time.perf_counter()
        result = fn()
        timings[name].append(time.perf_counter() - start)
        trips[name].append(counter.count - before)
        return result

    episode, _ = step("create", lambda: store.create_episode(
        podcast_id=podcast_id, language="en", format="dialogue", window=WINDOW))
    state["id"] = episode.id
    step("get", lambda: store.get_episode(state["id"]))
    step("claim", lambda: store.claim(state["id"], execution))
    step("pending->content_collected", lambda: store.transition(
        state["id"], expected="pending", to="content_collected", execution_id=execution,
        content_key="podcasts/p/e/content.json", content_etag='"etag"'))
    step("content_collected->processing", lambda: store.transition(
        state["id"], expected="content_collected", to="processing", execution_id=execution))
    step("processing->completed", lambda: store.transition(
        state["id"], expected="processing", to="completed", execution_id=execution,
        audio_key="podcasts/p/e/audio/podcast.mp3", duration_seconds=600.0))
    step("repeat processing->completed", lambda: store.transition(
        state["id"], expected="processing", to="completed", execution_id=execution))
    step("get (final)", lambda: store.get_episode(state["id"]))


def run(store, counter: Counter, episodes: int) -> tuple[dict, dict]:
    podcast_id = f"bench-{uuid.uuid4().hex[:10]}"
    store.put_podcast(Podcast(id=podcast_id, title="Bench", sources=["@bench_channel"]))
    for _ in range(5):  # warm connections and caches
        life(store, podcast_id, counter, defaultdict(list), defaultdict(list))
    timings, trips = defaultdict(list), defaultdict(list)
    for _ in range(episodes):
        life(store, podcast_id, counter, timings, trips)
    return timings, trips


@contextmanager
def supabase_settings():
    if os.environ.get("SUPABASE_URL") and os.environ.get("SUPABASE_KEY"):
        yield os.environ["SUPABASE_URL"], os.environ["SUPABASE_KEY"], "given stack"
        return
    state_dir = tempfile.mkdtemp(prefix="podcasto-supabase-bench-", dir="/tmp")
    os.chmod(state_dir, 0o755)
    env = {**os.environ, "PODCASTO_SUPABASE_DIR": state_dir, "PODCASTO_SUPABASE_API_PORT": "54341",
           "PODCASTO_SUPABASE_PG_PORT": "54342", "PODCASTO_SUPABASE_REST_PORT": "54340"}
    script = str(ROOT / "scripts" / "supabase_stack.sh")
    start = time.perf_counter()
    up = subprocess.run([script, "up"], env=env, capture_output=True, text=True)
    cold = time.perf_counter() - start
    try:
        if up.returncode != 0:
            raise SystemExit(f"the local Supabase stack did not start:\n{up.stderr}")
        exports = dict(word.split("=", 1) for line in up.stdout.splitlines()
                       for word in shlex.split(line)[1:])
        yield exports["SUPABASE_URL"], exports["SUPABASE_KEY"], f"local stack, cold start {cold:.2f} s"
    finally:
        subprocess.run([script, "purge"], env=env, capture_output=True)


def report(name: str, timings: dict, trips: dict, unit: str) -> float:
    print(f"\n{name}")
    print(f"  {'step':32} {'median ms':>10} {'p90 ms':>8} {unit:>12}")
    total_trips = 0
    for step in STEPS:
        values = sorted(timings[step])
        per = statistics.median(trips[step])
        total_trips += per
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"  {step:32} {statistics.median(values) * 1e3:10.2f} {p90 * 1e3:8.2f} {per:12g}")
    moves = [t for s in ("pending->content_collected", "content_collected->processing",
                         "processing->completed") for t in timings[s]]
    median_move = statistics.median(moves)
    print(f"  {unit} per episode: {total_trips:g}; median transition: {median_move * 1e3:.2f} ms")
    return median_move


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteEpisodeStore(os.path.join(tmp, "episodes.sqlite3"))
        calls = count_db_calls(sqlite, Counter())
        sqlite_median = report(f"SQLite ({args.episodes} episodes)",
                               *run(sqlite, calls, args.episodes), "db calls")

    with supabase_settings() as (url, key, where):
        supabase = SupabaseEpisodeStore.from_settings(url, key)
        requests = count_http_requests(supabase, Counter())
        supabase_median = report(f"Supabase via PostgREST ({where}, {args.episodes} episodes)",
                                 *run(supabase, requests, args.episodes), "HTTP requests")

    print(f"\nmedian transition, Supabase / SQLite: {supabase_median / sqlite_median:.1f}x")


if __name__ == "__main__":
    main()
