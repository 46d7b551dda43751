"""SweepEpisodes: no episode left waiting for an execution that is no longer running.

The Catch → MarkFailed path and the execution-status event (steps/reconcile.py) end every
episode whose execution ends. What neither covers: an execution that vanished (the local
engine killed with ``kill -9``, or ``make generate`` interrupted: the engine forgets its
executions), an event the reconciler failed to handle past its retries on AWS, an episode
whose execution never started. Each left the episode non-terminal for good, and a retry
answered 409.

A sweep reads at most ``limit`` non-terminal episodes that nobody has written for
``grace_seconds`` (least recently written first, on the status index), asks Step Functions
about each one's execution, and fails those whose execution is not running:

- unknown to Step Functions (engine restarted, execution never started) → ``ExecutionLost``;
- ended FAILED / TIMED_OUT / ABORTED without the episode knowing → the reconciler's own
  reason (the execution's error, ``States.Timeout``, ``ExecutionAborted``);
- ended SUCCEEDED with the episode still not completed → ``ExecutionLost``;
- never bound to an execution (the API stopped between creating and starting it) → claimed
  by the sweeper, then ``ExecutionLost``: the claim is the same compare-and-set a starting
  execution uses, so exactly one of the two wins.

Ownership is record_failure's (steps/status.py), as for MarkFailed and the reconciler: the
episode is failed only while it is still bound to the execution that was found gone. The grace
period keeps a just-created episode (not yet claimed, or claimed and not yet started) safe.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Protocol

from chalicelib.errors import StatusConflict
from chalicelib.steps.reconcile import ENDED_OUTSIDE_CATCH, reconcile_execution
from chalicelib.steps.status import record_failure
from chalicelib.stores.episodes import Episode, EpisodeStore

log = logging.getLogger(__name__)

LOST = "ExecutionLost"
UNKNOWN = "UNKNOWN"  # the status an Executions lookup gives an execution Step Functions does not know
SWEEPER = "podcasto-sweeper"  # the execution id the sweeper claims an unbound episode with


class Executions(Protocol):
    def describe(self, execution_arn: str) -> dict | None:
        """DescribeExecution's answer (``status``, ``input``, ``error``, ``cause``), with status
        ``UNKNOWN`` for an execution Step Functions does not know, or ``None`` when this
        sweeper may not judge it (another state machine's, or another engine's)."""


def sweep_with(svc) -> dict:
    """One sweep now, with the seams and settings of ``svc`` (a ``Services``): the scheduled
    function on AWS, the local engine at start and on its timer."""
    return sweep_episodes(
        episodes=svc.episodes, executions=svc.executions, now=datetime.now(timezone.utc),
        grace_seconds=svc.settings.integer("SWEEP_GRACE_SECONDS"),
        limit=svc.settings.integer("SWEEP_BATCH_SIZE", minimum=1),
    )


def sweep_episodes(
    *, episodes: EpisodeStore, executions: Executions, now: datetime, grace_seconds: float, limit: int
) -> dict:
    """Returns {"checked": <episodes looked at>, "failed": [{"episode_id", "error"}, ...]}."""
    quiet = episodes.unfinished(updated_before=now - timedelta(seconds=grace_seconds), limit=limit)
    failed = []
    for episode in quiet:
        error = _sweep_one(episode, episodes=episodes, executions=executions)
        if error:
            failed.append({"episode_id": episode.id, "error": error})
    if failed:
        log.warning("swept %d episodes whose execution is gone", len(failed))
    return {"checked": len(quiet), "failed": failed}


def _sweep_one(episode: Episode, *, episodes: EpisodeStore, executions: Executions) -> str | None:
    """The error the episode was failed with, or None when it was left alone."""
    arn = episode.execution_id
    if arn is None or arn == SWEEPER:
        return _fail_unbound(episode, episodes)
    described = executions.describe(arn)
    if described is None or described["status"] == "RUNNING":
        return None
    status = described["status"]
    if status in ENDED_OUTSIDE_CATCH:
        # The sweeper knows the episode: the reconciler need not find it from the input.
        detail = {**described, "executionArn": arn, "input": {"episode_id": episode.id}}
        result = reconcile_execution(detail, episodes=episodes)
        return result["error"] if result["reconciled"] else None
    cause = (f"the execution {arn} ended {status.lower()} but the episode was left {episode.status}"
             if status != UNKNOWN else
             f"the execution {arn} is not known to Step Functions (its engine restarted, or it "
             f"never started); the episode was left {episode.status}")
    wrote = record_failure(episodes, episode.id, execution_id=arn, error=LOST, cause=cause,
                           failed_state=None, owner_required=True)
    return LOST if wrote else None


def _fail_unbound(episode: Episode, episodes: EpisodeStore) -> str | None:
    try:
        episodes.claim(episode.id, SWEEPER)
    except StatusConflict:
        return None  # an execution claimed it first: it is starting
    wrote = record_failure(
        episodes, episode.id, execution_id=SWEEPER, error=LOST,
        cause="no execution was started for this episode", failed_state=None, owner_required=True,
    )
    return LOST if wrote else None
