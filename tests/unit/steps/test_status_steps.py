"""MarkFailed on whatever state reaches it: it reports, and never crashes over the state's shape."""
from __future__ import annotations

import pytest

from chalicelib.steps.status import mark_failed
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
