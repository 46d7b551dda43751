"""Who may fail an episode, and with what: MarkFailed's record_failure and the reconciler of
executions that ended outside the Catch path (aborted, timed out, MarkFailed itself failing).

The rules: only the execution that owns an episode writes its failure (an unbound episode may
be failed by MarkFailed, never by the reconciler: it may be waiting for a retry's execution); a
terminal episode is never touched; the reason recorded is the real one, never a stack trace.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.domain import Window
from chalicelib.errors import StatusConflict
from chalicelib.steps.reconcile import reconcile_execution
from chalicelib.steps.status import (
    MAX_CAUSE_CHARS,
    clean_cause,
    mark_completed,
    mark_content_collected,
    mark_failed,
    mark_processing,
    record_failure,
)
from chalicelib.steps.validate import episode_id_for_execution
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore

MACHINE = "arn:aws:states:us-east-1:123456789012:execution:podcasto"
OWNER = f"{MACHINE}:episode-a1"
OTHER = f"{MACHINE}:episode-a2"


@pytest.fixture
def episodes(tmp_path):
    store = SqliteEpisodeStore(str(tmp_path / "podcasto.db"))
    store.put_podcast(Podcast(id="news", title="News", sources=["@podcasto_news"]))
    return store


def new_episode(episodes, *, status="pending", owner=OWNER, episode_id=None):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None), episode_id=episode_id)
    if owner is not None:
        episodes.claim(episode.id, owner)
    path = {"pending": [], "content_collected": ["content_collected"],
            "processing": ["content_collected", "processing"],
            "completed": ["content_collected", "processing", "completed"], "failed": ["failed"]}[status]
    current = "pending"
    for to in path:
        episodes.transition(episode.id, expected=current, to=to, execution_id=owner)
        current = to
    return episodes.get_episode(episode.id)


def failure_of(episodes, episode_id):
    episode = episodes.get_episode(episode_id)
    return episode.status, episode.error, episode.cause, episode.failed_state


# --- record_failure -------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["pending", "content_collected", "processing"])
def test_the_owner_fails_a_running_episode_with_the_reason_and_a_history_row(episodes, status):
    episode = new_episode(episodes, status=status)

    wrote = record_failure(episodes, episode.id, execution_id=OWNER, error="ScriptRejected",
                           cause="turn 3 has no text", failed_state="WriteScript")

    assert wrote is True
    assert failure_of(episodes, episode.id) == ("failed", "ScriptRejected", "turn 3 has no text", "WriteScript")
    last = episodes.history(episode.id)[-1]
    assert (last["from_status"], last["to_status"], last["execution_id"], last["detail"]) == (
        status, "failed", OWNER, "ScriptRejected in WriteScript")


def test_without_a_failed_state_the_history_names_the_error_alone(episodes):
    episode = new_episode(episodes)
    record_failure(episodes, episode.id, execution_id=OWNER, error="ExecutionAborted", cause="stopped",
                   failed_state=None)
    assert episodes.history(episode.id)[-1]["detail"] == "ExecutionAborted"


def test_an_episode_owned_by_another_execution_is_left_to_it(episodes):
    episode = new_episode(episodes, status="processing", owner=OTHER)

    wrote = record_failure(episodes, episode.id, execution_id=OWNER, error="ScriptRejected", cause="x",
                           failed_state="WriteScript")

    assert wrote is False
    assert failure_of(episodes, episode.id) == ("processing", None, None, None)


def test_an_unbound_episode_is_failed_by_mark_failed_but_not_when_the_owner_is_required(episodes):
    # An episode the admin API created whose execution could not start is bound to nobody.
    required = new_episode(episodes, owner=None)
    assert record_failure(episodes, required.id, execution_id=OWNER, error="E", cause="c",
                          failed_state=None, owner_required=True) is False
    assert failure_of(episodes, required.id) == ("pending", None, None, None)

    unbound = new_episode(episodes, owner=None)
    assert record_failure(episodes, unbound.id, execution_id=OWNER, error="E", cause="c",
                          failed_state=None) is True
    assert failure_of(episodes, unbound.id) == ("failed", "E", "c", None)


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_a_terminal_episode_is_never_touched(episodes, status):
    episode = new_episode(episodes, status=status)
    before = (episodes.get_episode(episode.id), episodes.history(episode.id))

    assert record_failure(episodes, episode.id, execution_id=OWNER, error="E", cause="c",
                          failed_state=None) is False
    assert (episodes.get_episode(episode.id), episodes.history(episode.id)) == before


def test_an_unknown_episode_is_nothing_to_record(episodes):
    assert record_failure(episodes, "6f1c1d7e-8a51-4a8e-9d0e-70646361737f", execution_id=OWNER,
                          error="E", cause="c", failed_state=None) is False


class MovesUnderUs:
    """The real store, except that the status moves on (``moves`` times) between our read and
    our compare-and-set — a MarkProcessing landing while MarkFailed runs."""

    def __init__(self, inner, moves):
        self.inner, self.moves, self.attempts = inner, list(moves), 0

    def transition(self, episode_id, *, expected, to, **kwargs):
        if to == "failed":
            self.attempts += 1
            if self.moves:
                current, moved_to = self.moves.pop(0)
                self.inner.transition(episode_id, expected=current, to=moved_to, execution_id=OWNER)
        return self.inner.transition(episode_id, expected=expected, to=to, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_status_that_moved_under_us_is_read_again_and_failed_from_where_it_is(episodes):
    episode = new_episode(episodes, status="content_collected")
    racing = MovesUnderUs(episodes, [("content_collected", "processing")])

    wrote = record_failure(racing, episode.id, execution_id=OWNER, error="E", cause="c", failed_state="S")

    assert wrote is True and racing.attempts == 2
    assert [(h["from_status"], h["to_status"]) for h in episodes.history(episode.id)][-2:] == [
        ("content_collected", "processing"), ("processing", "failed")]


def test_a_status_that_keeps_moving_is_given_up_after_three_reads(episodes):
    class AlwaysConflicting:
        def __init__(self, inner):
            self.inner, self.attempts = inner, 0

        def transition(self, episode_id, **kwargs):
            self.attempts += 1
            raise StatusConflict("moved", current="processing")

        def __getattr__(self, name):
            return getattr(self.inner, name)

    episode = new_episode(episodes, status="processing")
    racing = AlwaysConflicting(episodes)

    assert record_failure(racing, episode.id, execution_id=OWNER, error="E", cause="c", failed_state=None) is False
    assert racing.attempts == 3


# --- MarkFailed --------------------------------------------------------------------------------
def test_mark_failed_records_the_catchs_error_on_the_owned_episode_and_returns_it(episodes):
    episode = new_episode(episodes, status="processing")
    failure = {"Error": "ScriptRejected",
               "Cause": json.dumps({"errorMessage": "turn 3 has no text", "errorType": "ScriptRejected",
                                    "stackTrace": ["  File \"/var/task/app.py\", line 1"]})}
    state = {"episode": {"episode_id": episode.id}, "failures": {"WriteScript": failure}}

    result = mark_failed({"state": state, "execution_id": OWNER}, episodes=episodes)

    assert result == {"Error": "ScriptRejected", "Cause": "turn 3 has no text", "State": "WriteScript"}
    assert failure_of(episodes, episode.id) == ("failed", "ScriptRejected", "turn 3 has no text", "WriteScript")


def test_mark_failed_leaves_an_episode_another_execution_owns(episodes):
    episode = new_episode(episodes, status="processing", owner=OTHER)
    state = {"episode": {"episode_id": episode.id}, "failures": {"WriteScript": {"Error": "E", "Cause": "c"}}}

    result = mark_failed({"state": state, "execution_id": OWNER}, episodes=episodes)

    assert result == {"Error": "E", "Cause": "c", "State": "WriteScript"}
    assert episodes.get_episode(episode.id).status == "processing"


def test_mark_failed_without_an_episode_writes_nothing_and_reports(episodes):
    result = mark_failed({"state": {"failures": {"ValidateEpisode": {"Error": "InvalidInput"}}},
                          "execution_id": OWNER}, episodes=episodes)
    assert result == {"Error": "InvalidInput", "Cause": "", "State": "ValidateEpisode"}


@pytest.mark.parametrize(
    "cause, cleaned",
    [
        (None, ""),
        ("", ""),
        ("plain words", "plain words"),
        ('{"errorMessage": "m", "stackTrace": ["secret frame"]}', "m"),
        ('{"other": 1}', '{"other": 1}'),
        ("[1, 2]", "[1, 2]"),
        ('{"errorMessage": 42}', "42"),
        ("x" * (MAX_CAUSE_CHARS + 5), "x" * MAX_CAUSE_CHARS),
    ],
)
def test_a_cause_keeps_the_message_never_the_stack_trace_and_is_capped(cause, cleaned):
    assert clean_cause(cause) == cleaned


# --- the forward moves ---------------------------------------------------------------------------
def test_the_status_steps_move_the_episode_forward_with_what_each_state_learned(episodes):
    episode = new_episode(episodes)
    ref = {"episode_id": episode.id}
    content = {"key": "podcasts/news/e/content.json", "etag": '"abc"', "messages": 3}

    assert mark_content_collected({"episode": ref, "content": content, "execution_id": OWNER},
                                  episodes=episodes) == {"status": "content_collected"}
    assert mark_processing({"episode": ref, "execution_id": OWNER}, episodes=episodes) == {"status": "processing"}
    audio = {"audio_key": "a.mp3", "transcript_key": "t.txt", "duration_seconds": 61.25}
    assert mark_completed({"episode": ref, "audio": audio, "execution_id": OWNER},
                          episodes=episodes) == {"status": "completed"}

    done = episodes.get_episode(episode.id)
    assert (done.content_key, done.content_etag, done.audio_key, done.transcript_key, done.duration_seconds) == (
        content["key"], '"abc"', "a.mp3", "t.txt", 61.25)
    assert [(h["to_status"], h["detail"], h["execution_id"]) for h in episodes.history(episode.id)][1:] == [
        ("content_collected", "3 messages in podcasts/news/e/content.json", OWNER),
        ("processing", None, OWNER),
        ("completed", "61.2 s of audio", OWNER),
    ]


def test_a_status_step_repeated_by_a_lambda_retry_of_the_same_execution_is_a_no_op(episodes):
    # Lambda delivers at least once: the same move by the same execution must not conflict.
    episode = new_episode(episodes)
    ref = {"episode_id": episode.id}
    content = {"key": "podcasts/news/e/content.json", "etag": '"abc"', "messages": 3}
    audio = {"audio_key": "a.mp3", "transcript_key": "t.txt", "duration_seconds": 1.0}
    steps = [(mark_content_collected, {"content": content}, "content_collected"),
             (mark_processing, {}, "processing"), (mark_completed, {"audio": audio}, "completed")]
    for step, extra, status in steps:
        event = {"episode": ref, "execution_id": OWNER, **extra}
        assert step(event, episodes=episodes) == {"status": status}
        history = episodes.history(episode.id)
        assert step(event, episodes=episodes) == {"status": status}
        assert episodes.history(episode.id) == history


def test_a_status_step_of_another_execution_conflicts_and_moves_nothing(episodes):
    ref = {"episode_id": new_episode(episodes).id}
    content = {"key": "podcasts/news/e/content.json", "etag": '"abc"', "messages": 3}
    audio = {"audio_key": "a.mp3", "transcript_key": "t.txt", "duration_seconds": 1.0}
    steps = [(mark_content_collected, {"content": content}), (mark_processing, {}), (mark_completed, {"audio": audio})]
    for step, extra in steps:
        before = episodes.get_episode(ref["episode_id"])
        with pytest.raises(StatusConflict):
            step({"episode": ref, "execution_id": OTHER, **extra}, episodes=episodes)
        assert episodes.get_episode(ref["episode_id"]) == before
        step({"episode": ref, "execution_id": OWNER, **extra}, episodes=episodes)


def test_a_state_without_failures_is_reported_as_an_unknown_state(episodes):
    result = mark_failed({"state": {}, "execution_id": OWNER}, episodes=episodes)
    assert result == {"Error": "States.Unknown", "Cause": "", "State": "Unknown"}


# --- the reconciler --------------------------------------------------------------------------------
def event(status, *, execution=OWNER, episode_id=None, error=None, cause=None, execution_input=None):
    if execution_input is None and episode_id is not None:
        execution_input = json.dumps({"podcast_id": "news", "episode_id": episode_id})
    return {"executionArn": execution, "status": status, "input": execution_input, "error": error, "cause": cause}


def test_mark_failed_itself_failing_leaves_the_episode_failed_with_the_executions_error_and_cause(episodes):
    # The execution FAILED outside the Catch path: the episode is still processing.
    episode = new_episode(episodes, status="processing")

    result = reconcile_execution(event("FAILED", episode_id=episode.id, error="States.Runtime",
                                       cause="MarkFailed could not reach the store"), episodes=episodes)

    assert result == {"reconciled": True, "episode_id": episode.id, "error": "States.Runtime"}
    assert failure_of(episodes, episode.id) == (
        "failed", "States.Runtime", "MarkFailed could not reach the store", None)


def test_the_events_cause_is_cleaned_of_any_stack_trace(episodes):
    episode = new_episode(episodes, status="processing")
    cause = json.dumps({"errorMessage": "store down", "stackTrace": ["frame"]})

    reconcile_execution(event("FAILED", episode_id=episode.id, error="StoreUnavailable", cause=cause),
                        episodes=episodes)

    assert failure_of(episodes, episode.id)[1:3] == ("StoreUnavailable", "store down")


@pytest.mark.parametrize("status, error", [("TIMED_OUT", "States.Timeout"), ("ABORTED", "ExecutionAborted")])
def test_a_timed_out_or_aborted_execution_fails_its_episode_naming_why(episodes, status, error):
    episode = new_episode(episodes, status="content_collected")

    result = reconcile_execution(event(status, episode_id=episode.id), episodes=episodes)

    assert result == {"reconciled": True, "episode_id": episode.id, "error": error}
    assert failure_of(episodes, episode.id) == ("failed", error, f"the execution ended {status.lower()}", None)


def test_an_abort_keeps_the_operators_cause(episodes):
    episode = new_episode(episodes, status="processing")
    reconcile_execution(event("ABORTED", episode_id=episode.id, error="Operator", cause="wrong window"),
                        episodes=episodes)
    assert failure_of(episodes, episode.id)[1:3] == ("ExecutionAborted", "wrong window")


def test_a_failed_execution_without_an_error_is_named_execution_failed(episodes):
    episode = new_episode(episodes, status="processing")
    result = reconcile_execution(event("FAILED", episode_id=episode.id), episodes=episodes)
    assert result["error"] == "ExecutionFailed"
    assert failure_of(episodes, episode.id)[1:3] == ("ExecutionFailed", "the execution ended failed")


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING", None])
def test_an_execution_that_did_not_end_outside_the_catch_is_not_reconciled(episodes, status):
    episode = new_episode(episodes, status="processing")
    assert reconcile_execution(event(status, episode_id=episode.id), episodes=episodes) == {"reconciled": False}
    assert episodes.get_episode(episode.id).status == "processing"


def test_an_event_without_an_execution_arn_is_not_reconciled(episodes):
    episode = new_episode(episodes, status="processing")
    assert reconcile_execution(event("FAILED", execution=None, episode_id=episode.id),
                               episodes=episodes) == {"reconciled": False}


def test_an_episode_failed_by_mark_failed_keeps_its_reason(episodes):
    episode = new_episode(episodes, status="processing")
    record_failure(episodes, episode.id, execution_id=OWNER, error="ScriptRejected", cause="turn 3",
                   failed_state="WriteScript")

    result = reconcile_execution(event("FAILED", episode_id=episode.id, error="ScriptRejected", cause="x"),
                                 episodes=episodes)

    assert result["reconciled"] is False
    assert failure_of(episodes, episode.id) == ("failed", "ScriptRejected", "turn 3", "WriteScript")


def test_a_retried_episode_waiting_for_its_new_execution_is_left_alone(episodes):
    # Attempt 1 failed and was retried: the episode is pending and bound to nobody until the
    # admin API claims it for attempt 2. Attempt 1's late event must not fail it again.
    episode = new_episode(episodes, status="failed")
    episodes.retry(episode.id)

    result = reconcile_execution(event("FAILED", episode_id=episode.id, error="ScriptRejected"), episodes=episodes)

    assert result["reconciled"] is False
    retried = episodes.get_episode(episode.id)
    assert (retried.status, retried.execution_id, retried.error) == ("pending", None, None)


def test_a_retried_episode_bound_to_its_new_execution_is_left_to_it(episodes):
    episode = new_episode(episodes, status="failed")
    episodes.retry(episode.id)
    episodes.claim(episode.id, OTHER)

    assert reconcile_execution(event("TIMED_OUT", episode_id=episode.id), episodes=episodes)["reconciled"] is False
    assert episodes.get_episode(episode.id).status == "pending"


def test_a_console_execution_finds_its_episode_by_the_execution_arn(episodes):
    # Console input has no episode_id: ValidateEpisode derived it from the execution ARN.
    console = f"{MACHINE}:console-run"
    episode = new_episode(episodes, status="processing", owner=console,
                          episode_id=episode_id_for_execution(console))

    result = reconcile_execution(event("TIMED_OUT", execution=console,
                                       execution_input=json.dumps({"podcast_id": "news"})), episodes=episodes)

    assert result == {"reconciled": True, "episode_id": episode.id, "error": "States.Timeout"}


@pytest.mark.parametrize("execution_input", ["not json", "[]", json.dumps({"episode_id": "../x"}), None, 42])
def test_an_input_without_a_valid_episode_id_falls_back_to_the_execution_arn(episodes, execution_input):
    result = reconcile_execution(event("ABORTED", execution_input=execution_input), episodes=episodes)
    assert result == {"reconciled": False, "episode_id": episode_id_for_execution(OWNER),
                      "error": "ExecutionAborted"}


def test_an_input_given_as_an_object_is_read_too(episodes):
    episode = new_episode(episodes, status="processing")
    result = reconcile_execution(event("ABORTED", execution_input={"episode_id": episode.id.upper()}),
                                 episodes=episodes)
    assert result["episode_id"] == episode.id and result["reconciled"] is True
