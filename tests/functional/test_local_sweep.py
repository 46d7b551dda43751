"""The sweeper on the local engine: which executions the engine judges gone, and a real
execution left alone while it runs."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from chalicelib.domain import Window
from chalicelib.steps.sweep import LOST, UNKNOWN, sweep_episodes


def later(seconds=3600):
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def bound_episode(services, podcast, arn):
    episode, _ = services.episodes.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None))
    services.episodes.claim(episode.id, arn)
    return episode


def test_the_engine_judges_its_own_and_dead_generate_runs_executions_and_no_others(engine):
    import os

    prefix = "arn:aws:states:us-east-1:123456789012:execution:"
    assert engine.describe(f"{prefix}podcasto-local:never-started")["status"] == UNKNOWN
    assert engine.describe(f"{prefix}podcasto-generate-{dead_pid()}:episode-x")["status"] == UNKNOWN
    assert engine.describe(f"{prefix}podcasto-generate-{os.getpid()}:episode-x") is None  # alive
    assert engine.describe(f"{prefix}podcasto-dev:episode-x") is None  # not a local engine's
    assert engine.describe("podcasto-sweeper") is None


def test_a_sweep_fails_the_lost_ones_and_leaves_a_running_execution_alone(engine, services, small_export, podcast_for):
    import threading

    podcast = podcast_for(small_export)
    prefix = "arn:aws:states:us-east-1:123456789012:execution:"
    lost = bound_episode(services, podcast, f"{prefix}podcasto-local:lost-with-the-last-engine")
    generate = bound_episode(services, podcast, f"{prefix}podcasto-generate-{dead_pid()}:episode-y")

    class Blocking:
        def __init__(self, inner):
            self.inner, self.entered, self.release = inner, threading.Event(), threading.Event()

        def write(self, bundle, **kwargs):
            self.entered.set()
            self.release.wait(30)
            return self.inner.write(bundle, **kwargs)

    services.writer = writer = Blocking(services.writer)
    running, _ = services.episodes.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None))
    arn = engine.start_execution({"podcast_id": podcast.id, "episode_id": running.id}, name=f"running-{running.id}")
    assert writer.entered.wait(30)
    try:
        result = sweep_episodes(episodes=services.episodes, executions=engine, now=later(),
                                grace_seconds=60, limit=100)
    finally:
        writer.release.set()

    assert sorted(result["failed"], key=lambda f: f["episode_id"]) == sorted(
        [{"episode_id": lost.id, "error": LOST}, {"episode_id": generate.id, "error": LOST}],
        key=lambda f: f["episode_id"])
    assert engine.wait(arn, timeout=60)["status"] == "SUCCEEDED"
    assert services.episodes.get_episode(running.id).status == "completed"
