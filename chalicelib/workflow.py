"""The workflow-starter seam: start one execution of the state machine for an episode, and
describe one (the sweeper asks whether an episode's execution still runs).

One implementation serves AWS and the local engine alike: locally the Step Functions client
points at the engine's loopback endpoint (SFN_ENDPOINT_URL), on AWS at Step Functions.
"""
from __future__ import annotations

import json
from typing import Protocol

from chalicelib.errors import ConfigurationError, WorkflowUnavailable


def execution_name(episode_id: str, attempt: int) -> str:
    """Execution names derive from the episode: one name per attempt (names are unique per
    state machine for 90 days, so a retry needs its own)."""
    return f"episode-{episode_id}-a{attempt}"


class WorkflowStarter(Protocol):
    def execution_arn(self, name: str) -> str: ...

    def start(self, *, name: str, execution_input: dict) -> str: ...


class StepFunctionsStarter:
    def __init__(self, client, state_machine_arn: str):
        if ":stateMachine:" not in (state_machine_arn or ""):
            raise ConfigurationError("STATE_MACHINE_ARN must be a Step Functions state machine ARN")
        self._sfn = client
        self.state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        """The ARN an execution of that name gets: known before it starts, so the episode can
        be bound to it first (and the reconciler can match events to episodes)."""
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def start(self, *, name: str, execution_input: dict) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input)
            )["executionArn"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return self.execution_arn(name)  # started before: starting is idempotent
            raise WorkflowUnavailable(f"Step Functions refused to start {name}: {code}") from exc
        except BotoCoreError as exc:
            raise WorkflowUnavailable(f"Step Functions unreachable: {type(exc).__name__}") from exc

    def describe(self, execution_arn: str) -> dict | None:
        """DescribeExecution of one of this state machine's executions; status ``UNKNOWN``
        when Step Functions does not know it, ``None`` for another state machine's (not ours
        to judge: the role may only describe this one's)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.steps.sweep import UNKNOWN

        if not execution_arn.startswith(self.execution_arn("")):
            return None
        try:
            return self._sfn.describe_execution(executionArn=execution_arn)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExecutionDoesNotExist":
                return {"executionArn": execution_arn, "status": UNKNOWN}
            raise WorkflowUnavailable(f"Step Functions refused to describe {execution_arn}: {code}") from exc
        except BotoCoreError as exc:
            raise WorkflowUnavailable(f"Step Functions unreachable: {type(exc).__name__}") from exc

# --- what an execution did: the states it passed, for the admin page --------------------------
# A page polls GET /episodes/{id} about once a second while an episode is made; a long episode's
# Map state has thousands of events, so reading stops after this many pages of 1000.
MAX_HISTORY_PAGES = 10
_FAILURE_EVENTS = ("Failed", "TimedOut", "Aborted")


class ExecutionHistory(Protocol):
    def states(self, execution_arn: str) -> list[dict]: ...


_END_EVENTS = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")


class StepFunctionsHistory:
    """The states of one execution, from Step Functions' ``get_execution_history`` (the local
    engine's moto answers the same call). An ended execution's history never changes, so its
    states are kept (the last ``cache_size``): revisiting an episode costs no API call, and
    GetExecutionHistory's quota (a bucket of 250, refilled 5 per second per account and region)
    is spent only on executions still running."""

    def __init__(self, client, *, cache_size: int = 256):
        import threading
        from collections import OrderedDict

        self._sfn = client
        self._ended: OrderedDict[str, list[dict]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # chalice local serves requests on threads

    def states(self, execution_arn: str) -> list[dict]:
        with self._lock:
            if execution_arn in self._ended:
                self._ended.move_to_end(execution_arn)
                return [dict(state) for state in self._ended[execution_arn]]
        events, complete = self._events(execution_arn)
        states = states_from_events(events)
        if complete and events and events[-1].get("type") in _END_EVENTS:
            with self._lock:
                self._ended[execution_arn] = [dict(state) for state in states]
                while len(self._ended) > self._cache_size:
                    self._ended.popitem(last=False)
        return states

    def _events(self, execution_arn: str) -> tuple[list[dict], bool]:
        """The history's events, oldest first, and whether they are all of them."""
        from botocore.exceptions import BotoCoreError, ClientError

        events: list[dict] = []
        token = None
        try:
            for _ in range(MAX_HISTORY_PAGES):
                kwargs = {"executionArn": execution_arn, "maxResults": 1000}
                if token:
                    kwargs["nextToken"] = token
                page = self._sfn.get_execution_history(**kwargs)
                events.extend(page["events"])
                token = page.get("nextToken")
                if not token:
                    break
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExecutionDoesNotExist":
                return [], False  # bound to the episode but not started (yet, or the start failed)
            raise WorkflowUnavailable(f"Step Functions refused the execution history: {code}") from exc
        except BotoCoreError as exc:
            raise WorkflowUnavailable(f"Step Functions unreachable: {type(exc).__name__}") from exc
        return events, not token


def states_from_events(events: list[dict]) -> list[dict]:
    """``[{"name", "entered_at", "exited_at", "status", "count"}]`` in the order the states were
    first entered. ``status`` is running, succeeded or failed (a state whose last attempt failed,
    whether a Catch then moved on or the execution ended). A state entered more than once — the
    Map's iteration state, once per segment — is one entry: first entry, last exit, ``count``
    times; it is failed if any iteration failed and running while any runs. This state machine
    has no loops, so a name entered twice is always such an iteration."""
    entries: dict[str, list[dict]] = {}
    order: list[str] = []
    owner: dict[int, dict] = {}  # event id -> the entry (one pass through a state) it belongs to
    failing = 0  # passes whose last attempt failed so far
    ended_badly = False
    for event in events:
        kind = event.get("type", "")
        at = _iso(event.get("timestamp"))
        entered = event.get("stateEnteredEventDetails")
        if entered:
            entry = {"name": entered["name"], "entered_at": at, "exited_at": None, "outcome": None,
                     "failing_before": failing}
            if entered["name"] not in entries:
                entries[entered["name"]] = []
                order.append(entered["name"])
            entries[entered["name"]].append(entry)
            owner[event["id"]] = entry
            continue
        exited = event.get("stateExitedEventDetails")
        if exited:
            # By name: a Map's exit follows its last iteration's events, not its own.
            entry = next((e for e in reversed(entries.get(exited["name"], [])) if e["exited_at"] is None), None)
        else:
            entry = owner.get(event.get("previousEventId"))
        if entry is not None:
            owner[event["id"]] = entry
        if kind.startswith("Execution") and kind.endswith(_FAILURE_EVENTS):
            ended_badly = True
        if entry is None:
            continue
        if exited:
            entry["exited_at"] = at
            # A Map whose iteration failed has failed, even when a Catch then moves on: more
            # passes fail now than when it was entered (only its iterations ran in between).
            if entry["outcome"] is None and failing > entry["failing_before"]:
                entry["outcome"] = "failed"
        elif kind.endswith(_FAILURE_EVENTS) or kind.endswith("Succeeded"):
            outcome = "failed" if kind.endswith(_FAILURE_EVENTS) else "succeeded"
            failing += (outcome == "failed") - (entry["outcome"] == "failed")
            entry["outcome"] = outcome
    return [_merged(name, entries[name], ended_badly) for name in order]


def _merged(name: str, passes: list[dict], ended_badly: bool) -> dict:
    def status(one: dict) -> str:
        if one["outcome"] == "failed" or (one["exited_at"] is None and ended_badly):
            return "failed"
        return "running" if one["exited_at"] is None else "succeeded"

    statuses = [status(one) for one in passes]
    exits = [one["exited_at"] for one in passes]
    return {
        "name": name,
        "entered_at": passes[0]["entered_at"],
        "exited_at": None if None in exits else max(exits),
        "status": "failed" if "failed" in statuses else "running" if "running" in statuses else "succeeded",
        "count": len(passes),
    }


def _iso(value) -> str | None:
    """botocore gives aware datetimes; the API answers ISO-8601 UTC with milliseconds."""
    if value is None:
        return None
    from datetime import timezone

    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
