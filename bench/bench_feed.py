"""Feed figures: PublishFeed for a podcast with 1,000 completed episodes.

    .venv/bin/python bench/bench_feed.py [--episodes 1000] [--repeat 5]

Each episode carries realistic show notes (a 300-character summary, 12 stories of ~110
characters with two links each), so the render does the work a real feed does. Printed:
- the render alone (render_feed: store rows to XML bytes), median of --repeat runs, and per episode;
- the whole step as the workflow runs it (list the completed episodes from SQLite, render, write
  to an in-memory object store, list again: the concurrency guard), median;
- the feed's size, raw and gzip-compressed (what a CDN serves to apps that accept gzip);
- a card's first render (made once per title; later publishes reuse it).
Figures, not pass/fail: the machine is noisy, compare the ratios.
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.domain import Window  # noqa: E402
from chalicelib.feed.cover import title_card  # noqa: E402
from chalicelib.feed.rss import render_feed  # noqa: E402
from chalicelib.steps.publish import publish_feed  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from chalicelib.stores.sqlite_store import SqliteEpisodeStore  # noqa: E402
from tests.doubles import MemoryObjects  # noqa: E402

BASE = "https://d111111abcdef8.cloudfront.net"


def notes(number: int) -> str:
    stories = [{"title": f"Story {s} of episode {number}: a headline of about a hundred characters, "
                         f"as channels write them",
                "turn": 2 + 3 * s,
                "links": [f"https://t.me/byte_brief/{number * 20 + s}", f"https://example.com/news/{number}/{s}"]}
               for s in range(12)]
    return json.dumps({"summary": "Welcome to Byte Brief. " + "We look at the week's posts. " * 10,
                       "stories": stories})


def fill(store, podcast_id: str, count: int) -> None:
    for number in range(count):
        episode, _ = store.create_episode(podcast_id=podcast_id, language="en", format="dialogue",
                                          window=Window(None, None))
        run = f"run-{uuid.uuid4().hex[:8]}"
        store.claim(episode.id, run)
        store.transition(episode.id, expected="pending", to="content_collected", execution_id=run)
        store.transition(episode.id, expected="content_collected", to="processing", execution_id=run)
        store.transition(
            episode.id, expected="processing", to="completed", execution_id=run,
            audio_key=f"podcasts/{podcast_id}/{episode.id}/audio/podcast.mp3", duration_seconds=1234.5,
            title=f"Episode {number}: chips, AI and a launch (2026-11-16 – 2026-11-22)", show_notes=notes(number),
            audio_bytes=9_876_543, completed_at=f"2026-{1 + number // 28 % 12:02d}-{1 + number % 28:02d}T07:00:00.{number:06d}Z",
        )


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = SqliteEpisodeStore(str(Path(scratch) / "bench.db"))
        podcast = Podcast(id="bench", title="Byte Brief", description="Tech news, briefly.",
                          sources=[{"export": "x"}], days_back=None, image="podcasts/bench/cover.jpg")
        store.put_podcast(podcast)
        fill(store, podcast.id, args.episodes)
        episodes = store.completed_episodes(podcast.id, limit=args.episodes)
        objects = MemoryObjects()

        def render() -> bytes:
            return render_feed(podcast, episodes, feed_url=f"{BASE}/podcasts/bench/feed.xml",
                               image_url=f"{BASE}/podcasts/bench/cover.jpg", url_for=lambda key: f"{BASE}/{key}")

        body = render()
        render_s = median_seconds(render, args.repeat)
        step_s = median_seconds(lambda: publish_feed({"episode": {"podcast_id": podcast.id}}, episodes=store,
                                                     objects=objects, public_base_url=BASE), args.repeat)
        list_s = median_seconds(lambda: store.completed_episodes(podcast.id, limit=args.episodes), args.repeat)
        card_s = median_seconds(lambda: title_card("Byte Brief", "en"), 1)

    size, zipped = len(body), len(gzip.compress(body, 6))
    print(f"feed of {args.episodes} episodes: render {render_s * 1000:.0f} ms "
          f"({render_s / args.episodes * 1e6:.0f} µs/episode), "
          f"PublishFeed step {step_s * 1000:.0f} ms (of which 2 listings {2 * list_s * 1000:.0f} ms)")
    print(f"feed size: {size / 1e6:.2f} MB ({size / args.episodes / 1000:.1f} kB/episode), "
          f"gzip {zipped / 1e6:.2f} MB (ratio {size / zipped:.1f}x)")
    print(f"title card (3000x3000 JPEG, first publish of a podcast without art): {card_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
