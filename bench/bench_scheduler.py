"""One scheduler tick over many podcasts of which few are due: store round trips and time.

    .venv/bin/python bench/bench_scheduler.py [--podcasts 10000] [--due 10]

The tick's cost must follow the podcasts that are due, not the ones that are not: it is timed
over ``--podcasts`` podcasts and over ``--due`` podcasts alone (the same ``--due`` of them due),
and the ratio is printed. Starting an execution is recorded, not sent (this measures the
store's side: the due query, each slot's episode, claim and schedule advance). SQLite counts
calls into the database, Supabase counts HTTP requests. Supabase runs against SUPABASE_URL /
SUPABASE_KEY when set, else a throwaway local stack (as bench_stores.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_stores import Counter, count_db_calls, count_http_requests, supabase_settings  # noqa: E402
from chalicelib.admin import Admin  # noqa: E402
from chalicelib.steps.scheduler import run_schedule  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from chalicelib.stores.sqlite_store import SqliteEpisodeStore, _podcast_values  # noqa: E402
from chalicelib.stores.supabase_store import SupabaseEpisodeStore  # noqa: E402

NOW = datetime(2026, 12, 2, 5, 1, tzinfo=timezone.utc)
SCHEDULE = {"days": ["mon", "tue", "wed", "thu", "fri"], "at": "07:00", "timezone": "Asia/Jerusalem"}


class RecordingStarter:
    """Step Functions' side, recorded: the ARN a name gets, and the start itself."""

    state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench"

    def __init__(self):
        self.started = []

    def execution_arn(self, name: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def start(self, *, name: str, execution_input: dict) -> str:
        self.started.append(name)
        return self.execution_arn(name)


def podcasts(prefix: str, total: int, due: int) -> list[Podcast]:
    """``due`` podcasts due a minute ago, the rest due tomorrow."""
    made = []
    for i in range(total):
        next_run = NOW - timedelta(minutes=1) if i < due else NOW + timedelta(days=1)
        made.append(Podcast(id=f"{prefix}-{i:05d}", title=f"Podcast {i}", sources=["@bench_channel"],
                            schedule=SCHEDULE, next_run_at=next_run.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return made


def tick(store, counter: Counter) -> tuple[float, int, int]:
    starter = RecordingStarter()
    admin = Admin(episodes=store, starter=lambda: starter, audio_url=str, clock=lambda: NOW)
    before = counter.count
    start = time.perf_counter()
    result = run_schedule(episodes=store, start_slot=admin.start_slot, now=NOW, batch=100)
    return time.perf_counter() - start, counter.count - before, len(result["started"])


def measure(name: str, make_store, seed, counter_of, args) -> None:
    print(f"\n{name}")
    figures = {}
    for total in (args.due, args.podcasts):
        store, counter = make_store()
        seeded = time.perf_counter()
        seed(store, podcasts(f"b{uuid.uuid4().hex[:6]}", total, args.due))
        seeded = time.perf_counter() - seeded
        elapsed, trips, started = tick(store, counter_of(store, counter))
        figures[total] = elapsed
        print(f"  {total:6d} podcasts, {args.due} due: tick {elapsed * 1e3:8.1f} ms, "
              f"{trips} {counter.unit} ({trips / max(started, 1):.1f} per started episode), "
              f"{started} started  [seeded in {seeded:.1f} s]")
    print(f"  tick time, {args.podcasts} podcasts / {args.due}: {figures[args.podcasts] / figures[args.due]:.2f}x")


class Calls(Counter):
    unit = "db calls"


class Requests(Counter):
    unit = "HTTP requests"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--podcasts", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        def sqlite_store():
            store = SqliteEpisodeStore(os.path.join(tmp, f"{uuid.uuid4().hex}.sqlite3"))
            return store, Calls()

        def sqlite_seed(store, items):
            with store._write() as conn:  # one transaction: seeding is not what is measured
                for podcast in items:
                    values = _podcast_values(podcast)
                    names = list(values)
                    conn.execute(f"INSERT INTO podcasts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                 tuple(values.values()))

        measure("SQLite", sqlite_store, sqlite_seed, count_db_calls, args)
        plan = SqliteEpisodeStore(os.path.join(tmp, "plan.sqlite3"))
        with plan._connection() as conn:
            rows = conn.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM podcasts WHERE next_run_at IS NOT NULL AND paused = 0 "
                "AND archived_at IS NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT 100", ("x",)).fetchall()
        print("  due query plan: " + "; ".join(row[-1] for row in rows))

    with supabase_settings() as (url, key, where):
        def supabase_store():
            return SupabaseEpisodeStore.from_settings(url, key), Requests()

        def supabase_seed(store, items):
            rows = [{**p.to_json()} for p in items]
            for row in rows:
                for name in ("version", "archived_at", "created_at", "updated_at"):
                    row.pop(name)
            for i in range(0, len(rows), 1000):
                store._table("podcasts").insert(rows[i:i + 1000]).execute()

        measure(f"Supabase via PostgREST ({where})", supabase_store, supabase_seed, count_http_requests, args)


if __name__ == "__main__":
    main()
