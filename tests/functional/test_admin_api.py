"""The admin API through chalice.test.Client, starting real executions on the local engine."""
from __future__ import annotations

import json
import threading
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from chalice.test import Client

from app import app
from chalicelib.config import Settings
from chalicelib.domain import Window, audio_key, transcript_key
from chalicelib.errors import ScriptRejected, WorkflowUnavailable
from tests.conftest import API_KEY

AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def podcast(podcast_for, small_export):
    return podcast_for(small_export)


def post(client, path, body=None, headers=AUTH, raw=None):
    payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return client.http.post(path, headers=headers, body=payload)


def wait_for_end(engine, start_response) -> dict:
    body = start_response.json_body
    return engine.wait(body["execution_arn"], timeout=120)


# --- authentication -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Api-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}],
    ids=["missing", "wrong-header", "wrong-bearer", "no-scheme"],
)
def test_every_route_refuses_a_missing_or_wrong_key_and_does_nothing(client, services, podcast, headers):
    for method, path in [
        ("get", "/podcasts"),
        ("post", f"/podcasts/{podcast.id}/episodes"),
        ("get", "/episodes/6f1c1d7e-8a51-4a8e-9d0e-70646361737f"),
        ("post", "/episodes/6f1c1d7e-8a51-4a8e-9d0e-70646361737f/retry"),
    ]:
        response = getattr(client.http, method)(path, headers=headers)
        assert response.status_code == 401, path
        assert API_KEY not in response.body.decode()
    assert _episode_ids(services, podcast.id) == []  # nothing was done


def test_bearer_token_is_accepted(client, podcast):
    response = client.http.get("/podcasts", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200
    assert [p["id"] for p in response.json_body["podcasts"]] == [podcast.id]


# --- the happy path -----------------------------------------------------------------------------
def test_start_an_episode_and_watch_it_complete(client, engine, podcast):
    started = post(client, f"/podcasts/{podcast.id}/episodes", {"language": "en", "format": "narrator"})

    assert started.status_code == 202
    body = started.json_body
    assert set(body) >= {"episode_id", "execution_arn", "status_url"}
    assert body["execution_arn"].endswith(f"episode-{body['episode_id']}-a1")  # derived from the id
    assert wait_for_end(engine, started)["status"] == "SUCCEEDED"

    episode = client.http.get(body["status_url"], headers=AUTH).json_body
    assert episode["status"] == "completed"
    assert episode["format"] == "narrator"
    assert episode["duration_seconds"] > 1
    assert [h["to_status"] for h in episode["status_history"]] == [
        "pending", "content_collected", "processing", "completed"]
    # audio_url is made on read and really serves the MP3.
    with urllib.request.urlopen(episode["audio_url"], timeout=10) as audio:
        data = audio.read()
    assert data[:3] == b"ID3" and len(data) > 1000


def test_idempotency_key_returns_the_same_episode_and_starts_nothing_new(client, engine, podcast):
    headers = {**AUTH, "Idempotency-Key": "click-42"}
    first = post(client, f"/podcasts/{podcast.id}/episodes", {}, headers=headers)
    second = post(client, f"/podcasts/{podcast.id}/episodes", {}, headers=headers)

    assert first.status_code == second.status_code == 202
    assert first.json_body["episode_id"] == second.json_body["episode_id"]
    assert first.json_body["execution_arn"] == second.json_body["execution_arn"]
    wait_for_end(engine, first)
    executions = engine.sfn.list_executions(stateMachineArn=engine.state_machine_arn)["executions"]
    assert [e["name"] for e in executions].count(f"episode-{first.json_body['episode_id']}-a1") == 1


def test_a_window_without_messages_shows_the_episode_skipped_as_nothing_new(client, engine, podcast):
    started = post(client, f"/podcasts/{podcast.id}/episodes",
                   {"start_date": "2020-01-01", "end_date": "2020-01-31"})
    assert started.status_code == 202
    assert wait_for_end(engine, started)["status"] == "SUCCEEDED"

    episode = client.http.get(started.json_body["status_url"], headers=AUTH)
    listed = client.http.get(f"/podcasts/{podcast.id}/episodes", headers=AUTH).json_body["episodes"]

    assert episode.status_code == 200
    body = episode.json_body
    assert (body["status"], body["outcome"], body["error"], body["failed_state"]) == (
        "skipped", "nothing_new", None, None)
    assert body["cause"] == "no message in the window"
    assert body["audio_url"] is None
    assert [(h["to_status"], h["detail"]) for h in body["status_history"]] == [
        ("pending", None), ("skipped", "nothing_new: no message in the window")]
    (summary,) = listed
    assert (summary["status"], summary["outcome"]) == ("skipped", "nothing_new")


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, field",
    [
        ({"colour": "blue"}, "colour"),
        ({"days_back": -1}, "days_back"),
        ({"days_back": 100000}, "days_back"),
        ({"days_back": "7"}, "days_back"),
        ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"language": "fr"}, "language"),
        ({"format": "panel"}, "format"),
        ({"days_back": 3, "start_date": "2026-11-01"}, "days_back"),
        ({"days_back": 367}, "days_back"),
        ({"start_date": "2025-01-01", "end_date": "2026-01-02"}, "end_date"),
    ],
)
def test_invalid_body_is_a_400_naming_the_field_and_creates_nothing(client, services, podcast, body, field):
    response = post(client, f"/podcasts/{podcast.id}/episodes", body)

    assert response.status_code == 400
    assert field in response.json_body["message"]
    assert "Traceback" not in response.body.decode()
    assert _episode_ids(services, podcast.id) == []


@pytest.mark.parametrize(
    "raw, words",
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ("x" * 20000, "exceeds")],
)
def test_malformed_or_oversized_body_is_a_400(client, podcast, raw, words):
    response = post(client, f"/podcasts/{podcast.id}/episodes", raw=raw)
    assert response.status_code == 400
    assert words in response.json_body["message"]


class RecordingStarter:
    """Starts nothing: these tests check what the API accepts, not the workflow."""

    def __init__(self):
        self.inputs = []

    def execution_arn(self, name):
        return f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:{name}"

    def start(self, *, name, execution_input):
        self.inputs.append(execution_input)
        return self.execution_arn(name)


def test_a_window_of_366_days_is_accepted_and_one_day_more_is_a_400_naming_the_fields(client, services, podcast):
    starter = RecordingStarter()
    services.starter = lambda: starter

    # An end date counts its whole day: 2025-01-01 through 2026-01-01 is 366 days.
    accepted = post(client, f"/podcasts/{podcast.id}/episodes", {"start_date": "2025-01-01", "end_date": "2026-01-01"})
    refused = post(client, f"/podcasts/{podcast.id}/episodes", {"start_date": "2025-01-01", "end_date": "2026-01-02"})

    assert accepted.status_code == 202
    assert refused.status_code == 400
    message = refused.json_body["message"]
    assert "start_date" in message and "end_date" in message and "366 days" in message
    assert len(starter.inputs) == 1 and len(_episode_ids(services, podcast.id)) == 1


def test_bad_idempotency_key_is_a_400_naming_the_header(client, podcast):
    response = post(client, f"/podcasts/{podcast.id}/episodes", {}, headers={**AUTH, "Idempotency-Key": "é" * 3})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json_body["message"]


def test_unknown_or_malformed_ids(client, podcast):
    assert post(client, "/podcasts/nope/episodes", {}).status_code == 404
    assert post(client, "/podcasts/..%2Fetc/episodes", {}).status_code == 400
    assert client.http.get("/episodes/6f1c1d7e-8a51-4a8e-9d0e-70646361737f", headers=AUTH).status_code == 404
    bad = client.http.get("/episodes/not-a-uuid", headers=AUTH)
    assert bad.status_code == 400 and "episode_id" in bad.json_body["message"]


# --- retry --------------------------------------------------------------------------------------
def test_retry_of_an_unknown_episode_is_a_404_and_of_a_malformed_id_a_400(client, services, podcast):
    unknown = post(client, "/episodes/6f1c1d7e-8a51-4a8e-9d0e-70646361737f/retry")
    malformed = post(client, "/episodes/not-a-uuid/retry")

    assert unknown.status_code == 404 and "6f1c1d7e-8a51-4a8e-9d0e-70646361737f" in unknown.json_body["message"]
    assert malformed.status_code == 400 and "episode_id" in malformed.json_body["message"]
    assert _episode_ids(services, podcast.id) == []


def test_retry_of_an_episode_that_is_not_failed_is_a_409_with_its_status(client, engine, podcast):
    started = post(client, f"/podcasts/{podcast.id}/episodes", {})
    wait_for_end(engine, started)

    response = post(client, f"/episodes/{started.json_body['episode_id']}/retry")

    assert response.status_code == 409
    assert response.json_body["status"] == "completed"


def test_retry_after_audio_failure_regenerates_without_collecting_again(client, engine, services, podcast):
    real_writer = services.writer

    class FailingOnce:
        calls = 0

        def write(self, bundle, **kwargs):
            FailingOnce.calls += 1
            if FailingOnce.calls == 1:
                raise ScriptRejected("the first script was rejected")
            return real_writer.write(bundle, **kwargs)

    services.writer = FailingOnce()
    started = post(client, f"/podcasts/{podcast.id}/episodes", {})
    assert wait_for_end(engine, started)["status"] == "FAILED"
    episode_id = started.json_body["episode_id"]
    failed = client.http.get(f"/episodes/{episode_id}", headers=AUTH).json_body
    assert (failed["status"], failed["error"], failed["failed_state"]) == ("failed", "ScriptRejected", "WriteScript")

    retried = post(client, f"/episodes/{episode_id}/retry")

    assert retried.status_code == 202
    assert retried.json_body["execution_arn"].endswith("-a2")
    assert wait_for_end(engine, retried)["status"] == "SUCCEEDED"
    episode = client.http.get(f"/episodes/{episode_id}", headers=AUTH).json_body
    assert episode["status"] == "completed" and episode["attempt_count"] == 2
    assert [name for name, _ in engine.invocations].count("collect_content") == 1
    assert [(h["from_status"], h["to_status"]) for h in episode["status_history"]] == [
        (None, "pending"), ("pending", "content_collected"), ("content_collected", "processing"),
        ("processing", "failed"), ("failed", "pending"), ("pending", "content_collected"),
        ("content_collected", "processing"), ("processing", "completed")]


def test_an_execution_that_cannot_start_fails_the_episode_instead_of_leaving_it_pending(client, services, podcast):
    class Refusing:
        def execution_arn(self, name):
            return f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:{name}"

        def start(self, *, name, execution_input):
            raise WorkflowUnavailable("Step Functions refused to start: ThrottlingException")

    services.starter = lambda: Refusing()

    response = post(client, f"/podcasts/{podcast.id}/episodes", {})

    assert response.status_code == 503
    (episode,) = [services.episodes.get_episode(h) for h in _episode_ids(services, podcast.id)]
    assert episode.status == "failed" and episode.error == "WorkflowUnavailable"


def _episode_ids(services, podcast_id):
    import sqlite3

    with sqlite3.connect(services.settings.sqlite_path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM episodes WHERE podcast_id = ?", (podcast_id,))]


# --- no stuck episodes --------------------------------------------------------------------------
class BlockingWriter:
    """A script writer that holds GenerateAudio until released (or 30 s pass), then writes."""

    def __init__(self, inner):
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def write(self, bundle, **kwargs):
        self.entered.set()
        self.release.wait(30)
        return self.inner.write(bundle, **kwargs)


def test_aborted_execution_leaves_the_episode_failed_with_the_reason(client, engine, services, podcast):
    services.writer = writer = BlockingWriter(services.writer)
    started = post(client, f"/podcasts/{podcast.id}/episodes", {})
    assert writer.entered.wait(30)

    engine.sfn.stop_execution(executionArn=started.json_body["execution_arn"], error="Operator", cause="wrong window")
    # On AWS an abort is immediate; moto's interpreter ends the execution when the running task
    # returns, so let it return.
    writer.release.set()
    engine.wait_for_event(started.json_body["execution_arn"])

    episode = services.episodes.get_episode(started.json_body["episode_id"])
    assert episode.status == "failed"
    assert episode.error == "ExecutionAborted"


def test_timed_out_execution_leaves_the_episode_failed_with_the_reason(client, engine, services, podcast):
    from tests.conftest import ROOT

    asl = json.loads((ROOT / "statemachine.asl.json").read_text())
    asl["TimeoutSeconds"] = 1
    short = engine.deploy("podcasto-short-timeout", engine.definition_of(json.dumps(asl)))
    services.writer = writer = BlockingWriter(services.writer)
    episode, _ = services.episodes.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None))

    arn = engine.start_execution(
        {"podcast_id": podcast.id, "episode_id": episode.id}, name="timeout-test", state_machine_arn=short)
    assert writer.entered.wait(30)
    threading.Timer(2.0, writer.release.set).start()  # moto ends the execution once the task returns
    assert engine.wait(arn, timeout=30)["status"] == "TIMED_OUT"
    engine.wait_for_event(arn)

    reconciled = services.episodes.get_episode(episode.id)
    assert reconciled.status == "failed"
    assert reconciled.error == "States.Timeout"


# --- configuration and unexpected errors ----------------------------------------------------------
def with_environment(services, **changes) -> None:
    """The same services on a changed environment (the store already built stays SQLite)."""
    environ = {**services.settings.environ, **changes}
    services.settings = Settings(environ={k: v for k, v in environ.items() if v is not None})


def test_an_aws_stage_without_an_api_key_answers_503_and_does_nothing(client, services, podcast):
    with_environment(services, PODCASTO_STAGE="prod", PODCASTO_API_KEY=None)

    for headers in (AUTH, {"X-Api-Key": "podcasto-local-key"}, {}):
        for response in (client.http.get("/podcasts", headers=headers),
                         post(client, f"/podcasts/{podcast.id}/episodes", {}, headers=headers)):
            assert response.status_code == 503
            # Fails closed: no key accepted, not even the local stage's; which setting is
            # missing is for the operator's logs, not for clients.
            assert response.json_body == {"error": "Unavailable", "message": "the service is not configured"}
            assert "Traceback" not in response.body.decode()
    assert _episode_ids(services, podcast.id) == []


def test_an_unexpected_error_is_a_500_with_a_generic_message_and_no_stack_trace(client, services, podcast, monkeypatch):
    def broken():
        raise RuntimeError("disk /var/lib/podcasto/secret-path is on fire")

    monkeypatch.setattr(services.episodes, "list_podcasts", broken)

    response = client.http.get("/podcasts", headers=AUTH)

    assert response.status_code == 500
    assert response.json_body == {"error": "InternalError", "message": "an internal error occurred"}
    assert "on fire" not in response.body.decode() and "Traceback" not in response.body.decode()


def completed_episode(services, podcast):
    """A completed episode, moved there by the store itself (no workflow needed to read it)."""
    episode, _ = services.episodes.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None))
    arn = f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:episode-{episode.id}-a1"
    services.episodes.claim(episode.id, arn)
    services.episodes.transition(
        episode.id, expected="pending", to="content_collected", execution_id=arn,
        content_key=f"podcasts/{podcast.id}/{episode.id}/content.json", content_etag='"etag"')
    services.episodes.transition(episode.id, expected="content_collected", to="processing", execution_id=arn)
    return services.episodes.transition(
        episode.id, expected="processing", to="completed", execution_id=arn,
        audio_key=audio_key(podcast.id, episode.id), transcript_key=transcript_key(podcast.id, episode.id),
        duration_seconds=12.5)


@pytest.mark.parametrize("base", ["https://cdn.example.com/podcasto", "https://cdn.example.com/podcasto/"])
def test_audio_url_is_the_public_base_url_plus_the_key_when_one_is_set(client, services, podcast, base):
    with_environment(services, PUBLIC_AUDIO_BASE_URL=base)
    episode = completed_episode(services, podcast)

    body = client.http.get(f"/episodes/{episode.id}", headers=AUTH).json_body

    assert body["audio_url"] == f"https://cdn.example.com/podcasto/{episode.audio_key}"
    assert body["transcript_url"] == f"https://cdn.example.com/podcasto/{episode.transcript_key}"


def test_audio_url_is_presigned_for_audio_url_expires_seconds(client, services, podcast):
    with_environment(services, AUDIO_URL_EXPIRES_SECONDS="900")
    episode = completed_episode(services, podcast)

    body = client.http.get(f"/episodes/{episode.id}", headers=AUTH).json_body

    url = urlparse(body["audio_url"])
    assert url.path.endswith(episode.audio_key)
    assert parse_qs(url.query)["X-Amz-Expires"] == ["900"]
