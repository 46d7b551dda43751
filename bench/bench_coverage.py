"""Never-a-repeat figures: what reading "already covered" costs as a podcast's history grows.

    .venv/bin/python bench/bench_coverage.py [--weeks 52] [--messages 2000]

A podcast with ``--weeks`` completed weekly episodes of ``--messages`` kept messages each (five
channels). For each store: recording one episode's messages (CollectContent's write), reading
the covered messages of the next week's window (CollectContent's read; it overlaps the last
episode by a day, so it finds some) with its time, requests and peak Python memory, the same
read with only one week of history (the ratio shows whether the cost follows the window or
the history), and covered_elsewhere (a retry's staleness check).

Supabase runs against SUPABASE_URL / SUPABASE_KEY when both are set, otherwise against a
throwaway local stack (scripts/supabase_stack.sh) started and purged by this script.
Figures, not pass/fail: the machine is noisy, compare the ratios.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_stores import Counter, count_db_calls, count_http_requests, supabase_settings  # noqa: E402
from chalicelib.domain import Window  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from chalicelib.stores.sqlite_store import SqliteEpisodeStore  # noqa: E402
from chalicelib.stores.supabase_store import SupabaseEpisodeStore  # noqa: E402

START = datetime(2025, 12, 1, tzinfo=timezone.utc)
WEEK = timedelta(days=7)
CHANNELS = [f"@channel_{n}" for n in range(5)]
OPEN = Window(None, None)


def week_of_messages(week: int, count: int) -> list[tuple[str, int, datetime]]:
    step = WEEK / count
    return [(CHANNELS[i % len(CHANNELS)], week * count + i, START + week * WEEK + i * step) for i in range(count)]


def completed_episode(store, podcast_id: str, messages) -> str:
    episode, _ = store.create_episode(podcast_id=podcast_id, language="en", format="dialogue", window=OPEN)
    store.record_messages(episode.id, messages)
    for expected, to in (("pending", "content_collected"), ("content_collected", "processing"),
                         ("processing", "completed")):
        store.transition(episode.id, expected=expected, to=to)
    return episode.id


def history(store, weeks: int, messages: int) -> tuple[str, list[str]]:
    podcast_id = f"bench-{uuid.uuid4().hex[:10]}"
    store.put_podcast(Podcast(id=podcast_id, title="Bench", sources=["@bench_channel"]))
    return podcast_id, [completed_episode(store, podcast_id, week_of_messages(w, messages)) for w in range(weeks)]


def measured(fn, counter: Counter, repeats: int = 5):
    """Median seconds, requests of one call, peak traced bytes, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    before = counter.count
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), counter.count - before, peak, result


def report(name: str, store, counter: Counter, weeks: int, messages: int, unit: str) -> None:
    print(f"\n{name}: {weeks} completed weekly episodes x {messages} messages "
          f"({weeks * messages} recorded)")
    start = time.perf_counter()
    podcast_id, _ = history(store, weeks, messages)
    print(f"  building the history: {time.perf_counter() - start:.1f} s")
    short_id, _ = history(store, 1, messages)

    pending, _ = store.create_episode(podcast_id=podcast_id, language="en", format="dialogue", window=OPEN)
    write = lambda: store.record_messages(pending.id, week_of_messages(weeks, messages))  # noqa: E731
    seconds, trips, _, _ = measured(write, counter)
    print(f"  record {messages} messages:            {seconds * 1e3:8.1f} ms, {trips} {unit}")

    def window_after(last_week: int) -> Window:
        # The next week, reaching a day back into the last completed one.
        return Window(START + (last_week + 1) * WEEK - timedelta(days=1), START + (last_week + 2) * WEEK)

    read = lambda: store.covered_messages(podcast_id, window=window_after(weeks - 1), exclude_episode_id=pending.id)  # noqa: E731
    seconds, trips, peak, found = measured(read, counter)
    print(f"  covered in the next week's window:     {seconds * 1e3:8.1f} ms, {trips} {unit}, "
          f"{len(found)} covered, peak {peak / 1024:.0f} KiB")
    short = lambda: store.covered_messages(short_id, window=window_after(0), exclude_episode_id=pending.id)  # noqa: E731
    short_seconds, _, short_peak, _ = measured(short, counter)
    print(f"  the same with one week of history:     {short_seconds * 1e3:8.1f} ms, peak {short_peak / 1024:.0f} KiB"
          f"  -> {weeks} weeks / 1 week: time {seconds / short_seconds:.1f}x, memory {peak / max(short_peak, 1):.1f}x")
    whole = lambda: store.covered_messages(podcast_id, window=OPEN, exclude_episode_id=pending.id)  # noqa: E731
    whole_seconds, whole_trips, whole_peak, found = measured(whole, counter, repeats=1)
    print(f"  (an open window, every covered message: {whole_seconds * 1e3:.1f} ms, {whole_trips} {unit}, "
          f"{len(found)} covered, peak {whole_peak / 1024:.0f} KiB)")
    seconds, trips, _, count = measured(lambda: store.covered_elsewhere(pending.id), counter)
    print(f"  covered_elsewhere of {messages} messages:  {seconds * 1e3:8.1f} ms, {trips} {unit}, {count} found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteEpisodeStore(os.path.join(tmp, "episodes.sqlite3"))
        calls = count_db_calls(sqlite, Counter())
        report("SQLite", sqlite, calls, args.weeks, args.messages, "db calls")

    with supabase_settings() as (url, key, where):
        supabase = SupabaseEpisodeStore.from_settings(url, key)
        requests = count_http_requests(supabase, Counter())
        report(f"Supabase via PostgREST ({where})", supabase, requests, args.weeks, args.messages,
               "HTTP requests")


if __name__ == "__main__":
    main()
