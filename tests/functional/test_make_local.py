"""`make local` for real: the API under chalice local and the engine's Step Functions port,
driven over HTTP and with boto3 as a newcomer would (curl, the AWS CLI)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import pytest

from tests.conftest import ROOT

KEY = "podcasto-local-key"  # the local stage's documented default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Api-Key": KEY, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    api_port, sfn_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PODCASTO_API_KEY"}
    env.update(PORT=str(api_port), LOCAL_SFN_PORT=str(sfn_port),
               PODCASTO_HOME=str(tmp_path_factory.mktemp("local-home")))
    log = tmp_path_factory.mktemp("local-log") / "make-local.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "local.sh")], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call("GET", f"{base}/podcasts")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make local did not start:\n{log.read_text()}", pytrace=False)
            time.sleep(0.2)
        yield {"api": base, "sfn": f"http://127.0.0.1:{sfn_port}", "log": log}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def wait_for_status(base: str, episode_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, episode = call("GET", f"{base}/episodes/{episode_id}")
        if episode["status"] in ("completed", "failed", "skipped"):
            return episode
        time.sleep(0.3)
    raise AssertionError(f"episode {episode_id} did not finish")


def wait_for_feed(url: str, episode_id: str, timeout: float = 30) -> bytes:
    """The feed once it lists the episode: PublishFeed runs after the episode is completed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                feed = response.read()
            if episode_id.encode() in feed:
                return feed
        except urllib.error.HTTPError as error:
            assert error.code == 404  # not published yet
        time.sleep(0.2)
    raise AssertionError(f"{url} never listed episode {episode_id}")


def test_startup_prints_both_addresses_and_the_admin_page(local):
    text = local["log"].read_text()
    assert local["api"] in text and local["sfn"] in text
    page_url = f"{local['api']}/admin"
    assert page_url in text
    with urllib.request.urlopen(page_url, timeout=10) as page:  # served, without a key
        assert page.status == 200 and b'<script type="module" src="admin/app.js">' in page.read()


def test_episode_through_http_on_make_local(local):
    status, podcasts = call("GET", f"{local['api']}/podcasts")
    assert status == 200 and "demo" in [p["id"] for p in podcasts["podcasts"]]

    status, started = call("POST", f"{local['api']}/podcasts/demo/episodes", {"format": "narrator"})
    assert status == 202

    episode = wait_for_status(local["api"], started["episode_id"])
    assert episode["status"] == "completed", episode
    with urllib.request.urlopen(episode["audio_url"], timeout=10) as audio:
        assert audio.read(3) == b"ID3"

    # The feed URL make local printed, as a podcast app on this machine fetches it: whole, and
    # by byte ranges (206 with exactly those bytes).
    feed_url = f"{local['sfn']}/podcasto-local/podcasts/demo/feed.xml"
    assert f"podcasto feeds:    {local['sfn']}/podcasto-local/podcasts/<podcast_id>/feed.xml" in local["log"].read_text()
    feed = wait_for_feed(feed_url, started["episode_id"])
    ranged = urllib.request.Request(feed_url, headers={"Range": "bytes=100-163"})
    with urllib.request.urlopen(ranged, timeout=10) as response:
        assert response.status == 206 and response.read() == feed[100:164]
        assert response.headers["Content-Range"] == f"bytes 100-163/{len(feed)}"


def test_execution_started_with_boto3_on_the_local_step_functions_port(local):
    sfn = boto3.client("stepfunctions", endpoint_url=local["sfn"], region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    (machine,) = sfn.list_state_machines()["stateMachines"]
    # A podcast of its own over the demo export: the demo podcast's messages may already be in
    # another test's completed episode, and a series never tells a message twice.
    created, _ = call("POST", f"{local['api']}/podcasts", {
        "id": "console-like", "title": "Console-like",
        "sources": [{"export": str(ROOT / "examples" / "demo-export" / "result.json"), "chat": None}],
        "days_back": None})
    assert created == 201

    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="console-like",
                              input=json.dumps({"podcast_id": "console-like", "format": "narrator"}))["executionArn"]

    deadline = time.monotonic() + 90
    while (description := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert description["status"] == "SUCCEEDED"
    episode_id = json.loads(description["output"])["episode"]["episode_id"]
    assert call("GET", f"{local['api']}/episodes/{episode_id}")[1]["status"] == "completed"
