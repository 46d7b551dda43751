"""What the admin page reads: an episode's states as they pass (GET /episodes/{id} "states",
from the execution's history on the local engine), its transcript through the API, and the
page's own files (no key, strict security headers)."""
from __future__ import annotations

import json

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.admin_page import ASSETS
from chalicelib.domain import Window
from tests.conftest import API_KEY

AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


def start(client, engine, podcast_id: str) -> dict:
    started = client.http.post(f"/podcasts/{podcast_id}/episodes", headers=AUTH, body="{}")
    assert started.status_code == 202, started.body
    engine.wait(started.json_body["execution_arn"], timeout=120)
    return client.http.get(f"/episodes/{started.json_body['episode_id']}", headers=AUTH).json_body


def test_a_completed_episode_lists_every_state_it_passed_in_order_with_times(client, engine, podcast_for, small_export):
    podcast_for(small_export)
    episode = start(client, engine, "test-podcast")
    states = episode["states"]
    passed = list(dict.fromkeys(engine.states_passed(episode["execution_arn"])))  # first entries, in order
    assert [s["name"] for s in states] == passed
    assert passed[0] == "IsolateInput" and passed[-1] == "EpisodeCompleted"
    assert all(s["status"] == "succeeded" for s in states)
    for state in states:
        assert state["entered_at"] <= state["exited_at"] and state["entered_at"].endswith("Z")
    entered = [s["entered_at"] for s in states if s["name"] != "SynthesizeSegment"]
    assert entered == sorted(entered)
    segments = next(s for s in states if s["name"] == "SynthesizeSegment")
    invoked = [name for name, _ in engine.invocations if name == "synthesize_segment"]
    assert segments["count"] == len(invoked) > 1


def test_a_failed_episode_shows_the_failed_state_and_a_retry_shows_its_own_attempt(client, engine, services, podcast_for, small_export, tmp_path):
    podcast_for(small_export)
    moved = tmp_path / "away.json"
    small_export.rename(moved)
    episode = start(client, engine, "test-podcast")
    assert episode["status"] == "failed"
    statuses = {s["name"]: s["status"] for s in episode["states"]}
    assert statuses["CollectContent"] == "failed" and statuses["MarkFailed"] == "succeeded"
    assert episode["states"][-1]["name"] == "EpisodeFailed" and episode["failed_state"] == "CollectContent"

    moved.rename(small_export)
    retried = client.http.post(f"/episodes/{episode['episode_id']}/retry", headers=AUTH)
    engine.wait(retried.json_body["execution_arn"], timeout=120)
    again = client.http.get(f"/episodes/{episode['episode_id']}", headers=AUTH).json_body
    assert again["status"] == "completed" and again["attempt_count"] == 2
    assert {s["status"] for s in again["states"]} == {"succeeded"}  # the new execution's, not the first's


def test_an_episode_whose_execution_has_not_started_has_no_states(client, services, podcast_for, small_export):
    podcast_for(small_export)
    episode, _ = services.episodes.create_episode(
        podcast_id="test-podcast", language="en", format="dialogue", window=Window(None, None))
    services.episodes.claim(episode.id, "arn:aws:states:us-east-1:123456789012:execution:podcasto-local:never-started")
    shown = client.http.get(f"/episodes/{episode.id}", headers=AUTH)
    assert shown.status_code == 200 and shown.json_body["states"] == []


def test_step_functions_unreachable_still_shows_the_episode_with_states_null(client, services, podcast_for, small_export):
    podcast_for(small_export)
    episode, _ = services.episodes.create_episode(
        podcast_id="test-podcast", language="en", format="dialogue", window=Window(None, None))
    services.episodes.claim(episode.id, "arn:aws:states:us-east-1:123456789012:execution:podcasto-local:x")
    services.sfn_client = boto3.client(  # a closed port: connection refused
        "stepfunctions", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x", aws_secret_access_key="x")
    shown = client.http.get(f"/episodes/{episode.id}", headers=AUTH)
    assert shown.status_code == 200
    assert shown.json_body["states"] is None and shown.json_body["status"] == "pending"


def test_the_transcript_is_read_through_the_api(client, engine, services, podcast_for, small_export):
    podcast_for(small_export)
    episode = start(client, engine, "test-podcast")
    shown = client.http.get(f"/episodes/{episode['episode_id']}/transcript", headers=AUTH)
    assert shown.status_code == 200
    stored = services.objects.get(services.episodes.get_episode(episode["episode_id"]).transcript_key).decode()
    assert shown.json_body == {"episode_id": episode["episode_id"], "language": "en", "transcript": stored}
    assert stored.count("\n") >= 2 and ": " in stored.splitlines()[0]


def test_no_transcript_before_completion_unknown_episodes_and_no_key(client, services, podcast_for, small_export):
    podcast_for(small_export)
    episode, _ = services.episodes.create_episode(
        podcast_id="test-podcast", language="en", format="dialogue", window=Window(None, None))
    pending = client.http.get(f"/episodes/{episode.id}/transcript", headers=AUTH)
    assert pending.status_code == 404 and "no transcript" in pending.json_body["message"]
    unknown = client.http.get("/episodes/6f1c1d7e-8a51-4a8e-9d0e-70646361737f/transcript", headers=AUTH)
    assert unknown.status_code == 404
    assert client.http.get(f"/episodes/{episode.id}/transcript").status_code == 401


@pytest.mark.parametrize("path,name", [("/admin", "index.html")] + [(f"/admin/{n}", n) for n in ASSETS])
def test_every_page_file_is_served_without_a_key_with_its_type_and_policy(client, path, name):
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ASSETS[name]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_references_only_files_the_app_serves_and_nothing_inline(client):
    """Every script and style the page loads, and every module a script imports, is served;
    the HTML has no inline script, event-handler attribute or style attribute (the CSP would
    refuse them)."""
    import re
    from html.parser import HTMLParser

    class Inline(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found, self.loaded, self.in_script = [], set(), False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            self.found += [f"{tag} {name}" for name in attrs if name.startswith("on") or name == "style"]
            if tag == "script" and not attrs.get("src"):
                self.found.append("inline script")
            for name in ("src", "href"):
                if (attrs.get(name) or "").startswith("admin/"):
                    self.loaded.add(attrs[name][len("admin/"):])

    html = client.http.get("/admin").body.decode()
    parser = Inline()
    parser.feed(html)
    assert parser.found == []
    wanted = set(parser.loaded)
    for name in ASSETS:
        if name.endswith(".js"):
            wanted |= set(re.findall(r'from "\./([^"]+)"', client.http.get(f"/admin/{name}").body.decode()))
    assert {"app.js", "style.css", "episode_view.js"} <= wanted <= set(ASSETS)


def test_unknown_page_files_are_json_404s():
    with Client(app) as client:
        for name in ("app.py", "..%2F..%2Fapp.py", "index.htm"):
            response = client.http.get(f"/admin/{name}")
            assert response.status_code == 404 and json.loads(response.body)["error"] == "NotFound"


def test_only_the_pages_routes_need_no_key_and_they_still_refuse_other_methods(client):
    from chalicelib.admin_page import ROUTES

    assert ROUTES <= set(app.routes)
    for path, methods in app.routes.items():
        concrete = path.replace("{asset}", "app.js").replace("{podcast_id}", "demo").replace(
            "{episode_id}", "6f1c1d7e-8a51-4a8e-9d0e-70646361737f")
        for method in methods:
            status = getattr(client.http, method.lower())(concrete).status_code
            assert (status != 401) == (path in ROUTES), (method, path, status)
    refused = client.http.post("/admin")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET"
