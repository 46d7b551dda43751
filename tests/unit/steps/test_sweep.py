"""SweepEpisodes: an unfinished episode whose execution is gone ends failed with a reason; one
whose execution runs, one just created, and one another execution owns are left alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import CONTENT_COLLECTED, FAILED, PENDING, PROCESSING, Window
from chalicelib.steps.sweep import LOST, UNKNOWN, sweep_episodes
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore

GRACE = 60
ARN = "arn:aws:states:us-east-1:123456789012:execution:podcasto-dev:episode-{}-a1"


@pytest.fixture
def episodes(tmp_path):
    store = SqliteEpisodeStore(str(tmp_path / "podcasto.db"))
    store.put_podcast(Podcast(id="p", title="P", sources=["@podcasto_news"]))
    return store


class Executions:
    """Step Functions as the sweeper sees it: ``known`` maps an ARN to its description; an ARN
    not in it is unknown; ``foreign`` ARNs are not this sweeper's to judge."""

    def __init__(self, known=None, foreign=(), on_describe=None):
        self.known, self.foreign, self.on_describe = dict(known or {}), set(foreign), on_describe
        self.described: list[str] = []

    def describe(self, arn):
        self.described.append(arn)
        if self.on_describe:
            self.on_describe(arn)
        if arn in self.foreign:
            return None
        return self.known.get(arn, {"executionArn": arn, "status": UNKNOWN})


def episode_in(episodes, status, *, bind=True):
    episode, _ = episodes.create_episode(podcast_id="p", language="en", format="dialogue", window=Window(None, None))
    arn = ARN.format(episode.id)
    if bind:
        episodes.claim(episode.id, arn)
    path = {PENDING: [], CONTENT_COLLECTED: [(PENDING, CONTENT_COLLECTED)],
            PROCESSING: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING)]}[status]
    for expected, to in path:
        episodes.transition(episode.id, expected=expected, to=to, execution_id=arn)
    return episodes.get_episode(episode.id)


def later(seconds=GRACE + 1):
    """A sweep run this long after now: the episodes written in the test are past the grace."""
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def sweep(episodes, executions, *, now=None, limit=100):
    return sweep_episodes(episodes=episodes, executions=executions, now=now or later(),
                          grace_seconds=GRACE, limit=limit)


@pytest.mark.parametrize("status", [PENDING, CONTENT_COLLECTED, PROCESSING])
def test_an_episode_whose_execution_is_unknown_fails_as_execution_lost_and_can_be_retried(episodes, status):
    episode = episode_in(episodes, status)

    result = sweep(episodes, Executions())

    swept = episodes.get_episode(episode.id)
    assert result["failed"] == [{"episode_id": episode.id, "error": LOST}]
    assert (swept.status, swept.error) == (FAILED, LOST)
    assert "not known to Step Functions" in swept.cause and status in swept.cause
    assert episodes.retry(episode.id).status == PENDING


def test_a_running_execution_and_another_state_machines_are_left_alone(episodes):
    running, foreign = episode_in(episodes, PROCESSING), episode_in(episodes, PROCESSING)
    executions = Executions(known={running.execution_id: {"status": "RUNNING"}}, foreign={foreign.execution_id})

    assert sweep(episodes, executions) == {"checked": 2, "failed": []}
    assert {episodes.get_episode(e.id).status for e in (running, foreign)} == {PROCESSING}


@pytest.mark.parametrize(
    "description, error",
    [({"status": "FAILED", "error": "MarkFailedBroke", "cause": "boom"}, "MarkFailedBroke"),
     ({"status": "TIMED_OUT"}, "States.Timeout"),
     ({"status": "ABORTED"}, "ExecutionAborted")],
    ids=["failed", "timed-out", "aborted"],
)
def test_an_execution_that_ended_without_the_episode_knowing_gives_its_own_reason(episodes, description, error):
    episode = episode_in(episodes, PROCESSING)
    executions = Executions(known={episode.execution_id: {**description, "input": "{}"}})

    sweep(episodes, executions)

    assert (episodes.get_episode(episode.id).status, episodes.get_episode(episode.id).error) == (FAILED, error)


def test_an_execution_that_succeeded_with_the_episode_unfinished_is_execution_lost(episodes):
    episode = episode_in(episodes, PROCESSING)

    sweep(episodes, Executions(known={episode.execution_id: {"status": "SUCCEEDED"}}))

    swept = episodes.get_episode(episode.id)
    assert (swept.status, swept.error) == (FAILED, LOST) and "ended succeeded" in swept.cause


def test_an_episode_never_bound_to_an_execution_fails_once_past_the_grace(episodes):
    episode = episode_in(episodes, PENDING, bind=False)

    assert sweep(episodes, Executions(), now=datetime.now(timezone.utc))["checked"] == 0
    assert episodes.get_episode(episode.id).status == PENDING
    sweep(episodes, Executions())
    swept = episodes.get_episode(episode.id)
    assert (swept.status, swept.error, swept.cause) == (FAILED, LOST, "no execution was started for this episode")


def test_a_just_claimed_episode_whose_execution_is_not_started_yet_is_left_alone(episodes):
    episode = episode_in(episodes, PENDING)
    executions = Executions()

    assert sweep(episodes, executions, now=datetime.now(timezone.utc)) == {"checked": 0, "failed": []}
    assert executions.described == [] and episodes.get_episode(episode.id).status == PENDING


def test_a_sweep_checks_at_most_its_batch_least_recently_written_first(episodes):
    import time

    made = []
    for _ in range(3):
        made.append(episode_in(episodes, PROCESSING))
        time.sleep(0.005)  # the store's timestamps count milliseconds
    first, second, third = made
    executions = Executions()

    assert sweep(episodes, executions, limit=2)["checked"] == 2
    assert executions.described == [first.execution_id, second.execution_id]
    assert episodes.get_episode(third.id).status == PROCESSING


def test_an_episode_rebound_to_a_new_execution_meanwhile_is_not_failed_for_the_old_one(episodes):
    """record_failure's ownership rule: only the execution found gone may fail the episode."""
    episode = episode_in(episodes, PROCESSING)
    retried_arn = "arn:aws:states:us-east-1:123456789012:execution:podcasto-dev:retried"

    def retried_meanwhile(arn):
        episodes.transition(episode.id, expected=PROCESSING, to=FAILED, execution_id=arn, error="X")
        episodes.retry(episode.id)
        episodes.claim(episode.id, retried_arn)

    assert sweep(episodes, Executions(on_describe=retried_meanwhile))["failed"] == []
    assert (episodes.get_episode(episode.id).status, episodes.get_episode(episode.id).execution_id) == (
        PENDING, retried_arn)
