"""The states an execution passed, from Step Functions' history events (chalicelib.workflow)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.errors import WorkflowUnavailable
from chalicelib.workflow import StepFunctionsHistory, states_from_events

T0 = datetime(2026, 12, 2, 8, 0, 0, tzinfo=timezone.utc)
ARN = "arn:aws:states:us-east-1:123456789012:execution:podcasto-dev:episode-x-a1"


class History:
    """Events as Step Functions writes them: ids in order, each pointing at the one before."""

    def __init__(self):
        self.events: list[dict] = []

    def add(self, kind: str, name: str | None = None, *, previous: int | None = None, **details) -> int:
        event_id = len(self.events) + 1
        event = {"id": event_id, "previousEventId": event_id - 1 if previous is None else previous,
                 "type": kind, "timestamp": T0 + timedelta(seconds=event_id)}
        if kind.endswith("StateEntered"):
            event["stateEnteredEventDetails"] = {"name": name}
        if kind.endswith("StateExited"):
            event["stateExitedEventDetails"] = {"name": name}
        event.update(details)
        self.events.append(event)
        return event_id

    def task(self, name: str, *outcomes: str, exit: bool = True) -> None:
        self.add("TaskStateEntered", name)
        for outcome in outcomes:
            self.add("LambdaFunctionScheduled")
            self.add("LambdaFunctionStarted")
            self.add(f"LambdaFunction{outcome}")
        if exit:
            self.add("TaskStateExited", name)


def by_name(states: list[dict]) -> dict[str, dict]:
    return {state["name"]: state for state in states}


def test_a_retried_task_that_then_succeeds_succeeded_with_its_first_entry_and_last_exit():
    history = History()
    history.add("ExecutionStarted")
    history.task("CollectContent", "Failed", "TimedOut", "Succeeded")
    (state,) = states_from_events(history.events)
    assert state == {"name": "CollectContent", "entered_at": "2026-12-02T08:00:02.000Z",
                     "exited_at": "2026-12-02T08:00:12.000Z", "status": "succeeded", "count": 1}


def test_a_caught_failure_is_failed_and_the_states_after_it_are_not():
    history = History()
    history.add("ExecutionStarted")
    history.task("CollectContent", "Failed")
    history.task("MarkFailed", "Succeeded")
    history.add("FailStateEntered", "EpisodeFailed")
    history.add("ExecutionFailed")
    states = states_from_events(history.events)
    assert [(s["name"], s["status"]) for s in states] == [
        ("CollectContent", "failed"), ("MarkFailed", "succeeded"), ("EpisodeFailed", "failed")]
    assert states[-1]["exited_at"] is None


def test_a_state_still_running_has_no_exit_and_an_aborted_execution_fails_it():
    history = History()
    history.add("ExecutionStarted")
    history.task("ValidateEpisode", "Succeeded")
    history.task("WriteScript", exit=False)
    running = by_name(states_from_events(history.events))["WriteScript"]
    assert running["status"] == "running" and running["exited_at"] is None
    history.add("ExecutionAborted")
    assert by_name(states_from_events(history.events))["WriteScript"]["status"] == "failed"
    assert by_name(states_from_events(history.events))["ValidateEpisode"]["status"] == "succeeded"


def test_map_iterations_are_one_entry_and_a_failed_iteration_fails_the_map():
    history = History()
    history.add("MapStateEntered", "SynthesizeSegments")
    history.add("MapStateStarted")
    for outcome in ("Succeeded", "Failed", "Succeeded"):
        history.task("SynthesizeSegment", outcome)
    history.add("MapStateFailed")
    history.add("MapStateExited", "SynthesizeSegments")
    states = by_name(states_from_events(history.events))
    assert states["SynthesizeSegment"]["count"] == 3 and states["SynthesizeSegment"]["status"] == "failed"
    assert states["SynthesizeSegments"]["status"] == "failed"
    assert states["SynthesizeSegments"]["exited_at"] == "2026-12-02T08:00:19.000Z"  # event 19
    assert list(states) == ["SynthesizeSegments", "SynthesizeSegment"]


def test_map_iterations_all_succeeding_and_one_still_running():
    history = History()
    history.add("MapStateEntered", "SynthesizeSegments")
    history.task("SynthesizeSegment", "Succeeded")
    history.task("SynthesizeSegment", exit=False)
    states = by_name(states_from_events(history.events))
    assert states["SynthesizeSegment"]["status"] == "running" and states["SynthesizeSegment"]["exited_at"] is None
    assert states["SynthesizeSegments"]["status"] == "running"


def _stubbed():
    client = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_history_pages_are_followed():
    client, stub = _stubbed()
    first, second = History(), History()
    first.add("TaskStateEntered", "ValidateEpisode")
    second.events = [{"id": 2, "previousEventId": 1, "type": "TaskStateExited", "timestamp": T0,
                      "stateExitedEventDetails": {"name": "ValidateEpisode"}}]
    stub.add_response("get_execution_history", {"events": first.events, "nextToken": "page-2"},
                      {"executionArn": ARN, "maxResults": 1000})
    stub.add_response("get_execution_history", {"events": second.events},
                      {"executionArn": ARN, "maxResults": 1000, "nextToken": "page-2"})
    with stub:
        (state,) = StepFunctionsHistory(client).states(ARN)
    assert state["status"] == "succeeded" and state["exited_at"] == "2026-12-02T08:00:00.000Z"
    stub.assert_no_pending_responses()


def test_an_execution_not_started_has_no_states_and_a_refusal_is_workflow_unavailable():
    client, stub = _stubbed()
    stub.add_client_error("get_execution_history", "ExecutionDoesNotExist")
    stub.add_client_error("get_execution_history", "AccessDeniedException", http_status_code=400)
    with stub:
        assert StepFunctionsHistory(client).states(ARN) == []
        with pytest.raises(WorkflowUnavailable, match="AccessDeniedException"):
            StepFunctionsHistory(client).states(ARN)


def test_an_ended_execution_is_read_once_a_running_one_every_time():
    client, stub = _stubbed()
    running, ended = History(), History()
    running.task("WriteScript", exit=False)
    ended.add("ExecutionStarted")
    ended.task("ValidateEpisode", "Succeeded")
    ended.add("ExecutionSucceeded")
    request = {"executionArn": ARN, "maxResults": 1000}
    stub.add_response("get_execution_history", {"events": running.events}, request)
    stub.add_response("get_execution_history", {"events": running.events}, request)
    stub.add_response("get_execution_history", {"events": ended.events}, request)
    history = StepFunctionsHistory(client)
    with stub:
        assert history.states(ARN)[0]["status"] == "running"
        assert history.states(ARN)[0]["status"] == "running"
        first = history.states(ARN)
        first[0]["status"] = "changed by a caller"
        again = history.states(ARN)  # no fourth response: the Stubber would raise on a call
    stub.assert_no_pending_responses()
    assert again == [dict(first[0], status="succeeded")]
