"""ReconcileExecution: no stuck episodes, whatever ended the execution.

The Catch → MarkFailed path covers task errors. An execution can also end outside it: aborted
by an operator, past the state machine's TimeoutSeconds, or MarkFailed itself failing. A Step
Functions "Execution Status Change" event (EventBridge on AWS; the local engine delivers the
same event locally) brings those here, and the episode bound to that execution ends failed
with the reason. An episode already terminal, or bound to another execution (a retry), is
left alone.
"""
from __future__ import annotations

import json

from chalicelib.domain import validate_episode_id
from chalicelib.errors import InvalidInput
from chalicelib.steps.status import clean_cause, record_failure
from chalicelib.steps.validate import episode_id_for_execution
from chalicelib.stores.episodes import EpisodeStore

ENDED_OUTSIDE_CATCH = ("FAILED", "TIMED_OUT", "ABORTED")
_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "ExecutionAborted"}


def reconcile_execution(detail: dict, *, episodes: EpisodeStore) -> dict:
    """``detail`` is the event's ``detail``: executionArn, status, input, error, cause, ..."""
    status = detail.get("status")
    execution_arn = detail.get("executionArn")
    if status not in ENDED_OUTSIDE_CATCH or not execution_arn:
        return {"reconciled": False}
    episode_id = _episode_id(detail.get("input"), execution_arn)
    error = _ERRORS.get(status) or detail.get("error") or "ExecutionFailed"
    cause = clean_cause(detail.get("cause")) or f"the execution ended {status.lower()}"
    wrote = record_failure(
        episodes,
        episode_id,
        execution_id=execution_arn,
        error=error,
        cause=cause,
        failed_state=None,
        owner_required=True,
    )
    return {"reconciled": wrote, "episode_id": episode_id, "error": error}


def _episode_id(execution_input: object, execution_arn: str) -> str:
    try:
        data = json.loads(execution_input) if isinstance(execution_input, str) else execution_input
        return validate_episode_id(data["episode_id"])
    except (ValueError, TypeError, KeyError, InvalidInput):
        return episode_id_for_execution(execution_arn)
