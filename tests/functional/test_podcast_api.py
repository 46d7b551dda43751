"""The podcast routes through chalice.test.Client: create, read, edit with If-Match, archive,
restore, list episodes; every answer checked against docs/openapi.json."""
from __future__ import annotations

import json

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from app import app
from tests.conftest import API_KEY
from tests.functional.test_api_contract import check

AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}
CHANNEL = {"title": "Morning Tech", "sources": ["https://t.me/s/morning_tech/123", "@second_channel"]}


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


def call(client, method, path, body=None, headers=AUTH, raw=None):
    payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
    response = getattr(client.http, method)(path, headers=headers, body=payload)
    template = _template(path, method)
    check(response, template, method)
    return response


def _template(path: str, method: str) -> str:
    parts = path.split("?")[0].strip("/").split("/")
    if parts == ["podcasts"]:
        return "/podcasts"
    if len(parts) == 2:
        return "/podcasts/{podcast_id}"
    return "/podcasts/{podcast_id}/" + parts[2]


def test_create_read_edit_archive_restore(client, services):
    created = call(client, "post", "/podcasts", CHANNEL)
    assert created.status_code == 201
    podcast = created.json_body
    assert podcast["id"] == "morning-tech"  # derived from the title
    assert podcast["sources"] == ["@morning_tech", "@second_channel"]  # as make generate reads them
    assert created.headers["Location"] == "/podcasts/morning-tech"
    assert created.headers["ETag"] == '"v1"'
    assert (podcast["target_minutes"], podcast["category"], podcast["schedule"]) == (None, "News", None)

    read = call(client, "get", "/podcasts/morning-tech")
    assert read.json_body == podcast and read.headers["ETag"] == '"v1"'

    edited = call(client, "patch", "/podcasts/morning-tech",
                  {"schedule": {"days": ["sun", "wed"], "at": "07:00", "timezone": "Asia/Jerusalem"},
                   "target_minutes": 15, "hosts": [{"name": "Noa", "voices": {"gemini": "Kore"}}]},
                  headers={**AUTH, "If-Match": '"v1"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"v2"'
    body = edited.json_body
    assert body["schedule_text"] == "every Wednesday, Sunday at 07:00 (Asia/Jerusalem)"
    assert body["next_run_at"] and body["target_minutes"] == 15 and body["title"] == "Morning Tech"

    archived = call(client, "delete", "/podcasts/morning-tech")
    assert archived.status_code == 200 and archived.json_body["archived_at"]
    assert archived.json_body["next_run_at"] is None  # an archived podcast is never due
    listed = call(client, "get", "/podcasts").json_body["podcasts"]
    assert "morning-tech" not in [p["id"] for p in listed]
    assert "morning-tech" in [p["id"] for p in call(client, "get", "/podcasts?include_archived=true").json_body["podcasts"]]
    refused = client.http.post("/podcasts/morning-tech/episodes", headers=AUTH, body="{}")
    assert refused.status_code == 409 and "archived" in refused.json_body["message"]
    assert call(client, "post", "/podcasts", {**CHANNEL, "id": "morning-tech"}).status_code == 409

    restored = call(client, "post", "/podcasts/morning-tech/restore")
    assert restored.status_code == 200 and restored.json_body["archived_at"] is None
    assert restored.json_body["next_run_at"]


def test_a_stale_if_match_is_a_412_and_writes_nothing(client):
    call(client, "post", "/podcasts", {**CHANNEL, "id": "stale"})
    first = call(client, "patch", "/podcasts/stale", {"title": "First"}, headers={**AUTH, "If-Match": '"v1"'})
    assert first.status_code == 200
    lost = call(client, "patch", "/podcasts/stale", {"description": "late"}, headers={**AUTH, "If-Match": '"v1"'})
    assert lost.status_code == 412 and "version 1" in lost.json_body["message"]
    assert call(client, "get", "/podcasts/stale").json_body["description"] == ""
    assert call(client, "patch", "/podcasts/stale", {"title": "x"},
                headers={**AUTH, "If-Match": "v2"}).status_code == 400  # not an ETag


def test_an_export_is_shown_by_its_file_name_only_and_a_round_trip_keeps_its_path(client, services, small_export):
    made = call(client, "post", "/podcasts", {"title": "Local", "sources": [{"export": str(small_export)}]})
    assert made.status_code == 201
    assert made.json_body["sources"] == [{"export": "result.json", "chat": None}]
    body = json.dumps(call(client, "get", "/podcasts").json_body)
    assert str(small_export.parent) not in body
    # What GET shows, sent back as it is, keeps the podcast's export.
    call(client, "patch", "/podcasts/local", {"sources": made.json_body["sources"], "title": "Local 2"})
    assert services.episodes.get_podcast("local").sources == [{"export": str(small_export), "chat": None}]
    missing = call(client, "patch", "/podcasts/local", {"sources": [{"export": "/nowhere/result.json"}]})
    assert missing.status_code == 400 and missing.json_body["message"].startswith("sources[0].export")


def test_an_export_is_refused_on_an_aws_stage(client, services, small_export):
    services.admin._allow_exports = False
    refused = call(client, "post", "/podcasts", {"title": "Cloud", "sources": [{"export": str(small_export)}]})
    assert refused.status_code == 400 and "local stage" in refused.json_body["message"]


def test_archiving_is_refused_while_an_episode_is_in_flight(client, services, small_export):
    call(client, "post", "/podcasts", {"title": "Busy", "sources": [{"export": str(small_export)}]})
    services.episodes.create_episode(podcast_id="busy", language="en", format="dialogue",
                                     window=services.admin.next_window(services.episodes.get_podcast("busy")))
    refused = call(client, "delete", "/podcasts/busy")
    assert refused.status_code == 409 and "in flight" in refused.json_body["message"]
    assert services.episodes.get_podcast("busy").archived_at is None


def test_episodes_are_listed_newest_first_with_an_opaque_cursor(client, services, small_export, engine):
    call(client, "post", "/podcasts", {"title": "Listed", "sources": [{"export": str(small_export)}]})
    made = []
    for day in range(1, 6):
        episode, _ = services.episodes.create_episode(
            podcast_id="listed", language="en", format="dialogue",
            window=services.admin.next_window(services.episodes.get_podcast("listed")))
        services.episodes.transition(episode.id, expected="pending", to="failed", error="NoContent",
                                     cause=f"no_content {day}")
        made.append(episode.id)
    pages, cursor = [], None
    while True:
        path = "/podcasts/listed/episodes?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call(client, "get", path).json_body
        pages.append([e["episode_id"] for e in page["episodes"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    # Newest first; episodes made within one millisecond are ordered by id, as the stores page them.
    stored = [services.episodes.get_episode(i) for i in made]
    assert sum(pages, []) == [e.id for e in sorted(stored, key=lambda e: (e.created_at, e.id), reverse=True)]
    first = call(client, "get", "/podcasts/listed/episodes?limit=1").json_body["episodes"][0]
    newest = services.episodes.get_episode(first["episode_id"])
    assert (first["status"], first["error"], first["cause"]) == ("failed", "NoContent", newest.cause)
    for bad in ("limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=" + "A" * 300):
        answer = call(client, "get", f"/podcasts/listed/episodes?{bad}")
        assert answer.status_code == 400 and answer.json_body["message"].startswith(bad.split("=")[0])
    assert call(client, "get", "/podcasts/nope/episodes").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"sources": ["@abcde"]}, "title"),
    ({"title": "T"}, "sources"),
    ({"title": "", "sources": ["@abcde"]}, "title"),
    ({"title": "T" * 201, "sources": ["@abcde"]}, "title"),
    ({"title": "T", "sources": []}, "sources"),
    ({"title": "T", "sources": ["not a channel"]}, "sources[0]"),
    ({"title": "T", "sources": ["@abcde", "t.me/abcde"]}, "sources[1]"),
    ({"title": "T", "sources": [42]}, "sources[0]"),
    ({"title": "T", "sources": ["@abcde"], "language": "fr"}, "language"),
    ({"title": "T", "sources": ["@abcde"], "format": "panel"}, "format"),
    ({"title": "T", "sources": ["@abcde"], "hosts": [{"name": "A"}, {"name": "a"}]}, "hosts[1].name"),
    ({"title": "T", "sources": ["@abcde"], "hosts": [{"name": "A", "voices": {"polly": "Jo anna"}}]}, "hosts[0].voices.polly"),
    ({"title": "T", "sources": ["@abcde"], "schedule": {"at": "7am", "timezone": "UTC"}}, "schedule.at"),
    ({"title": "T", "sources": ["@abcde"], "schedule": {"at": "07:00", "timezone": "Nowhere/City"}}, "schedule.timezone"),
    ({"title": "T", "sources": ["@abcde"], "target_minutes": 500}, "target_minutes"),
    ({"title": "T", "sources": ["@abcde"], "target_minutes": 12.5}, "target_minutes"),
    ({"title": "T", "sources": ["@abcde"], "paused": "yes"}, "paused"),
    ({"title": "T", "sources": ["@abcde"], "explicit": 1}, "explicit"),
    ({"title": "T", "sources": ["@abcde"], "category": "Gossip"}, "category"),
    ({"title": "T", "sources": ["@abcde"], "image": "javascript:alert(1)"}, "image"),
    ({"title": "T", "sources": ["@abcde"], "speech_provider": "say"}, "speech_provider"),
    ({"title": "T", "sources": ["@abcde"], "id": "a/../b"}, "id"),
    ({"title": "T", "sources": ["@abcde"], "frequency_days": 3}, "unknown field 'frequency_days'"),
    ({"title": "T\u0000", "sources": ["@abcde"]}, "title"),
])
def test_a_bad_podcast_is_a_400_naming_the_field(client, body, field):
    answer = call(client, "post", "/podcasts", body)
    assert answer.status_code == 400
    assert answer.json_body["message"].startswith(field), answer.json_body
    assert call(client, "get", "/podcasts").json_body["podcasts"] == []  # nothing was written


def test_patch_refuses_unknown_fields_and_bad_values_and_keeps_the_podcast(client):
    call(client, "post", "/podcasts", {**CHANNEL, "id": "kept"})
    for body, field in [({"id": "other"}, "unknown field 'id'"), ({"nope": 1}, "unknown field 'nope'"),
                        ({"days_back": 0}, "days_back"), ({"sources": "@abcde"}, "sources")]:
        answer = call(client, "patch", "/podcasts/kept", body)
        assert answer.status_code == 400 and answer.json_body["message"].startswith(field)
    assert call(client, "get", "/podcasts/kept").headers["ETag"] == '"v1"'
    assert call(client, "patch", "/podcasts/kept", raw="[1]").status_code == 400
    assert call(client, "patch", "/podcasts/nope", {"title": "x"}).status_code == 404


@pytest.mark.parametrize("method, path", [
    ("post", "/podcasts"), ("get", "/podcasts/x1"), ("patch", "/podcasts/x1"), ("delete", "/podcasts/x1"),
    ("post", "/podcasts/x1/restore"), ("get", "/podcasts/x1/episodes"),
])
def test_every_podcast_route_refuses_a_missing_or_wrong_key_and_does_nothing(client, services, method, path):
    call(client, "post", "/podcasts", {**CHANNEL, "id": "x1"})
    for headers in ({}, {"X-Api-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        answer = call(client, method, path, {"title": "changed"}, headers=headers)
        assert answer.status_code == 401 and API_KEY not in answer.body.decode()
    podcast = services.episodes.get_podcast("x1")
    assert (podcast.title, podcast.version, podcast.archived_at) == ("Morning Tech", 1, None)


def test_unknown_and_malformed_ids_are_404_and_400(client):
    assert call(client, "get", "/podcasts/missing").status_code == 404
    assert call(client, "delete", "/podcasts/missing").status_code == 404
    assert call(client, "post", "/podcasts/missing/restore").status_code == 404
    assert call(client, "get", "/podcasts/-bad").status_code == 400


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
FIELDS = ["id", "title", "description", "author", "language", "format", "hosts", "sources", "schedule",
          "paused", "speech_provider", "script_style", "target_minutes", "days_back", "explicit", "category", "image"]


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6))
def test_fuzzed_bodies_are_a_201_or_a_400_naming_a_field_never_a_5xx(client, body):
    answer = call(client, "post", "/podcasts", body)
    assert answer.status_code in (201, 400, 409), answer.body
    if answer.status_code == 400:
        message = answer.json_body["message"]
        assert any(message.startswith(f) or f"'{f}'" in message for f in FIELDS + ["the request body"]), message
    patched = call(client, "patch", "/podcasts/fuzz-target", body)
    assert patched.status_code in (200, 400, 404), patched.body
