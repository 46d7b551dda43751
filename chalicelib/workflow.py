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
