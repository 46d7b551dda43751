"""No configured secret crosses out of the process, whatever an upstream echoes (issue 11, item 1).

Each provider and store is pointed at an upstream that quotes the credential back in its error
(a careless gateway, an API's debug detail). The error then travels everywhere text leaves the
process: the task's exception as Lambda reports it (the execution's history and cause), the
episode's stored cause, GET /episodes/{id}, HTTP error bodies, and every log line (podcasto's
and other libraries'). None may hold the secret, nor a dot- or dash-separated part of it of
8 characters or more.
"""
from __future__ import annotations

import json
import re

import pytest
from chalice.test import Client
from telethon import errors as telethon_errors

from app import app
from chalicelib import redact
from chalicelib.config import Settings
from chalicelib.factory import Services, use_services
from chalicelib.stores.episodes import Podcast
from tests.canned_http import CannedServer
from tests.conftest import API_KEY, captured_logs

SECRETS = {
    "GEMINI_API_KEY": "AIzaSyLEAK-gemini-0123456789abcdef",
    "SUPABASE_KEY": "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNlY3JldA",
    "TELEGRAM_API_HASH": "fedcba9876543210fedcba9876543210",
    "TELEGRAM_SESSION": "1BVtsOKABu0-session-0123456789abcdefXYZ",
}
AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}
# An API error that quotes the request's headers back, without saying the key is invalid:
# the writer and the speech engine keep the message, as they should for any other 4xx.
ECHOING_GEMINI = json.dumps({"error": {
    "code": 400, "status": "INVALID_ARGUMENT",
    "message": "Request contains an invalid argument. Headers seen: x-goog-api-key={header:x-goog-api-key}",
}})


def parts(secret: str) -> list[str]:
    return [secret] + [p for p in re.split(r"[.-]", secret) if len(p) >= 8]


def leaks(text: str) -> list[str]:
    return [f"{name}: {part}" for name, secret in SECRETS.items() for part in parts(secret) if part in text]


@pytest.fixture
def world(engine, tmp_path, small_export):
    """Services with every secret configured, and every log line of the process captured."""
    settings = Settings(environ={
        "PODCASTO_HOME": str(tmp_path / "home"), "STATE_MACHINE_ARN": engine.state_machine_arn,
        "PODCASTO_API_KEY": API_KEY, "TELEGRAM_API_ID": "12345", **SECRETS,
    })
    services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"))
    previous = use_services(services)
    try:
        with captured_logs(every_library=True) as captured:
            services.episodes.put_podcast(
                Podcast(id="p", title="T", sources=[{"export": str(small_export)}], days_back=None))
            services.episodes.put_podcast(Podcast(id="live", title="L", sources=["@some_channel"], days_back=1))
            yield services, captured
    finally:
        use_services(previous)


def everything_said(engine, services, client, description, captured) -> str:
    """Every place the failure reached: history, description, stored episode, API, logs."""
    history = engine.sfn.get_execution_history(executionArn=description["executionArn"], maxResults=1000)
    said = [json.dumps(history["events"], default=str), json.dumps(description, default=str)]
    for row in _episodes(services):
        said.append(json.dumps(row.to_json()))
        said.append(client.http.get(f"/episodes/{row.id}", headers=AUTH).body.decode())
    said.append(captured.getvalue())
    return "\n".join(said)


def _episodes(services):
    return [e for e in (services.episodes.get_episode(i) for i in _episode_ids(services)) if e]


def _episode_ids(services):
    import sqlite3

    with sqlite3.connect(services.settings.sqlite_path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM episodes")]


def test_gemini_script_writer_error_echoing_the_key(engine, world):
    from chalicelib.script.gemini import GeminiScriptWriter

    services, captured = world
    with Client(app) as client, CannedServer() as gemini:
        gemini.answer(400, ECHOING_GEMINI)
        services.writer = GeminiScriptWriter.from_settings(
            services.settings.secret("GEMINI_API_KEY"), "gemini-test", base_url=gemini.url)
        description = engine.run({"podcast_id": "p"}, timeout=120)
        said = everything_said(engine, services, client, description, captured)

    assert description["status"] == "FAILED"
    assert "Headers seen" in said and "WriteScript" in said  # the echo did travel, redacted
    assert leaks(said) == []


def test_gemini_speech_error_echoing_the_key(engine, world):
    from chalicelib.audio.gemini_tts import GeminiSpeech, gemini_client

    services, captured = world
    services.settings.overrides = {"SPEECH_PROVIDER": "gemini"}
    with Client(app) as client, CannedServer() as gemini:
        gemini.answer(400, ECHOING_GEMINI)
        services._speech_engines["gemini"] = GeminiSpeech(
            gemini_client(services.settings.secret("GEMINI_API_KEY"), base_url=gemini.url), model="tts-test")
        description = engine.run({"podcast_id": "p"}, timeout=120)
        said = everything_said(engine, services, client, description, captured)

    assert description["status"] == "FAILED"
    assert "Headers seen" in said and "SynthesizeSegment" in said
    assert leaks(said) == []


def test_telegram_error_echoing_the_session_and_hash(engine, world):
    from chalicelib.sources.telethon_source import TelethonSource
    from tests.unit.sources.telegram_double import TelegramDouble

    services, captured = world
    settings = services.settings

    def client_factory():
        # As make_client does: the secrets are read through Settings, then handed to Telegram.
        session, api_hash = settings.secret("TELEGRAM_SESSION"), settings.secret("TELEGRAM_API_HASH")
        echo = telethon_errors.RPCError(None, f"BAD_REQUEST session={session} api_hash={api_hash}", 400)
        return TelegramDouble(fail_on={"connect": [echo]})

    services.telegram_source = lambda channels: TelethonSource(client_factory, channels)
    with Client(app) as client:
        description = engine.run({"podcast_id": "live"}, timeout=120)
        said = everything_said(engine, services, client, description, captured)

    assert description["status"] == "FAILED"
    assert "BAD_REQUEST session=" in said
    assert leaks(said) == []


def test_supabase_error_echoing_the_key(engine, world):
    from chalicelib.stores.supabase_store import SupabaseEpisodeStore

    services, captured = world
    with Client(app) as client, CannedServer() as supabase:
        supabase.answer(400, json.dumps({"code": "XX000", "message": "bad request from {header:apikey}",
                                         "details": "Authorization: {authorization}", "hint": None}))
        services.episodes = SupabaseEpisodeStore.from_settings(
            supabase.url, services.settings.secret("SUPABASE_KEY"), retry=False)
        services.admin.episodes = services.episodes
        answered = client.http.post("/podcasts/p/episodes", headers=AUTH, body="{}")
        description = engine.run({"podcast_id": "p"}, timeout=120)
        history = engine.sfn.get_execution_history(executionArn=description["executionArn"], maxResults=1000)
        said = "\n".join([answered.body.decode(), json.dumps(history["events"], default=str),
                          json.dumps(description, default=str), captured.getvalue()])

    assert answered.status_code == 503 and description["status"] == "FAILED"
    assert "bad request from" in said
    assert leaks(said) == []


def test_an_unexpected_exception_quoting_a_secret_is_redacted_where_lambda_reports_it(engine, world):
    """Not only the providers' translated errors: any exception a task raises."""
    services, captured = world
    key = services.settings.secret("GEMINI_API_KEY")

    class Exploding:
        def write(self, bundle, **kwargs):
            raise RuntimeError(f"library bug while using {key}")

    services.writer = Exploding()
    with Client(app) as client:
        description = engine.run({"podcast_id": "p"}, timeout=120)
        said = everything_said(engine, services, client, description, captured)

    assert description["status"] == "FAILED" and "RuntimeError" in said
    assert "library bug while using" in said
    assert leaks(said) == []


# --- the redactor itself --------------------------------------------------------------------
def test_a_resolved_secret_and_its_long_parts_are_redacted_and_short_parts_are_not():
    Settings(environ={"GEMINI_API_KEY": "AIzaSyUNIT-abc-0123456789zz"}).secret("GEMINI_API_KEY")

    said = redact.text("key AIzaSyUNIT-abc-0123456789zz, tail 0123456789zz, head AIzaSyUNIT, short abc")

    assert said == "key <redacted>, tail <redacted>, head <redacted>, short abc"


def test_exceptions_keep_their_class_and_lose_the_secret():
    from chalicelib.errors import SourceFailed

    Settings(environ={"TELEGRAM_SESSION": "session-abcdefgh12345678"}).secret("TELEGRAM_SESSION")
    inner = ValueError("inner session-abcdefgh12345678")
    outer = SourceFailed("refused: abcdefgh12345678")
    outer.__cause__ = inner

    clean = redact.exception(outer)

    assert type(clean) is SourceFailed and str(clean) == "refused: <redacted>"
    assert str(inner) == "inner <redacted>"


def test_the_documented_local_api_key_is_no_secret_to_redact():
    Settings(environ={"PODCASTO_STAGE": "local"}).api_key  # the public default, not resolved as a secret

    assert redact.text("podcasto-local-key") == "podcasto-local-key"


def test_a_function_outside_the_workflow_raises_without_the_secret(world):
    """The scheduler (and any function added later) is covered by the app's own middleware."""
    from chalice.test import LambdaContext

    services, _ = world
    key = services.settings.secret("GEMINI_API_KEY")

    def broken_clock():
        raise RuntimeError(f"clock broke near {key}")

    services.clock = broken_clock
    event = {"id": "1", "version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2026-12-02T08:00:00Z", "region": "us-east-1",
             "resources": [], "detail": {}}

    with pytest.raises(RuntimeError) as raised:
        app.handler_map["schedule_episodes"](event, LambdaContext("schedule_episodes", memory_size=256))

    assert "clock broke near" in str(raised.value)
    assert leaks(str(raised.value)) == []
