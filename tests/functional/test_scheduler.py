"""The scheduler with an injected clock, starting real executions on the local engine.

A podcast's episodes are due on its schedule; each test moves a clock and runs ticks.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.stores.episodes import Podcast
from chalicelib.steps.scheduler import run_schedule, slot_episode_id
from tests.conftest import ROOT, export_message, write_export

UTC = timezone.utc
WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "at": "07:00", "timezone": "Asia/Jerusalem"}
MONDAY_0500 = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 07:00 in Jerusalem


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(services):
    clock = Clock(MONDAY_0500 - timedelta(hours=1))
    services.clock = clock  # Admin reads the time through Services.clock
    services.__dict__.pop("admin", None)
    return clock


@pytest.fixture
def export(tmp_path):
    """A post every six hours through the test period (late November to mid December)."""
    start = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    return write_export(tmp_path / "export", [
        export_message(i + 1, f"Story number {i + 1} about the release train and its passengers.",
                       unixtime=start + i * 6 * 3600)
        for i in range(4 * 30)
    ])


def scheduled_podcast(services, clock, export, *, podcast_id="daily-brief", schedule=WEEKDAYS, **extra) -> Podcast:
    """Created through the admin layer, so next_run_at comes from the schedule and the clock.
    The id is made unique: execution names derive from (podcast, slot), and the engine (with
    its executions) is shared by the whole test session."""
    podcast_id = f"{podcast_id}-{uuid.uuid4().hex[:8]}"
    status, body, _ = services.admin.create_podcast({
        "id": podcast_id, "title": "Daily Brief", "schedule": schedule, "days_back": 3,
        "sources": [{"export": str(export), "chat": None}], **extra,
    })
    assert status == 201
    return services.episodes.get_podcast(podcast_id)


def tick(services, clock, at: datetime) -> dict:
    clock.now = at
    return run_schedule(episodes=services.episodes, start_slot=services.admin.start_slot, now=at)


def executions_of(engine, podcast_id: str) -> list[dict]:
    found = engine.client("stepfunctions").list_executions(stateMachineArn=engine.state_machine_arn)["executions"]
    return [e for e in found if e["name"].startswith("episode-")
            and e["name"][len("episode-"):-3] in _episode_ids(engine, podcast_id)]


def _episode_ids(engine, podcast_id):
    from chalicelib.factory import services

    return {e.id for e in services().episodes.list_episodes(podcast_id, limit=100)}


def wait_all(engine, services, podcast_id):
    for episode in services.episodes.list_episodes(podcast_id, limit=100):
        if episode.execution_id:
            engine.wait(episode.execution_id, timeout=120)


def test_a_weekday_schedule_across_a_week_starts_one_episode_per_weekday(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export)
    assert podcast.next_run_at == "2026-11-30T05:00:00Z"
    started = []
    moment = MONDAY_0500 - timedelta(minutes=30)
    while moment < MONDAY_0500 + timedelta(days=7):  # a tick every 30 minutes for a week
        started += tick(services, clock, moment)["started"]
        wait_all(engine, services, podcast.id)  # an episode takes minutes, a slot comes daily
        moment += timedelta(minutes=30)
    assert [s["slot"] for s in started] == [
        f"2026-{d}T05:00:00Z" for d in ("11-30", "12-01", "12-02", "12-03", "12-04")]
    assert services.episodes.get_podcast(podcast.id).next_run_at == "2026-12-07T05:00:00Z"
    wait_all(engine, services, podcast.id)
    episodes = sorted(services.episodes.list_episodes(podcast.id, limit=100), key=lambda e: e.window_end)
    # Each starts where the one before ended: no gap, no overlap.
    for before, after in zip(episodes, episodes[1:]):
        assert after.window_start == before.window_end
    assert [e.status for e in episodes] == ["completed"] * 5


def test_a_double_fire_and_two_concurrent_ticks_start_one_execution_per_slot(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export)
    due = podcast.next_run_at
    # Two schedulers read the podcast as due at the same moment, and each starts the slot.
    barrier = threading.Barrier(2)
    results = []

    def one_tick():
        barrier.wait()
        results.append(run_schedule(episodes=services.episodes, start_slot=services.admin.start_slot,
                                    now=MONDAY_0500 + timedelta(minutes=1)))

    clock.now = MONDAY_0500 + timedelta(minutes=1)
    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A retried invocation of the same tick (EventBridge delivers at least once).
    tick(services, clock, MONDAY_0500 + timedelta(minutes=1))
    # And the same slot started again directly, as a tick that died before advancing would.
    services.admin.start_slot(replace(podcast, next_run_at=due), MONDAY_0500, slot_episode_id(podcast.id, MONDAY_0500))
    wait_all(engine, services, podcast.id)
    episodes = services.episodes.list_episodes(podcast.id, limit=100)
    assert [e.id for e in episodes] == [slot_episode_id(podcast.id, MONDAY_0500)]
    assert len(executions_of(engine, podcast.id)) == 1
    assert episodes[0].status == "completed"


def test_two_days_of_downtime_give_one_catch_up_episode_covering_the_gap(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export)
    first = tick(services, clock, MONDAY_0500)["started"]
    wait_all(engine, services, podcast.id)
    # The scheduler is down Tuesday and Wednesday; it comes back Wednesday at noon.
    back = MONDAY_0500 + timedelta(days=2, hours=7)
    result = tick(services, clock, back)
    assert [s["slot"] for s in result["started"]] == ["2026-12-02T05:00:00Z"]  # the latest slot only
    assert tick(services, clock, back + timedelta(minutes=5))["started"] == []
    wait_all(engine, services, podcast.id)
    catch_up = services.episodes.get_episode(result["started"][0]["episode_id"])
    before = services.episodes.get_episode(first[0]["episode_id"])
    assert catch_up.window_start == before.window_end  # the whole gap, from where Monday ended
    assert catch_up.window_end == "2026-12-02T12:00:00Z"
    assert services.episodes.get_podcast(podcast.id).next_run_at == "2026-12-03T05:00:00Z"


def test_a_paused_podcast_gets_no_episode_and_resumes_from_the_next_slot(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export, paused=True)
    assert tick(services, clock, MONDAY_0500 + timedelta(days=3))["started"] == []
    assert services.episodes.list_episodes(podcast.id, limit=10) == []
    status, body, _ = services.admin.update_podcast(podcast.id, {"paused": False}, if_match=None)
    # Unpaused on Thursday 08:00 UTC: the next run is Friday's slot, no burst for the paused days.
    assert body["next_run_at"] == "2026-12-04T05:00:00Z"


def test_editing_a_schedule_moves_the_next_run_and_editing_the_title_does_not(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export)
    assert podcast.next_run_at == "2026-11-30T05:00:00Z"
    _, body, _ = services.admin.update_podcast(podcast.id, {"title": "Renamed"}, if_match=None)
    assert body["next_run_at"] == "2026-11-30T05:00:00Z"
    _, body, _ = services.admin.update_podcast(
        podcast.id, {"schedule": {"days": ["sun"], "at": "18:30", "timezone": "Europe/London"}}, if_match=None)
    assert body["next_run_at"] == "2026-12-06T18:30:00Z"
    assert body["schedule_text"] == "every Sunday at 18:30 (Europe/London)"
    _, body, _ = services.admin.update_podcast(podcast.id, {"schedule": None}, if_match=None)
    assert body["next_run_at"] is None
    assert tick(services, clock, MONDAY_0500 + timedelta(days=30))["due"] == 0


def test_an_archived_podcast_is_never_due(engine, services, clock, export):
    podcast = scheduled_podcast(services, clock, export)
    services.admin.archive_podcast(podcast.id)
    assert tick(services, clock, MONDAY_0500 + timedelta(days=1))["due"] == 0


def test_a_slot_that_cannot_start_is_recorded_and_does_not_block_the_others(engine, services, clock, export):
    from chalicelib.errors import WorkflowUnavailable

    broken = scheduled_podcast(services, clock, export, podcast_id="aaa-broken")
    fine = scheduled_podcast(services, clock, export, podcast_id="zzz-fine")  # due after the broken one
    real_start = services.admin._start

    def start(episode):
        if episode.podcast_id == broken.id:
            raise WorkflowUnavailable("Step Functions refused to start it: ThrottlingException")
        return real_start(episode)

    services.admin._start = start
    result = tick(services, clock, MONDAY_0500)
    assert [f["podcast_id"] for f in result["failed"]] == [broken.id]
    assert [s["podcast_id"] for s in result["started"]] == [fine.id]
    assert services.episodes.get_podcast(broken.id).next_run_at == "2026-12-01T05:00:00Z"  # the slot is spent
    wait_all(engine, services, fine.id)


def test_the_cli_runs_one_tick_at_a_given_moment(tmp_path, export):
    """`make tick NOW=...` on an engine of its own: the due podcast's episode completes."""
    from chalicelib.config import Settings
    from chalicelib.factory import Services

    home = tmp_path / "home"
    env_settings = Settings(environ={"PODCASTO_HOME": str(home)})
    Services(env_settings).episodes.put_podcast(Podcast(
        id="cli-podcast", title="CLI", sources=[{"export": str(export), "chat": None}], days_back=2,
        schedule={"at": "07:00", "timezone": "UTC"}, next_run_at="2026-12-01T07:00:00Z"))
    env = {"PATH": "/usr/bin:/bin", "PODCASTO_HOME": str(home), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "podcasto_local.cli", "tick", "--now", "2026-12-01T07:02:00Z"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "1 podcast(s) due" in done.stdout
    assert "cli-podcast slot 2026-12-01T07:00:00Z" in done.stdout and "completed" in done.stdout
    podcast = Services(env_settings).episodes.get_podcast("cli-podcast")
    assert podcast.next_run_at == "2026-12-02T07:00:00Z"



def test_slots_over_the_admission_bound_wait_for_room_and_none_is_lost(engine, services, clock, export):
    # Room for one episode: the first due podcast starts, the second stays due (not spent).
    first = scheduled_podcast(services, clock, export, podcast_id="aaa-first")
    second = scheduled_podcast(services, clock, export, podcast_id="zzz-second")
    services.admin._admission = lambda: (1, 30)

    result = tick(services, clock, MONDAY_0500)

    assert [s["podcast_id"] for s in result["started"]] == [first.id] and result["failed"] == []
    assert result["deferred"] == [{"podcast_id": second.id, "next_run_at": "2026-11-30T05:00:00Z"}]
    assert services.episodes.get_podcast(second.id).next_run_at == "2026-11-30T05:00:00Z"  # still due
    assert services.episodes.get_episode(slot_episode_id(second.id, MONDAY_0500)) is None  # nothing written

    wait_all(engine, services, first.id)  # room again
    result = tick(services, clock, MONDAY_0500 + timedelta(minutes=5))

    assert [s["podcast_id"] for s in result["started"]] == [second.id]
    assert result["started"][0]["episode_id"] == slot_episode_id(second.id, MONDAY_0500)  # the same slot
    assert services.episodes.get_podcast(second.id).next_run_at == "2026-12-01T05:00:00Z"
    wait_all(engine, services, second.id)
    assert services.episodes.get_episode(slot_episode_id(second.id, MONDAY_0500)).status == "completed"
