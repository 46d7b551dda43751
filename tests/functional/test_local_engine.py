"""The local engine next to real AWS: only the S3 and Step Functions clients point at its loopback
server; every other boto3 client podcasto builds still goes to AWS (the engine is not mock_aws)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest

from chalicelib.config import Settings
from chalicelib.factory import Services
from chalicelib.script.base import Host

ROOT = Path(__file__).resolve().parents[2]


class Sent(Exception):
    """Raised in place of sending: carries the URL the request was about to go to."""


@pytest.fixture
def outgoing(monkeypatch):
    """A fresh default boto3 session whose Polly, Bedrock and Secrets Manager requests stop just
    before they leave the process. Registered after every built-in handler (moto's stubber, the
    engine's lambda.Invoke dispatch), so a request intercepted earlier never reaches it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")  # requests are signed before sending
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    session = boto3.session.Session()

    def stop(request, **_):
        raise Sent(request.url)

    for service in ("polly", "bedrock-runtime", "secrets-manager"):
        session.events.register(f"before-send.{service}", stop)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)


def host_of(call) -> str:
    with pytest.raises(Sent) as sent:
        call()
    return urlparse(str(sent.value)).hostname


def test_only_s3_and_step_functions_point_at_the_local_server(engine, outgoing, tmp_path):
    # Built as `make generate` / `make local` build them: the engine's S3 client passed in, and
    # SFN_ENDPOINT_URL pointing at the engine; Polly, Bedrock and secrets configured.
    settings = Settings(environ={
        "PODCASTO_HOME": str(tmp_path / "home"),
        "SFN_ENDPOINT_URL": engine.endpoint,
        "SPEECH_PROVIDER": "polly",
        "SCRIPT_WRITER": "bedrock",
        "GEMINI_API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:gemini",
    })
    services = Services(settings, s3_client=engine.client("s3"))
    local = urlparse(engine.endpoint).hostname

    assert services.s3_client.meta.endpoint_url == engine.endpoint
    assert services.sfn_client.meta.endpoint_url == engine.endpoint
    polly = host_of(lambda: services.speech_for("en").synthesize("Hello there.", voice="host_a", language="en"))
    bundle = {"schema_version": 1, "podcast_id": "p", "title": None, "window": {"start": None, "end": None},
              "messages": [{"id": 1, "channel": "c", "date": "2026-11-20T10:00:00Z", "text": "Python 3.14 is out.",
                            "links": [], "reply_to": None, "forwarded_from": None, "edited": None,
                            "views": None, "forwards": None, "media": None}]}
    bedrock = host_of(lambda: services.writer.write(
        bundle, title="T", language="en", format="narrator", hosts=[Host(name="Alex", role="host")]))
    secrets = host_of(lambda: settings.secret("GEMINI_API_KEY"))

    assert (polly, bedrock, secrets) == (
        "polly.us-east-1.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com",
        "secretsmanager.us-east-1.amazonaws.com")
    assert local not in (polly, bedrock, secrets)


def test_engine_start_leaves_moto_batch_and_ec2_unloaded_until_asked(tmp_path):
    # moto's ASL interpreter imports its Batch integration, whose package imports EC2's tables:
    # 108 MB on every `make generate`. The engine defers that backend to its first use.
    script = """
import sys
from app import app
from podcasto_local.engine import LocalEngine
with LocalEngine(app) as engine:
    heavy = sorted(m for m in sys.modules if m.startswith(("moto.ec2", "moto.batch.models")))
    assert not heavy, heavy
    from moto.batch.utils import JobStatus  # what the interpreter imports still imports
    from moto.backends import get_backend
    assert type(get_backend("batch")).__name__ == "BackendDict"  # and Batch itself on demand
    import moto.batch
    assert moto.batch.batch_backends is get_backend("batch")
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PODCASTO_HOME": str(tmp_path)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_each_task_gives_back_what_it_freed_whether_it_succeeded_or_not(engine, monkeypatch):
    import podcasto_local.engine as local_engine

    released = []
    monkeypatch.setattr(local_engine, "release_freed_memory", lambda: released.append(True))
    status, headers, _ = engine.invoke("validate_episode", {})  # fails: no episode in it
    assert status == 200 and headers.get("X-Amz-Function-Error") == "Unhandled"
    assert released == [True]
