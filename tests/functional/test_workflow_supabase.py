"""The workflow and the CLI with EPISODE_STORE=supabase: the real local stack (Postgres +
PostgREST + nginx), the real supabase-py client, the real ASL on the local engine."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chalicelib.config import Settings
from chalicelib.factory import Services, use_services
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.supabase_store import SupabaseEpisodeStore
from tests.canned_http import CannedServer, leaked
from tests.conftest import ROOT


def _services_on(engine, url, key, tmp_path) -> Services:
    settings = Settings(environ={
        "EPISODE_STORE": "supabase",
        "SUPABASE_URL": url,
        "SUPABASE_KEY": key,
        "PODCASTO_HOME": str(tmp_path / "home"),
        "STATE_MACHINE_ARN": engine.state_machine_arn,
        # The session's database holds the contract suite's unfinished episodes too: they
        # would count against admission control, which these tests do not exercise.
        "MAX_EPISODES_IN_FLIGHT": "1000000",
    })
    services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"))
    assert isinstance(services.episodes, SupabaseEpisodeStore)  # the factory switched
    return services


@pytest.fixture
def supabase_services(engine, supabase_stack, tmp_path):
    services = _services_on(engine, supabase_stack.url, supabase_stack.key, tmp_path)
    previous = use_services(services)
    engine.invocations.clear()
    yield services
    use_services(previous)


def test_episode_completes_with_its_history_in_postgres(engine, supabase_services, small_export):
    supabase_services.episodes.put_podcast(
        Podcast(id="sb-podcast", title="Supabase", sources=[{"export": str(small_export)}], days_back=None))

    description = engine.run({"podcast_id": "sb-podcast"}, timeout=120)

    assert description["status"] == "SUCCEEDED", description.get("cause")
    episode_id = json.loads(description["output"])["episode"]["episode_id"]
    episode = supabase_services.episodes.get_episode(episode_id)
    assert episode.status == "completed" and episode.audio_key and episode.duration_seconds > 1
    assert [h["to_status"] for h in supabase_services.episodes.history(episode_id)] == [
        "pending", "content_collected", "processing", "completed"]


def test_failure_then_retry_through_the_api_on_supabase(engine, supabase_services, small_export):
    from chalice.test import Client

    from app import app
    from chalicelib.errors import ScriptRejected

    supabase_services.episodes.put_podcast(
        Podcast(id="sb-retry", title="Retry", sources=[{"export": str(small_export)}], days_back=None))
    real_writer = supabase_services.writer
    calls = []

    class FailingOnce:
        def write(self, bundle, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise ScriptRejected("first script rejected")
            return real_writer.write(bundle, **kwargs)

    supabase_services.writer = FailingOnce()
    headers = {"X-Api-Key": "podcasto-local-key", "Content-Type": "application/json"}
    with Client(app) as client:
        started = client.http.post("/podcasts/sb-retry/episodes", headers=headers, body="{}").json_body
        assert engine.wait(started["execution_arn"], timeout=120)["status"] == "FAILED"
        retried = client.http.post(f"/episodes/{started['episode_id']}/retry", headers=headers)
        assert retried.status_code == 202
        assert engine.wait(retried.json_body["execution_arn"], timeout=120)["status"] == "SUCCEEDED"
        episode = client.http.get(f"/episodes/{started['episode_id']}", headers=headers).json_body
    assert episode["status"] == "completed" and episode["attempt_count"] == 2
    assert ("failed", "pending") in [(h["from_status"], h["to_status"]) for h in episode["status_history"]]


def test_make_generate_with_supabase_leaves_a_completed_episode_in_postgres(supabase_stack, small_export, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "EPISODE_STORE": "supabase", "SUPABASE_URL": supabase_stack.url,
           "SUPABASE_KEY": supabase_stack.key, "PODCASTO_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "podcasto_local.cli", "generate", "--export", str(small_export), "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert supabase_stack.key not in result.stdout + result.stderr
    summary = json.loads((out / "episode.json").read_text())
    store = SupabaseEpisodeStore.from_settings(supabase_stack.url, supabase_stack.key)
    episode = store.get_episode(summary["episode_id"])
    assert episode.status == "completed"
    assert episode.audio_key.endswith("podcast.mp3")
    assert episode.duration_seconds == pytest.approx(summary["duration_seconds"])
    assert [h["to_status"] for h in store.history(episode.id)] == [
        "pending", "content_collected", "processing", "completed"]


def _moves_to_processing(method: str, path: str, body: bytes) -> bool:
    return method == "PATCH" and path.startswith("/rest/v1/episodes") and b'"processing"' in body


@pytest.mark.parametrize(
    "status,error,processing_calls",
    [(403, "StoreRejected", 1),  # permanent: MarkProcessing is not retried
     (503, "StoreUnavailable", 5)],  # transient: MarkProcessing's Retry, MaxAttempts 4
)
def test_supabase_refusing_a_move_fails_the_episode_in_postgres_with_no_key_in_its_cause(
    engine, supabase_stack, small_export, tmp_path, status, error, processing_calls
):
    """The real store, built by the factory, talks to the real stack through a loopback
    gate that answers the MarkProcessing PATCH itself, echoing the key in its body."""
    key = supabase_stack.key
    body = '{"code": "PGRST301", "message": "refused {authorization}, signature {signature}"}'
    with CannedServer(upstream=supabase_stack.url, intercept=_moves_to_processing) as gate:
        gate.answer(status, body)
        services = _services_on(engine, gate.url, key, tmp_path)
        previous = use_services(services)
        engine.invocations.clear()
        try:
            services.episodes.put_podcast(Podcast(
                id=f"sb-gate-{status}", title="Gate", sources=[{"export": str(small_export)}],
                days_back=None))
            description = engine.run({"podcast_id": f"sb-gate-{status}"}, timeout=120)
            # The reconciler runs on the execution-status event: with these services, through
            # the gate, before the gate closes.
            engine.wait_for_event(description["executionArn"])
        finally:
            use_services(previous)

    assert description["status"] == "FAILED" and description["error"] == error
    assert [name for name, _ in engine.invocations].count("mark_processing") == processing_calls
    assert len(gate.answered) == processing_calls
    episode_id = next(p for n, p in engine.invocations if n == "mark_processing")["episode"]["episode_id"]
    episode = SupabaseEpisodeStore.from_settings(supabase_stack.url, key).get_episode(episode_id)
    assert (episode.status, episode.error, episode.failed_state) == ("failed", error, "MarkProcessing")
    assert f"HTTP {status}" in episode.cause
    if status == 403:
        assert "SUPABASE_KEY" in episode.cause
    said = "\n".join([
        json.dumps(description, default=str),
        json.dumps(engine.history(description["executionArn"]), default=str),
        json.dumps(episode.to_json()),
    ])
    assert leaked(key, said) == []
