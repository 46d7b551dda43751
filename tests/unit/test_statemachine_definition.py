"""Structural guarantees of statemachine.asl.json that the workflow tests rely on."""
import json
import re
from pathlib import Path

import pytest

ASL = json.loads((Path(__file__).resolve().parents[2] / "statemachine.asl.json").read_text())
STATES = ASL["States"]
TASKS = {name: s for name, s in STATES.items() if s["Type"] == "Task"}
MAP = STATES["SynthesizeSegments"]
SEGMENT_TASK = MAP["ItemProcessor"]["States"]["SynthesizeSegment"]
ALL_TASKS = {**TASKS, "SynthesizeSegment": SEGMENT_TASK}


def test_states_in_the_documented_order():
    order, name = [], ASL["StartAt"]
    while name:
        order.append(name)
        state = STATES[name]
        name = state.get("Next") or (state.get("Default") if state["Type"] == "Choice" else None)
    assert order == [
        "IsolateInput", "ValidateEpisode", "ContentAlreadyCollected", "CollectContent", "WaitForContent",
        "MarkContentCollected", "MarkProcessing", "WriteScript", "SynthesizeSegments",
        "StitchAudio", "MarkCompleted", "PublishFeed", "EpisodeCompleted",
    ]


def test_the_callers_input_is_nested_under_input_before_any_task_reads_it():
    # MarkFailed reads $.episode and $.failures: only the workflow's own states may write them.
    assert STATES[ASL["StartAt"]] == {
        "Type": "Pass", "Comment": STATES[ASL["StartAt"]]["Comment"],
        "Parameters": {"input.$": "$"}, "Next": "ValidateEpisode"}
    assert TASKS["ValidateEpisode"]["Parameters"]["input.$"] == "$.input"


def test_every_task_but_mark_failed_catches_everything_into_mark_failed_under_its_own_name():
    for name, state in {**TASKS, "SynthesizeSegments": MAP}.items():
        if name == "MarkFailed":
            assert "Catch" not in state
            continue
        if name == "PublishFeed":  # after MarkCompleted: see test_publish_feed_follows_mark_completed...
            continue
        assert state["Catch"][-1] == {
            "ErrorEquals": ["States.ALL"], "ResultPath": f"$.failures.{name}", "Next": "MarkFailed"}
        # Only CollectContent catches anything before that: NoContent, into MarkSkipped.
        assert len(state["Catch"]) == (2 if name == "CollectContent" else 1)


def test_nothing_new_is_caught_into_mark_skipped_and_ends_the_execution_succeeded():
    # A slot with nothing new pages nobody: NoContent is not a failure of the execution.
    assert TASKS["CollectContent"]["Catch"][0] == {
        "ErrorEquals": ["NoContent"], "ResultPath": "$.skipped", "Next": "MarkSkipped"}
    skip = TASKS["MarkSkipped"]
    assert skip["Parameters"] == {
        "episode.$": "$.episode", "skipped.$": "$.skipped", "execution_id.$": "$$.Execution.Id"}
    assert skip["Next"] == "EpisodeSkipped" and STATES["EpisodeSkipped"]["Type"] == "Succeed"
    retried = {e for r in skip["Retry"] for e in r["ErrorEquals"]}
    assert "NoContent" not in retried and "StoreUnavailable" in retried


def test_publish_feed_follows_mark_completed_and_a_feed_failure_never_fails_the_episode():
    assert TASKS["MarkCompleted"]["Next"] == "PublishFeed"
    publish = TASKS["PublishFeed"]
    assert publish["Next"] == "EpisodeCompleted" and STATES["EpisodeCompleted"] == {"Type": "Succeed"}
    # Retried like every transient step (FeedOutdated: episodes kept completing while it rendered),
    # then caught into the success state: the episode is completed, its audio kept.
    retried = {e for r in publish["Retry"] for e in r["ErrorEquals"]}
    assert {"FeedOutdated", "ObjectStoreUnavailable", "StoreUnavailable"} <= retried
    assert publish["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.feed_error", "Next": "EpisodeCompleted"}]


def test_transient_errors_retried_with_jittered_backoff_and_invalid_input_never():
    for name, state in ALL_TASKS.items():
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "StoreUnavailable"} <= retried
        assert "InvalidInput" not in retried and "States.ALL" not in retried
        for retrier in state["Retry"]:
            assert retrier["BackoffRate"] > 1 and retrier["JitterStrategy"] == "FULL"


def test_fail_state_reports_the_original_error_and_cause():
    assert STATES["EpisodeFailed"] == {
        "Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}
    assert TASKS["MarkFailed"]["Next"] == "EpisodeFailed"


def test_every_resource_is_a_placeholder_naming_an_app_function():
    from app import app
    from podcasto_local.engine import function_name_for

    for state in ALL_TASKS.values():
        match = re.fullmatch(r"\$\{(\w+)Arn\}", state["Resource"])
        assert match and function_name_for(match.group(1)) in app.handler_map


def test_whole_execution_has_a_timeout():
    assert 0 < ASL["TimeoutSeconds"] <= 24 * 3600


def test_segments_are_synthesised_in_a_map_of_batches_whose_concurrency_comes_from_the_state():
    assert MAP["Type"] == "Map" and MAP["ItemsPath"] == "$.script.batches"
    assert MAP["ItemSelector"]["segments.$"] == "$$.Map.Item.Value"
    assert MAP["MaxConcurrencyPath"] == "$.script.max_concurrency"


# --- retry policies, exactly as the README states them ------------------------------------------
# Written out here, not read from the ASL: a changed number must be a changed README too.
# (interval s, retries, backoff rate, longest delay s or None); every one with full jitter.
LAMBDA_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                 "Lambda.TooManyRequestsException"]
TRANSIENT_ERRORS = ["SourceUnavailable", "StoreUnavailable", "ObjectStoreUnavailable", "SpeechThrottled",
                    "TransientError"]
LAMBDA_POLICY = (1, 3, 2, 10)
TRANSIENT_POLICY = (2, 4, 2, 30)
SPECIAL_POLICIES = {
    ("CollectContent", "SourceUnavailable"): (30, 5, 2, 600),  # Telegram flood waits last minutes
    ("WaitForContent", "ContentNotReady"): (1, 6, 2, 20),  # "retried up to 6 times"
    ("SynthesizeSegment", "SpeechThrottled"): (2, 6, 2, 60),
    ("SynthesizeSegment", "AudioRejected"): (1, 1, 2, None),  # "is retried once"
    ("MarkFailed", "StoreUnavailable"): (2, 6, 2, 30),  # recording the reason must not be lost
}
for _error in TRANSIENT_ERRORS:
    SPECIAL_POLICIES.setdefault(("MarkFailed", _error), (2, 6, 2, 30))


def policy_for(state: dict, error: str):
    """The retrier Step Functions applies to ``error``: the first whose ErrorEquals names it."""
    for retrier in state.get("Retry", []):
        if error in retrier["ErrorEquals"] or "States.ALL" in retrier["ErrorEquals"]:
            assert retrier["JitterStrategy"] == "FULL"
            return (retrier["IntervalSeconds"], retrier["MaxAttempts"], retrier["BackoffRate"],
                    retrier.get("MaxDelaySeconds"))
    return None


@pytest.mark.parametrize("task", sorted(ALL_TASKS))
def test_every_task_retries_lambda_and_transient_errors_with_the_documented_policy(task):
    for error in LAMBDA_ERRORS:
        assert policy_for(ALL_TASKS[task], error) == LAMBDA_POLICY, error
    for error in TRANSIENT_ERRORS:
        expected = SPECIAL_POLICIES.get((task, error), TRANSIENT_POLICY)
        assert policy_for(ALL_TASKS[task], error) == expected, error


@pytest.mark.parametrize("task, error", sorted(k for k in SPECIAL_POLICIES if k[0] != "MarkFailed"))
def test_the_errors_with_their_own_policy_get_it(task, error):
    assert policy_for(ALL_TASKS[task], error) == SPECIAL_POLICIES[(task, error)]


@pytest.mark.parametrize("error", ["InvalidInput", "NotFound", "StatusConflict", "NoContent", "ScriptRejected",
                                   "SourceFailed", "StoreRejected", "ObjectStoreRejected", "ConfigurationError",
                                   "TelegramSessionInvalid", "States.Timeout", "States.TaskFailed"])
def test_permanent_errors_are_retried_by_no_task(error):
    assert {task: policy_for(state, error) for task, state in ALL_TASKS.items()} == dict.fromkeys(ALL_TASKS)
