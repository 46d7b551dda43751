"""The shipped OpenAPI document stays true, request bodies are fuzzed (never a 5xx), and no
secret reaches a log line."""
from __future__ import annotations

import json
import string

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from app import app
from chalicelib.config import Settings
from chalicelib.episode_request import BODY_FIELDS
from tests.canned_http import CannedServer
from tests.conftest import API_KEY, ROOT, captured_logs

SPEC = json.loads((ROOT / "docs" / "openapi.json").read_text())
AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}


def resolved(node):
    """The schema with every local $ref inlined (ours has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = SPEC
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolved(target)
        return {k: resolved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v) for v in node]
    return node


def check(response, path: str, method: str) -> None:
    """The status is documented for the operation and the body matches its schema."""
    operation = SPEC["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code, response.body)
    schema = resolved(documented[str(response.status_code)]["content"]["application/json"]["schema"])
    OAS30Validator(schema).validate(response.json_body)


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


def test_document_is_valid_openapi():
    validate(SPEC)


def test_document_lists_exactly_the_apps_routes():
    routes = {
        (path, method.lower())
        for path, by_method in app.routes.items()
        for method in by_method
    }
    documented = {(path, method) for path, ops in SPEC["paths"].items() for method in ops}
    assert documented == routes


def test_real_responses_match_the_document(client, engine, podcast_for, small_export):
    podcast = podcast_for(small_export)
    check(client.http.get("/podcasts", headers=AUTH), "/podcasts", "get")
    check(client.http.get("/podcasts", headers={}), "/podcasts", "get")
    started = client.http.post(f"/podcasts/{podcast.id}/episodes", headers=AUTH, body="{}")
    check(started, "/podcasts/{podcast_id}/episodes", "post")
    check(client.http.post(f"/podcasts/{podcast.id}/episodes", headers=AUTH, body='{"x": 1}'),
          "/podcasts/{podcast_id}/episodes", "post")
    check(client.http.post("/podcasts/unknown/episodes", headers=AUTH, body="{}"),
          "/podcasts/{podcast_id}/episodes", "post")
    engine.wait(started.json_body["execution_arn"], timeout=120)
    episode_id = started.json_body["episode_id"]
    check(client.http.get(f"/episodes/{episode_id}", headers=AUTH), "/episodes/{episode_id}", "get")
    check(client.http.get("/episodes/nope", headers=AUTH), "/episodes/{episode_id}", "get")
    check(client.http.post(f"/episodes/{episode_id}/retry", headers=AUTH), "/episodes/{episode_id}/retry", "post")
    check(client.http.get(f"/episodes/{episode_id}/transcript", headers=AUTH), "/episodes/{episode_id}/transcript", "get")
    check(client.http.get(f"/episodes/{episode_id}/transcript", headers={}), "/episodes/{episode_id}/transcript", "get")


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
field_names = st.sampled_from(list(BODY_FIELDS) + ["podcast_id", "episode_id", "extra", ""])
dates = st.dates().map(str) | st.datetimes().map(lambda d: d.isoformat())
field_values = json_values | dates | st.integers(min_value=-5, max_value=400) | st.sampled_from(["en", "he", "dialogue", "narrator"])
bodies = st.dictionaries(field_names, field_values, max_size=5).map(json.dumps) | json_values.map(json.dumps) | st.text(
    alphabet=string.printable, max_size=60)


class RecordingStarter:
    """Starts nothing: fuzzing checks the API's validation, not the workflow."""

    def __init__(self):
        self.started = []

    def execution_arn(self, name):
        return f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:{name}"

    def start(self, *, name, execution_input):
        self.started.append(name)
        return self.execution_arn(name)


@hsettings(max_examples=150, deadline=None, derandomize=True, database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_fuzzed_start_bodies_never_cause_a_5xx(client, services, podcast_for, small_export, body):
    services.starter = lambda: RecordingStarter()
    # Nothing runs, so accepted episodes stay unfinished: no admission bound for this test.
    services.settings = Settings(environ={**services.settings.environ, "MAX_EPISODES_IN_FLIGHT": "1000000"})
    podcast = podcast_for(small_export)
    response = client.http.post(f"/podcasts/{podcast.id}/episodes", headers=AUTH, body=body)
    assert response.status_code in (202, 400), (body, response.status_code, response.body)
    check(response, "/podcasts/{podcast_id}/episodes", "post")


@hsettings(max_examples=60, deadline=None, derandomize=True, database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=st.text(alphabet=string.ascii_letters + string.digits + "-_.~%", min_size=1, max_size=70))
def test_fuzzed_ids_never_cause_a_5xx(client, segment):
    for method, path in [("get", f"/episodes/{segment}"), ("post", f"/episodes/{segment}/retry"),
                         ("post", f"/podcasts/{segment}/episodes")]:
        response = getattr(client.http, method)(path, headers=AUTH, body="{}" if method == "post" else None)
        assert response.status_code < 500, (path, response.body)


# The real Gemini API refuses a bad key with a 400 whose DebugInfo echoes the key back: how a
# key could reach a log line.
REFUSED_GEMINI_KEY = json.dumps({"error": {
    "code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"},
        {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": "Invalid API key: {header:x-goog-api-key}"},
    ]}})


def test_no_secret_reaches_a_log_line(engine, tmp_path, small_export):
    from chalicelib.config import Settings
    from chalicelib.factory import Services, use_services
    from chalicelib.script.gemini import GeminiScriptWriter
    from chalicelib.stores.episodes import Podcast

    secrets = {
        "PODCASTO_API_KEY": "api-key-9f8e7d6c5b4a",
        "TELEGRAM_SESSION": "1BVtsOKABu-session-0123456789abcdef",
        "TELEGRAM_API_HASH": "hash-fedcba9876543210",
        "SUPABASE_KEY": "eyJhbGciOiJIUzI1NiJ9.service-role-secret",
        "GEMINI_API_KEY": "AIzaSyLEAK-gemini-0123456789abcdef",
    }
    settings = Settings(environ={"PODCASTO_HOME": str(tmp_path / "home"),
                                 "STATE_MACHINE_ARN": engine.state_machine_arn,
                                 "TELEGRAM_API_ID": "12345", **secrets})
    services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"))
    previous = use_services(services)
    # Every log line, as the Lambda runtime would ship it: podcasto's own JSON lines, and
    # whatever any other library (botocore, google-genai, httpx, Telethon) logs through the
    # root logger — at DEBUG, lower than any stage runs, so nothing is hidden by a level.
    try:
        with captured_logs(every_library=True) as captured:
            services.episodes.put_podcast(Podcast(id="p", title="T", sources=[{"export": str(small_export)}], days_back=None))
            services.episodes.put_podcast(Podcast(id="live", title="L", sources=["@some_channel"], days_back=1))
            # Its own podcast: a second episode of "p" would start where the first ended, with nothing new.
            services.episodes.put_podcast(Podcast(id="p2", title="T2", sources=[{"export": str(small_export)}], days_back=None))
            headers = {"X-Api-Key": secrets["PODCASTO_API_KEY"], "Content-Type": "application/json"}
            with Client(app) as client, CannedServer() as gemini:
                gemini.answer(400, REFUSED_GEMINI_KEY, "application/json; charset=UTF-8")
                client.http.get("/podcasts", headers={"X-Api-Key": "wrong-" + secrets["PODCASTO_API_KEY"]})
                ok = client.http.post("/podcasts/p/episodes", headers=headers, body="{}").json_body
                live = client.http.post("/podcasts/live/episodes", headers=headers, body="{}").json_body
                for started in (ok, live):
                    engine.wait(started["execution_arn"], timeout=120)
                # The Gemini writer with the configured key, against a server that echoes it back.
                services.writer = GeminiScriptWriter.from_settings(
                    settings.secret("GEMINI_API_KEY"), "gemini-test", base_url=gemini.url)
                refused = client.http.post("/podcasts/p2/episodes", headers=headers, body="{}").json_body
                engine.wait(refused["execution_arn"], timeout=120)
                shown = "".join(client.http.get(f"/episodes/{e['episode_id']}", headers=headers).body.decode()
                                for e in (ok, live, refused))
    finally:
        use_services(previous)
    logs = captured.getvalue() + shown
    assert '"task":"collect_content"' in logs  # the logs were captured
    assert "Making request for OperationModel" in logs  # and botocore's, through the root logger
    assert ":generateContent" in logs  # and httpx's line for the Gemini call
    assert "TelegramSessionInvalid" in logs  # the live channel's bad session failed the episode
    assert "GEMINI_API_KEY was refused" in logs  # the Gemini key was sent and refused
    for name, value in secrets.items():
        assert value not in logs, f"{name} leaked"
