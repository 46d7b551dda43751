"""MarkFailed on whatever state reaches it: it reports, and never crashes over the state's shape.
MarkSkipped: nothing new ends the episode skipped, with the reason an operator reads."""
from __future__ import annotations

import pytest

from chalicelib.domain import Window
from chalicelib.steps.reconcile import reconcile_execution
from chalicelib.steps.status import mark_failed, mark_skipped
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore


@pytest.fixture
def episodes(tmp_path):
    return SqliteEpisodeStore(str(tmp_path / "podcasto.db"))


@pytest.mark.parametrize(
    "state",
    ["abc", [], 42, {"failures": "x"}, {"failures": {"ValidateEpisode": "x"}, "episode": "y"}],
    ids=["string", "array", "number", "failures-not-an-object", "entries-not-objects"],
)
def test_a_malformed_state_is_reported_as_unknown_not_a_crash(episodes, state):
    result = mark_failed({"state": state, "execution_id": "arn:x"}, episodes=episodes)

    assert result["Error"] == "States.Unknown" and result["Cause"] == ""


def test_the_failed_states_error_and_message_are_reported(episodes):
    failure = {"Error": "InvalidInput", "Cause": '{"errorMessage": "podcast_id is required", "stackTrace": ["..."]}'}

    result = mark_failed({"state": {"input": [], "failures": {"ValidateEpisode": failure}},
                          "execution_id": "arn:x"}, episodes=episodes)

    assert result == {"Error": "InvalidInput", "Cause": "podcast_id is required", "State": "ValidateEpisode"}


def pending_episode(episodes, execution_id="arn:x"):
    episodes.put_podcast(Podcast(id="p", title="P", sources=["@channel_one"]))
    episode, _ = episodes.create_episode(podcast_id="p", language="en", format="dialogue",
                                         window=Window(None, None))
    episodes.claim(episode.id, execution_id)
    return episode


def test_nothing_new_skips_the_episode_with_its_reason_in_the_history_and_the_cause(episodes):
    episode = pending_episode(episodes)
    caught = {"Error": "NoContent", "Cause": '{"errorMessage": "no message in the window", "stackTrace": []}'}

    result = mark_skipped({"episode": {"episode_id": episode.id}, "skipped": caught, "execution_id": "arn:x"},
                          episodes=episodes)

    assert result == {"status": "skipped", "outcome": "nothing_new"}
    skipped = episodes.get_episode(episode.id)
    assert (skipped.status, skipped.outcome, skipped.cause, skipped.error) == (
        "skipped", "nothing_new", "no message in the window", None)
    assert episodes.history(episode.id)[-1]["detail"] == "nothing_new: no message in the window"


def test_a_skipped_episode_is_terminal_for_the_reconciler(episodes):
    episode = pending_episode(episodes)
    mark_skipped({"episode": {"episode_id": episode.id}, "skipped": {}, "execution_id": "arn:x"}, episodes=episodes)

    result = reconcile_execution(
        {"status": "ABORTED", "executionArn": "arn:x", "input": f'{{"episode_id": "{episode.id}"}}'},
        episodes=episodes)

    assert result["reconciled"] is False
    assert episodes.get_episode(episode.id).status == "skipped"
