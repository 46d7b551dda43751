"""What adversarial callers found (issue 11): bad input gets a 400 naming it, never a 500, and
an Idempotency-Key means one request, not one episode whatever the body."""
from __future__ import annotations

import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.errors import WorkflowUnavailable
from tests.conftest import API_KEY

AUTH = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def podcast(podcast_for, small_export):
    return podcast_for(small_export)


class RecordingStarter:
    """Starts nothing, or refuses while ``refusing``: these tests check what the API answers."""

    def __init__(self):
        self.inputs = []
        self.refusing = False

    def execution_arn(self, name):
        return f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:{name}"

    def start(self, *, name, execution_input):
        if self.refusing:
            raise WorkflowUnavailable("Step Functions refused to start: ThrottlingException")
        self.inputs.append(execution_input)
        return self.execution_arn(name)


@pytest.fixture
def starter(services):
    recording = RecordingStarter()
    services.starter = lambda: recording
    return recording


def post(client, path, body=None, headers=AUTH, raw=None):
    payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return client.http.post(path, headers=headers, body=payload)


def episode_ids(services, podcast_id):
    import sqlite3

    with sqlite3.connect(services.settings.sqlite_path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM episodes WHERE podcast_id = ?", (podcast_id,))]


# --- dates at the edge of what a datetime holds -----------------------------------------------
OUT_OF_RANGE = [
    ({"end_date": "9999-12-31"}, "end_date"),  # "through that day" is the next midnight
    ({"start_date": "0001-01-01T00:00:00+23:59"}, "start_date"),  # a day before year 1 in UTC
    ({"end_date": "9999-12-31T23:59:59-23:59"}, "end_date"),  # a day after year 9999 in UTC
]


@pytest.mark.parametrize("body, field", OUT_OF_RANGE, ids=[f for _, f in OUT_OF_RANGE])
def test_a_date_outside_what_a_datetime_holds_is_a_400_naming_the_field(client, services, podcast, body, field):
    response = post(client, f"/podcasts/{podcast.id}/episodes", body)

    assert response.status_code == 400, response.body
    assert response.json_body["error"] == "InvalidInput"
    assert field in response.json_body["message"]
    assert episode_ids(services, podcast.id) == []


@pytest.mark.parametrize("body, field", OUT_OF_RANGE, ids=[f for _, f in OUT_OF_RANGE])
def test_from_the_console_the_same_dates_fail_as_invalid_input(engine, services, podcast, body, field):
    description = engine.run({"podcast_id": podcast.id, **body}, timeout=120)

    assert (description["status"], description["error"]) == ("FAILED", "InvalidInput")
    assert field in description["cause"]
    assert "OverflowError" not in description["cause"]


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"])
def test_a_body_nested_thousands_deep_is_a_400_naming_the_body(client, podcast, opener, closer):
    depth = 5000 if opener == "[" else 2500  # both within the 16 KiB body limit
    response = post(client, f"/podcasts/{podcast.id}/episodes", raw=opener * depth + "1" + closer * depth)

    assert response.status_code == 400, response.body
    assert "body" in response.json_body["message"]


# --- Idempotency-Key: one key, one request ----------------------------------------------------
def test_the_same_key_with_another_body_is_a_422_and_starts_nothing(client, services, podcast, starter):
    headers = {**AUTH, "Idempotency-Key": "weekly-2026-48"}
    first = post(client, f"/podcasts/{podcast.id}/episodes", {"days_back": 7}, headers=headers)
    other = post(client, f"/podcasts/{podcast.id}/episodes", {"days_back": 3}, headers=headers)

    assert first.status_code == 202
    assert other.status_code == 422, other.body
    assert other.json_body["error"] == "IdempotencyKeyReused"
    assert "Idempotency-Key" in other.json_body["message"]
    assert len(starter.inputs) == 1 and len(episode_ids(services, podcast.id)) == 1


def test_the_same_key_with_the_same_body_written_differently_is_the_same_episode(client, services, podcast, starter):
    headers = {**AUTH, "Idempotency-Key": "weekly-2026-49"}
    first = post(client, f"/podcasts/{podcast.id}/episodes", raw='{"language": "en", "days_back": 7}',
                 headers=headers)
    again = post(client, f"/podcasts/{podcast.id}/episodes", raw='{"days_back":7,"language":"en"}',
                 headers=headers)
    empty = post(client, f"/podcasts/{podcast.id}/episodes", raw="", headers={**headers, "Idempotency-Key": "e"})
    empty_again = post(client, f"/podcasts/{podcast.id}/episodes", raw="{}", headers={**headers, "Idempotency-Key": "e"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json_body["episode_id"] == first.json_body["episode_id"]
    assert empty_again.json_body["episode_id"] == empty.json_body["episode_id"]
    assert len(starter.inputs) == 2


def test_a_post_that_got_a_503_repeated_with_its_key_starts_the_episode(client, services, podcast, starter):
    headers = {**AUTH, "Idempotency-Key": "after-a-503"}
    starter.refusing = True
    refused = post(client, f"/podcasts/{podcast.id}/episodes", {"days_back": 7}, headers=headers)
    starter.refusing = False
    repeated = post(client, f"/podcasts/{podcast.id}/episodes", {"days_back": 7}, headers=headers)

    assert refused.status_code == 503
    assert repeated.status_code == 202, repeated.body
    (episode_id,) = episode_ids(services, podcast.id)
    assert repeated.json_body["episode_id"] == episode_id
    episode = services.episodes.get_episode(episode_id)
    assert (episode.status, episode.error, episode.attempt_count) == ("pending", None, 2)
    assert episode.execution_id == repeated.json_body["execution_arn"]
    assert [i["episode_id"] for i in starter.inputs] == [episode_id]  # started, once
    # Once started, the key answers with the same episode and starts nothing more.
    third = post(client, f"/podcasts/{podcast.id}/episodes", {"days_back": 7}, headers=headers)
    assert third.json_body["episode_id"] == episode_id and len(starter.inputs) == 1
