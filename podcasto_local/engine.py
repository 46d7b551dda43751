"""The local engine: the real statemachine.asl.json on moto's Step Functions interpreter, with
its Task states answered in-process by the Chalice app's own handlers. Dev-only: never imported
by anything under chalicelib/ or app.py.

How it works (measured facts in DESIGN.md "Local engine"):
- moto's server runs in this process on loopback (``ThreadedMotoServer``) with moto's
  ``execute_state_machine`` switch on, so executions really run the ASL: Retry, Catch,
  ResultPath, timeouts, Map, Choice, Wait.
- moto's interpreter calls ``lambda.invoke`` through boto3. A botocore ``before-send`` handler
  for ``lambda.Invoke`` answers it by running the app handler named in the function ARN, and
  replies as the Lambda runtime does: 200 + JSON, or 200 + ``X-Amz-Function-Error: Unhandled``
  + ``{"errorMessage", "errorType", "stackTrace"}`` (so the exception class name becomes the ASL
  error name, exactly as on AWS).
- Only the S3 and Step Functions clients this engine builds point at the loopback server (by
  endpoint URL, with throwaway credentials); any other boto3 client still reaches AWS.
- ``time_scale`` compresses Retry and Wait sleeps (tests use ~0.001). It patches two moto
  internals, which is why moto is pinned exactly in requirements-dev.txt.
- Per-execution overhead, two more patched internals: moto parses the ASL with its ANTLR
  grammar in pure Python at every execution start (~250 ms for this state machine, most of
  an episode's orchestration time), and builds a new boto3 Lambda client for every Task it
  runs (~9 ms each). The engine parses each definition once and hands the interpreter one
  Lambda client per region and credentials. Both are shared safely: the parsed program keeps
  no execution state (moto keeps it in each execution's environment, which is how one Map's
  parallel iterations already share their states), and boto3 clients are thread-safe.
"""
from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from chalicelib import redact
from podcasto_local.memory import release_freed_memory

ROOT = Path(__file__).resolve().parent.parent
ASL_PATH = ROOT / "statemachine.asl.json"
ACCOUNT = "123456789012"
STATE_MACHINE_NAME = "podcasto-local"
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_FUNCTION_RE = re.compile(r"/functions/([^/]+)/invocations")
_PLACEHOLDER_RE = re.compile(r"\$\{(\w+)Arn\}")
_EXECUTION_ARN_RE = re.compile(r"^arn:aws:states:[^:]+:\d+:execution:(?P<machine>[^:]+):[^:]+$")
# `make generate` runs its own engine, whose state machine carries its process id: another
# engine can tell whether that process (and so that execution) still lives.
GENERATE_MACHINE_PREFIX = "podcasto-generate-"
END_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")

# The one engine whose app answers lambda.Invoke in this process (moto's server is a singleton
# per process as well).
_active: "LocalEngine | None" = None


def function_name_for(placeholder: str) -> str:
    """``CollectContent`` → ``collect_content``: the Chalice ``@app.lambda_function`` name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", placeholder).lower()


class _RawBody(io.BytesIO):
    """The raw body botocore reads a response from (``read`` and ``stream``)."""

    def stream(self, **_):
        yield self.read()


def _answer_lambda_invoke(request, **_kwargs):
    """botocore ``before-send`` handler: run the named app handler in-process."""
    engine = _active
    if engine is None:
        return None  # no local engine: let the call go where it was going
    match = _FUNCTION_RE.search(request.url)
    name = unquote(match.group(1)).split(":")[-1] if match else ""
    payload = json.loads(request.body or b"{}") if request.body else {}
    status, headers, body = engine.invoke(name, payload)
    return AWSResponse(request.url, status, headers, _RawBody(body))


def _load_moto_batch_lazily() -> None:
    """Import ``moto.batch``'s backend only when something asks for it.

    moto's ASL interpreter imports its AWS Batch integration, which imports ``moto.batch.utils``
    for one enum; the package's ``__init__`` imports Batch's backend, which imports EC2's, which
    loads moto's EC2 instance and region tables: 108 MB of RSS and 0.6 s on every engine start,
    for a service integration ``statemachine.asl.json`` never uses. The package is registered
    without running its ``__init__``; its submodules import as usual, and its one name
    (``batch_backends``, asked for by moto's server if a Batch request ever comes) is imported
    on first use, so nothing moto does changes. Patches moto internals (moto is pinned exactly
    in requirements-dev.txt)."""
    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)  # __path__ and all, __init__ not run

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module("moto.batch.models"), name)

    package.__getattr__ = __getattr__
    sys.modules["moto.batch"] = package
    sys.modules["moto"].batch = package  # as the import system binds a loaded submodule


_handler_installed = False


def _install_lambda_dispatch() -> None:
    """Register the handler for every boto3 client created from now on, as moto does its own."""
    global _handler_installed
    if _handler_installed:
        return
    BUILTIN_HANDLERS.append(("before-send.lambda.Invoke", _answer_lambda_invoke))
    boto3.DEFAULT_SESSION = None  # the next boto3.client() builds a session with the handler
    _handler_installed = True


def _compress_sleeps(scale: float) -> None:
    """Scale moto's Retry interval sleeps and Wait states by ``scale``."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    class _ScaledTime:
        def sleep(self, seconds: float) -> None:
            engine = _active
            if engine is not None:
                # What the Retry asked for and what was slept: tests read the compression here
                # rather than from a wall clock that a loaded machine stretches.
                with engine._lock:
                    engine.backoff_sleeps.append((seconds, seconds * scale))
            time.sleep(seconds * scale)

        def __getattr__(self, name):
            return getattr(time, name)

    retrier_decl.time = _ScaledTime()

    def _wait_interval(self, env, wait_seconds):
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * scale)

    wait_function.WaitFunction._wait_interval = _wait_interval


_lambda_clients: dict[tuple, object] = {}
_lambda_clients_lock = threading.Lock()


def _reuse_lambda_clients() -> None:
    """One boto3 Lambda client per (region, credentials) for moto's Task states, not one per call."""
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    build = lambda_eval_utils.boto_client_for
    if getattr(build, "podcasto_cached", False):
        return

    def cached(region: str, service: str, state_credentials=None):
        # What the built client depends on: its endpoint follows the port and the stubber.
        key = (region, service, repr(state_credentials), botocore_stubber.enabled, moto_server_port())
        with _lambda_clients_lock:
            client = _lambda_clients.get(key)
            if client is None:
                client = _lambda_clients[key] = build(
                    region=region, service=service, state_credentials=state_credentials)
        return client

    cached.podcasto_cached = True
    lambda_eval_utils.boto_client_for = cached


_programs: dict[str, object] = {}
_programs_lock = threading.Lock()


def _parse_each_definition_once() -> None:
    """moto's execution worker parses the definition for every execution; parse it once."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parse = ExecutionWorker._get_evaluation_entrypoint
    if getattr(parse, "podcasto_cached", False):
        return

    def cached(self):
        definition = self._evaluation_details.state_machine_details.definition
        with _programs_lock:
            program = _programs.get(definition)
            if program is None:
                program = _programs[definition] = parse(self)
        return program

    cached.podcasto_cached = True
    ExecutionWorker._get_evaluation_entrypoint = cached


def _states_error_names_pass_through() -> None:
    """A task timeout inside a Map iteration ends it with ``States.Timeout``; moto's interpreter
    re-raises an iteration's (or Parallel branch's) error, and a Fail state's ``ErrorPath``
    value, as a *custom* error name, whose constructor refuses the ``States.`` prefix. So a
    timed-out segment failed the execution with a misleading ``States.Runtime: Custom Error
    Names MUST NOT begin with the prefix 'States.'`` where AWS reports ``States.Timeout``.
    Map, Parallel and Fail get a factory that gives ``States.*`` names their own class.
    Patches moto internals (moto is pinned exactly in requirements-dev.txt)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        ILLEGAL_CUSTOM_ERROR_PREFIX,
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail

    def error_name(error_name=None):
        if isinstance(error_name, str) and error_name.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
            try:
                return StatesErrorName.from_name(error_name)
            except ValueError:
                pass  # a States.* name moto does not know: fall through to its own refusal
        return CustomErrorName(error_name=error_name)

    iteration_worker.CustomErrorName = error_name
    branches_decl.CustomErrorName = error_name
    state_fail.CustomErrorName = error_name


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only existence and permission are checked
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class LocalEngine:
    """Run executions of the real ASL file against ``app``'s handlers, all in this process."""

    def __init__(
        self,
        app,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        bucket: str = "podcasto-local",
        time_scale: float = 1.0,
        asl_path: Path = ASL_PATH,
        on_execution_end: Callable[[dict], None] | None = None,
        state_machine_name: str = STATE_MACHINE_NAME,
    ):
        self.app = app
        self.host, self.port, self.region, self.bucket = host, port, region, bucket
        self.time_scale = time_scale
        self.asl_path = asl_path
        self.on_execution_end = on_execution_end
        self.state_machine_name = state_machine_name
        self.invocations: list[tuple[str, dict]] = []  # (function name, payload), in call order
        # (start, end) of every handler call, perf_counter seconds; Map iterations overlap.
        self.task_intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._server = None
        self.endpoint = ""
        self.state_machine_arn = ""
        self.state_machine_arns: list[str] = []
        self.delivered_events: list[dict] = []  # execution-status events handed to the app
        # (seconds a Retry's backoff asked for, seconds slept) for each backoff, in order.
        self.backoff_sleeps: list[tuple[float, float]] = []
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "LocalEngine":
        global _active
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
        # moto keeps S3 objects below this size in memory: spool segments and episodes to disk,
        # so a long episode is never buffered whole, not even by the local S3.
        os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(256 * 1024))
        # werkzeug logs one line per request on loopback: noise, not information.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # moto's interpreter logs every task failure with its whole parse tree; the execution
        # history already records the error and cause.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        _load_moto_batch_lazily()
        _install_lambda_dispatch()
        _reuse_lambda_clients()
        _parse_each_definition_once()
        _states_error_names_pass_through()
        if self.time_scale != 1.0:
            _compress_sleeps(self.time_scale)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        _active = self
        self.s3 = self.client("s3")
        self.sfn = self.client("stepfunctions")
        self.s3.create_bucket(Bucket=self.bucket)
        self._publish_public_keys()
        self.state_machine_arn = self.deploy(self.state_machine_name, self.definition())
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch_executions, daemon=True)
        self._watcher.start()
        return self

    def deploy(self, name: str, definition: str) -> str:
        """Create a state machine (tests deploy variants of the real ASL, e.g. a short timeout)."""
        arn = self.sfn.create_state_machine(
            name=name, definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/podcasto-local-states",
        )["stateMachineArn"]
        self.state_machine_arns.append(arn)
        return arn

    def _publish_public_keys(self) -> None:
        """Anyone may GET the published keys, and nothing else, from this server's bucket: the
        local stand-in for the CloudFront distribution on AWS (moto's S3 honours the policy for
        unsigned requests, and answers Range requests with 206), so a podcast app on this
        machine can subscribe to ``<endpoint>/<bucket>/podcasts/<id>/feed.xml``."""
        from chalicelib.domain import PUBLIC_KEY_PATTERNS

        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PublishedFiles", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{self.bucket}/{key}" for key in PUBLIC_KEY_PATTERNS],
            }],
        }))

    def stop(self) -> None:
        global _active
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if _active is self:
            _active = None

    def __enter__(self) -> "LocalEngine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, service: str):
        """A boto3 client for the loopback server (throwaway credentials, never the user's);
        S3's is configured as on AWS, so local audio URLs are signed the same way."""
        from chalicelib.stores.objects import s3_client_config

        config = s3_client_config() if service == "s3" else None
        return boto3.client(
            service, region_name=self.region, endpoint_url=self.endpoint, config=config,
            **_LOCAL_CREDENTIALS,
        )

    def definition(self) -> str:
        """The ASL file with each ``${NameArn}`` replaced by a local function ARN."""
        return self.definition_of(self.asl_path.read_text())

    def definition_of(self, text: str) -> str:
        """Any ASL text with its ``${NameArn}`` placeholders replaced by local function ARNs."""
        return _PLACEHOLDER_RE.sub(
            lambda m: f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{function_name_for(m.group(1))}",
            text,
        )

    # -- Lambda ------------------------------------------------------------------------------
    def invoke(self, name: str, payload: dict) -> tuple[int, dict, bytes]:
        """Run one handler as the Lambda runtime would; returns (status, headers, body)."""
        from chalice.test import LambdaContext

        handler = self.app.handler_map.get(name)
        if handler is None:
            body = {"Message": f"Function not found: {name}", "Type": "User"}
            return 404, {"x-amzn-errortype": "ResourceNotFoundException"}, json.dumps(body).encode()
        with self._lock:
            self.invocations.append((name, payload))
        started = time.perf_counter()
        try:
            result = handler(payload, LambdaContext(name, memory_size=1024))
            return 200, {}, json.dumps(result).encode()
        except Exception as exc:  # noqa: BLE001 - the Lambda runtime reports every exception
            error = {
                # As log.task already did for the app's tasks: whatever raised, no secret leaves.
                "errorMessage": redact.text(str(exc)),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return 200, {"X-Amz-Function-Error": "Unhandled"}, json.dumps(error).encode()
        finally:
            # What the task freed goes back to the system now, so the next state's peak does
            # not stack on it (podcasto_local/memory.py says why glibc would keep it).
            release_freed_memory()
            with self._lock:
                self.task_intervals.append((started, time.perf_counter()))

    def busy_seconds(self, since: float = 0.0) -> float:
        """Wall time during which at least one task handler ran (overlapping calls count once)."""
        busy, reach = 0.0, since
        with self._lock:
            intervals = sorted(i for i in self.task_intervals if i[1] > since)
        for start, end in intervals:
            start = max(start, reach)
            if end > start:
                busy += end - start
                reach = end
        return busy

    # -- what the sweeper asks -----------------------------------------------------------------
    def describe(self, execution_arn: str) -> dict | None:
        """The sweeper's view of an execution (chalicelib.steps.sweep.Executions): this
        engine's own state machines are asked directly (an execution they do not know was
        lost with a previous engine: status ``UNKNOWN``); a `make generate` engine's execution
        is ``UNKNOWN`` once that process has exited; any other is not this engine's to judge
        (``None``: another `make local` may be running it)."""
        from botocore.exceptions import ClientError

        from chalicelib.steps.sweep import UNKNOWN

        match = _EXECUTION_ARN_RE.match(execution_arn or "")
        if match is None:
            return None
        machine = match["machine"]
        if any(arn.endswith(f":stateMachine:{machine}") for arn in self.state_machine_arns):
            try:
                return self.sfn.describe_execution(executionArn=execution_arn)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                    return {"executionArn": execution_arn, "status": UNKNOWN}
                raise
        if machine.startswith(GENERATE_MACHINE_PREFIX):
            pid = machine[len(GENERATE_MACHINE_PREFIX):]
            if pid.isdigit() and not _process_alive(int(pid)):
                return {"executionArn": execution_arn, "status": UNKNOWN}
        return None

    # -- execution-status events ----------------------------------------------------------------
    def _watch_executions(self) -> None:
        """Deliver a Step Functions "Execution Status Change" event to the app's
        ``reconcile_execution`` handler for each execution that ends FAILED, TIMED_OUT or
        ABORTED — what the EventBridge rule does on AWS."""
        seen: set[str] = set()
        while not self._stopping.wait(0.05):
            for arn in list(self.state_machine_arns):
                try:
                    executions = self.sfn.list_executions(stateMachineArn=arn)["executions"]
                except Exception:  # noqa: BLE001 - the server is stopping
                    continue
                for execution in executions:
                    key = execution["executionArn"]
                    if key in seen or execution["status"] not in END_STATUSES:
                        continue
                    seen.add(key)
                    if execution["status"] != "SUCCEEDED":
                        self.deliver_status_event(key)

    def status_event(self, execution_arn: str) -> dict:
        """The EventBridge event AWS emits for this execution's current status."""
        d = self.sfn.describe_execution(executionArn=execution_arn)
        detail = {
            "executionArn": execution_arn,
            "stateMachineArn": d["stateMachineArn"],
            "name": d["name"],
            "status": d["status"],
            "startDate": int(d["startDate"].timestamp() * 1000),
            "stopDate": int(d["stopDate"].timestamp() * 1000) if d.get("stopDate") else None,
            "input": d.get("input"),
            "output": d.get("output"),
            "error": d.get("error"),
            "cause": d.get("cause"),
        }
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.region,
            "resources": [execution_arn],
            "detail": detail,
        }

    def deliver_status_event(self, execution_arn: str) -> None:
        handler = self.app.handler_map.get("reconcile_execution")
        if handler is None:
            return
        event = self.status_event(execution_arn)
        from chalice.test import LambdaContext

        try:
            handler(event, LambdaContext("reconcile_execution", memory_size=256))
        except Exception:  # noqa: BLE001 - as on AWS, a failed delivery is logged, not fatal
            logging.getLogger(__name__).exception("reconcile_execution failed for %s", execution_arn)
        with self._lock:
            self.delivered_events.append(event)

    def run_scheduled(self, name: str):
        """Run the app's ``@app.schedule`` function ``name`` once, with the event an EventBridge
        schedule rule sends (the local stand-in for that rule); returns what it returned."""
        from chalice.test import LambdaContext

        event = {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT}:rule/podcasto-local-{name}"],
            "detail": {},
        }
        return self.app.handler_map[name](event, LambdaContext(name, memory_size=256))

    def wait_for_event(self, execution_arn: str, *, timeout: float = 10) -> dict:
        """Block until the status event of ``execution_arn`` has been delivered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for event in self.delivered_events:
                    if event["detail"]["executionArn"] == execution_arn:
                        return event
            time.sleep(0.02)
        raise TimeoutError(f"no status event delivered for {execution_arn}")

    # -- executions ----------------------------------------------------------------------------
    def start_execution(self, execution_input: dict, *, name: str | None = None,
                        state_machine_arn: str | None = None) -> str:
        """Start an execution; always named (moto names unnamed ones "None")."""
        return self.sfn.start_execution(
            stateMachineArn=state_machine_arn or self.state_machine_arn,
            name=name or f"local-{uuid.uuid4()}",
            input=json.dumps(execution_input),
        )["executionArn"]

    def wait(self, execution_arn: str, *, timeout: float = 300, on_event=None) -> dict:
        """Block until the execution ends; ``on_event`` sees each history event once."""
        deadline = time.monotonic() + timeout
        seen = 0
        # The status is polled every 20 ms (cheap), the history less and less often: moto
        # answers get_execution_history with the whole history every time, and a long episode's
        # Map has thousands of events — fetched every 20 ms, they starved the tasks running in
        # this process. Short executions still show their states as they pass.
        history_interval, history_due = 0.02, 0.0
        while True:
            description = self.sfn.describe_execution(executionArn=execution_arn)
            ended = description["status"] in END_STATUSES
            if on_event is not None and (ended or time.monotonic() >= history_due):
                events = self.history(execution_arn)
                for event in events[seen:]:
                    on_event(event)
                seen = len(events)
                history_interval = min(history_interval * 1.25, 0.5)
                history_due = time.monotonic() + history_interval
            if ended:
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict]:
        events, token = [], None
        while True:
            kwargs = {"executionArn": execution_arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def states_passed(self, execution_arn: str) -> list[str]:
        """Names of the states the execution entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def run(self, execution_input: dict, *, name: str | None = None, timeout: float | None = None,
            on_event=None) -> dict:
        """Start and wait. By default waits as long as the state machine's own TimeoutSeconds
        (plus a minute): the execution ends by itself then, and a long episode is not cut short."""
        if timeout is None:
            timeout = json.loads(self.asl_path.read_text()).get("TimeoutSeconds", 3600) + 60
        arn = self.start_execution(execution_input, name=name)
        return self.wait(arn, timeout=timeout, on_event=on_event)
