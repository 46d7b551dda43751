"""The edge every route shares (chalicelib/http.py's middleware): the API key first, then 405 and
415 in the error schema; and the document says so for every operation (issue 11, item 10).
Routes come from the app itself, so routes added later are held to the same rules."""
from __future__ import annotations


import pytest
from chalice.test import Client
from openapi_schema_validator import OAS30Validator

from app import app
from chalicelib.admin_page import ROUTES as PAGE_ROUTES
from tests.conftest import API_KEY
from tests.functional.test_api_contract import SPEC, resolved

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTES = sorted((path, sorted(by_method)) for path, by_method in app.routes.items())
SHARED = ("401", "403", "405", "415", "429", "500", "503")
# The admin page's files need no key (they hold no secret) and call no dependency: no 401, no 503.
PAGE_SHARED = tuple(s for s in SHARED if s not in ("401", "503"))


def concrete(path: str) -> str:
    """A request path for a route: each {param} filled with a well-formed id."""
    import re

    return re.sub(r"\{[^}]+\}", "6f1c1d7e-8a51-4a8e-9d0e-70646361737f", path)


def documented(path: str, status: int, body: dict) -> None:
    """``status`` is documented for every operation of ``path`` and ``body`` matches it."""
    for operation in SPEC["paths"][path].values():
        response = resolved(operation["responses"][str(status)])
        OAS30Validator(response["content"]["application/json"]["schema"]).validate(body)


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


@pytest.mark.parametrize("path, allowed", ROUTES, ids=[p for p, _ in ROUTES])
def test_a_method_a_path_lacks_is_401_without_the_key_and_405_in_the_error_schema_with_it(client, path, allowed):
    for method in (m for m in METHODS if m not in allowed):
        anonymous = client.http.request(method, concrete(path), headers={}, body=b"")
        refused = client.http.request(method, concrete(path), headers={"X-Api-Key": API_KEY}, body=b"")

        assert anonymous.status_code == (405 if path in PAGE_ROUTES else 401), (method, path, anonymous.body)
        assert refused.status_code == 405, (method, path, refused.body)
        assert refused.json_body["error"] == "MethodNotAllowed"
        assert refused.headers["Allow"] == ", ".join(allowed)
        documented(path, 405, refused.json_body)


@pytest.mark.parametrize("path, allowed", ROUTES, ids=[p for p, _ in ROUTES])
def test_a_body_that_is_not_json_is_401_without_the_key_and_415_in_the_error_schema_with_it(client, path, allowed):
    for method in allowed:
        headers = {"Content-Type": "text/plain"}
        anonymous = client.http.request(method, concrete(path), headers=headers, body=b"hello")
        refused = client.http.request(method, concrete(path), headers={**headers, "X-Api-Key": API_KEY},
                                      body=b"hello")

        assert anonymous.status_code == (415 if path in PAGE_ROUTES else 401), (method, path, anonymous.body)
        assert refused.status_code == 415, (method, path, refused.body)
        assert refused.json_body["error"] == "UnsupportedMediaType" and "text/plain" in refused.json_body["message"]
        documented(path, 415, refused.json_body)


def test_json_with_a_charset_is_json(client, podcast_for, small_export):
    podcast = podcast_for(small_export)
    response = client.http.post(f"/podcasts/{podcast.id}/episodes", body=b'{"language": "fr"}',
                                headers={"X-Api-Key": API_KEY, "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 400 and "language" in response.json_body["message"]


@pytest.mark.parametrize("path, method", [(p, m) for p, ops in SPEC["paths"].items() for m in ops])
def test_every_operation_documents_the_answers_every_route_can_give(path, method):
    responses = SPEC["paths"][path][method]["responses"]
    shared = set(PAGE_SHARED if path in PAGE_ROUTES else SHARED)
    assert shared <= set(responses), sorted(shared - set(responses))
    assert "Allow" in resolved(responses["405"])["headers"]
    assert "Retry-After" in resolved(responses["429"])["headers"]


def test_the_document_states_the_idempotency_key_pattern_and_the_422():
    operation = SPEC["paths"]["/podcasts/{podcast_id}/episodes"]["post"]
    (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["schema"]["pattern"] == "^[\\x21-\\x7e]{1,128}$"
    assert "422" in operation["responses"] and "different request" in key["description"]


def test_the_document_says_days_back_excludes_the_dates():
    request = SPEC["components"]["schemas"]["EpisodeRequest"]
    body = {"days_back": 3, "start_date": "2026-11-01"}
    with pytest.raises(Exception, match="should not be valid|is not allowed|not valid under"):
        OAS30Validator(request).validate(body)
    OAS30Validator(request).validate({"days_back": 3})
    OAS30Validator(request).validate({"start_date": "2026-11-01", "end_date": "2026-11-07"})
