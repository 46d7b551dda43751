"""A podcast is a series: scheduled episodes follow each other with no gap and no repeat.

Driven as production drives it: the scheduler tick (chalicelib.steps.scheduler) at an injected
moment starts each slot's episode through Admin.start_slot, and the real state machine runs it
on the local engine. Every kept message must end up in exactly one completed episode's bundle.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.errors import ScriptRejected
from chalicelib.steps.scheduler import run_schedule
from chalicelib.stores.episodes import Podcast
from tests.conftest import export_message, write_export

UTC = timezone.utc
WEEK = timedelta(days=7)
FIRST_MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # messages from here, for three weeks
SLOTS = [FIRST_MONDAY + WEEK * n + timedelta(hours=7) for n in (1, 2, 3)]  # Mondays 07:00 UTC
WEEKLY = {"days": ["mon"], "at": "07:00", "timezone": "UTC"}
TOPICS = ["compilers", "databases", "browsers", "kernels", "editors", "networks", "queues"]


def three_weeks_of_messages() -> list[dict]:
    """A post every other day for three weeks (11), each its own story, and a service message a
    week (never kept by any episode). Few, so each episode's audio takes a moment."""
    messages, message_id = [], 0
    for day in range(21):
        for hour in (9,) if day % 2 == 0 else ():
            message_id += 1
            moment = FIRST_MONDAY + timedelta(days=day, hours=hour)
            messages.append(export_message(
                message_id, f"Day {day} at {hour}: news about {TOPICS[message_id % len(TOPICS)]}, item {message_id}.",
                unixtime=int(moment.timestamp())))
        if day % 7 == 4:
            message_id += 1
            messages.append({**export_message(message_id, "", unixtime=int((FIRST_MONDAY + timedelta(days=day, hours=12)).timestamp())),
                             "type": "service", "action": "pin_message"})
    return messages


KEPT = {("Test Channel", m["id"]) for m in three_weeks_of_messages() if m["type"] == "message"}


class Clock:
    """The services' clock and the scheduler's ``now``: one moment, moved by the test."""

    def __init__(self):
        self.now = FIRST_MONDAY

    def __call__(self) -> datetime:
        return self.now


class FailingOnce:
    """A script writer whose ``fail_on``-th call is rejected, as a model's bad script would be."""

    def __init__(self, inner, fail_on: int):
        self.inner, self.fail_on, self.calls = inner, fail_on, 0

    def write(self, bundle, **kwargs):
        self.calls += 1
        if self.calls == self.fail_on:
            raise ScriptRejected("turn 2 has no text (injected)")
        return self.inner.write(bundle, **kwargs)


@pytest.fixture
def clock(services):
    clock = Clock()
    services.clock = clock  # before services.admin is first built: Admin takes Services.clock
    return clock


@pytest.fixture
def series(services, clock, tmp_path):
    export = write_export(tmp_path / "export", three_weeks_of_messages())
    # A podcast id of its own: slot episode ids (and so execution names, on the session's one
    # engine) derive from (podcast, slot).
    podcast = Podcast(
        id=f"series-{uuid.uuid4().hex[:8]}", title="Series", format="narrator", sources=[{"export": str(export), "chat": None}], days_back=None,
        schedule=WEEKLY, next_run_at=SLOTS[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    services.episodes.put_podcast(podcast)
    return podcast


def tick(engine, services, clock, moment: datetime):
    """One scheduler tick at ``moment`` (a few minutes after a slot); returns the slot's
    episode once its execution has ended, and that execution's description."""
    clock.now = moment
    done = run_schedule(episodes=services.episodes, start_slot=services.admin.start_slot, now=moment)
    (started,) = done["started"]
    episode = services.episodes.get_episode(started["episode_id"])
    description = engine.wait(episode.execution_id, timeout=120)
    return services.episodes.get_episode(episode.id), description


def retry(engine, services, episode_id: str):
    status, body = services.admin.retry_episode(episode_id)
    assert status == 202
    description = engine.wait(body["execution_arn"], timeout=120)
    return services.episodes.get_episode(episode_id), description


def bundle(services, episode) -> dict:
    return json.loads(services.objects.get(episode.content_key))


def kept(services, episode) -> set[tuple[str, int]]:
    return {(m["channel"], m["id"]) for m in bundle(services, episode)["messages"]}


def assert_each_kept_message_told_exactly_once(services, episodes):
    told = [kept(services, e) for e in episodes if e.status == "completed"]
    assert set().union(*told) == KEPT  # no gap
    assert sum(len(t) for t in told) == len(KEPT)  # no repeat: the sets are disjoint


def collections(engine) -> int:
    return [name for name, _ in engine.invocations].count("collect_content")


def test_three_weekly_episodes_tell_every_message_once_with_the_middle_one_failed_and_retried(
        engine, services, clock, series):
    services.writer = FailingOnce(services.writer, fail_on=2)  # the second episode's first script
    late = timedelta(minutes=3)  # the tick runs a few minutes after the slot

    first, _ = tick(engine, services, clock, SLOTS[0] + late)
    middle, failed_run = tick(engine, services, clock, SLOTS[1] + late)
    assert (first.status, middle.status, middle.error) == ("completed", "failed", "ScriptRejected")
    assert failed_run["status"] == "FAILED"
    middle, _ = retry(engine, services, middle.id)
    last, _ = tick(engine, services, clock, SLOTS[2] + late)

    episodes = [first, middle, last]
    assert [e.status for e in episodes] == ["completed"] * 3
    assert middle.attempt_count == 2 and collections(engine) == 3  # the retry reused its bundle
    # Consecutive windows: each starts where the previous one ended.
    assert first.window_start is None
    assert (middle.window_start, last.window_start) == (first.window_end, middle.window_end)
    assert_each_kept_message_told_exactly_once(services, episodes)
    for episode in episodes:
        assert not [f for f in bundle(services, episode)["filtered"] if f["reason"] == "already_covered"]


def test_a_retry_after_the_next_slot_completed_collects_again_and_repeats_nothing(
        engine, services, clock, series):
    services.writer = FailingOnce(services.writer, fail_on=2)
    late = timedelta(minutes=3)

    first, _ = tick(engine, services, clock, SLOTS[0] + late)
    middle, _ = tick(engine, services, clock, SLOTS[1] + late)
    assert middle.status == "failed"
    # The next slot runs before anyone retries: it starts where the last *completed* episode
    # ended, so it covers the failed episode's week as well as its own.
    last, _ = tick(engine, services, clock, SLOTS[2] + late)
    assert last.status == "completed" and last.window_start == first.window_end
    assert_each_kept_message_told_exactly_once(services, [first, middle, last])

    # Retried now, the failed episode's bundle is stale: everything in it was told since.
    retried, description = retry(engine, services, middle.id)

    assert description["status"] == "SUCCEEDED"
    assert collections(engine) == 4  # collected again instead of reusing the stale bundle
    assert (retried.status, retried.outcome, retried.content_key) == ("skipped", "nothing_new", None)
    assert retried.cause.startswith("no usable message in the window: ")
    assert "already_covered" in retried.cause
    assert_each_kept_message_told_exactly_once(services, [first, retried, last])


def test_a_slot_with_nothing_new_is_skipped_and_the_next_starts_from_the_same_point(
        engine, services, clock, series):
    late = timedelta(minutes=3)
    episodes = [tick(engine, services, clock, slot + late)[0] for slot in SLOTS]
    assert [e.status for e in episodes] == ["completed"] * 3

    empty, description = tick(engine, services, clock, SLOTS[2] + WEEK + late)

    assert description["status"] == "SUCCEEDED"  # no failure alarm for an empty week
    assert (empty.status, empty.outcome, empty.audio_key) == ("skipped", "nothing_new", None)
    assert empty.window_start == episodes[-1].window_end
    _, body = services.admin.episode(empty.id)
    assert (body["status"], body["outcome"]) == ("skipped", "nothing_new")
    assert body["status_history"][-1]["detail"] == "nothing_new: no message in the window"
    # Continuity counts completed episodes only: the week after starts where the last
    # completed episode ended, so the skipped week is covered again (still with nothing).
    clock.now = SLOTS[2] + 2 * WEEK + late
    assert services.admin.next_window(services.episodes.get_podcast(series.id)).start == datetime.fromisoformat(
        episodes[-1].window_end.replace("Z", "+00:00"))


class HeldOnce:
    """A script writer whose first call waits for ``release``: its episode stays in flight,
    content collected and recorded, for as long as the test needs."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.entered, self.release = threading.Event(), threading.Event()

    def write(self, bundle, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            assert self.release.wait(120)
        return self.inner.write(bundle, **kwargs)


def test_an_episode_started_while_another_is_being_made_does_not_tell_its_stories_again(
        engine, services, clock, series):
    # A manual run, and a second one (or a slot) while the first still writes its script: both
    # take their window from the last completed episode, so both windows hold the same messages.
    held = services.writer = HeldOnce(services.writer)
    clock.now = SLOTS[2] + WEEK
    status, running = services.admin.start_episode(series.id, {})
    assert status == 202
    try:
        assert held.entered.wait(120)  # collected and recorded; now in WriteScript
        second, description = start(engine, services, series.id, {})
    finally:
        held.release.set()
    engine.wait(running["execution_arn"], timeout=120)
    first = services.episodes.get_episode(running["episode_id"])

    assert (first.status, second.status, second.outcome) == ("completed", "skipped", "nothing_new")
    assert description["status"] == "SUCCEEDED"
    assert second.cause == f"no usable message in the window: {len(KEPT) + 3} collected, all filtered " \
                           f"(already_covered {len(KEPT)}, service 3)"
    assert_each_kept_message_told_exactly_once(services, [first, second])


# --- explicit windows over what was already told ---------------------------------------------------
def start(engine, services, podcast_id: str, body: dict):
    status, started = services.admin.start_episode(podcast_id, body)
    assert status == 202
    description = engine.wait(started["execution_arn"], timeout=120)
    return services.episodes.get_episode(started["episode_id"]), description


def test_an_explicit_window_overlapping_a_completed_episode_filters_the_overlap_as_already_covered(
        engine, services, clock, series):
    clock.now = SLOTS[2] + WEEK
    first, _ = start(engine, services, series.id, {"start_date": "2026-11-02", "end_date": "2026-11-10"})
    # An edit after the episode told it: same message id, new text (and an edit date).
    export = series.sources[0]["export"]
    data = json.loads(Path(export).read_text(encoding="utf-8"))
    edited = next(m for m in data["messages"] if m["date"].startswith("2026-11-08") and m["type"] == "message")
    edited.update(text="Day 6: corrected news, rewritten after publication.",
                  edited="2026-11-09T10:00:00", edited_unixtime="1762682400")
    write_export(Path(export).parent, data["messages"])

    second, _ = start(engine, services, series.id, {"start_date": "2026-11-06", "end_date": "2026-11-14"})

    assert (first.status, second.status) == ("completed", "completed")
    overlap = {("Test Channel", m["id"]) for m in three_weeks_of_messages()
               if m["type"] == "message" and "2026-11-06" <= m["date"][:10] <= "2026-11-10"}
    covered = {(f["channel"], f["id"]) for f in bundle(services, second)["filtered"]
               if f["reason"] == "already_covered"}
    assert covered == overlap and ("Test Channel", edited["id"]) in covered  # the edited one too
    assert not kept(services, first) & kept(services, second)
    counts = bundle(services, second)["counts"]
    assert counts["collected"] == counts["kept"] + counts["filtered"]
