"""The admin API's HTTP edge: the API key, JSON bodies, and every error as a response."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from chalicelib.errors import (
    AudioRejected,
    ConfigurationError,
    InvalidInput,
    NotFound,
    StatusConflict,
    StoreUnavailable,
    Unauthorized,
    WorkflowUnavailable,
)
from chalicelib.http import MAX_BODY_BYTES, check_api_key, error_response, handle, json_body

KEY = "pk-5b1f0c9e2d7a4c1b"


def Headers(values=()):
    """Request headers as Chalice gives them: its own case-insensitive mapping."""
    from chalice.app import CaseInsensitiveMapping

    return CaseInsensitiveMapping(dict(values))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Api-Key": KEY},
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {KEY}"},
        {"Authorization": f"BEARER  {KEY} "},  # the token's surrounding spaces are not part of it
    ],
    ids=["x-api-key", "bearer", "lower-case-scheme", "padded-token"],
)
def test_the_key_is_accepted_as_x_api_key_or_as_a_bearer_token(headers):
    check_api_key(Headers(headers), KEY)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Api-Key": ""},
        {"X-Api-Key": KEY[:4] + "x" * (len(KEY) - 4)},  # the same first bytes, then wrong
        {"X-Api-Key": KEY[:-1]},
        {"X-Api-Key": KEY + "0"},
        {"X-Api-Key": KEY.upper()},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": f"Token {KEY}"},
        {"Authorization": f"Bearer{KEY}"},
        {"Authorization": KEY},
        {"Authorization": f"Bearer {KEY[:4]}"},
        {"Authorization": "Bearer "},
        # X-Api-Key, when sent, is the one checked: a right Bearer token does not rescue it.
        {"X-Api-Key": "wrong", "Authorization": f"Bearer {KEY}"},
    ],
    ids=["none", "empty", "same-prefix", "short", "long", "case", "basic", "token",
         "no-space", "no-scheme", "bearer-prefix", "empty-bearer", "wrong-header-right-bearer"],
)
def test_anything_but_the_exact_key_is_unauthorized_without_quoting_the_key(headers):
    with pytest.raises(Unauthorized) as caught:
        check_api_key(Headers(headers), KEY)
    assert str(caught.value) == "a valid API key is required (X-Api-Key or Authorization: Bearer)"


def request(raw: bytes | None):
    return SimpleNamespace(raw_body=raw, headers=Headers())


@pytest.mark.parametrize("raw", [None, b"", b"  \n "])
def test_an_empty_body_is_none(raw):
    assert json_body(request(raw)) is None


def test_a_json_object_body_is_returned():
    assert json_body(request(b'{"days_back": 3}')) == {"days_back": 3}


def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused():
    padding = MAX_BODY_BYTES - len(b'{"a": ""}')
    at_limit = b'{"a": "' + b"x" * padding + b'"}'
    assert len(at_limit) == MAX_BODY_BYTES
    assert json_body(request(at_limit)) == {"a": "x" * padding}
    with pytest.raises(InvalidInput, match=f"^the request body exceeds {MAX_BODY_BYTES} bytes$"):
        json_body(request(at_limit + b" "))


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"{not json", "the request body is not valid JSON (JSONDecodeError)"),
        (b"\xff\xfe{", "the request body is not valid JSON (UnicodeDecodeError)"),
        (b"[1, 2]", "the request body must be a JSON object"),
        (b'"text"', "the request body must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_invalid_input_saying_why(raw, message):
    with pytest.raises(InvalidInput) as caught:
        json_body(request(raw))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "error, status, body",
    [
        (Unauthorized("no key"), 401, {"error": "Unauthorized", "message": "no key"}),
        (InvalidInput("days_back must be ..."), 400, {"error": "InvalidInput", "message": "days_back must be ..."}),
        (NotFound("no such podcast"), 404, {"error": "NotFound", "message": "no such podcast"}),
        (StatusConflict("it is completed", current="completed"), 409,
         {"error": "StatusConflict", "message": "it is completed", "status": "completed"}),
        (ConfigurationError("SUPABASE_URL is missing"), 503,
         {"error": "Unavailable", "message": "the service is not configured"}),
        (WorkflowUnavailable("throttled"), 503, {"error": "WorkflowUnavailable", "message": "throttled"}),
        (StoreUnavailable("timed out"), 503, {"error": "StoreUnavailable", "message": "timed out"}),
        (AudioRejected("silent"), 503, {"error": "AudioRejected", "message": "silent"}),
        (RuntimeError("/secret/path is on fire"), 500,
         {"error": "InternalError", "message": "an internal error occurred"}),
    ],
)
def test_each_error_becomes_its_status_and_a_json_body(error, status, body):
    response = error_response(error)
    assert response.status_code == status
    assert response.headers == {"Content-Type": "application/json"}
    assert json.loads(response.body) == body


def test_handle_checks_the_key_before_doing_anything():
    done = []
    response = handle(SimpleNamespace(headers=Headers({"X-Api-Key": "wrong"})), api_key=lambda: KEY,
                      action=lambda: done.append(1) or (200, {}))
    assert response.status_code == 401 and done == []


def test_handle_answers_the_actions_status_and_body_as_json():
    response = handle(SimpleNamespace(headers=Headers({"X-Api-Key": KEY})), api_key=lambda: KEY,
                      action=lambda: (202, {"episode_id": "é"}))
    assert response.status_code == 202
    assert response.body == '{"episode_id": "é"}'  # UTF-8 text, not \\u escapes
    assert response.headers == {"Content-Type": "application/json"}


def test_an_unexpected_error_is_logged_with_its_type_and_answered_without_detail(log_lines):
    def broken():
        raise RuntimeError("/secret/path is on fire")

    response = handle(SimpleNamespace(headers=Headers({"X-Api-Key": KEY})), api_key=lambda: KEY,
                      action=broken)
    assert response.status_code == 500 and "fire" not in response.body
    (line,) = [entry for entry in log_lines() if entry["message"] == "request failed"]
    assert (line["level"], line["error"]) == ("ERROR", "RuntimeError") and "exc_info" in line


def test_a_podcasto_error_is_not_logged_as_a_failure(log_lines):
    def refused():
        raise NotFound("no such podcast")

    response = handle(SimpleNamespace(headers=Headers({"X-Api-Key": KEY})), api_key=lambda: KEY,
                      action=refused)
    assert response.status_code == 404
    assert [entry for entry in log_lines() if entry["message"] == "request failed"] == []
